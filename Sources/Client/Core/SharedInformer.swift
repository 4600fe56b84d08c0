import APIMachinery
import Synchronization

/// What an informer tells its handlers. Handlers run one notification at a time, in order, on the
/// informer's delivery task; they should be quick (enqueue a key) and read state from the lister.
public struct ResourceEventHandler: Sendable {
    public var onAdd: @Sendable (JSONValue) async -> Void
    /// Old and new object; on a periodic resync both are the cached object.
    public var onUpdate: @Sendable (JSONValue, JSONValue) async -> Void
    /// The last state known of the deleted object.
    public var onDelete: @Sendable (JSONValue) async -> Void

    public init(onAdd: @escaping @Sendable (JSONValue) async -> Void = { _ in },
                onUpdate: @escaping @Sendable (JSONValue, JSONValue) async -> Void = { _, _ in },
                onDelete: @escaping @Sendable (JSONValue) async -> Void = { _ in }) {
        self.onAdd = onAdd
        self.onUpdate = onUpdate
        self.onDelete = onDelete
    }
}

/// Keeps a cache of one resource in step with the server, as client-go's shared informer: LIST (in
/// pages), then WATCH from the list's resourceVersion; a dropped watch is resumed from the last
/// version seen; a 410 Expired (history compacted) relists and delivers the differences as
/// add/update/delete. Every `resyncPeriod` each cached object is delivered again as an update.
public final class SharedInformer: Sendable {
    public let resource: ResourceID
    public let namespace: String?
    public let indexer: Indexer
    let client: any APIClient
    let labelSelector: String?
    let fieldSelector: String?
    let resyncPeriod: Duration?
    let pageSize: Int
    let watchTimeoutSeconds: ClosedRange<Int>

    enum Notification: Sendable {
        /// An add for one handler only: a handler added late learns the cached objects.
        case replay(Int, JSONValue)
        case add(JSONValue)
        case update(JSONValue, JSONValue)
        case delete(JSONValue)
        case synced
    }

    struct State {
        var handlers: [ResourceEventHandler] = []
        var synced = false
        var lastResourceVersion = ""
        var lists = 0
        var watches = 0
    }
    let state = Mutex(State())
    let notifications: AsyncStream<Notification>
    let continuation: AsyncStream<Notification>.Continuation

    public init(client: any APIClient, resource: ResourceID, namespace: String? = nil, labelSelector: String? = nil,
                fieldSelector: String? = nil, resyncPeriod: Duration? = nil, pageSize: Int = 500,
                watchTimeoutSeconds: ClosedRange<Int> = 300...600,
                indexers: [String: Indexer.IndexFunction] = [Indexer.namespaceIndex: Indexer.byNamespace]) {
        self.client = client
        self.resource = resource
        self.namespace = namespace
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.resyncPeriod = resyncPeriod
        self.pageSize = pageSize
        self.watchTimeoutSeconds = watchTimeoutSeconds
        self.indexer = Indexer(indexers: indexers)
        (notifications, continuation) = AsyncStream<Notification>.makeStream()
    }

    public var lister: Lister { Lister(indexer: indexer) }

    /// Adds a handler. A handler added while the informer runs is first told of every cached object
    /// as an add, so that informers can be shared by components started at different times.
    public func addHandler(_ handler: ResourceEventHandler) {
        let (index, running) = state.withLock { state in
            state.handlers.append(handler)
            return (state.handlers.count - 1, state.lists > 0)
        }
        if running {
            for object in indexer.list() { continuation.yield(.replay(index, object)) }
        }
    }

    /// True once the first LIST has been stored and delivered to the handlers.
    public var hasSynced: Bool { state.withLock { $0.synced } }

    /// The resourceVersion the informer has seen last.
    public var lastSyncResourceVersion: String { state.withLock { $0.lastResourceVersion } }

    /// How many LISTs (the first one and relists) and WATCH requests the informer has made.
    public var listCount: Int { state.withLock { $0.lists } }
    public var watchCount: Int { state.withLock { $0.watches } }

    /// Waits until `hasSynced` (or the task is cancelled; then answers false).
    @discardableResult
    public func waitForSync() async -> Bool {
        while !hasSynced {
            if Task.isCancelled { return false }
            try? await Task.sleep(for: .milliseconds(2))
        }
        return true
    }

