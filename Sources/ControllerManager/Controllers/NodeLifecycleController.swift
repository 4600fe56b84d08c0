import APIMachinery
import Client
import Foundation
import Synchronization

/// Node health, as kube-controller-manager's node lifecycle controller and its taint manager: a node
/// whose Lease in kube-node-lease and Ready heartbeat have both gone unrenewed for the grace period
/// gets every condition Unknown ("Kubelet stopped posting node status."), its pods Ready=False, and
/// the taints node.kubernetes.io/unreachable NoExecute and NoSchedule (not-ready for a node reporting
/// Ready=False); the taints go when the node is Ready again. Pods on a node with NoExecute taints are
/// deleted once their tolerations run out (at once if they tolerate none, never when a toleration
/// has no tolerationSeconds).
public final class NodeLifecycleController: Controller, Sendable {
    public static let name = "nodelifecycle"
    public static let unreachableTaint = "node.kubernetes.io/unreachable"
    public static let notReadyTaint = "node.kubernetes.io/not-ready"
    static let leaseNamespace = "kube-node-lease"
    static let conditionTypes = ["Ready", "MemoryPressure", "DiskPressure", "PIDPressure"]

    let context: ControllerContext
    let nodes: SharedInformer
    let leases: SharedInformer
    let pods: SharedInformer
    let nodeQueue = WorkQueue<String>()
    let podQueue = WorkQueue<String>()
    let recorder: EventRecorder
    let gracePeriod: TimeInterval
    let monitorPeriod: Duration
    /// Nodes this controller has announced with a RegisteredNode event.
    let registered = Mutex<Set<String>>([])
    /// When this controller first saw each pod under each NoExecute taint ("node/key=value|pod uid"):
    /// tolerationSeconds count from then, as in the taint manager (timeAdded has only whole seconds).
    let taintsFirstSeen = Mutex<[String: Date]>([:])

    public init(context: ControllerContext) {
        self.context = context
        nodes = context.informers.informer(for: .nodes)
        leases = context.informers.informer(for: .leases, namespace: Self.leaseNamespace)
        pods = context.informers.informer(for: .pods, indexers: [Indexer.nodeNameIndex: Indexer.byNodeName])
        recorder = context.recorder("node-controller")
        let grace = context.options.nodeMonitorGracePeriod.components
        gracePeriod = TimeInterval(grace.seconds) + TimeInterval(grace.attoseconds) / 1e18
        monitorPeriod = context.options.nodeMonitorPeriod
    }

