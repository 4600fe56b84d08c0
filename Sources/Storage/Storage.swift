import Synchronization
/// A revisioned key-value store with etcd's semantics: one global revision that grows by one with every
/// write; writes conditional on a key's revision; lists at a revision; watches from a revision over a
/// bounded history; compaction. It knows keys, bytes and revisions, never API types.
///
/// Keys are `/`-separated strings such as `/registry/configmaps/default/cfg`. A prefix given to `list`
/// or `watch` matches keys by plain string prefix (callers end it with `/`).
public protocol Storage: Sendable {
    /// The latest revision written (0 for an empty store).
    func currentRevision() async throws -> Int64

    /// The live value of a key, and the store's current revision.
    func get(_ key: String) async throws -> (value: KeyValue?, revision: Int64)

    /// The live keys under `prefix` in key order, as they were at `revision` (nil: now).
    /// `startKey` (inclusive) and `limit` page through the result; `more` tells whether keys remain.
    /// Throws `StorageError.compacted` for a revision older than the compaction horizon and
    /// `StorageError.futureRevision` for a revision not yet written.
    func list(prefix: String, revision: Int64?, startKey: String?, limit: Int?) async throws -> ListResult

    /// Number of live keys under `prefix`.
    func count(prefix: String) async throws -> Int

    /// Creates a key that must not exist. Returns the new revision. Throws `StorageError.keyExists`.
    func create(_ key: String, value: [UInt8]) async throws -> Int64

    /// Replaces a key whose modRevision must equal `expectedRevision` (nil: unconditional, but the key
    /// must exist). Returns the new revision. Throws `.notFound` or `.conflict(current:)`.
    func update(_ key: String, value: [UInt8], expectedRevision: Int64?) async throws -> Int64

    /// Deletes a key whose modRevision must equal `expectedRevision` (nil: unconditional). Returns the
    /// deletion revision and the value deleted. Throws `.notFound` or `.conflict(current:)`.
    func delete(_ key: String, expectedRevision: Int64?) async throws -> (revision: Int64, deleted: KeyValue)

    /// Every change to keys under `prefix` with a revision greater than `afterRevision`, in revision order,
    /// then live changes until the stream's consumer stops iterating. The stream throws
    /// `StorageError.compacted` first if `afterRevision` is older than the retained history.
    func watch(prefix: String, afterRevision: Int64) async throws -> AsyncThrowingStream<WatchEvent, Error>

    /// Forgets history at and below `revision`: superseded values and tombstones. Lists and watches at
    /// older revisions then fail with `.compacted`.
    func compact(revision: Int64) async throws

    /// The oldest revision still served (0 if never compacted).
    func compactedRevision() async throws -> Int64

    /// Flushes and closes. Further calls fail with `.closed`.
    func close() async throws
}

/// One key's value at one revision.
public struct KeyValue: Sendable, Hashable {
    public var key: String
    public var value: [UInt8]
    /// The revision that created this key (kept across updates).
    public var createRevision: Int64
    /// The revision of the last write to this key.
    public var modRevision: Int64

    public init(key: String, value: [UInt8], createRevision: Int64, modRevision: Int64) {
        self.key = key
        self.value = value
        self.createRevision = createRevision
        self.modRevision = modRevision
    }
}

/// One page of a list: the live keys at one revision, in key order.
public struct ListResult: Sendable {
    public var items: [KeyValue]
    /// The revision the list reflects.
    public var revision: Int64
    /// True when more keys follow the last item (only with a limit).
    public var more: Bool
    public init(items: [KeyValue], revision: Int64, more: Bool) {
        self.items = items
        self.revision = revision
        self.more = more
    }
}

/// One committed change delivered by a watch.
public struct WatchEvent: Sendable, Hashable {
    public enum Kind: Sendable, Hashable { case created, updated, deleted }
    public var kind: Kind
    /// For created/updated: the new value. For deleted: the last value, with modRevision set to the
    /// deletion revision.
    public var kv: KeyValue
    /// The revision of this change.
    public var revision: Int64 { kv.modRevision }
    /// Shared by every watcher the event is delivered to, so that what each would compute alike (the
    /// decoded object, its JSON) is computed once. Not part of the event's value.
    public let memo: WatchEventMemo
    public init(kind: Kind, kv: KeyValue) {
        self.kind = kind
        self.kv = kv
        memo = WatchEventMemo()
    }

    public static func == (a: WatchEvent, b: WatchEvent) -> Bool { a.kind == b.kind && a.kv == b.kv }
    public func hash(into hasher: inout Hasher) {
        hasher.combine(kind)
        hasher.combine(kv)
    }
}

/// Values derived from one watch event, by a key naming how they were derived; computed by the first
/// watcher that needs one and reused by the others.
public final class WatchEventMemo: Sendable {
    private let values = Mutex<[String: any Sendable]>([:])

    public init() {}

    /// The value stored under `key`, or `make()`'s (then stored).
    public func value<T: Sendable, E: Error>(_ key: String, _ make: () throws(E) -> T) throws(E) -> T {
        if let known = values.withLock({ $0[key] }) as? T { return known }
        let made = try make()
        values.withLock { $0[key] = made }
        return made
    }
}

/// The errors every `Storage` backend reports, so callers map them to API statuses alike.
public enum StorageError: Error, Sendable, Hashable {
    case keyExists(key: String)
    case notFound(key: String)
    /// The key's modRevision differs from the expected one.
    case conflict(key: String, current: Int64)
    /// The requested revision is older than the compaction horizon.
    case compacted(requested: Int64, compacted: Int64)
    /// The requested revision has not been written yet.
    case futureRevision(requested: Int64, current: Int64)
    case valueTooLarge(size: Int, limit: Int)
    case closed
    case backend(String)
}
