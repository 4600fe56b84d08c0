import APIMachinery
import Client
import Foundation
import Prometheus
import Scheduler
import Synchronization

/// kube-scheduler as a running component: watches pods, nodes and PodDisruptionBudgets, queues the
/// pending pods of `schedulerName` (default-scheduler), schedules them one at a time with the
/// `Scheduler` core, binds them through pods/binding, and reports failures as Kubernetes does (a
/// PodScheduled=False/Unschedulable condition and a FailedScheduling event). When preemption finds a
/// node, the pod is nominated to it and the victims are deleted gracefully.
public final class SchedulerService: Sendable {
    public static let defaultSchedulerName = "default-scheduler"

    public let client: any APIClient
    public let schedulerName: String
    public let queue: SchedulingQueue
    public let cache = SchedulerCache()
    let core: Scheduler
    let recorder: EventRecorder
    /// Events are written by their own task, off the scheduling loop, in order.
    let events: AsyncStream<PendingEvent>
    let eventSink: AsyncStream<PendingEvent>.Continuation
    let factory: SharedInformerFactory
    let pods: SharedInformer
    let nodes: SharedInformer
    let pdbs: SharedInformer
    let flushInterval: Duration
    let nextStartIndex = Mutex(0)
    /// Bindings in flight at most (each a pods/binding write).
    let maxConcurrentBinds: Int
    /// kube-scheduler's figures, served at the API server's /metrics.
    public let metrics: SchedulerMetrics

    public init(client: any APIClient, schedulerName: String = SchedulerService.defaultSchedulerName,
                scheduler: Scheduler = Scheduler(), queue: SchedulingQueue = SchedulingQueue(),
                factory: SharedInformerFactory? = nil, flushInterval: Duration = .milliseconds(100),
                maxConcurrentBinds: Int = 16, metrics: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.client = client
        self.metrics = SchedulerMetrics(registry: metrics, profile: schedulerName)
        self.maxConcurrentBinds = max(1, maxConcurrentBinds)
        self.schedulerName = schedulerName
        var core = scheduler
        core.keepPluginScores = false
        self.core = core
        self.queue = queue
        self.flushInterval = flushInterval
        recorder = EventRecorder(client: client, component: schedulerName)
        (events, eventSink) = AsyncStream<PendingEvent>.makeStream()
        let factory = factory ?? SharedInformerFactory(client: client)
        self.factory = factory
        pods = factory.informer(for: .pods)
        nodes = factory.informer(for: .nodes)
        pdbs = factory.informer(for: .podDisruptionBudgets)
    }

