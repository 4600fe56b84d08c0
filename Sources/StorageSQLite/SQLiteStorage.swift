import Foundation
import GRDB
import Storage
import Synchronization

/// The embedded default `Storage`: a kine-style append-only log in one SQLite file in WAL mode.
/// Writes are group-committed by a dedicated writer thread (one transaction and one fsync per batch,
/// each caller resumed once its batch is durable); reads run concurrently on a pool of WAL readers;
/// watches replay the log and then follow a `WatchBroadcaster`.
public final class SQLiteStorage: Storage {
    /// The database file.
    public let path: String
    /// The largest value accepted, in bytes.
    public let maxValueSize: Int
    /// The durability of commits.
    public let synchronous: SQLiteSynchronous

    private let pool: DatabasePool
    private let writer: SQLiteWriter
    private let broadcaster: WatchBroadcaster
    private let closed = Atomic<Bool>(false)

    /// Opens or creates the database at `path`, creating its directory.
    public init(path: String, maxValueSize: Int = StorageLimits.defaultMaxValueSize,
                synchronous: SQLiteSynchronous = .full,
                watchBufferLimit: Int = StorageLimits.defaultWatchBufferLimit) throws {
        self.path = path
        self.maxValueSize = maxValueSize
        self.synchronous = synchronous
        let directory = (path as NSString).deletingLastPathComponent
        do {
            if !directory.isEmpty {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            }
            pool = try DatabasePool(path: path, configuration: SQLiteSchema.configuration(synchronous: synchronous))
            let revision = try pool.write { db in
                try SQLiteSchema.create(db)
                return try SQLiteQueries.currentRevision(db)
            }
            broadcaster = WatchBroadcaster(bufferLimit: watchBufferLimit)
            writer = SQLiteWriter(pool: pool, broadcaster: broadcaster, revision: revision)
        } catch let error as StorageError {
            throw error
        } catch {
            throw StorageError.backend("cannot open \(path): \(error)")
        }
        writer.start()
    }

    deinit {
        // Without close(): let the writer thread finish the queue and exit rather than leak.
        writer.stopWhenIdle()
    }

    /// Watches currently subscribed to live events.
    public var activeWatchCount: Int { broadcaster.subscriberCount }

    /// Write transactions committed since this instance opened (a batch of writes counts once).
    public var transactionsCommitted: Int { writer.transactionsCommitted }

    public func currentRevision() async throws -> Int64 {
        try checkOpen()
        return writer.committedRevision
    }

    public func compactedRevision() async throws -> Int64 {
        try await read { db in try SQLiteQueries.compactedRevision(db) }
    }

    public func get(_ key: String) async throws -> (value: KeyValue?, revision: Int64) {
        try await read { db in
            let revision = try SQLiteQueries.currentRevision(db)
            guard let latest = try SQLiteQueries.latest(db, key: key), !latest.deleted else { return (nil, revision) }
            let kv = KeyValue(key: key, value: latest.value, createRevision: latest.createRevision,
                              modRevision: latest.id)
            return (kv, revision)
        }
    }

    public func list(prefix: String, revision: Int64?, startKey: String?, limit: Int?) async throws -> ListResult {
        let limit = limit.flatMap { $0 > 0 ? $0 : nil }
        return try await read { db in
            let current = try SQLiteQueries.currentRevision(db)
            let at = revision ?? current
            if at > current { throw StorageError.futureRevision(requested: at, current: current) }
            let compacted = try SQLiteQueries.compactedRevision(db)
            if at < compacted { throw StorageError.compacted(requested: at, compacted: compacted) }
            let (items, more) = try SQLiteQueries.list(db, prefix: prefix, startKey: startKey, at: at, limit: limit)
            return ListResult(items: items, revision: at, more: more)
        }
    }

    public func count(prefix: String) async throws -> Int {
        try await read { db in try SQLiteQueries.count(db, prefix: prefix) }
    }

    public func create(_ key: String, value: [UInt8]) async throws -> Int64 {
        try checkSize(value)
        guard case .written(let revision) = try await write(.create(key: key, value: value)) else {
            throw StorageError.backend("unexpected outcome of create")
        }
        return revision
    }

    public func update(_ key: String, value: [UInt8], expectedRevision: Int64?) async throws -> Int64 {
        try checkSize(value)
        guard case .written(let revision) = try await write(.update(key: key, value: value, expected: expectedRevision))
        else { throw StorageError.backend("unexpected outcome of update") }
        return revision
    }

    public func delete(_ key: String, expectedRevision: Int64?) async throws -> (revision: Int64, deleted: KeyValue) {
        guard case .deleted(let revision, let kv) = try await write(.delete(key: key, expected: expectedRevision))
        else { throw StorageError.backend("unexpected outcome of delete") }
        return (revision, kv)
    }

    public func watch(prefix: String, afterRevision: Int64) async throws -> AsyncThrowingStream<WatchEvent, Error> {
        try checkOpen()
        let subscription = broadcaster.subscribe(prefix: prefix)
        return WatchReplay.stream(subscription: subscription, afterRevision: afterRevision) { after, limit in
            try await self.read { db in
                let compacted = try SQLiteQueries.compactedRevision(db)
                if after < compacted { throw StorageError.compacted(requested: after, compacted: compacted) }
                return try SQLiteQueries.history(db, prefix: prefix, after: after, limit: limit)
            }
        }
    }

    /// Revisions compacted per transaction, so a large compaction never holds the writer for long.
    static let compactionChunk: Int64 = 10_000

    public func compact(revision target: Int64) async throws {
        try checkOpen()
        let current = writer.committedRevision
        if target > current { throw StorageError.futureRevision(requested: target, current: current) }
        var done = try await compactedRevision()
        while done < target {
            let through = min(target, done + Self.compactionChunk)
            let from = done
            try await mapErrors {
                try await self.pool.write { db in
                    // Another compaction may have run meanwhile: continue from its horizon.
                    let horizon = try SQLiteQueries.compactedRevision(db)
                    if horizon < through { try SQLiteQueries.compact(db, from: max(from, horizon), through: through) }
                }
            }
            done = through
        }
    }

    public func close() async throws {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        await writer.close()
        broadcaster.finishAll(throwing: .closed)
        do {
            try pool.close()
        } catch {
            throw StorageError.backend("closing \(path): \(error)")
        }
    }

    // MARK: - Helpers

    private func checkOpen() throws {
        if closed.load(ordering: .acquiring) { throw StorageError.closed }
    }

    private func checkSize(_ value: [UInt8]) throws {
        if value.count > maxValueSize { throw StorageError.valueTooLarge(size: value.count, limit: maxValueSize) }
    }

    private func write(_ operation: SQLiteWriter.Operation) async throws -> SQLiteWriter.Outcome {
        try checkOpen()
        return try await writer.submit(operation)
    }

    private func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try checkOpen()
        return try await mapErrors { try await self.pool.read(body) }
    }

    private func mapErrors<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as StorageError {
            throw error
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            if closed.load(ordering: .acquiring) { throw StorageError.closed }
            throw StorageError.backend(String(describing: error))
        }
    }
}
