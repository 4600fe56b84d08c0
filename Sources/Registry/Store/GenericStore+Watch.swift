import APIMachinery
import Storage
import Synchronization

extension GenericStore {
    /// How often a bookmark is offered to watchers that allow them.
    public static let bookmarkInterval: Duration = .seconds(5)

    /// WATCH: events for the objects in `namespace` that the options select. With no resourceVersion
    /// (or "0"), the current objects come first as ADDED; with one, every later change. A too-old
    /// resourceVersion yields one ERROR event (410 Expired). The stream ends after timeoutSeconds.
    public func watch(namespace: String?, options: ListOptions) async throws(StatusError) -> WatchStream {
        try checkFieldSelector(options.fieldSelector)
        let prefix = definition.prefix(namespace: namespace)
        let rv = options.resourceVersion ?? ""
        var startRevision: Int64
        var initial: [JSONValue] = []
        let sendInitial = options.sendInitialEvents ?? (rv.isEmpty || rv == "0")
        if sendInitial {
            var listOptions = options
            listOptions.limit = nil
            listOptions.continueToken = nil
            if rv == "0" { listOptions.resourceVersion = nil }
            let listed = try await list(namespace: namespace, options: listOptions)
            initial = listed.items
            startRevision = listed.resourceVersion
        } else {
            guard let n = Int64(rv), n >= 0 else {
                throw StatusError.badRequest("resourceVersion: Invalid value: \"\(rv)\": must be a non-negative integer")
            }
            let current = try await currentRevision()
            if n > current {
                throw mapStorageError(StorageError.futureRevision(requested: n, current: current), name: "")
            }
            startRevision = n
        }
        // A selective watch from a revision learns what matched then, so that an object that stops
        // matching is reported DELETED and one that starts matching ADDED.
        var matchedAtStart: [String]? = sendInitial ? initial.map { $0.name + "/" + $0.namespace } : nil
        if !sendInitial, startRevision > 0, options.labelSelector != nil || options.fieldSelector != nil {
            var atStart = options
            atStart.resourceVersion = String(startRevision)
            atStart.resourceVersionMatch = "Exact"
            atStart.limit = nil
            atStart.continueToken = nil
            matchedAtStart = try await list(namespace: namespace, options: atStart).items.map { $0.name + "/" + $0.namespace }
        }
        let (stream, continuation) = AsyncStream<APIWatchEvent>.makeStream(bufferingPolicy: .bufferingOldest(Self.watchBufferLimit))
        let store = self
        let initialEventsEnd = options.sendInitialEvents == true
        var options = options
        if options.timeoutSeconds == nil {
            // As kube-apiserver: a watch without a timeout ends after 30 to 60 minutes; clients re-watch.
            options.timeoutSeconds = Int.random(in: 1800...3600)
        }
        let task = Task { [options, matchedAtStart] in
            await store.runWatch(prefix: prefix, from: startRevision, initial: initial, matchedAtStart: matchedAtStart,
                                 initialEventsEnd: initialEventsEnd, options: options, continuation: continuation)
        }
        continuation.onTermination = { _ in task.cancel() }
        return WatchStream(events: stream, stop: { continuation.finish() })
    }

    /// Events a watcher has not read yet, at most; a watcher that falls further behind is closed (and
    /// re-watches from its last resourceVersion), as kube-apiserver closes slow watchers.
    public static let watchBufferLimit = 10_000

