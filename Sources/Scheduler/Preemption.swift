import APIMachinery

/// A node where evicting `victims` lets the pod fit.
public struct PreemptionCandidate: Sendable {
    public let nodeName: String
    /// The pods to evict, most important first.
    public let victims: [PodInfo]
    /// How many victims' eviction a PodDisruptionBudget does not allow.
    public let pdbViolations: Int
}

/// DefaultPreemption: for a pod no node can take, find the node where evicting the fewest and least
/// important lower-priority pods makes it fit, honouring PodDisruptionBudgets where possible.
public struct Preemption: Sendable {
    public static let notHelpful = "Preemption is not helpful for scheduling"
    public static let noVictims = "No preemption victims found for incoming pod"
    public static let notEligible = "not eligible due to preemptionPolicy=Never"
    public static let terminatingOnNominatedNode = "not eligible due to a terminating pod on the nominated node"

    let scheduler: Scheduler

    public init(scheduler: Scheduler = Scheduler()) { self.scheduler = scheduler }

    /// The chosen candidate, or the message saying why preemption cannot help (`preemption: ...`).
    public func preempt(pod: PodInfo, nodes: [NodeInfo], statuses: [String: FilterStatus], pdbs: [JSONValue]) -> (candidate: PreemptionCandidate?, message: String?) {
        if pod.preemptionPolicy == "Never" { return (nil, "preemption: " + Self.notEligible) }
        // A pod that already preempted waits while its victims terminate.
        let nominated = pod.pod["status"]?["nominatedNodeName"]?.stringValue ?? ""
        if !nominated.isEmpty, statuses[nominated]?.code != .unschedulableAndUnresolvable,
           let node = nodes.first(where: { $0.name == nominated }),
           node.pods.contains(where: { $0.isTerminating && $0.priority < pod.priority }) {
            return (nil, "preemption: " + Self.terminatingOnNominatedNode)
        }
        var reasons: [String] = []
        var candidates: [PreemptionCandidate] = []
        for (index, node) in nodes.enumerated() {
            if let status = statuses[node.name], status.code == .unschedulableAndUnresolvable {
                reasons.append(Self.notHelpful)
                continue
            }
            switch selectVictims(pod: pod, nodeIndex: index, nodes: nodes, pdbs: pdbs) {
            case .success(let candidate): candidates.append(candidate)
            case .failure(let failure): reasons += failure.reasons
            }
        }
        if let best = Self.pick(candidates) { return (best, nil) }
        return (nil, "preemption: 0/\(nodes.count) nodes are available: " + FitError.histogram(reasons))
    }

    struct Failure: Error { var reasons: [String] }

    /// The fewest victims on one node: remove every lower-priority pod; if the pod then fits, give back
    /// (most important first, PDB-protected pods before others) every pod it still fits with.
    func selectVictims(pod: PodInfo, nodeIndex: Int, nodes: [NodeInfo], pdbs: [JSONValue]) -> Result<PreemptionCandidate, Failure> {
        var cluster = nodes
        let potential = cluster[nodeIndex].pods.filter { $0.priority < pod.priority }.sorted(by: Self.moreImportant)
        if potential.isEmpty { return .failure(Failure(reasons: [Self.noVictims])) }
        for victim in potential { cluster[nodeIndex].remove(victim) }
        if let status = check(pod, nodeIndex, cluster) { return .failure(Failure(reasons: status.reasons)) }
        let (violating, nonViolating) = Self.splitByPDB(potential, pdbs: pdbs)
        var victims: [PodInfo] = []
        var violations = 0
        for (group, isViolating) in [(violating, true), (nonViolating, false)] {
            for candidate in group {
                cluster[nodeIndex].add(candidate)
                if check(pod, nodeIndex, cluster) != nil {
                    cluster[nodeIndex].remove(candidate)
                    victims.append(candidate)
                    if isViolating { violations += 1 }
                }
            }
        }
        return .success(PreemptionCandidate(nodeName: nodes[nodeIndex].name, victims: victims.sorted(by: Self.moreImportant),
                                            pdbViolations: violations))
    }

    func check(_ pod: PodInfo, _ nodeIndex: Int, _ cluster: [NodeInfo]) -> FilterStatus? {
        let state = CycleState(pod: pod, nodes: cluster, namespaceLabels: scheduler.namespaceLabels)
        return scheduler.runFilters(state, cluster[nodeIndex])
    }

    /// Higher priority first, then the one that started earlier.
    static func moreImportant(_ a: PodInfo, _ b: PodInfo) -> Bool {
        if a.priority != b.priority { return a.priority > b.priority }
        let sa = a.pod["status"]?["startTime"]?.stringValue ?? "", sb = b.pod["status"]?["startTime"]?.stringValue ?? ""
        if sa != sb { return sa < sb }
        return a.key < b.key
    }

    /// Splits pods into those whose eviction a PodDisruptionBudget forbids (disruptionsAllowed used up,
    /// counting the earlier pods of the list) and the others, keeping the order.
    static func splitByPDB(_ pods: [PodInfo], pdbs: [JSONValue]) -> (violating: [PodInfo], nonViolating: [PodInfo]) {
        struct Budget { var namespace: String; var selector: LabelSelector; var allowed: Int64; var disrupted: Set<String> }
        var budgets: [Budget] = pdbs.compactMap { pdb in
            guard let json = pdb["spec"]?["selector"], !json.isNull, let selector = try? LabelSelector(fromJSON: json),
                  !selector.isEverything else { return nil }
            return Budget(namespace: pdb["metadata"]?["namespace"]?.stringValue ?? "default", selector: selector,
                          allowed: pdb["status"]?["disruptionsAllowed"]?.intValue ?? 0,
                          disrupted: Set((pdb["status"]?["disruptedPods"]?.objectValue ?? [:]).keys))
        }
        var violating: [PodInfo] = [], nonViolating: [PodInfo] = []
        for pod in pods {
            var violates = false
            for i in budgets.indices where budgets[i].namespace == pod.namespace && budgets[i].selector.matches(pod.labels) {
                if budgets[i].disrupted.contains(pod.name) { continue }
                budgets[i].allowed -= 1
                if budgets[i].allowed < 0 { violates = true }
            }
            if violates { violating.append(pod) } else { nonViolating.append(pod) }
        }
        return (violating, nonViolating)
    }

    /// The best candidate: fewest PDB violations, then the lowest highest-victim priority, then the
    /// smallest sum of victim priorities, then the fewest victims, then the first node.
    static func pick(_ candidates: [PreemptionCandidate]) -> PreemptionCandidate? {
        func key(_ c: PreemptionCandidate) -> (Int, Int64, Int64, Int) {
            let highest = c.victims.map(\.priority).max() ?? Int64.min
            // Offsetting by 2^31 keeps negative priorities from lowering the sum.
            let sum = c.victims.reduce(Int64(0)) { $0 + $1.priority + Int64(Int32.max) + 1 }
            return (c.pdbViolations, highest, sum, c.victims.count)
        }
        var best: PreemptionCandidate?
        for candidate in candidates {
            guard let current = best else { best = candidate; continue }
            if key(candidate) < key(current) { best = candidate }
        }
        return best
    }
}
