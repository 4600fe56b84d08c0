import APIMachinery

/// A node's total and per-plugin scores (each plugin's normalised 0...100 score times its weight).
public struct NodeScore: Sendable, Hashable {
    public var name: String
    public var total: Int64
    public var plugins: [String: Int64]
}

/// Why no node can take a pod, worded as kube-scheduler's FailedScheduling event.
public struct FitError: Error, Sendable, CustomStringConvertible {
    public static let noNodesAvailable = "no nodes available to schedule pods"

    public let numAllNodes: Int
    /// The failing filter of each node.
    public let statuses: [String: FilterStatus]
    /// The preemption part (`preemption: 0/3 nodes are available: ...`), nil when preemption found a node.
    public let postFilterMessage: String?
    /// The node where evicting `victims` makes room for the pod, when preemption found one.
    public let preemption: PreemptionCandidate?

    /// "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had untolerated taint {a: b}. preemption: ..."
    public var message: String {
        if numAllNodes == 0 { return Self.noNodesAvailable }
        var text = "0/\(numAllNodes) nodes are available: " + Self.histogram(statuses.values.flatMap(\.reasons)) + "."
        if let postFilterMessage { text += " " + postFilterMessage + "." }
        return text
    }

    public var description: String { message }

    /// Counts each reason once per node, writes "N reason", sorts the strings and joins them with ", ".
    static func histogram(_ reasons: [String]) -> String {
        var counts: [String: Int] = [:]
        for reason in reasons { counts[reason, default: 0] += 1 }
        return counts.map { "\($0.value) \($0.key)" }.sorted().joined(separator: ", ")
    }
}

/// The outcome of scheduling one pod.
public enum ScheduleResult: Sendable {
    /// `evaluatedNodes` is how many nodes were filtered; the next pod should start after them
    /// (`startIndex + evaluatedNodes`) so that every node gets its turn.
    case scheduled(node: String, scores: [NodeScore], evaluatedNodes: Int)
    case unschedulable(FitError)

    public var nodeName: String? {
        if case .scheduled(let node, _, _) = self { return node }
        return nil
    }

    public var fitError: FitError? {
        if case .unschedulable(let error) = self { return error }
        return nil
    }

    /// The FailedScheduling message, when the pod cannot be scheduled.
    public var message: String? { fitError?.message }
}

/// kube-scheduler's default profile as pure, synchronous logic: filter the nodes, score the feasible
/// ones, pick the best (ties broken by node order, or by a seeded random choice), and when none fits,
/// report why and try preemption.
public struct Scheduler: Sendable {
    /// Score plugin weights of the default profile.
    public static let defaultWeights: [String: Int64] = [
        PluginName.taintToleration: 3, PluginName.nodeAffinity: 2, PluginName.podTopologySpread: 2,
        PluginName.interPodAffinity: 2, PluginName.nodeResourcesFit: 1, PluginName.balancedAllocation: 1,
        PluginName.imageLocality: 1,
    ]

    /// Namespace labels, for pod affinity terms with a namespaceSelector.
    public var namespaceLabels: [String: [String: String]]
    /// When set, ties between the best nodes are broken by a random choice seeded with this and the pod.
    public var seed: UInt64?
    public var weights: [String: Int64]
    /// percentageOfNodesToScore: stop filtering once this share of the nodes (at least 100) is feasible;
    /// nil for Kubernetes' adaptive default (50% − 1% per 125 nodes, at least 5%), 100 for every node.
    public var percentageOfNodesToScore: Int?
    /// Whether `NodeScore.plugins` is filled (the per-plugin breakdown, for inspection); the
    /// scheduling service turns it off, needing only the totals.
    public var keepPluginScores = true
    /// The selector of the pods that belong to the same Services, ReplicaSets, StatefulSets and
    /// ReplicationControllers as a pod (the union of their selectors), for the system default spreading
    /// of pods without topologySpreadConstraints; nil turns the defaults off.
    public var defaultSpreadSelector: (@Sendable (JSONValue) -> LabelSelector?)?

    public init(namespaceLabels: [String: [String: String]] = [:], seed: UInt64? = nil,
                weights: [String: Int64] = Scheduler.defaultWeights, percentageOfNodesToScore: Int? = nil,
                defaultSpreadSelector: (@Sendable (JSONValue) -> LabelSelector?)? = nil) {
        self.defaultSpreadSelector = defaultSpreadSelector
        self.namespaceLabels = namespaceLabels
        self.seed = seed
        self.weights = weights
        self.percentageOfNodesToScore = percentageOfNodesToScore
    }

    static let minFeasibleNodesToFind = 100
    static let minFeasibleNodesPercentageToFind = 5

    /// How many feasible nodes to look for among `count` nodes.
    public func numFeasibleNodesToFind(_ count: Int) -> Int {
        if count < Self.minFeasibleNodesToFind { return count }
        var percentage = percentageOfNodesToScore ?? Swift.max(50 - count / 125, Self.minFeasibleNodesPercentageToFind)
        if percentage >= 100 { return count }
        percentage = Swift.max(percentage, 1)
        return Swift.max(count * percentage / 100, Self.minFeasibleNodesToFind)
    }

    /// The filter plugins, in the default profile's order (a node reports the first that fails).
    let filters: [any FilterPlugin] = [
        NodeUnschedulableFilter(), NodeNameFilter(), TaintTolerationFilter(), NodeAffinityFilter(), NodePortsFilter(),
        NodeResourcesFitFilter(), PodTopologySpreadFilter(), InterPodAffinityFilter(),
    ]

