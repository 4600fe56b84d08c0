import APIMachinery
import Client
import ClientLoopback
import Registry
import Scheduler
@testable import SchedulerService
import Storage
import Testing

func makeClient() async throws -> LoopbackClient {
    let registry = Registry(storage: MemoryStorage(), definitions: Registry.builtInDefinitions(), schema: BuiltInSchema())
    try await registry.bootstrap()
    return LoopbackClient(registry: registry)
}

func node(_ name: String, cpu: String = "2", memory: String = "4Gi", pods: Int64 = 110, labels: [String: JSONValue] = [:]) -> JSONValue {
    let resources: JSONValue = ["cpu": .string(cpu), "memory": .string(memory), "pods": .string(String(pods))]
    return ["apiVersion": "v1", "kind": "Node", "metadata": ["name": .string(name), "labels": .object(labels)],
            "status": ["capacity": resources, "allocatable": resources,
                       "conditions": [["type": "Ready", "status": "True"]]]]
}

func pod(_ name: String, cpu: String? = nil, priority: Int64? = nil, nodeSelector: [String: JSONValue]? = nil) -> JSONValue {
    var container: [String: JSONValue] = ["name": "c", "image": "nginx"]
    if let cpu { container["resources"] = ["requests": ["cpu": .string(cpu)]] }
    var spec: [String: JSONValue] = ["containers": [.object(container)]]
    if let priority { spec["priority"] = .int(priority) }
    if let nodeSelector { spec["nodeSelector"] = .object(nodeSelector) }
    return ["apiVersion": "v1", "kind": "Pod", "metadata": ["name": .string(name), "namespace": "default"], "spec": .object(spec)]
}

/// Waits until `condition` holds, failing the test after `timeout`.
func eventually(_ what: String, timeout: Duration = .seconds(10), _ condition: @Sendable () async -> Bool) async throws {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while clock.now < deadline {
        if await condition() { return }
        try await Task.sleep(for: .milliseconds(10))
    }
    Issue.record("timed out waiting for \(what)")
    throw CancellationError()
}

func nodeName(_ client: LoopbackClient, _ name: String) async -> String {
    (try? await client.get(.pods, namespace: "default", name: name))?["spec"]?["nodeName"]?.stringValue ?? ""
}

func events(_ client: LoopbackClient, about name: String) async -> [JSONValue] {
    ((try? await client.list(.events, namespace: "default"))?.items ?? []).filter { $0["involvedObject"]?["name"]?.stringValue == name }
}

/// Runs a scheduler over `client` for the duration of `body`.
func withScheduler(_ client: LoopbackClient, _ body: (SchedulerService) async throws -> Void) async throws {
    let service = SchedulerService(client: client, queue: SchedulingQueue(initialBackoff: .milliseconds(50), maxBackoff: .milliseconds(200)))
    let task = Task { await service.run() }
    defer { task.cancel() }
    try await body(service)
    task.cancel()
    await task.value
}

@Suite struct SchedulerServiceTests {
    @Test func bindsPodToTheOnlyFittingNode() async throws {
        let client = try await makeClient()
        _ = try await client.create(.nodes, object: node("small", cpu: "1"))
        _ = try await client.create(.nodes, object: node("big", cpu: "4"))
        try await withScheduler(client) { _ in
            _ = try await client.create(.pods, namespace: "default", object: pod("web", cpu: "2"))
            try await eventually("web bound") { await nodeName(client, "web") == "big" }
            let bound = try await client.get(.pods, namespace: "default", name: "web")
            let condition = bound["status"]?["conditions"]?.arrayValue?.first { $0["type"]?.stringValue == "PodScheduled" }
            #expect(condition?["status"]?.stringValue == "True")
            try await eventually("Scheduled event") {
                await events(client, about: "web").contains {
                    $0["reason"]?.stringValue == "Scheduled" && $0["type"]?.stringValue == "Normal"
                        && $0["message"]?.stringValue == "Successfully assigned default/web to big"
                        && $0["source"]?["component"]?.stringValue == "default-scheduler"
                }
            }
        }
    }