    /// Runs until the task is cancelled (run it once).
    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.deliver() }
            group.addTask { await self.reflect() }
            if let resyncPeriod {
                group.addTask { await self.resync(every: resyncPeriod) }
            }
            // Every child ends only on cancellation; make sure they all see it.
            await group.next()
            group.cancelAll()
        }
    }

    // MARK: Delivery

    func deliver() async {
        await withTaskCancellationHandler {
            for await notification in notifications {
                if Task.isCancelled { return }
                let handlers = state.withLock { $0.handlers }
                switch notification {
                case .replay(let index, let object):
                    if index < handlers.count { await handlers[index].onAdd(object) }
                case .add(let object):
                    for handler in handlers { await handler.onAdd(object) }
                case .update(let old, let new):
                    for handler in handlers { await handler.onUpdate(old, new) }
                case .delete(let object):
                    for handler in handlers { await handler.onDelete(object) }
                case .synced:
                    state.withLock { $0.synced = true }
                }
            }
        } onCancel: {
            continuation.finish()
        }
    }

    func resync(every period: Duration) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: period)
            if Task.isCancelled { return }
            guard hasSynced else { continue }
            for object in indexer.list() { continuation.yield(.update(object, object)) }
        }
    }

    // MARK: List and watch

    func reflect() async {
        var backoff: Duration = .milliseconds(100)
        while !Task.isCancelled {
            do throws(StatusError) {
                let version = try await listAndReplace()
                backoff = .milliseconds(100)
                try await watch(from: version)
            } catch {
                if Task.isCancelled { return }
                try? await Task.sleep(for: backoff)
                backoff = min(backoff * 2, .seconds(30))
            }
        }
    }

    /// LISTs every page and replaces the cache, notifying the differences; answers the list's version.
    func listAndReplace() async throws(StatusError) -> String {
        state.withLock { $0.lists += 1 }
        let query = ListQuery(labelSelector: labelSelector, fieldSelector: fieldSelector)
        let list = try await client.listAll(resource, namespace: namespace, query: query, pageSize: pageSize)
        let difference = indexer.replace(with: list.items)
        for object in difference.deleted { continuation.yield(.delete(object)) }
        for (old, new) in difference.updated { continuation.yield(.update(old, new)) }
        for object in difference.added { continuation.yield(.add(object)) }
        let first = state.withLock { state in
            state.lastResourceVersion = list.resourceVersion
            return !state.synced
        }
        if first { continuation.yield(.synced) }
        return list.resourceVersion
    }

    /// WATCHes from `version` until cancelled; returns (to relist) on 410 Expired or another error event.
    func watch(from version: String) async throws(StatusError) {
        var version = version
        while !Task.isCancelled {
            state.withLock { $0.watches += 1 }
            let query = WatchQuery(labelSelector: labelSelector, fieldSelector: fieldSelector, resourceVersion: version,
                                   allowWatchBookmarks: true, timeoutSeconds: Int.random(in: watchTimeoutSeconds))
            let stream: EventStream
            do {
                stream = try await client.watch(resource, namespace: namespace, query: query)
            } catch where error.isExpired {
                return
            }
            let cancelled = await withTaskCancellationHandler { () async -> Bool? in
                for await event in stream {
                    switch event.type {
                    case .added, .modified:
                        let object = event.object
                        if let old = indexer.upsert(object) {
                            continuation.yield(.update(old, object))
                        } else {
                            continuation.yield(.add(object))
                        }
                        version = object.resourceVersion
                    case .deleted:
                        let object = event.object
                        let old = indexer.remove(key: Indexer.key(of: object))
                        continuation.yield(.delete(old.map { Self.merging(old: $0, deleted: object) } ?? object))
                        version = object.resourceVersion
                    case .bookmark:
                        let rv = event.object.resourceVersion
                        if !rv.isEmpty { version = rv }
                    case .error:
                        return nil  // 410 Expired or another failure: relist
                    }
                    state.withLock { $0.lastResourceVersion = version }
                }
                return Task.isCancelled
            } onCancel: {
                stream.stop()
            }
            guard let cancelled else { return }
            if cancelled { return }
            // The stream ended (timeout, dropped connection): watch again from the last version seen.
        }
    }

    /// The deleted object as the watch reported it (its final state).
    static func merging(old: JSONValue, deleted: JSONValue) -> JSONValue {
        deleted.objectValue == nil ? old : deleted
    }
}
