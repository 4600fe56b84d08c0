import APIMachinery

/// Why a node cannot take a pod.
public struct FilterStatus: Sendable, Hashable {
    public enum Code: Sendable, Hashable {
        /// Preemption (evicting pods) may make the node fit.
        case unschedulable
        /// Preemption cannot help.
        case unschedulableAndUnresolvable
    }

    public var code: Code
    public var reasons: [String]
    public var plugin: String

    public init(_ code: Code, _ reasons: [String], plugin: String) {
        self.code = code
        self.reasons = reasons
        self.plugin = plugin
    }
}

/// The per-cycle data the filter and score plugins compute once for a pod over all nodes.
struct CycleState: Sendable {
    let pod: PodInfo
    let interPodAffinity: InterPodAffinityState
    let topologySpread: TopologySpreadState

    init(pod: PodInfo, nodes: [NodeInfo], namespaceLabels: [String: [String: String]]) {
        self.pod = pod
        interPodAffinity = InterPodAffinityState(pod: pod, nodes: nodes, namespaceLabels: namespaceLabels)
        topologySpread = TopologySpreadState(pod: pod, nodes: nodes, whenUnsatisfiable: "DoNotSchedule")
    }
}

/// A filter plugin: nil when the node fits.
protocol FilterPlugin: Sendable {
    var name: String { get }
    func filter(_ state: CycleState, _ node: NodeInfo) -> FilterStatus?
}

/// A score plugin: raw scores for the feasible nodes, then normalised to 0...100.
protocol ScorePlugin: Sendable {
    var name: String { get }
    var weight: Int64 { get }
    func scores(_ state: CycleState, feasible: [NodeInfo], all: [NodeInfo]) -> [Int64]
}

/// Plugin names, as the scheduler configuration spells them.
public enum PluginName {
    public static let nodeUnschedulable = "NodeUnschedulable"
    public static let nodeName = "NodeName"
    public static let taintToleration = "TaintToleration"
    public static let nodeAffinity = "NodeAffinity"
    public static let nodePorts = "NodePorts"
    public static let nodeResourcesFit = "NodeResourcesFit"
    public static let podTopologySpread = "PodTopologySpread"
    public static let interPodAffinity = "InterPodAffinity"
    public static let balancedAllocation = "NodeResourcesBalancedAllocation"
    public static let imageLocality = "ImageLocality"
}

/// Score normalisation helpers (framework.MaxNodeScore is 100).
enum Normalize {
    static let maxNodeScore: Int64 = 100

    /// Scales scores so the highest is 100; with `reverse`, the highest becomes 0 and 0 becomes 100.
    static func `default`(_ scores: [Int64], reverse: Bool) -> [Int64] {
        let maximum = scores.max() ?? 0
        if maximum == 0 {
            return reverse ? scores.map { _ in maxNodeScore } : scores
        }
        return scores.map { s in
            let scaled = maxNodeScore * s / maximum
            return reverse ? maxNodeScore - scaled : scaled
        }
    }
}
