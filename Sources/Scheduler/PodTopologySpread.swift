import APIMachinery
import Foundation

/// Matching pods per topology domain for a pod's spread constraints of one kind
/// (`DoNotSchedule` for filtering, `ScheduleAnyway` for scoring).
struct TopologySpreadState: Sendable {
    let constraints: [SpreadConstraint]
    /// Whether a node must have every constraint's key to count (not for the system defaults).
    let requireAllKeys: Bool
    /// Per constraint: domain value → matching pods (every eligible domain present, maybe with 0).
    var counts: [[String: Int64]]

    init(pod: PodInfo, nodes: [NodeInfo], whenUnsatisfiable: String) {
        constraints = pod.spreadConstraints.filter { $0.whenUnsatisfiable == whenUnsatisfiable }
        requireAllKeys = !pod.systemDefaultedSpread
        counts = Array(repeating: [:], count: constraints.count)
        guard !constraints.isEmpty else { return }
        for node in nodes where !requireAllKeys || hasAllKeys(node) {
            for (i, c) in constraints.enumerated() where Self.eligible(node, for: c, pod: pod) {
                guard let value = node.labels[c.topologyKey] else { continue }
                var n: Int64 = 0
                for existing in node.pods where existing.namespace == pod.namespace && !existing.isTerminating && c.matches(existing) {
                    n += 1
                }
                counts[i][value, default: 0] += n
            }
        }
    }

    /// A node counts towards the spread when it has every constraint's topology key and passes the
    /// constraint's node policies (nodeAffinityPolicy Honor by default, nodeTaintsPolicy Ignore by default).
    static func eligible(_ node: NodeInfo, for c: SpreadConstraint, pod: PodInfo) -> Bool {
        if c.honorNodeAffinity && !pod.nodeAffinity.matches(labels: node.labels, name: node.name) { return false }
        if c.honorNodeTaints {
            for taint in node.taints where taint.effect == "NoSchedule" || taint.effect == "NoExecute" {
                if !pod.tolerations.tolerates(taint) { return false }
            }
        }
        return true
    }

    func hasAllKeys(_ node: NodeInfo) -> Bool { constraints.allSatisfy { node.labels[$0.topologyKey] != nil } }

    /// The global minimum of matching pods for constraint `i` (0 when fewer than minDomains domains).
    func minimum(_ i: Int) -> Int64 {
        if Int64(counts[i].count) < constraints[i].minDomains { return 0 }
        return counts[i].values.min() ?? 0
    }
}

/// `whenUnsatisfiable: DoNotSchedule` constraints: placing the pod must not raise the skew (matching
/// pods in the node's domain + the pod itself − the global minimum) above maxSkew.
struct PodTopologySpreadFilter: FilterPlugin {
    let name = PluginName.podTopologySpread

    func filter(_ state: CycleState, _ node: NodeInfo) -> FilterStatus? {
        let s = state.topologySpread
        guard !s.constraints.isEmpty else { return nil }
        guard s.hasAllKeys(node) else {
            return FilterStatus(.unschedulableAndUnresolvable, [FilterReason.topologySpreadMissingLabel], plugin: name)
        }
        for (i, c) in s.constraints.enumerated() {
            let value = node.labels[c.topologyKey]!
            let selfMatch: Int64 = c.matches(state.pod) ? 1 : 0
            let skew = s.counts[i][value, default: 0] + selfMatch - s.minimum(i)
            if skew > c.maxSkew {
                return FilterStatus(.unschedulable, [FilterReason.topologySpread], plugin: name)
            }
        }
        return nil
    }
}

/// `whenUnsatisfiable: ScheduleAnyway` constraints: fewer matching pods in a node's domains scores higher.
struct PodTopologySpreadScore: ScorePlugin {
    let name = PluginName.podTopologySpread
    let weight: Int64

    func scores(_ state: CycleState, feasible: [NodeInfo], all: [NodeInfo]) -> [Int64] {
        let s = TopologySpreadState(pod: state.pod, nodes: all, whenUnsatisfiable: "ScheduleAnyway")
        guard !s.constraints.isEmpty else { return feasible.map { _ in 0 } }
        let weights = s.counts.map { log(Double($0.count + 2)) }
        let raw: [Int64?] = feasible.map { node in
            guard !s.requireAllKeys || s.hasAllKeys(node) else { return nil }
            var score = 0.0
            for (i, c) in s.constraints.enumerated() {
                guard let value = node.labels[c.topologyKey] else { continue }
                let count = s.counts[i][value, default: 0]
                score += Double(count + c.maxSkew - 1) * weights[i]
            }
            return Int64(score.rounded())
        }
        let present = raw.compactMap { $0 }
        let lo = present.min() ?? 0, hi = present.max() ?? 0
        return raw.map { value in
            guard let value else { return 0 }
            if hi == 0 { return Normalize.maxNodeScore }
            return Normalize.maxNodeScore * (hi + lo - value) / hi
        }
    }
}