    @Test func unschedulablePodGetsConditionAndEventThenIsScheduledWhenANodeIsAdded() async throws {
        let client = try await makeClient()
        for name in ["n1", "n2", "n3"] { _ = try await client.create(.nodes, object: node(name)) }
        let message = "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. "
            + "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."
        try await withScheduler(client) { service in
            _ = try await client.create(.pods, namespace: "default", object: pod("picky", nodeSelector: ["disk": "ssd"]))
            try await eventually("PodScheduled=False") {
                let pod = try? await client.get(.pods, namespace: "default", name: "picky")
                let condition = pod?["status"]?["conditions"]?.arrayValue?.first { $0["type"]?.stringValue == "PodScheduled" }
                return condition?["status"]?.stringValue == "False" && condition?["reason"]?.stringValue == "Unschedulable"
                    && condition?["message"]?.stringValue == message
            }
            try await eventually("FailedScheduling event") {
                await events(client, about: "picky").contains {
                    $0["reason"]?.stringValue == "FailedScheduling" && $0["type"]?.stringValue == "Warning"
                        && $0["message"]?.stringValue == message
                        && $0["reportingComponent"]?.stringValue == "default-scheduler"
                }
            }
            try await eventually("picky in the unschedulable pool") { await service.queue.isUnschedulable("default/picky") }
            #expect(await nodeName(client, "picky") == "")
            _ = try await client.create(.nodes, object: node("fast", labels: ["disk": "ssd"]))
            try await eventually("picky bound after a node is added") { await nodeName(client, "picky") == "fast" }
        }
    }

    @Test func cordonedAndTaintedNodesAreAvoided() async throws {
        let client = try await makeClient()
        var tainted = node("tainted")
        tainted["spec"] = ["taints": [["key": "dedicated", "value": "db", "effect": "NoSchedule"]]]
        var cordoned = node("cordoned")
        cordoned["spec"] = ["unschedulable": true]
        for object in [tainted, cordoned, node("free")] { _ = try await client.create(.nodes, object: object) }
        try await withScheduler(client) { _ in
            for i in 0..<4 { _ = try await client.create(.pods, namespace: "default", object: pod("p\(i)")) }
            for i in 0..<4 {
                try await eventually("p\(i) bound") { await nodeName(client, "p\(i)") == "free" }
            }
        }
    }

    @Test func higherPriorityPodsAreScheduledFirst() async throws {
        let client = try await makeClient()
        // Room for one pod only; both pods are queued before the scheduler starts.
        _ = try await client.create(.nodes, object: node("only", pods: 1))
        _ = try await client.create(.pods, namespace: "default", object: pod("low", priority: 10))
        _ = try await client.create(.pods, namespace: "default", object: pod("high", priority: 1000))
        try await withScheduler(client) { _ in
            try await eventually("high bound") { await nodeName(client, "high") == "only" }
            try await eventually("low reported Too many pods") {
                await events(client, about: "low").contains {
                    $0["reason"]?.stringValue == "FailedScheduling"
                        && ($0["message"]?.stringValue ?? "").hasPrefix("0/1 nodes are available: 1 Too many pods.")
                }
            }
            #expect(await nodeName(client, "low") == "")
        }
    }

    @Test func preemptionNominatesTheNodeAndDeletesTheVictim() async throws {
        let client = try await makeClient()
        _ = try await client.create(.nodes, object: node("only", cpu: "1"))
        try await withScheduler(client) { _ in
            _ = try await client.create(.pods, namespace: "default", object: pod("victim", cpu: "800m", priority: 1))
            try await eventually("victim bound") { await nodeName(client, "victim") == "only" }
            _ = try await client.create(.pods, namespace: "default", object: pod("vip", cpu: "800m", priority: 100))
            try await eventually("vip nominated") {
                (try? await client.get(.pods, namespace: "default", name: "vip"))?["status"]?["nominatedNodeName"]?.stringValue == "only"
            }
            try await eventually("victim deleted or terminating") {
                guard let victim = try? await client.get(.pods, namespace: "default", name: "victim") else { return true }
                return victim.deletionTimestamp != nil
            }
            try await eventually("Preempted event") {
                await events(client, about: "victim").contains { $0["reason"]?.stringValue == "Preempted" }
            }
            // A bound pod is deleted gracefully: it stays, terminating, with both conditions.
            let victim = try await client.get(.pods, namespace: "default", name: "victim")
            #expect(victim.deletionTimestamp != nil)
            let types = (victim["status"]?["conditions"]?.arrayValue ?? []).compactMap { $0["type"]?.stringValue }
            #expect(Set(types) == ["PodScheduled", "DisruptionTarget"])
        }
    }
}

