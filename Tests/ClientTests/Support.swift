import APIMachinery
import Client
import ClientLoopback
import Registry
import Storage
import Synchronization
import Testing

func makeRegistry(storage: MemoryStorage = MemoryStorage()) async throws -> Registry {
    let registry = Registry(storage: storage, definitions: Registry.builtInDefinitions(), schema: BuiltInSchema())
    try await registry.bootstrap()
    return registry
}

func makeClient() async throws -> (LoopbackClient, MemoryStorage) {
    let storage = MemoryStorage()
    return (LoopbackClient(registry: try await makeRegistry(storage: storage)), storage)
}

func configMap(_ name: String, namespace: String = "default", data: [String: JSONValue] = [:], labels: [String: JSONValue] = [:]) -> JSONValue {
    ["apiVersion": "v1", "kind": "ConfigMap",
     "metadata": ["name": .string(name), "namespace": .string(namespace), "labels": .object(labels)],
     "data": .object(data)]
}

func pod(_ name: String, namespace: String = "default", node: String? = nil, labels: [String: JSONValue] = [:]) -> JSONValue {
    var spec: [String: JSONValue] = ["containers": [["name": "c", "image": "nginx"]]]
    if let node { spec["nodeName"] = .string(node) }
    return ["apiVersion": "v1", "kind": "Pod",
            "metadata": ["name": .string(name), "namespace": .string(namespace), "labels": .object(labels)],
            "spec": .object(spec)]
}

/// Waits until `condition` holds, failing the test after `timeout`.
func eventually(_ what: String = "condition", timeout: Duration = .seconds(5),
                _ condition: @Sendable () async -> Bool) async throws {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while clock.now < deadline {
        if await condition() { return }
        try await Task.sleep(for: .milliseconds(5))
    }
    Issue.record("timed out waiting for \(what)")
    throw CancellationError()
}

/// Records what an informer's handlers were told, as "add:NAME", "update:NAME", "delete:NAME".
final class Recorder: Sendable {
    let log = Mutex<[String]>([])
    var entries: [String] { log.withLock { $0 } }
    func record(_ entry: String) { log.withLock { $0.append(entry) } }
    func reset() { log.withLock { $0.removeAll() } }

    var handler: ResourceEventHandler {
        ResourceEventHandler(
            onAdd: { self.record("add:\($0.name)") },
            onUpdate: { old, new in self.record(old.resourceVersion == new.resourceVersion ? "resync:\(new.name)" : "update:\(new.name)") },
            onDelete: { self.record("delete:\($0.name)") })
    }
}

/// A client whose watches the test can cut, and whose next watches it can hold back, to simulate a
/// dropped connection during which history is compacted.
final class SeverableClient: APIClient {
    let base: any APIClient
    struct State {
        var streams: [EventStream] = []
        var held = false
    }
    let state = Mutex(State())

    init(base: any APIClient) { self.base = base }

    func sever(holdingNewWatches: Bool) {
        let streams = state.withLock { state in
            state.held = holdingNewWatches
            defer { state.streams.removeAll() }
            return state.streams
        }
        for stream in streams { stream.stop() }
    }

    func release() { state.withLock { $0.held = false } }

    func get(_ resource: ResourceID, namespace: String, name: String, subresource: String?) async throws(StatusError) -> JSONValue {
        try await base.get(resource, namespace: namespace, name: name, subresource: subresource)
    }
    func list(_ resource: ResourceID, namespace: String?, query: ListQuery) async throws(StatusError) -> ObjectList {
        try await base.list(resource, namespace: namespace, query: query)
    }
    func watch(_ resource: ResourceID, namespace: String?, query: WatchQuery) async throws(StatusError) -> EventStream {
        while state.withLock({ $0.held }) {
            try? await Task.sleep(for: .milliseconds(2))
        }
        let stream = try await base.watch(resource, namespace: namespace, query: query)
        state.withLock { $0.streams.append(stream) }
        return stream
    }
    func create(_ resource: ResourceID, namespace: String, object: JSONValue, query: WriteQuery) async throws(StatusError) -> JSONValue {
        try await base.create(resource, namespace: namespace, object: object, query: query)
    }
    func create(_ resource: ResourceID, namespace: String, name: String, subresource: String, object: JSONValue,
                query: WriteQuery) async throws(StatusError) -> JSONValue {
        try await base.create(resource, namespace: namespace, name: name, subresource: subresource, object: object, query: query)
    }
    func update(_ resource: ResourceID, namespace: String, object: JSONValue, subresource: String?,
                query: WriteQuery) async throws(StatusError) -> JSONValue {
        try await base.update(resource, namespace: namespace, object: object, subresource: subresource, query: query)
    }
    func patch(_ resource: ResourceID, namespace: String, name: String, format: PatchFormat, body: JSONValue,
               subresource: String?, query: WriteQuery) async throws(StatusError) -> JSONValue {
        try await base.patch(resource, namespace: namespace, name: name, format: format, body: body, subresource: subresource, query: query)
    }
    func delete(_ resource: ResourceID, namespace: String, name: String, options: DeleteQuery) async throws(StatusError) -> JSONValue {
        try await base.delete(resource, namespace: namespace, name: name, options: options)
    }
    func deleteCollection(_ resource: ResourceID, namespace: String?, query: ListQuery,
                          options: DeleteQuery) async throws(StatusError) -> ObjectList {
        try await base.deleteCollection(resource, namespace: namespace, query: query, options: options)
    }
}