    private func runWatch(prefix: String, from startRevision: Int64, initial: [JSONValue], matchedAtStart: [String]?,
                          initialEventsEnd: Bool, options: ListOptions,
                          continuation: AsyncStream<APIWatchEvent>.Continuation) async {
        let state = WatchState(revision: startRevision, knowsInitialState: matchedAtStart != nil)
        state.known.withLock { $0.formUnion(matchedAtStart ?? []) }
        for object in initial {
            continuation.yield(APIWatchEvent(type: .added, object: object))
        }
        if initialEventsEnd && options.allowWatchBookmarks {
            var bookmark = bookmarkObject(revision: startRevision)
            bookmark[key: "metadata", "annotations"] = ["k8s.io/initial-events-end": "true"]
            continuation.yield(APIWatchEvent(type: .bookmark, object: bookmark))
        }
        let events: AsyncThrowingStream<WatchEvent, Error>
        do {
            events = try await storage.watch(prefix: prefix, afterRevision: startRevision)
        } catch {
            continuation.yield(APIWatchEvent(type: .error, object: mapStorageError(error, name: "").status))
            continuation.finish()
            return
        }
        await withTaskGroup(of: Void.self) { group in
            if let timeout = options.timeoutSeconds, timeout > 0 {
                group.addTask {
                    try? await Task.sleep(for: .seconds(timeout))
                }
            }
            if options.allowWatchBookmarks {
                group.addTask {
                    var sent: Int64 = -1
                    while !Task.isCancelled {
                        try? await Task.sleep(for: Self.bookmarkInterval)
                        let revision = state.lastRevision.withLock { $0 }
                        if revision != sent {
                            sent = revision
                            continuation.yield(APIWatchEvent(type: .bookmark, object: self.bookmarkObject(revision: revision)))
                        }
                    }
                }
            }
            group.addTask {
                do {
                    for try await event in events {
                        if let apiEvent = try self.translate(event, options: options, state: state),
                           case .dropped = continuation.yield(apiEvent) {
                            return  // the watcher fell too far behind
                        }
                        // Only now may a bookmark name this revision.
                        state.lastRevision.withLock { $0 = event.revision }
                    }
                } catch let error as StatusError {
                    continuation.yield(APIWatchEvent(type: .error, object: error.status))
                } catch is CancellationError {
                } catch {
                    continuation.yield(APIWatchEvent(type: .error, object: self.mapStorageError(error, name: "").status))
                }
            }
            // The first child to end (timeout, stream end or error) ends the watch.
            await group.next()
            group.cancelAll()
        }
        continuation.finish()
    }

    /// Names this store's decoding of a stored value in a WatchEventMemo (kinds and versions that share
    /// storage decode differently).
    var memoKey: String { definition.groupVersion + "/" + definition.kind }

    func bookmarkObject(revision: Int64) -> JSONValue {
        ["kind": .string(definition.kind), "apiVersion": .string(definition.groupVersion),
         "metadata": ["resourceVersion": .string(String(revision))]]
    }

    /// Maps a storage event to an API event, applying the selectors: an object that stops matching is
    /// reported DELETED, one that starts matching ADDED.
    func translate(_ event: WatchEvent, options: ListOptions, state: WatchState) throws(StatusError) -> APIWatchEvent? {
        // Decoded once for every watcher of this kind and version.
        let object = try event.memo.value(memoKey) { () throws(StatusError) -> JSONValue in try decode(event.kv) }
        let selective = options.labelSelector != nil || options.fieldSelector != nil
        guard selective else {
            let type: APIWatchEvent.Kind = switch event.kind {
            case .created: .added
            case .updated: .modified
            case .deleted: .deleted
            }
            return APIWatchEvent(type: type, object: object, memo: event.memo)
        }
        let id = object.name + "/" + object.namespace
        let matching = matches(object, options)
        switch event.kind {
        case .created:
            guard matching else { return nil }
            _ = state.known.withLock { $0.insert(id) }
            return APIWatchEvent(type: .added, object: object, memo: event.memo)
        case .updated:
            if matching {
                let wasKnown = state.known.withLock { $0.insert(id).inserted == false }
                // Without the state at the start, an update of an unseen object is most likely a modification.
                let added = !wasKnown && state.knowsInitialState
                return APIWatchEvent(type: added ? .added : .modified, object: object, memo: event.memo)
            }
            let wasKnown = state.known.withLock { $0.remove(id) != nil }
            return wasKnown ? APIWatchEvent(type: .deleted, object: object, memo: event.memo) : nil
        case .deleted:
            _ = state.known.withLock { $0.remove(id) }
            return matching ? APIWatchEvent(type: .deleted, object: object, memo: event.memo) : nil
        }
    }

}

/// What one watch remembers: the objects it has reported as matching, and the last revision seen.
final class WatchState: Sendable {
    let known = Mutex(Set<String>())
    let lastRevision: Mutex<Int64>
    /// True when the watch began with the full matching set (initial events), so "unseen" means "new".
    let knowsInitialState: Bool
    init(revision: Int64, knowsInitialState: Bool) {
        lastRevision = Mutex(revision)
        self.knowsInitialState = knowsInitialState
    }
}

/// The events of one watch, and a way to end it early (e.g. on shutdown).
public struct WatchStream: Sendable {
    public let events: AsyncStream<APIWatchEvent>
    public let stop: @Sendable () -> Void
}