@Suite struct SchedulingQueueTests {
    @Test func popsByPriorityThenArrival() async throws {
        let queue = SchedulingQueue()
        await queue.add("ns/low", priority: 1)
        await queue.add("ns/high", priority: 100)
        await queue.add("ns/mid-a", priority: 50)
        await queue.add("ns/mid-b", priority: 50)
        var order: [String] = []
        for _ in 0..<4 { order.append(await queue.pop()?.key ?? "") }
        #expect(order == ["ns/high", "ns/mid-a", "ns/mid-b", "ns/low"])
    }

    @Test func unschedulablePodsMoveOnClusterEventsAfterBackoff() async throws {
        let queue = SchedulingQueue(initialBackoff: .milliseconds(100), maxBackoff: .milliseconds(400))
        await queue.add("ns/p", priority: 0)
        let first = try #require(await queue.pop())
        await queue.failed(first.key, cycle: first.cycle, unschedulable: true)
        #expect(await queue.isUnschedulable("ns/p"))
        await queue.flush()
        #expect(await queue.counts.active == 0)
        await queue.moveAllToActiveOrBackoff()
        // Still backing off: in the backoff queue, then active once 100 ms have passed.
        #expect(await queue.counts.backoff == 1)
        try await Task.sleep(for: .milliseconds(150))
        await queue.flush()
        #expect(await queue.counts.active == 1)
        #expect(await queue.pop()?.key == "ns/p")
    }

    @Test func aMoveRequestDuringAnAttemptSendsTheFailedPodToBackoff() async throws {
        let queue = SchedulingQueue()
        await queue.add("ns/p", priority: 0)
        let attempt = try #require(await queue.pop())
        await queue.moveAllToActiveOrBackoff()
        await queue.failed(attempt.key, cycle: attempt.cycle, unschedulable: true)
        #expect(await !queue.isUnschedulable("ns/p"))
        #expect(await queue.counts.backoff == 1)
    }

    @Test func backoffDoublesUpToTheMaximum() async {
        let queue = SchedulingQueue()
        #expect(await queue.backoffDuration(attempts: 1) == .seconds(1))
        #expect(await queue.backoffDuration(attempts: 2) == .seconds(2))
        #expect(await queue.backoffDuration(attempts: 4) == .seconds(8))
        #expect(await queue.backoffDuration(attempts: 5) == .seconds(10))
        #expect(await queue.backoffDuration(attempts: 30) == .seconds(10))
    }

    @Test func podsLeaveThePoolAfterTheTimeout() async throws {
        let queue = SchedulingQueue(initialBackoff: .milliseconds(1), unschedulableTimeout: .milliseconds(50))
        await queue.add("ns/p", priority: 0)
        let attempt = try #require(await queue.pop())
        await queue.failed(attempt.key, cycle: attempt.cycle, unschedulable: true)
        await queue.flush()
        #expect(await queue.isUnschedulable("ns/p"))
        try await Task.sleep(for: .milliseconds(80))
        await queue.flush()
        #expect(await queue.pop()?.key == "ns/p")
    }
}

@Suite struct NodeEventTests {
    @Test func onlyChangesThatCanHelpRequeue() {
        var old = node("n")
        old[key: "status", "conditions"] = [["type": "Ready", "status": "True", "lastHeartbeatTime": "2026-01-01T00:00:00Z"]]
        var heartbeat = old
        heartbeat[key: "status", "conditions"] = [["type": "Ready", "status": "True", "lastHeartbeatTime": "2026-01-01T00:00:10Z"]]
        #expect(!SchedulerService.nodeChangeMayHelp(old, heartbeat))
        var ready = old
        ready[key: "status", "conditions"] = [["type": "Ready", "status": "False"]]
        #expect(SchedulerService.nodeChangeMayHelp(old, ready))
        var tainted = old
        tainted["spec"] = ["taints": [["key": "k", "effect": "NoSchedule"]]]
        #expect(SchedulerService.nodeChangeMayHelp(old, tainted))
        var cordoned = old
        cordoned["spec"] = ["unschedulable": true]
        #expect(SchedulerService.nodeChangeMayHelp(old, cordoned))
        var labelled = old
        labelled[key: "metadata", "labels"] = ["disk": "ssd"]
        #expect(SchedulerService.nodeChangeMayHelp(old, labelled))
        var bigger = old
        bigger[key: "status", "allocatable"] = ["cpu": "4", "memory": "4Gi", "pods": "110"]
        #expect(SchedulerService.nodeChangeMayHelp(old, bigger))
    }
}