    public func run(workers: Int) async {
        let nodeQueue = self.nodeQueue, podQueue = self.podQueue
        nodes.addHandler(ResourceEventHandler(
            onAdd: { node in await nodeQueue.add(node.name) },
            onUpdate: { [self] old, node in
                await nodeQueue.add(node.name)
                if Self.taints(old) != Self.taints(node) {
                    forgetRemovedTaints(of: node.name, current: node)
                    await enqueuePods(of: node.name)
                }
            },
            onDelete: { [self] node in
                forgetRemovedTaints(of: node.name, current: nil)
                await nodeQueue.add(node.name)
            }))
        leases.addHandler(ResourceEventHandler(
            onAdd: { lease in await nodeQueue.add(lease.name) },
            onUpdate: { _, lease in await nodeQueue.add(lease.name) }))
        pods.addHandler(ResourceEventHandler(
            onAdd: { pod in if pod["spec"]?["nodeName"]?.stringValue != nil { await podQueue.add(Indexer.key(of: pod)) } },
            onUpdate: { _, pod in if pod["spec"]?["nodeName"]?.stringValue != nil { await podQueue.add(Indexer.key(of: pod)) } },
            onDelete: { [self] pod in
                let suffix = "|\(pod.uid)"
                taintsFirstSeen.withLock { seen in for id in seen.keys where id.hasSuffix(suffix) { seen[id] = nil } }
            }))
        guard await nodes.waitForSync(), await leases.waitForSync(), await pods.waitForSync() else { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await runWorkers(nodeQueue, count: workers, name: Self.name, logger: self.context.logger) { try await self.syncNode($0) } }
            group.addTask { await runWorkers(podQueue, count: workers, name: "\(Self.name)-taint", logger: self.context.logger) { try await self.syncPod($0) } }
            group.addTask { await self.monitor() }
            await group.waitForAll()
        }
    }

    /// Every monitor period, looks at every node's health and at the pods of NoExecute-tainted nodes.
    func monitor() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: monitorPeriod)
            if Task.isCancelled { return }
            for node in nodes.lister.list() {
                await nodeQueue.add(node.name)
                if Self.taints(node).contains(where: { $0["effect"]?.stringValue == "NoExecute" }) { await enqueuePods(of: node.name) }
            }
        }
    }

    func enqueuePods(of node: String) async {
        for key in pods.indexer.keys(index: Indexer.nodeNameIndex, value: node) { await podQueue.add(key) }
    }

    static func taints(_ node: JSONValue) -> [JSONValue] { node["spec"]?["taints"]?.arrayValue ?? [] }

    static func taintID(node: String, _ taint: JSONValue) -> String {
        "\(node)/\(taint["key"]?.stringValue ?? "")=\(taint["value"]?.stringValue ?? "")"
    }

    /// Forgets when NoExecute taints no longer on `node` were first seen.
    func forgetRemovedTaints(of node: String, current: JSONValue?) {
        let present = Set((current.map(Self.taints) ?? []).filter { $0["effect"]?.stringValue == "NoExecute" }.map { Self.taintID(node: node, $0) })
        taintsFirstSeen.withLock { seen in
            for id in seen.keys where id.hasPrefix("\(node)/") {
                if let bar = id.lastIndex(of: "|"), !present.contains(String(id[..<bar])) { seen[id] = nil }
            }
        }
    }

    static func condition(_ node: JSONValue, _ type: String) -> JSONValue? {
        node["status"]?["conditions"]?.arrayValue?.first { $0["type"]?.stringValue == type }
    }

    /// When the node was last heard of: its Lease's renewTime or its Ready heartbeat, whichever is
    /// later (its creation when it has neither).
    func lastHeartbeat(_ node: JSONValue) -> Date? {
        var times: [Date] = []
        if let lease = leases.lister.get(namespace: Self.leaseNamespace, name: node.name),
           let renew = lease["spec"]?["renewTime"]?.stringValue.flatMap(RFC3339.parse) { times.append(renew) }
        if let beat = Self.condition(node, "Ready")?["lastHeartbeatTime"]?.stringValue.flatMap(RFC3339.parse) { times.append(beat) }
        if times.isEmpty, let created = node.creationTimestamp.flatMap(RFC3339.parse) { times.append(created) }
        return times.max()
    }

    // MARK: Node health

    func syncNode(_ name: String) async throws {
        guard var node = nodes.lister.get(name: name) else {
            if registered.withLock({ $0.remove(name) }) != nil {
                let gone: JSONValue = ["apiVersion": "v1", "kind": "Node", "metadata": ["name": .string(name), "uid": .string(name)]]
                await recorder.record(gone, type: .normal, reason: "RemovingNode", message: "Node \(name) event: Removing Node \(name) from Controller")
            }
            return
        }
        if registered.withLock({ $0.insert(name).inserted }) {
            await recorder.record(node, type: .normal, reason: "RegisteredNode", message: "Node \(name) event: Registered Node \(name) in Controller")
        }
        let now = context.now()
        if let last = lastHeartbeat(node), now.timeIntervalSince(last) > gracePeriod,
           Self.condition(node, "Ready")?["status"]?.stringValue != "Unknown" {
            node = try await markUnknown(node, now: now)
            await recorder.record(node, type: .normal, reason: "NodeNotReady", message: "Node \(name) status is now: NodeNotReady")
            try await markPodsNotReady(on: name, now: now)
        }
        try await reconcileTaints(node, now: now)
    }

    /// Sets every condition of `node` Unknown (as the controller does when the kubelet goes silent).
    func markUnknown(_ node: JSONValue, now: Date) async throws -> JSONValue {
        let stamp = JSONValue.string(RFC3339.format(now))
        var conditions = node["status"]?["conditions"]?.arrayValue ?? []
        for type in Self.conditionTypes {
            if let index = conditions.firstIndex(where: { $0["type"]?.stringValue == type }) {
                guard conditions[index]["status"]?.stringValue != "Unknown" else { continue }
                conditions[index]["status"] = "Unknown"
                conditions[index]["reason"] = "NodeStatusUnknown"
                conditions[index]["message"] = "Kubelet stopped posting node status."
                conditions[index]["lastTransitionTime"] = stamp
            } else {
                conditions.append(["type": .string(type), "status": "Unknown", "reason": "NodeStatusNeverUpdated",
                                   "message": "Kubelet never posted node status.",
                                   "lastHeartbeatTime": .string(node.creationTimestamp ?? RFC3339.format(now)), "lastTransitionTime": stamp])
            }
        }
        var updated = node
        updated[key: "status", "conditions"] = .array(conditions)
        return try await context.client.updateStatus(.nodes, object: updated)
    }

    /// Sets Ready=False on the pods of `node` (MarkPodsNotReady).
    func markPodsNotReady(on node: String, now: Date) async throws {
        for pod in pods.indexer.byIndex(Indexer.nodeNameIndex, node) where pod.deletionTimestamp == nil {
            var conditions = pod["status"]?["conditions"]?.arrayValue ?? []
            guard let index = conditions.firstIndex(where: { $0["type"]?.stringValue == "Ready" }),
                  conditions[index]["status"]?.stringValue != "False" else { continue }
            conditions[index]["status"] = "False"
            conditions[index]["lastTransitionTime"] = .string(RFC3339.format(now))
            var updated = pod
            updated[key: "status", "conditions"] = .array(conditions)
            do {
                _ = try await context.client.updateStatus(.pods, namespace: pod.namespace, object: updated)
                await recorder.record(pod, type: .warning, reason: "NodeNotReady", message: "Node is not ready")
            } catch {
                if !(error.isNotFound || error.isConflict) { throw error }
            }
        }
    }

    /// The taints the node lifecycle controller wants on a node whose Ready condition has `status`.
    static func desiredTaintKeys(readyStatus: String?) -> String? {
        switch readyStatus {
        case "Unknown": return unreachableTaint
        case "False": return notReadyTaint
        default: return nil
        }
    }

    func reconcileTaints(_ node: JSONValue, now: Date) async throws {
        let wanted = Self.desiredTaintKeys(readyStatus: Self.condition(node, "Ready")?["status"]?.stringValue)
        let current = Self.taints(node)
        let managed: Set<String> = [Self.unreachableTaint, Self.notReadyTaint]
        var taints = current.filter { taint in
            guard let key = taint["key"]?.stringValue, managed.contains(key) else { return true }
            let effect = taint["effect"]?.stringValue
            return key == wanted && (effect == "NoExecute" || effect == "NoSchedule")
        }
        if let wanted {
            for effect in ["NoSchedule", "NoExecute"]
            where !taints.contains(where: { $0["key"]?.stringValue == wanted && $0["effect"]?.stringValue == effect }) {
                taints.append(["key": .string(wanted), "effect": .string(effect), "timeAdded": .string(RFC3339.format(now))])
            }
        }
        guard taints != current else { return }
        var updated = node
        updated[key: "spec", "taints"] = taints.isEmpty ? nil : .array(taints)
        _ = try await context.client.update(.nodes, object: updated)
    }

    // MARK: NoExecute taint eviction

    /// Whether `toleration` tolerates `taint` (key, operator Equal or Exists, value, effect).
    static func tolerates(_ toleration: JSONValue, _ taint: JSONValue) -> Bool {
        let effect = toleration["effect"]?.stringValue ?? ""
        if !effect.isEmpty, effect != taint["effect"]?.stringValue { return false }
        let key = toleration["key"]?.stringValue ?? ""
        let op = toleration["operator"]?.stringValue ?? "Equal"
        if key.isEmpty { return op == "Exists" }
        guard key == taint["key"]?.stringValue else { return false }
        if op == "Exists" { return true }
        return (toleration["value"]?.stringValue ?? "") == (taint["value"]?.stringValue ?? "")
    }

    /// When a pod with `tolerations` must leave a node with `taints` (NoExecute ones count): `.distantPast`
    /// when a taint is not tolerated, nil when it may stay for ever. tolerationSeconds count from
    /// `since`, or else from the earliest NoExecute taint's timeAdded.
    public static func evictionTime(tolerations: [JSONValue], taints: [JSONValue], now: Date, since: Date? = nil) -> Date? {
        let noExecute = taints.filter { $0["effect"]?.stringValue == "NoExecute" }
        guard !noExecute.isEmpty else { return nil }
        var seconds: Int64?
        for taint in noExecute {
            let matching = tolerations.filter { tolerates($0, taint) }
            if matching.isEmpty { return .distantPast }
            for toleration in matching {
                if let value = toleration["tolerationSeconds"]?.intValue { seconds = min(seconds ?? value, max(0, value)) }
            }
        }
        guard let seconds else { return nil }
        let start = since ?? noExecute.compactMap { $0["timeAdded"]?.stringValue.flatMap(RFC3339.parse) }.min() ?? now
        return start.addingTimeInterval(TimeInterval(seconds))
    }

    func syncPod(_ key: String) async throws {
        let (namespace, name) = Indexer.split(key)
        guard let pod = pods.lister.get(namespace: namespace, name: name), pod.deletionTimestamp == nil,
              let nodeName = pod["spec"]?["nodeName"]?.stringValue, let node = nodes.lister.get(name: nodeName) else { return }
        let now = context.now()
        let taints = Self.taints(node)
        // The exact instants (not a timeAdded string, rounded to whole or micro seconds: a deadline a
        // fraction of a microsecond late would requeue the pod for ever on a clock that stands still).
        let firstSeen = taints.filter { $0["effect"]?.stringValue == "NoExecute" }.map { taint in
            let id = "\(Self.taintID(node: nodeName, taint))|\(pod.uid)"
            return taintsFirstSeen.withLock { seen in
                if let first = seen[id] { return first }
                seen[id] = now
                return now
            }
        }
        guard let deadline = Self.evictionTime(tolerations: pod["spec"]?["tolerations"]?.arrayValue ?? [], taints: taints, now: now,
                                               since: firstSeen.min())
        else { return }
        if deadline > now {
            let wait = deadline.timeIntervalSince(now)
            await podQueue.addAfter(key, delay: .milliseconds(Int64(wait * 1000) + 5))
            return
        }
        await recorder.record(pod, type: .normal, reason: "TaintManagerEviction", message: "Marking for deletion Pod \(namespace)/\(name)")
        var marked = pod
        var conditions = (pod["status"]?["conditions"]?.arrayValue ?? []).filter { $0["type"]?.stringValue != "DisruptionTarget" }
        conditions.append(["type": "DisruptionTarget", "status": "True", "reason": "DeletionByTaintManager",
                           "message": "Taint manager: deleting due to NoExecute taint", "lastTransitionTime": .string(RFC3339.format(now))])
        marked[key: "status", "conditions"] = .array(conditions)
        _ = try? await context.client.updateStatus(.pods, namespace: namespace, object: marked)
        do {
            _ = try await context.client.delete(.pods, namespace: namespace, name: name, options: DeleteQuery(preconditionUID: pod.uid))
        } catch {
            if !(error.isNotFound || error.isConflict) { throw error }
        }
    }
}
