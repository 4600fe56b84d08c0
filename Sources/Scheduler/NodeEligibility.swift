import APIMachinery

/// The scheduler's node predicates for callers outside the scheduling cycle (the DaemonSet
/// controller decides which nodes should run a daemon pod with them).
public enum NodeEligibility {
    /// Whether the pod's `spec.nodeSelector` and required node affinity match the node.
    public static func matchesNodeSelectorAndAffinity(pod: JSONValue, node: JSONValue) -> Bool {
        RequiredNodeAffinity(pod: pod).matches(labels: node.labels, name: node.name)
    }

    /// The node's taints with one of `effects` that the pod's tolerations do not tolerate.
    public static func untoleratedTaints(pod: JSONValue, node: JSONValue, effects: Set<String> = ["NoSchedule", "NoExecute"]) -> [Taint] {
        let tolerations = (pod["spec"]?["tolerations"]?.arrayValue ?? []).map(Toleration.init(json:))
        return Taint.of(node: node).filter { effects.contains($0.effect) && !tolerations.tolerates($0) }
    }
}
