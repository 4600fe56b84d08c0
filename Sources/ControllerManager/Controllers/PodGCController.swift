import APIMachinery
import Client
import Foundation
import Logging
import Synchronization

/// kube-controller-manager's pod garbage collector: every `period` it deletes the oldest terminated
/// pods (Succeeded or Failed) beyond `terminatedPodThreshold` (`--terminated-pod-gc-threshold`, 12500;
/// 0 disables that part), pods bound to nodes that no longer exist (after a quarantine, and checked
/// against the API), and terminating pods that were never scheduled. Pods it removes that had not
/// terminated are first marked Failed with a DisruptionTarget condition; deletion is forced (grace 0).
public final class PodGCController: Controller, Sendable {
    public static let name = "podgc"
    public static let defaultTerminatedPodThreshold = 12500
    public static let defaultPeriod: Duration = .seconds(20)
    public static let defaultQuarantine: TimeInterval = 40

    let context: ControllerContext
    let pods: SharedInformer
    let nodes: SharedInformer
    public let terminatedPodThreshold: Int
    let period: Duration
    let quarantine: TimeInterval
    /// Node name -> when pods bound to it were first seen without the node.
    let missingSince = Mutex<[String: Date]>([:])

    /// `terminatedPodThreshold` nil takes the context's options (`--terminated-pod-gc-threshold`).
    public init(context: ControllerContext, terminatedPodThreshold: Int? = nil,
                period: Duration = PodGCController.defaultPeriod, quarantine: TimeInterval = PodGCController.defaultQuarantine) {
        self.context = context
        self.pods = context.informers.informer(for: .pods, indexers: [Indexer.nodeNameIndex: Indexer.byNodeName])
        self.nodes = context.informers.informer(for: .nodes)
        self.terminatedPodThreshold = terminatedPodThreshold ?? context.options.terminatedPodGCThreshold
        self.period = period
        self.quarantine = quarantine
    }

    public func run(workers: Int) async {
        guard await pods.waitForSync(), await nodes.waitForSync() else { return }
        while !Task.isCancelled {
            await collect()
            try? await Task.sleep(for: period)
        }
    }

    static func isTerminated(_ pod: JSONValue) -> Bool {
        let phase = pod["status"]?["phase"]?.stringValue
        return phase == "Succeeded" || phase == "Failed"
    }

    /// One pass over the cache.
    public func collect() async {
        let all = pods.lister.list()
        if terminatedPodThreshold > 0 {
            let terminated = all.filter { Self.isTerminated($0) && $0.deletionTimestamp == nil }
            if terminated.count > terminatedPodThreshold {
                let oldest = terminated.sorted { ($0.creationTimestamp ?? "", $0.name) < ($1.creationTimestamp ?? "", $1.name) }
                for pod in oldest.prefix(terminated.count - terminatedPodThreshold) {
                    await forceDelete(pod, reason: nil)
                }
            }
        }
        await collectOrphans()
        for pod in all where pod.deletionTimestamp != nil && (pod["spec"]?["nodeName"]?.stringValue ?? "").isEmpty {
            await forceDelete(pod, reason: nil)
        }
    }

    func collectOrphans() async {
        let now = context.now()
        let boundNodes = Set(pods.indexer.indexValues(Indexer.nodeNameIndex))
        let missing = boundNodes.filter { nodes.lister.get(name: $0) == nil }
        let due = missingSince.withLock { since -> [String] in
            for node in since.keys where !missing.contains(node) { since[node] = nil }
            for node in missing where since[node] == nil { since[node] = now }
            return missing.filter { now.timeIntervalSince(since[$0] ?? now) >= quarantine }
        }
        for node in due {
            // The cache may lag behind a node just registered.
            do {
                if try await context.client.getIfExists(.nodes, name: node) != nil { continue }
            } catch {
                continue
            }
            for pod in pods.indexer.byIndex(Indexer.nodeNameIndex, node) {
                await forceDelete(pod, reason: "PodGC: node no longer exists")
            }
            _ = missingSince.withLock { $0.removeValue(forKey: node) }
        }
    }

    /// Marks a pod that has not terminated Failed (with a DisruptionTarget condition when `reason` is
    /// given), then deletes it with grace 0.
    func forceDelete(_ pod: JSONValue, reason: String?) async {
        if let reason, !Self.isTerminated(pod) {
            let time = JSONValue.string(RFC3339.format(context.now()))
            let patch: JSONValue = ["status": ["phase": "Failed", "conditions": [
                ["type": "DisruptionTarget", "status": "True", "reason": "DeletionByPodGC", "message": .string(reason),
                 "lastProbeTime": .null, "lastTransitionTime": time]]]]
            _ = try? await context.client.patch(.pods, namespace: pod.namespace, name: pod.name, format: .strategic, body: patch,
                                                subresource: "status", query: WriteQuery())
        }
        context.logger.info("podgc: deleting pod \(pod.namespace)/\(pod.name)")
        _ = try? await context.client.delete(.pods, namespace: pod.namespace, name: pod.name,
                                             options: DeleteQuery(gracePeriodSeconds: 0, preconditionUID: pod.uid))
    }
}
