import Registry

/// The typed configuration of `swiftlet server`.
public struct ServerConfiguration: Sendable {
    public var dataDirectory = "/var/lib/swiftlet"
    public var bindAddress = "127.0.0.1"
    public var port = 6443
    public var kubeconfigPath = "/etc/swiftlet/swiftlet.yaml"
    /// The node agent run in-process on this machine; nil runs the control plane only (--disable-agent).
    public var agent: AgentConfiguration?
    /// Run without the scheduler (pods stay unbound unless something else binds them).
    public var disableScheduler = false
    /// Controllers of the controller manager not to run (ControllerManager.names).
    public var disabledControllers: Set<String> = []
    /// How long a node may go without heartbeats before the node lifecycle controller marks it Unknown.
    public var nodeMonitorGracePeriod: Duration = .seconds(40)
    /// Terminated pods kept before the oldest are deleted (kube-controller-manager's
    /// --terminated-pod-gc-threshold; 0 disables).
    public var terminatedPodGCThreshold = 12500
    /// Revisions of history kept for watches; older ones are compacted away.
    public var retainedRevisions: Int64 = 10_000
    /// How often history is compacted.
    public var compactionInterval: Duration = .seconds(60)
    /// The IPv4 range Service ClusterIPs are allocated from (k3s' default).
    public var serviceCIDR: ServiceIPRange = .default
    /// The IPv4 range nodes' pod CIDRs (a /24 each) are allocated from (k3s' default).
    public var clusterCIDR: ClusterCIDR = .default
    /// Where the built-in local-path provisioner puts volume directories on the nodes (k3s'
    /// --default-local-storage-path); nil: `<dataDirectory>/storage`.
    public var localStoragePath: String?
    public var effectiveLocalStoragePath: String { localStoragePath ?? dataDirectory + "/storage" }

    public init() {}

    /// Sets `serviceCIDR` from text such as `10.43.0.0/16`; false if it is not an IPv4 CIDR with a
    /// prefix length from 12 to 30.
    public mutating func setServiceCIDR(_ text: String) -> Bool {
        guard let range = ServiceIPRange(cidr: text) else { return false }
        serviceCIDR = range
        return true
    }

    /// Sets `clusterCIDR` from text such as `10.42.0.0/16`; false if it is not an IPv4 CIDR with a
    /// prefix length from 8 to 24.
    public mutating func setClusterCIDR(_ text: String) -> Bool {
        guard let range = ClusterCIDR(cidr: text) else { return false }
        clusterCIDR = range
        return true
    }
}
