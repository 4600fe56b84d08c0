import APIMachinery
import Client
import ClientLoopback
import ControllerManager
import Foundation
import Registry
import Storage
import Synchronization

/// An in-memory API (the registry over MemoryStorage) and a controller context on it.
struct TestCluster {
    let registry: Registry
    let client: LoopbackClient
    let context: ControllerContext

    init(now: @escaping @Sendable () -> Date = { Date() }, options: ControllerOptions = ControllerOptions()) async throws {
        registry = Registry(storage: MemoryStorage(), definitions: Registry.builtInDefinitions(), schema: BuiltInSchema())
        try await registry.bootstrap()
        client = LoopbackClient(registry: registry)
        context = ControllerContext(client: client, now: now, options: options)
    }

    /// Runs `controller` in the background (informers started) until the returned task is cancelled.
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
}

/// Polls `condition` every 20 ms until it holds or `timeout` passes; answers whether it held.
func eventually(timeout: Duration = .seconds(10), _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return try await condition()
}

/// A clock tests move by hand (ControllerContext.now).
final class ManualClock: Sendable {
    let current: Mutex<Date>
    init(_ start: Date = Date()) { current = Mutex(start) }
    var now: @Sendable () -> Date { { [self] in current.withLock { $0 } } }
    func advance(_ seconds: TimeInterval) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }
    func set(_ date: Date) { current.withLock { $0 = date } }
    /// The next whole minute after now.
    var nextMinute: Date {
        let now = current.withLock { $0 }
        return Date(timeIntervalSince1970: ((now.timeIntervalSince1970 / 60).rounded(.down) + 1) * 60)
    }
}

/// A client that answers 409 Conflict to the first `conflicts` updates of `resource` (of its
/// `subresource` only, when one is given), as when another writer got there first, then passes
/// everything through.
final class ConflictingClient: ForwardingClient, Sendable {
    let inner: any APIClient
    let resource: ResourceID
    let subresource: String?
    let remaining: Mutex<Int>
    let refused = Mutex(0)

    init(_ inner: any APIClient, resource: ResourceID, conflicts: Int, subresource: String? = nil) {
        self.inner = inner
        self.resource = resource
        self.subresource = subresource
        remaining = Mutex(conflicts)
    }

    func update(_ resource: ResourceID, namespace: String, object: JSONValue, subresource: String?,
                query: WriteQuery) async throws(StatusError) -> JSONValue {
        if resource == self.resource, self.subresource == nil || self.subresource == subresource, remaining.withLock({ count in
            guard count > 0 else { return false }
            count -= 1
            return true
        }) {
            refused.withLock { $0 += 1 }
            throw StatusError(code: 409, reason: "Conflict",
                              message: "Operation cannot be fulfilled on \(resource.resource) \"\(object.name)\": the object has been modified; please apply your changes to the latest version and try again")
        }
        return try await inner.update(resource, namespace: namespace, object: object, subresource: subresource, query: query)
    }
}

/// A test client that forwards every call to `inner`; conformers implement only what they interfere with.
protocol ForwardingClient: APIClient {
    var inner: any APIClient { get }
}

extension ForwardingClient {
    func get(_ resource: ResourceID, namespace: String, name: String, subresource: String?) async throws(StatusError) -> JSONValue {
        try await inner.get(resource, namespace: namespace, name: name, subresource: subresource)
    }
    func list(_ resource: ResourceID, namespace: String?, query: ListQuery) async throws(StatusError) -> ObjectList {
        try await inner.list(resource, namespace: namespace, query: query)
    }
    func watch(_ resource: ResourceID, namespace: String?, query: WatchQuery) async throws(StatusError) -> EventStream {
        try await inner.watch(resource, namespace: namespace, query: query)
    }
    func create(_ resource: ResourceID, namespace: String, object: JSONValue, query: WriteQuery) async throws(StatusError) -> JSONValue {
        try await inner.create(resource, namespace: namespace, object: object, query: query)
    }
    func create(_ resource: ResourceID, namespace: String, name: String, subresource: String, object: JSONValue,
                query: WriteQuery) async throws(StatusError) -> JSONValue {
        try await inner.create(resource, namespace: namespace, name: name, subresource: subresource, object: object, query: query)
    }
    func update(_ resource: ResourceID, namespace: String, object: JSONValue, subresource: String?,
                query: WriteQuery) async throws(StatusError) -> JSONValue {
        try await inner.update(resource, namespace: namespace, object: object, subresource: subresource, query: query)
    }
    func patch(_ resource: ResourceID, namespace: String, name: String, format: PatchFormat, body: JSONValue,
               subresource: String?, query: WriteQuery) async throws(StatusError) -> JSONValue {
        try await inner.patch(resource, namespace: namespace, name: name, format: format, body: body, subresource: subresource, query: query)
    }
    func delete(_ resource: ResourceID, namespace: String, name: String, options: DeleteQuery) async throws(StatusError) -> JSONValue {
        try await inner.delete(resource, namespace: namespace, name: name, options: options)
    }
    func deleteCollection(_ resource: ResourceID, namespace: String?, query: ListQuery,
                          options: DeleteQuery) async throws(StatusError) -> ObjectList {
        try await inner.deleteCollection(resource, namespace: namespace, query: query, options: options)
    }
}
