import APIMachinery

struct TopologyPair: Sendable, Hashable {
    var key: String
    var value: String
}

/// Counts of matching pods per topology domain, computed once per pod over all nodes.
struct InterPodAffinityState: Sendable {
    /// Domains where an existing pod's required anti-affinity rejects the incoming pod.
    var existingAntiAffinity: [TopologyPair: Int] = [:]
    /// Domains holding pods that match every required affinity term of the incoming pod.
    var affinity: [TopologyPair: Int] = [:]
    /// Domains holding pods that match a required anti-affinity term of the incoming pod.
    var antiAffinity: [TopologyPair: Int] = [:]
    /// Whether the incoming pod matches all its own required affinity terms (the first pod of a group).
    var podMatchesOwnAffinity = false
    /// Preferred (anti-)affinity weights per domain, both directions.
    var preferredScores: [TopologyPair: Int64] = [:]

    /// The weight of existing pods' required affinity terms that match the incoming pod, when scoring.
    static let hardPodAffinityWeight: Int64 = 1

    init(pod: PodInfo, nodes: [NodeInfo], namespaceLabels: [String: [String: String]]) {
        let incomingTerms = !(pod.requiredAffinity.isEmpty && pod.requiredAntiAffinity.isEmpty
            && pod.preferredAffinity.isEmpty && pod.preferredAntiAffinity.isEmpty)
        podMatchesOwnAffinity = !pod.requiredAffinity.isEmpty
            && pod.requiredAffinity.allSatisfy { $0.matches(pod, namespaceLabels: namespaceLabels) }
        // Only nodes with pods with affinity terms matter unless the incoming pod has terms (which
        // spares copying every node for the common pod without any).
        for i in nodes.indices where incomingTerms || !nodes[i].podsWithAffinity.isEmpty {
            let node = nodes[i]
            // Existing pods' terms against the incoming pod.
            for existing in node.podsWithAffinity where existing.key != pod.key {
                for term in existing.requiredAntiAffinity where term.matches(pod, namespaceLabels: namespaceLabels) {
                    if let value = node.labels[term.topologyKey] {
                        existingAntiAffinity[TopologyPair(key: term.topologyKey, value: value), default: 0] += 1
                    }
                }
                for term in existing.requiredAffinity where term.matches(pod, namespaceLabels: namespaceLabels) {
                    if let value = node.labels[term.topologyKey] {
                        preferredScores[TopologyPair(key: term.topologyKey, value: value), default: 0] += Self.hardPodAffinityWeight
                    }
                }
                for term in existing.preferredAffinity where term.matches(pod, namespaceLabels: namespaceLabels) {
                    if let value = node.labels[term.topologyKey] {
                        preferredScores[TopologyPair(key: term.topologyKey, value: value), default: 0] += term.weight
                    }
                }
                for term in existing.preferredAntiAffinity where term.matches(pod, namespaceLabels: namespaceLabels) {
                    if let value = node.labels[term.topologyKey] {
                        preferredScores[TopologyPair(key: term.topologyKey, value: value), default: 0] -= term.weight
                    }
                }
            }
            guard incomingTerms else { continue }
            // The incoming pod's terms against existing pods.
            for existing in node.pods where existing.key != pod.key {
                if !pod.requiredAffinity.isEmpty,
                   pod.requiredAffinity.allSatisfy({ $0.matches(existing, namespaceLabels: namespaceLabels) }) {
                    for term in pod.requiredAffinity {
                        if let value = node.labels[term.topologyKey] {
                            affinity[TopologyPair(key: term.topologyKey, value: value), default: 0] += 1
                        }
                    }
                }
                for term in pod.requiredAntiAffinity where term.matches(existing, namespaceLabels: namespaceLabels) {
                    if let value = node.labels[term.topologyKey] {
                        antiAffinity[TopologyPair(key: term.topologyKey, value: value), default: 0] += 1
                    }
                }
                for term in pod.preferredAffinity where term.matches(existing, namespaceLabels: namespaceLabels) {
                    if let value = node.labels[term.topologyKey] {
                        preferredScores[TopologyPair(key: term.topologyKey, value: value), default: 0] += term.weight
                    }
                }
                for term in pod.preferredAntiAffinity where term.matches(existing, namespaceLabels: namespaceLabels) {
                    if let value = node.labels[term.topologyKey] {
                        preferredScores[TopologyPair(key: term.topologyKey, value: value), default: 0] -= term.weight
                    }
                }
            }
        }
    }

    func existingAntiAffinityRejects(_ node: NodeInfo) -> Bool {
        guard !existingAntiAffinity.isEmpty else { return false }
        for (key, value) in node.labels where existingAntiAffinity[TopologyPair(key: key, value: value), default: 0] > 0 {
            return true
        }
        return false
    }

    func antiAffinityRejects(_ pod: PodInfo, _ node: NodeInfo) -> Bool {
        guard !antiAffinity.isEmpty else { return false }
        for term in pod.requiredAntiAffinity {
            if let value = node.labels[term.topologyKey], antiAffinity[TopologyPair(key: term.topologyKey, value: value), default: 0] > 0 {
                return true
            }
        }
        return false
    }

    func affinitySatisfied(_ pod: PodInfo, _ node: NodeInfo) -> Bool {
        guard !pod.requiredAffinity.isEmpty else { return true }
        var everyTermHasAPod = true
        for term in pod.requiredAffinity {
            // The node must have every topology key.
            guard let value = node.labels[term.topologyKey] else { return false }
            if affinity[TopologyPair(key: term.topologyKey, value: value), default: 0] <= 0 { everyTermHasAPod = false }
        }
        if everyTermHasAPod { return true }
        // No pod anywhere matches the terms: the pod may start the group if it matches them itself.
        return affinity.isEmpty && podMatchesOwnAffinity
    }

    func preferredScore(_ node: NodeInfo) -> Int64 {
        guard !preferredScores.isEmpty else { return 0 }
        var score: Int64 = 0
        for (key, value) in node.labels { score += preferredScores[TopologyPair(key: key, value: value)] ?? 0 }
        return score
    }
}

/// Required pod affinity, then anti-affinity, then existing pods' anti-affinity to the incoming pod.
struct InterPodAffinityFilter: FilterPlugin {
    let name = PluginName.interPodAffinity

    func filter(_ state: CycleState, _ node: NodeInfo) -> FilterStatus? {
        let s = state.interPodAffinity
        if !s.affinitySatisfied(state.pod, node) {
            return FilterStatus(.unschedulableAndUnresolvable, [FilterReason.podAffinity], plugin: name)
        }
        if s.antiAffinityRejects(state.pod, node) {
            return FilterStatus(.unschedulable, [FilterReason.podAntiAffinity], plugin: name)
        }
        if s.existingAntiAffinityRejects(node) {
            return FilterStatus(.unschedulable, [FilterReason.existingAntiAffinity], plugin: name)
        }
        return nil
    }
}

/// Preferred pod affinity (+weight) and anti-affinity (-weight), both the incoming pod's and existing
/// pods'; normalised so the lowest score is 0 and the highest 100.
struct InterPodAffinityScore: ScorePlugin {
    let name = PluginName.interPodAffinity
    let weight: Int64

    func scores(_ state: CycleState, feasible: [NodeInfo], all: [NodeInfo]) -> [Int64] {
        let raw = feasible.map { state.interPodAffinity.preferredScore($0) }
        guard let lo = raw.min(), let hi = raw.max(), hi > lo else { return raw.map { _ in 0 } }
        return raw.map { Normalize.maxNodeScore * ($0 - lo) / (hi - lo) }
    }
}
