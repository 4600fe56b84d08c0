import APIMachinery

/// The failure reasons, worded as kube-scheduler 1.32 words them.
public enum FilterReason {
    public static let unschedulable = "node(s) were unschedulable"
    public static let nodeName = "node(s) didn't match the requested node name"
    public static let nodeAffinity = "node(s) didn't match Pod's node affinity/selector"
    public static let nodePorts = "node(s) didn't have free ports for the requested pod ports"
    public static let tooManyPods = "Too many pods"
    public static let podAffinity = "node(s) didn't match pod affinity rules"
    public static let podAntiAffinity = "node(s) didn't match pod anti-affinity rules"
    public static let existingAntiAffinity = "node(s) didn't satisfy existing pods anti-affinity rules"
    public static let topologySpread = "node(s) didn't match pod topology spread constraints"
    public static let topologySpreadMissingLabel = "node(s) didn't match pod topology spread constraints (missing required label)"

    public static func insufficient(_ resource: String) -> String { "Insufficient \(resource)" }
    public static func untoleratedTaint(_ taint: Taint) -> String { "node(s) had untolerated taint {\(taint.key): \(taint.value)}" }
}

/// A cordoned node (`spec.unschedulable`) takes only pods tolerating node.kubernetes.io/unschedulable:NoSchedule.
struct NodeUnschedulableFilter: FilterPlugin {
    let name = PluginName.nodeUnschedulable
    static let taint = Taint(key: "node.kubernetes.io/unschedulable", effect: "NoSchedule")

    func filter(_ state: CycleState, _ node: NodeInfo) -> FilterStatus? {
        guard node.unschedulable, !state.pod.tolerations.tolerates(Self.taint) else { return nil }
        return FilterStatus(.unschedulableAndUnresolvable, [FilterReason.unschedulable], plugin: name)
    }
}

/// `spec.nodeName`, when set, must be this node.
struct NodeNameFilter: FilterPlugin {
    let name = PluginName.nodeName

    func filter(_ state: CycleState, _ node: NodeInfo) -> FilterStatus? {
        guard !state.pod.nodeName.isEmpty, state.pod.nodeName != node.name else { return nil }
        return FilterStatus(.unschedulableAndUnresolvable, [FilterReason.nodeName], plugin: name)
    }
}

/// Every NoSchedule and NoExecute taint of the node must be tolerated (PreferNoSchedule only scores).
struct TaintTolerationFilter: FilterPlugin {
    let name = PluginName.taintToleration

    func filter(_ state: CycleState, _ node: NodeInfo) -> FilterStatus? {
        for taint in node.taints where taint.effect == "NoSchedule" || taint.effect == "NoExecute" {
            if !state.pod.tolerations.tolerates(taint) {
                return FilterStatus(.unschedulableAndUnresolvable, [FilterReason.untoleratedTaint(taint)], plugin: name)
            }
        }
        return nil
    }
}

/// `spec.nodeSelector` and required node affinity (terms ORed; expressions and fields ANDed).
struct NodeAffinityFilter: FilterPlugin {
    let name = PluginName.nodeAffinity

    func filter(_ state: CycleState, _ node: NodeInfo) -> FilterStatus? {
        guard !state.pod.nodeAffinity.matches(labels: node.labels, name: node.name) else { return nil }
        return FilterStatus(.unschedulableAndUnresolvable, [FilterReason.nodeAffinity], plugin: name)
    }
}

/// The pod's host ports must be free on the node.
struct NodePortsFilter: FilterPlugin {
    let name = PluginName.nodePorts

    func filter(_ state: CycleState, _ node: NodeInfo) -> FilterStatus? {
        for wanted in state.pod.hostPorts where node.usedPorts.contains(where: { $0.conflicts(with: wanted) }) {
            return FilterStatus(.unschedulable, [FilterReason.nodePorts], plugin: name)
        }
        return nil
    }
}

/// The pod's requests must fit in what the node has left of its allocatable resources, and the node
/// must accept one more pod.
struct NodeResourcesFitFilter: FilterPlugin {
    let name = PluginName.nodeResourcesFit

    func filter(_ state: CycleState, _ node: NodeInfo) -> FilterStatus? {
        let reasons = Self.insufficientResources(state.pod, node)
        return reasons.isEmpty ? nil : FilterStatus(.unschedulable, reasons, plugin: name)
    }

    static func insufficientResources(_ pod: PodInfo, _ node: NodeInfo) -> [String] {
        var reasons: [String] = []
        if Int64(node.pods.count) + 1 > node.allowedPodNumber { reasons.append(FilterReason.tooManyPods) }
        for (resource, wanted) in pod.fitRequests {
            // cpu and memory in integer millicores and bytes, as kube-scheduler compares them (each
            // pod's request rounded up); other resources as exact quantities.
            if let want = pod.requestAmounts.amount(resource), let allocatable = node.allocatableAmounts.amount(resource),
               let requested = node.requestedAmounts.amount(resource) {
                if allocatable - requested < want { reasons.append(FilterReason.insufficient(resource)) }
                continue
            }
            if node.allocatable[resource] - node.requested[resource] < wanted {
                reasons.append(FilterReason.insufficient(resource))
            }
        }
        return reasons
    }
}
