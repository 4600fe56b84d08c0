import APIMachinery
import Foundation

/// The ReplicaSet controller's arithmetic: how many pods to create or delete, in which batches, and
/// which pods to delete first.
public enum ReplicaSetLogic {
    /// At most this many creations or deletions per sync (kube-controller-manager's burstReplicas).
    public static let burstReplicas = 500

    /// Sizes of the slow-start batches creating `count` pods: 1, 2, 4, … each capped by what remains.
    /// The controller stops after a batch with a failure, so a broken template costs one pod, not many.
    public static func slowStartBatches(count: Int, initialBatchSize: Int = 1) -> [Int] {
        var batches: [Int] = []
        var remaining = count
        var size = max(1, initialBatchSize)
        while remaining > 0 {
            let batch = min(remaining, size)
            batches.append(batch)
            remaining -= batch
            size *= 2
        }
        return batches
    }

    /// Pods to create (positive) or delete (negative) to reach `desired`, capped at burstReplicas.
    public static func replicaDiff(active: Int, desired: Int) -> Int {
        let diff = desired - active
        return diff > 0 ? min(diff, burstReplicas) : max(diff, -burstReplicas)
    }

    /// Sorts pods so that the ones to delete first come first, as ReplicaSet scale-down documents:
    /// unassigned before assigned; Pending before Unknown before Running; not ready before ready;
    /// lower pod-deletion-cost first; more pods of the set on the same node first (`colocated`, when
    /// given); more recently ready first; more restarts first; newer first; then by uid (arbitrary but
    /// stable). With `now`, ready and creation times are compared in buckets on an integer log scale of
    /// their age (as Kubernetes does by default), so pods of similar age tie; without, exactly.
    public static func deletionOrder(_ pods: [JSONValue], colocated: [String: Int] = [:], now: Date? = nil) -> [JSONValue] {
        pods.sorted { deleteBefore($0, $1, colocated: colocated, now: now) }
    }

    /// The `count` pods to delete.
    public static func podsToDelete(_ pods: [JSONValue], count: Int, colocated: [String: Int] = [:], now: Date? = nil) -> [JSONValue] {
        Array(deletionOrder(pods, colocated: colocated, now: now).prefix(max(0, count)))
    }

    /// The log-scale bucket of a timestamp's age: floor(log2(age in nanoseconds)), -1 for no age.
    public static func ageBucket(_ time: Date, now: Date) -> Int {
        let age = now.timeIntervalSince(time) * 1e9
        return age >= 1 ? Int(log2(age)) : -1
    }

    /// -1 when `a` is newer (to be deleted first), 1 when older, 0 when they tie.
    static func compareRecency(_ a: Date?, _ b: Date?, now: Date?) -> Int {
        guard let a, let b else { return 0 }
        if let now {
            let (ba, bb) = (ageBucket(a, now: now), ageBucket(b, now: now))
            return ba == bb ? 0 : (ba < bb ? -1 : 1)
        }
        return a == b ? 0 : (a > b ? -1 : 1)
    }

    /// For each node, how many of `pods` run on it: the `colocated` ranking input.
    public static func podsPerNode(_ pods: [JSONValue]) -> [String: Int] {
        var out: [String: Int] = [:]
        for pod in pods {
            if let node = pod["spec"]?["nodeName"]?.stringValue, !node.isEmpty { out[node, default: 0] += 1 }
        }
        return out
    }

    static func phaseRank(_ pod: JSONValue) -> Int {
        switch pod["status"]?["phase"]?.stringValue {
        case "Pending": return 0
        case "Unknown": return 1
        case "Running": return 2
        default: return 3
        }
    }

    /// Whether `a` should be deleted before `b`.
    public static func deleteBefore(_ a: JSONValue, _ b: JSONValue, colocated: [String: Int] = [:], now: Date? = nil) -> Bool {
        let nodeA = a["spec"]?["nodeName"]?.stringValue ?? "", nodeB = b["spec"]?["nodeName"]?.stringValue ?? ""
        if nodeA.isEmpty != nodeB.isEmpty { return nodeA.isEmpty }
        let phaseA = phaseRank(a), phaseB = phaseRank(b)
        if phaseA != phaseB { return phaseA < phaseB }
        let readyA = PodStatus.isReady(a), readyB = PodStatus.isReady(b)
        if readyA != readyB { return !readyA }
        let costA = PodStatus.deletionCost(a), costB = PodStatus.deletionCost(b)
        if costA != costB { return costA < costB }
        let rankA = colocated[nodeA] ?? 0, rankB = colocated[nodeB] ?? 0
        if rankA != rankB { return rankA > rankB }
        if readyA && readyB {
            let ready = compareRecency(PodStatus.readySince(a), PodStatus.readySince(b), now: now)
            if ready != 0 { return ready < 0 }
        }
        let restartsA = PodStatus.restartCount(a), restartsB = PodStatus.restartCount(b)
        if restartsA != restartsB { return restartsA > restartsB }
        let created = compareRecency(a.creationTimestamp.flatMap(RFC3339.parse), b.creationTimestamp.flatMap(RFC3339.parse), now: now)
        if created != 0 { return created < 0 }
        if a.uid != b.uid { return a.uid < b.uid }
        return a.name < b.name
    }

    /// A ReplicaSet's status counts from its active pods: replicas, fullyLabeledReplicas (pods whose
    /// labels match the template's), readyReplicas, availableReplicas.
    public static func status(replicaSet: JSONValue, pods: [JSONValue], now: Date) -> JSONValue {
        let minReady = replicaSet["spec"]?["minReadySeconds"]?.intValue ?? 0
        let templateLabels = replicaSet["spec"]?["template"]?["metadata"]?["labels"]?.objectValue ?? [:]
        let active = pods.filter(PodStatus.isActive)
        var fullyLabeled: Int64 = 0, ready: Int64 = 0, available: Int64 = 0
        for pod in active {
            let labels = pod.labels
            if templateLabels.allSatisfy({ labels[$0.key] == $0.value.stringValue }) { fullyLabeled += 1 }
            if PodStatus.isReady(pod) { ready += 1 }
            if PodStatus.isAvailable(pod, minReadySeconds: minReady, now: now) { available += 1 }
        }
        return ["replicas": .int(Int64(active.count)), "fullyLabeledReplicas": .int(fullyLabeled), "readyReplicas": .int(ready),
                "availableReplicas": .int(available), "observedGeneration": .int(replicaSet.generation)]
    }
}
