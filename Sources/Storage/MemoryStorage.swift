/// An in-memory `Storage` with the full semantics of the persistent backends: per-key version history
/// for lists at a revision, an event log for watches from a revision, and compaction. For tests and
/// for single-process runs that need no durability.
public actor MemoryStorage: Storage {
    /// One stored version of a key: a write or a deletion (which keeps the last value).
    struct Version {
        var revision: Int64
        var createRevision: Int64
        var value: [UInt8]
        var deleted: Bool

        func keyValue(_ key: String) -> KeyValue {
            KeyValue(key: key, value: value, createRevision: createRevision, modRevision: revision)
        }
    }

    /// Versions per key, oldest first. Holds every key with retained history, live or deleted.
    var versions: [String: [Version]] = [:]
    /// The keys of `versions` in byte order.
    var sortedKeys: [String] = []
    /// Every retained event after the compaction horizon, in revision order.
    var log: [WatchEvent] = []
    var revision: Int64 = 0
    var compacted: Int64 = 0
    var isClosed = false
    let broadcaster: WatchBroadcaster
    /// The largest value accepted, in bytes.
    public let maxValueSize: Int

    public init(maxValueSize: Int = StorageLimits.defaultMaxValueSize,
                watchBufferLimit: Int = StorageLimits.defaultWatchBufferLimit) {
        self.maxValueSize = maxValueSize
        self.broadcaster = WatchBroadcaster(bufferLimit: watchBufferLimit)
    }

    public func currentRevision() throws -> Int64 {
        try checkOpen()
        return revision
    }

    public func compactedRevision() throws -> Int64 {
        try checkOpen()
        return compacted
    }

    public func get(_ key: String) throws -> (value: KeyValue?, revision: Int64) {
        try checkOpen()
        return (live(key)?.keyValue(key), revision)
    }

    public func count(prefix: String) throws -> Int {
        try checkOpen()
        var count = 0
        var index = lowerBound(prefix)
        while index < sortedKeys.count, KeyOrder.hasPrefix(sortedKeys[index], prefix) {
            if live(sortedKeys[index]) != nil { count += 1 }
            index += 1
        }
        return count
    }

    public func create(_ key: String, value: [UInt8]) throws -> Int64 {
        try checkOpen()
        try checkSize(value)
        if live(key) != nil { throw StorageError.keyExists(key: key) }
        revision += 1
        append(key, Version(revision: revision, createRevision: revision, value: value, deleted: false), kind: .created)
        return revision
    }

    public func update(_ key: String, value: [UInt8], expectedRevision: Int64?) throws -> Int64 {
        try checkOpen()
        try checkSize(value)
        let current = try liveForWrite(key, expectedRevision: expectedRevision)
        revision += 1
        append(key, Version(revision: revision, createRevision: current.createRevision, value: value, deleted: false),
               kind: .updated)
        return revision
    }

    public func delete(_ key: String, expectedRevision: Int64?) throws -> (revision: Int64, deleted: KeyValue) {
        try checkOpen()
        let current = try liveForWrite(key, expectedRevision: expectedRevision)
        revision += 1
        append(key, Version(revision: revision, createRevision: current.createRevision, value: current.value,
                            deleted: true), kind: .deleted)
        return (revision, current.keyValue(key))
    }

    public func watch(prefix: String, afterRevision: Int64) throws -> AsyncThrowingStream<WatchEvent, Error> {
        try checkOpen()
        let subscription = broadcaster.subscribe(prefix: prefix)
        return WatchReplay.stream(subscription: subscription, afterRevision: afterRevision) { after, limit in
            try await self.history(prefix: prefix, after: after, limit: limit)
        }
    }

    /// Watches currently subscribed to live events.
    public nonisolated var activeWatchCount: Int { broadcaster.subscriberCount }

    public func close() {
        guard !isClosed else { return }
        isClosed = true
        broadcaster.finishAll(throwing: .closed)
    }

    // MARK: - Helpers

    func checkOpen() throws {
        if isClosed { throw StorageError.closed }
    }

    private func checkSize(_ value: [UInt8]) throws {
        if value.count > maxValueSize { throw StorageError.valueTooLarge(size: value.count, limit: maxValueSize) }
    }

    /// The newest version of a key if it is not a deletion.
    func live(_ key: String) -> Version? {
        guard let last = versions[key]?.last, !last.deleted else { return nil }
        return last
    }

    private func liveForWrite(_ key: String, expectedRevision: Int64?) throws -> Version {
        guard let current = live(key) else { throw StorageError.notFound(key: key) }
        if let expectedRevision, expectedRevision != current.revision {
            throw StorageError.conflict(key: key, current: current.revision)
        }
        return current
    }

    private func append(_ key: String, _ version: Version, kind: WatchEvent.Kind) {
        if versions[key] == nil {
            sortedKeys.insert(key, at: lowerBound(key))
            versions[key] = [version]
        } else {
            versions[key]?.append(version)
        }
        let event = WatchEvent(kind: kind, kv: version.keyValue(key))
        log.append(event)
        broadcaster.publish([event])
    }

    /// The index of the first key in `sortedKeys` not before `key`.
    func lowerBound(_ key: String) -> Int {
        var low = 0
        var high = sortedKeys.count
        while low < high {
            let mid = (low + high) / 2
            if KeyOrder.less(sortedKeys[mid], key) { low = mid + 1 } else { high = mid }
        }
        return low
    }
}