    var scorePlugins: [any ScorePlugin] {
        func w(_ name: String) -> Int64 { weights[name] ?? 0 }
        return [
            TaintTolerationScore(weight: w(PluginName.taintToleration)),
            NodeAffinityScore(weight: w(PluginName.nodeAffinity)),
            PodTopologySpreadScore(weight: w(PluginName.podTopologySpread)),
            InterPodAffinityScore(weight: w(PluginName.interPodAffinity)),
            LeastAllocatedScore(weight: w(PluginName.nodeResourcesFit)),
            BalancedAllocationScore(weight: w(PluginName.balancedAllocation)),
            ImageLocalityScore(weight: w(PluginName.imageLocality)),
        ].filter { $0.weight > 0 }
    }

    // MARK: Scheduling

    /// Schedules a pod onto one of `nodes`, with `pods` (those bound to a node) counted where they run.
    public func schedule(pod: JSONValue, nodes: [JSONValue], pods: [JSONValue] = [], pdbs: [JSONValue] = []) -> ScheduleResult {
        schedule(pod: pod, nodes: NodeInfo.snapshot(nodes: nodes, pods: pods), pdbs: pdbs)
    }

    /// Schedules a pod; filtering starts at `startIndex` (round robin) and stops once enough feasible
    /// nodes are found (percentageOfNodesToScore).
    public func schedule(pod: JSONValue, nodes: [NodeInfo], pdbs: [JSONValue] = [], startIndex: Int = 0) -> ScheduleResult {
        let info = podInfo(pod)
        if nodes.isEmpty {
            return .unschedulable(FitError(numAllNodes: 0, statuses: [:], postFilterMessage: nil, preemption: nil))
        }
        let state = CycleState(pod: info, nodes: nodes, namespaceLabels: namespaceLabels)
        var feasible: [NodeInfo] = []
        var statuses: [String: FilterStatus] = [:]
        let wanted = numFeasibleNodesToFind(nodes.count)
        var evaluated = 0
        let start = ((startIndex % nodes.count) + nodes.count) % nodes.count
        while evaluated < nodes.count, feasible.count < wanted {
            let node = nodes[(start + evaluated) % nodes.count]
            evaluated += 1
            if let status = runFilters(state, node) { statuses[node.name] = status } else { feasible.append(node) }
        }
        if feasible.isEmpty {
            let outcome = Preemption(scheduler: self).preempt(pod: info, nodes: nodes, statuses: statuses, pdbs: pdbs)
            return .unschedulable(FitError(numAllNodes: nodes.count, statuses: statuses,
                                           postFilterMessage: outcome.message, preemption: outcome.candidate))
        }
        if feasible.count == 1 {
            return .scheduled(node: feasible[0].name, scores: [], evaluatedNodes: evaluated)
        }
        let scores = score(state, feasible: feasible, all: nodes)
        return .scheduled(node: select(scores, pod: info), scores: scores, evaluatedNodes: evaluated)
    }

    func podInfo(_ pod: JSONValue) -> PodInfo {
        PodInfo(pod, defaultSpreadSelector: defaultSpreadSelector?(pod))
    }

    /// The first failing filter for the pod on the node, or nil when it fits.
    func runFilters(_ state: CycleState, _ node: NodeInfo) -> FilterStatus? {
        for plugin in filters {
            if let status = plugin.filter(state, node) { return status }
        }
        return nil
    }

    /// Whether the pod fits the node (every filter passes) in the cluster `nodes`.
    public func fits(pod: JSONValue, node: String, nodes: [NodeInfo]) -> FilterStatus? {
        guard let target = nodes.first(where: { $0.name == node }) else { return nil }
        return runFilters(CycleState(pod: podInfo(pod), nodes: nodes, namespaceLabels: namespaceLabels), target)
    }

    /// Scores the feasible nodes with every score plugin.
    func score(_ state: CycleState, feasible: [NodeInfo], all: [NodeInfo]) -> [NodeScore] {
        let plugins = scorePlugins
        var result = feasible.map { NodeScore(name: $0.name, total: 0, plugins: Dictionary(minimumCapacity: keepPluginScores ? plugins.count : 0)) }
        for plugin in plugins {
            let scores = plugin.scores(state, feasible: feasible, all: all)
            for i in result.indices {
                let weighted = scores[i] * plugin.weight
                if keepPluginScores { result[i].plugins[plugin.name] = weighted }
                result[i].total += weighted
            }
        }
        return result
    }

    /// Scores for a pod over nodes (every node taken as feasible), for inspection and tests.
    public func scores(pod: JSONValue, nodes: [NodeInfo]) -> [NodeScore] {
        let state = CycleState(pod: podInfo(pod), nodes: nodes, namespaceLabels: namespaceLabels)
        return score(state, feasible: nodes, all: nodes)
    }

    /// The best-scoring node; ties go to the first in node order, or to a seeded random pick.
    func select(_ scores: [NodeScore], pod: PodInfo) -> String {
        let best = scores.map(\.total).max() ?? 0
        let top = scores.filter { $0.total == best }
        guard let seed, top.count > 1 else { return top[0].name }
        var generator = SplitMix64(seed: seed ^ fnv1a(pod.key))
        return top[Int(generator.next() % UInt64(top.count))].name
    }
}

/// A small deterministic generator for tie-breaking.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

func fnv1a(_ text: String) -> UInt64 {
    var hash: UInt64 = 0xCBF2_9CE4_8422_2325
    for byte in text.utf8 {
        hash ^= UInt64(byte)
        hash = hash &* 0x100_0000_01B3
    }
    return hash
}
