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

    public init(nodeMonitorGracePeriod: Duration = .seconds(40), nodeMonitorPeriod: Duration? = nil) {
        self.nodeMonitorGracePeriod = nodeMonitorGracePeriod
        self.nodeMonitorPeriod = nodeMonitorPeriod ?? min(.seconds(5), max(.milliseconds(10), nodeMonitorGracePeriod / 5))
    }
}
