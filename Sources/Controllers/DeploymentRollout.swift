import APIMachinery

/// How a Deployment's ReplicaSets are scaled during a rollout: which ReplicaSet is the new one, how far
/// the new one may grow (maxSurge) and how far the old ones may shrink (maxUnavailable).
public enum DeploymentRollout {
    static func specReplicas(_ rs: JSONValue) -> Int64 { rs["spec"]?["replicas"]?.intValue ?? 0 }
    static func available(_ rs: JSONValue) -> Int64 { rs["status"]?["availableReplicas"]?.intValue ?? 0 }

    /// A pod template without the pod-template-hash label (what a ReplicaSet adds to its copy).
    public static func withoutHashLabel(_ template: JSONValue?) -> JSONValue {
        var t = template ?? .object([:])
        if t["metadata"]?["labels"]?[TemplateHash.label] != nil {
            t.set(path: ["metadata", "labels", TemplateHash.label], to: nil)
            if t["metadata"]?["labels"]?.objectValue?.isEmpty == true { t.set(path: ["metadata", "labels"], to: nil) }
        }
        return t
    }

    /// Whether a ReplicaSet runs the deployment's current template (ignoring pod-template-hash).
    public static func isSameTemplate(_ rs: JSONValue, deployment: JSONValue) -> Bool {
        withoutHashLabel(rs["spec"]?["template"]) == withoutHashLabel(deployment["spec"]?["template"])
    }

    /// The new ReplicaSet among `replicaSets`: the oldest whose template equals the deployment's, or nil.
    /// The others are the old ones.
    public static func split(deployment: JSONValue, replicaSets: [JSONValue]) -> (new: JSONValue?, old: [JSONValue]) {
        let matching = replicaSets.filter { isSameTemplate($0, deployment: deployment) }.sorted {
            ($0.creationTimestamp ?? "", $0.name) < ($1.creationTimestamp ?? "", $1.name)
        }
        guard let new = matching.first else { return (nil, replicaSets) }
        return (new, replicaSets.filter { $0.name != new.name || $0.namespace != new.namespace })
    }

    /// The annotations a Deployment puts on its ReplicaSets so that proportional scaling can be undone:
    /// desired-replicas and max-replicas (desired + maxSurge).
    public static func replicaAnnotations(desired: Int64, maxSurge: Int64) -> [String: String] {
        [DeploymentLogic.desiredReplicasAnnotation: String(desired), DeploymentLogic.maxReplicasAnnotation: String(desired + maxSurge)]
    }

    /// RollingUpdate: the new ReplicaSet's replicas, growing by what maxSurge leaves room for, never
    /// above the desired count.
    public static func newReplicaSetReplicas(desired: Int64, newReplicaSet: JSONValue, allReplicaSets: [JSONValue], bounds: RollingUpdateBounds) -> Int64 {
        let current = specReplicas(newReplicaSet)
        if current >= desired { return desired }
        let total = allReplicaSets.reduce(0) { $0 + specReplicas($1) }
        let maxTotal = desired + bounds.maxSurge
        if total >= maxTotal { return current }
        return current + min(maxTotal - total, desired - current)
    }

    /// RollingUpdate: how many old replicas may be removed now while keeping desired − maxUnavailable
    /// available, counting the new ReplicaSet's not-yet-available pods as unavailable.
    public static func oldReplicasScaleDownBudget(desired: Int64, newReplicaSet: JSONValue?, allReplicaSets: [JSONValue], bounds: RollingUpdateBounds) -> Int64 {
        let total = allReplicaSets.reduce(0) { $0 + specReplicas($1) }
        let minAvailable = desired - bounds.maxUnavailable
        let newUnavailable = newReplicaSet.map { max(0, specReplicas($0) - available($0)) } ?? 0
        return max(0, total - minAvailable - newUnavailable)
    }

    /// Distributes a scale-down budget over old ReplicaSets, oldest first: new replica counts by name.
    /// Unavailable replicas go first (they cost no availability), then available ones.
    public static func scaleDownOld(_ oldReplicaSets: [JSONValue], budget: Int64) -> [String: Int64] {
        var remaining = budget
        var out: [String: Int64] = [:]
        let ordered = oldReplicaSets.filter { specReplicas($0) > 0 }.sorted {
            ($0.creationTimestamp ?? "", $0.name) < ($1.creationTimestamp ?? "", $1.name)
        }
        for rs in ordered where remaining > 0 {
            let unhealthy = max(0, specReplicas(rs) - available(rs))
            let cut = min(unhealthy, remaining)
            if cut > 0 {
                out[rs.name] = specReplicas(rs) - cut
                remaining -= cut
            }
        }
        for rs in ordered where remaining > 0 {
            let current = out[rs.name] ?? specReplicas(rs)
            let cut = min(current, remaining)
            if cut > 0 {
                out[rs.name] = current - cut
                remaining -= cut
            }
        }
        return out
    }
}