    /// Runs until the task is cancelled.
    public func run() async {
        pods.addHandler(ResourceEventHandler(
            onAdd: { [self] pod in await podAdded(pod) },
            onUpdate: { [self] old, new in await podUpdated(old, new) },
            onDelete: { [self] pod in await podDeleted(pod) }))
        nodes.addHandler(ResourceEventHandler(
            onAdd: { [self] node in
                cache.upsertNode(node)
                await queue.moveAllToActiveOrBackoff()
            },
            onUpdate: { [self] old, new in
                cache.upsertNode(new)
                if Self.nodeChangeMayHelp(old, new) { await queue.moveAllToActiveOrBackoff() }
            },
            onDelete: { [self] node in cache.removeNode(node.name) }))
        factory.start()
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [self] in
                for await event in events {
                    await recorder.record(event.object, type: event.type, reason: event.reason, message: event.message)
                }
            }
            group.addTask { [self] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: flushInterval)
                    await queue.flush()
                }
            }
            group.addTask { [self] in
                guard await factory.waitForCacheSync() else { return }
                // As kube-scheduler's binding cycle: the pod is assumed on its node and bound in the
                // background while the next pod is scheduled, at most `maxConcurrentBinds` at a time.
                await withTaskGroup(of: Void.self) { binds in
                    var binding = 0
                    while let (key, cycle) = await queue.pop() {
                        guard let bind = await scheduleOne(key: key, cycle: cycle) else { continue }
                        if binding >= maxConcurrentBinds {
                            await binds.next()
                            binding -= 1
                        }
                        binds.addTask(operation: bind)
                        binding += 1
                    }
                }
            }
            await group.next()
            group.cancelAll()
            eventSink.finish()
        }
        await queue.close()
        await factory.shutDown()
    }

    // MARK: Events

    /// Whether this scheduler should schedule the pod: its schedulerName, no node yet, not being
    /// deleted, not finished, no scheduling gates.
    public func isPending(_ pod: JSONValue) -> Bool {
        let spec = pod["spec"] ?? .null
        let name = spec["schedulerName"]?.stringValue ?? Self.defaultSchedulerName
        guard name == schedulerName, (spec["nodeName"]?.stringValue ?? "").isEmpty, pod.deletionTimestamp == nil else { return false }
        let phase = pod["status"]?["phase"]?.stringValue
        if phase == "Succeeded" || phase == "Failed" { return false }
        return (spec["schedulingGates"]?.arrayValue ?? []).isEmpty
    }

    static func isAssigned(_ pod: JSONValue) -> Bool { !(pod["spec"]?["nodeName"]?.stringValue ?? "").isEmpty }

    static func priority(_ pod: JSONValue) -> Int64 { pod["spec"]?["priority"]?.intValue ?? 0 }

    func podAdded(_ pod: JSONValue) async {
        if Self.isAssigned(pod) {
            cache.upsertPod(pod)
        } else if isPending(pod) {
            await queue.add(SchedulerCache.key(pod), priority: Self.priority(pod))
        }
    }

    func podUpdated(_ old: JSONValue, _ new: JSONValue) async {
        let key = SchedulerCache.key(new)
        if Self.isAssigned(new) {
            if !Self.isAssigned(old) { await queue.delete(key) }
            cache.upsertPod(new)
            // A bound pod that finished frees its node's resources.
            let phase = new["status"]?["phase"]?.stringValue
            if phase == "Succeeded" || phase == "Failed", old["status"]?["phase"] != new["status"]?["phase"] {
                await queue.moveAllToActiveOrBackoff()
            }
        } else if isPending(new) {
            let changed = old["spec"] != new["spec"] || old["metadata"]?["labels"] != new["metadata"]?["labels"]
            await queue.update(key, priority: Self.priority(new), specChanged: changed)
        } else {
            await queue.delete(key)
        }
    }

    func podDeleted(_ pod: JSONValue) async {
        let key = SchedulerCache.key(pod)
        if Self.isAssigned(pod) {
            cache.removePod(key: key)
            await queue.moveAllToActiveOrBackoff()
        } else {
            await queue.delete(key)
        }
    }

    /// Node updates that can make a pod fit: allocatable, labels, taints, unschedulable, and conditions
    /// changing status (heartbeat times alone do not count).
    static func nodeChangeMayHelp(_ old: JSONValue, _ new: JSONValue) -> Bool {
        func conditions(_ node: JSONValue) -> [String: String] {
            var result: [String: String] = [:]
            for condition in node["status"]?["conditions"]?.arrayValue ?? [] {
                result[condition["type"]?.stringValue ?? ""] = condition["status"]?.stringValue ?? ""
            }
            return result
        }
        return old["status"]?["allocatable"] != new["status"]?["allocatable"]
            || old["metadata"]?["labels"] != new["metadata"]?["labels"]
            || old["spec"]?["taints"] != new["spec"]?["taints"]
            || old["spec"]?["unschedulable"] != new["spec"]?["unschedulable"]
            || conditions(old) != conditions(new)
    }

    struct PendingEvent: Sendable {
        var object: JSONValue
        var type: EventRecorder.EventType
        var reason: String
        var message: String
    }

    func record(_ object: JSONValue, type: EventRecorder.EventType, reason: String, message: String) {
        eventSink.yield(PendingEvent(object: object, type: type, reason: reason, message: message))
    }

    // MARK: Scheduling

    /// One scheduling cycle: decide and assume the pod on its node, answering its binding cycle to run
    /// (in the background); or report why no node fits (and preempt), answering nil.
    func scheduleOne(key: String, cycle: UInt64) async -> (@Sendable () async -> Void)? {
        let (namespace, name) = Indexer.split(key)
        guard let pod = pods.lister.get(namespace: namespace, name: name), isPending(pod) else {
            await queue.delete(key)
            await queue.done(key)
            return nil
        }
        // Being bound already (assumed; the informer has not reported the binding yet): its binding
        // cycle finishes the pod's turn.
        if cache.isAssumed(key) { return nil }
        let start = nextStartIndex.withLock { $0 }
        // The snapshot is released before the pod is assumed, so that the cache updates its nodes in
        // place rather than copying them.
        let (result, nodeCount) = { [self] in
            let snapshot = cache.snapshot()
            return (core.schedule(pod: pod, nodes: snapshot, pdbs: pdbs.lister.list(), startIndex: start), snapshot.count)
        }()
        switch result {
        case .scheduled(let node, _, let evaluated):
            nextStartIndex.withLock { $0 = nodeCount == 0 ? 0 : ($0 + evaluated) % nodeCount }
            cache.assume(pod, node: node)
            return { [self] in await bind(pod, key: key, node: node, cycle: cycle) }
        case .unschedulable(let fitError):
            metrics.unschedulable.increment()
            if let candidate = fitError.preemption {
                await preempt(pod, for: candidate)
            }
            await reportUnschedulable(pod, message: fitError.message, nominatedNode: fitError.preemption?.nodeName)
            // A pod that preempted is retried once its victims are gone (their deletion moves it).
            await queue.failed(key, cycle: cycle, unschedulable: true)
            return nil
        }
    }

    /// The binding cycle: pods/binding, then the Scheduled event; on failure the assumed pod is
    /// forgotten and the pod backs off.
    func bind(_ pod: JSONValue, key: String, node: String, cycle: UInt64) async {
        let (namespace, name) = Indexer.split(key)
        if !Self.claimNames(of: pod).isEmpty { await selectNodeForClaims(of: pod, node: node) }
        do throws(StatusError) {
            try await client.bind(namespace: namespace, pod: name, node: node, uid: pod.uid.isEmpty ? nil : pod.uid)
            metrics.scheduled.increment()
            await queue.done(key)
            record(pod, type: .normal, reason: "Scheduled", message: "Successfully assigned \(namespace)/\(name) to \(node)")
        } catch {
            cache.removePod(key: key)
            if error.isNotFound {
                await queue.delete(key)
                await queue.done(key)
                return
            }
            metrics.error.increment()
            record(pod, type: .warning, reason: "FailedScheduling", message: "Binding rejected: \(error.message)")
            await queue.failed(key, cycle: cycle, unschedulable: false)
        }
    }

    /// Sets PodScheduled=False (Unschedulable, with the message) unless already so, the nominated node
    /// when preemption chose one, and records the FailedScheduling event.
    func reportUnschedulable(_ pod: JSONValue, message: String, nominatedNode: String?) async {
        record(pod, type: .warning, reason: "FailedScheduling", message: message)
        let conditions = pod["status"]?["conditions"]?.arrayValue ?? []
        let current = conditions.first { $0["type"]?.stringValue == "PodScheduled" }
        var status: [String: JSONValue] = [:]
        if current?["status"]?.stringValue != "False" || current?["reason"]?.stringValue != "Unschedulable"
            || current?["message"]?.stringValue != message {
            let now = JSONValue.string(RFC3339.format(Date()))
            let transition = current?["status"]?.stringValue == "False" ? (current?["lastTransitionTime"] ?? now) : now
            let condition: JSONValue = ["type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                                        "message": .string(message), "lastProbeTime": .null, "lastTransitionTime": transition]
            // Strategic merge: conditions merge by type, so other conditions are left alone.
            status["conditions"] = [condition]
        }
        if let nominatedNode, pod["status"]?["nominatedNodeName"]?.stringValue != nominatedNode {
            status["nominatedNodeName"] = .string(nominatedNode)
        }
        guard !status.isEmpty else { return }
        let body: JSONValue = ["status": .object(status)]
        _ = try? await client.patch(.pods, namespace: pod.namespace, name: pod.name, format: .strategic, body: body,
                                    subresource: "status", query: WriteQuery())
    }

    /// Deletes the victims gracefully, marking each with a DisruptionTarget condition and a Preempted event.
    func preempt(_ pod: JSONValue, for candidate: PreemptionCandidate) async {
        for victim in candidate.victims {
            let target: JSONValue = ["status": ["conditions": [[
                "type": "DisruptionTarget", "status": "True", "reason": "PreemptionByScheduler",
                "message": .string("\(schedulerName): preempting to accommodate a higher priority pod"),
                "lastProbeTime": .null, "lastTransitionTime": .string(RFC3339.format(Date())),
            ]]]]
            _ = try? await client.patch(.pods, namespace: victim.namespace, name: victim.name, format: .strategic, body: target,
                                        subresource: "status", query: WriteQuery())
            do throws(StatusError) {
                _ = try await client.delete(.pods, namespace: victim.namespace, name: victim.name,
                                            options: DeleteQuery(preconditionUID: victim.uid.isEmpty ? nil : victim.uid))
            } catch {
                if !error.isNotFound { continue }
            }
            record(victim.pod, type: .normal, reason: "Preempted",
                                  message: "Preempted by pod \(pod.uid) on node \(candidate.nodeName)")
        }
    }
}
