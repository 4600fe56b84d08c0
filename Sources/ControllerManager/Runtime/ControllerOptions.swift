import Foundation

/// Settings of individual controllers that `swiftlet server` flags can change (kube-controller-manager's
/// --node-monitor-grace-period and friends).
public struct ControllerOptions: Sendable {
    /// How long a node may go without renewing its Lease (or posting its Ready condition) before the
    /// node lifecycle controller marks it Unknown (kube-controller-manager 1.32: 40 s).
    public var nodeMonitorGracePeriod: Duration = .seconds(40)
    /// How often the node lifecycle controller checks node health (5 s); never longer than a fifth of
    /// the grace period.
    public var nodeMonitorPeriod: Duration = .seconds(5)
    /// How many terminated (Succeeded or Failed) pods may exist before the pod garbage collector
    /// deletes the oldest (`--terminated-pod-gc-threshold`, 12500; 0 disables it).
    public var terminatedPodGCThreshold = 12500
    /// Where the built-in local-path provisioner places volume directories on the nodes (k3s keeps
    /// them under its data directory; the kubelet cleans up the same directory).
    public var localPathBase = ControllerOptions.defaultLocalPathBase
    public static let defaultLocalPathBase = "/var/lib/swiftlet/storage"
    /// How often the horizontal pod autoscaler reconciles every HPA (`--horizontal-pod-autoscaler-sync-period`, 15 s).
    public var horizontalPodAutoscalerSyncPeriod: Duration = .seconds(15)

    public init(nodeMonitorGracePeriod: Duration = .seconds(40), nodeMonitorPeriod: Duration? = nil,
                terminatedPodGCThreshold: Int = 12500, localPathBase: String = ControllerOptions.defaultLocalPathBase) {
        self.localPathBase = localPathBase
        self.nodeMonitorGracePeriod = nodeMonitorGracePeriod
        self.terminatedPodGCThreshold = max(0, terminatedPodGCThreshold)
        self.nodeMonitorPeriod = nodeMonitorPeriod ?? min(.seconds(5), max(.milliseconds(10), nodeMonitorGracePeriod / 5))
    }
}
