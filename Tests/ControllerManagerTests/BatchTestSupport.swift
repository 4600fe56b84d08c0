import APIMachinery
import Client
import ClientLoopback
import ControllerManager
import Foundation
import Registry
import Storage
import Synchronization

/// The loopback client with injected faults: status updates answered 409 Conflict, pod ADDED watch
/// events lost (a missed watch event).
final class FaultyClient: ForwardingClient {
    let base: LoopbackClient
    /// Resource name ("jobs") -> how many more status updates to fail with a Conflict.
    let conflicts = Mutex<[String: Int]>([:])
    /// How many more pod ADDED watch events to drop.
    let dropPodAdds = Mutex(0)
    /// How many more job ADDED watch events to drop.
    let dropJobAdds = Mutex(0)
    let conflictsServed = Mutex(0)

    init(base: LoopbackClient) { self.base = base }
    var inner: any APIClient { base }

    /// Whether to drop the next ADDED event of pods (or jobs), counting it.
    func takeDrop(pods: Bool) -> Bool {
        if pods {
            return dropPodAdds.withLock { n in
                guard n > 0 else { return false }
                n -= 1
                return true
            }
        }
        return dropJobAdds.withLock { n in
            guard n > 0 else { return false }
            n -= 1
            return true
        }
    }

    func watch(_ resource: ResourceID, namespace: String?, query: WatchQuery) async throws(StatusError) -> EventStream {
        let stream = try await base.watch(resource, namespace: namespace, query: query)
        guard resource == .pods || resource == .jobs else { return stream }
        let isPods = resource == .pods
        let (events, continuation) = AsyncStream<ResourceEvent>.makeStream()
        let task = Task { [self] in
            for await event in stream {
                if event.type == .added, self.takeDrop(pods: isPods) { continue }
                continuation.yield(event)
            }
            continuation.finish()
        }
        return EventStream(events: events) {
            stream.stop()
            task.cancel()
            continuation.finish()
        }
    }
    func update(_ resource: ResourceID, namespace: String, object: JSONValue, subresource: String?,
                query: WriteQuery) async throws(StatusError) -> JSONValue {
        if subresource == "status", conflicts.withLock({ c in (c[resource.resource] ?? 0) > 0 ? { c[resource.resource]! -= 1; return true }() : false }) {
            conflictsServed.withLock { $0 += 1 }
            throw StatusError(code: 409, reason: "Conflict",
                              message: "Operation cannot be fulfilled on \(resource.resource) \"\(object.name)\": the object has been modified; please apply your changes to the latest version and try again")
        }
        return try await base.update(resource, namespace: namespace, object: object, subresource: subresource, query: query)
    }
}

/// An in-memory API, a faulty client over it, a movable clock, and a context using both.
struct BatchCluster {
    let registry: Registry
    let client: LoopbackClient
    let faulty: FaultyClient
    let clock: ManualClock
    let context: ControllerContext

    init() async throws {
        registry = Registry(storage: MemoryStorage(), definitions: Registry.builtInDefinitions(), schema: BuiltInSchema())
        try await registry.bootstrap()
        client = LoopbackClient(registry: registry)
        faulty = FaultyClient(base: client)
        let clock = ManualClock()
        self.clock = clock
        context = ControllerContext(client: faulty, now: clock.now)
    }

    func start(_ controller: any Controller, workers: Int = 2) -> Task<Void, Never> {
        let context = self.context
        return Task {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await controller.run(workers: workers) }
                context.informers.start()
                await group.waitForAll()
            }
        }
    }

    // MARK: Objects

    static func jobObject(_ name: String, completions: Int64? = 1, parallelism: Int64? = 1, extra: [String: JSONValue] = [:],
                          restartPolicy: String = "Never") -> JSONValue {
        var spec: [String: JSONValue] = ["template": ["spec": ["restartPolicy": .string(restartPolicy),
                                                              "containers": [["name": "main", "image": "busybox"]]]]]
        if let completions { spec["completions"] = .int(completions) }
        if let parallelism { spec["parallelism"] = .int(parallelism) }
        for (k, v) in extra { spec[k] = v }
        return ["apiVersion": "batch/v1", "kind": "Job", "metadata": ["name": .string(name), "namespace": "default"], "spec": .object(spec)]
    }

    func createJob(_ job: JSONValue) async throws -> JSONValue {
        try await client.create(.jobs, namespace: "default", object: job)
    }

    func job(_ name: String) async throws -> JSONValue {
        try await client.get(.jobs, namespace: "default", name: name)
    }

    func pods(of job: String) async throws -> [JSONValue] {
        try await client.list(.pods, namespace: "default", query: ListQuery(labelSelector: "batch.kubernetes.io/job-name=\(job)")).items
    }

    /// Sets the phase of every pod of `job` that has not terminated (and is not being deleted).
    @discardableResult
    func finishPods(of job: String, phase: String, limit: Int = .max) async throws -> Int {
        var count = 0
        for pod in try await pods(of: job) where count < limit {
            let current = pod["status"]?["phase"]?.stringValue
            guard current != "Succeeded", current != "Failed", pod.deletionTimestamp == nil else { continue }
            try await setPhase(pod, phase)
            count += 1
        }
        return count
    }

    func setPhase(_ pod: JSONValue, _ phase: String) async throws {
        var pod = pod
        pod[key: "status", "phase"] = .string(phase)
        _ = try await client.updateStatus(.pods, namespace: pod.namespace, object: pod)
    }

    /// Touches an object (an annotation) so that its controller syncs it again.
    func poke(_ resource: ResourceID, _ name: String) async throws {
        let body: JSONValue = ["metadata": ["annotations": ["test/poke": .string(UUID().uuidString)]]]
        _ = try await client.patch(resource, namespace: "default", name: name, format: .merge, body: body)
    }

    func events(for name: String) async throws -> [JSONValue] {
        try await client.list(.events, namespace: "default").items.filter { $0["involvedObject"]?["name"]?.stringValue == name }
    }

    func reasons(for name: String) async throws -> [String] {
        try await events(for: name).compactMap { $0["reason"]?.stringValue }
    }
}

func conditionStatus(_ object: JSONValue, _ type: String) -> String? {
    object["status"]?["conditions"]?.arrayValue?.first { $0["type"]?.stringValue == type }?["status"]?.stringValue
}
