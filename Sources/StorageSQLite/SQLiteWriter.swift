import Dispatch
import Foundation
import GRDB
import Storage
import Synchronization

/// The group-commit writer: one dedicated thread drains every queued write into a single SQLite
/// transaction (one fsync per batch), checks each write's condition in order inside it, commits,
/// publishes the events in revision order and only then resumes the callers.
final class SQLiteWriter: Sendable {
    enum Operation: Sendable {
        case create(key: String, value: [UInt8])
        case update(key: String, value: [UInt8], expected: Int64?)
        case delete(key: String, expected: Int64?)
    }

    enum Outcome: Sendable {
        case written(Int64)
        case deleted(Int64, KeyValue)
    }

    private struct Request {
        var operation: Operation
        var continuation: CheckedContinuation<Outcome, Error>
    }

    private struct Queue {
        var pending: [Request] = []
        var sleeping = false
        var closing = false
        var stopped = false
        var closeWaiters: [CheckedContinuation<Void, Never>] = []
    }

    /// The most writes committed in one transaction; the rest wait for the next batch.
    static let maxBatch = 4096

    private let pool: DatabasePool
    private let broadcaster: WatchBroadcaster
    private let queue = Mutex(Queue())
    private let wake = DispatchSemaphore(value: 0)
    private let transactions = Atomic<Int>(0)
    private let revision: Atomic<Int64>

    init(pool: DatabasePool, broadcaster: WatchBroadcaster, revision: Int64) {
        self.pool = pool
        self.broadcaster = broadcaster
        self.revision = Atomic(revision)
    }

    /// Transactions committed so far by the writer.
    var transactionsCommitted: Int { transactions.load(ordering: .relaxed) }

    /// The last revision committed (and acknowledged or about to be).
    var committedRevision: Int64 { revision.load(ordering: .acquiring) }

    func start() {
        let thread = Thread { [self] in run() }
        thread.name = "swiftlet-sqlite-writer"
        thread.start()
    }

    /// Queues a write and returns once the batch holding it is durable.
    func submit(_ operation: Operation) async throws -> Outcome {
        try await withCheckedThrowingContinuation { continuation in
            enum Action { case reject, wake, none }
            let action: Action = queue.withLock { queue in
                if queue.closing { return .reject }
                queue.pending.append(Request(operation: operation, continuation: continuation))
                guard queue.sleeping else { return .none }
                queue.sleeping = false
                return .wake
            }
            switch action {
            case .reject: continuation.resume(throwing: StorageError.closed)
            case .wake: wake.signal()
            case .none: break
            }
        }
    }

    /// Refuses new writes, lets the queued ones commit, and stops the thread.
    func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            enum Action { case done, wake, none }
            let action: Action = queue.withLock { queue in
                if queue.stopped { return .done }
                queue.closing = true
                queue.closeWaiters.append(continuation)
                guard queue.sleeping else { return .none }
                queue.sleeping = false
                return .wake
            }
            switch action {
            case .done: continuation.resume()
            case .wake: wake.signal()
            case .none: break
            }
        }
    }

    /// Refuses new writes and lets the thread exit once the queue is drained, without waiting.
    func stopWhenIdle() {
        let wakeUp: Bool = queue.withLock { queue in
            queue.closing = true
            defer { queue.sleeping = false }
            return queue.sleeping
        }
        if wakeUp { wake.signal() }
    }

    private func run() {
        var next = revision.load(ordering: .relaxed) + 1
        while true {
            enum Step { case batch([Request]), sleep, stop([CheckedContinuation<Void, Never>]) }
            let step: Step = queue.withLock { queue in
                if !queue.pending.isEmpty {
                    if queue.pending.count <= Self.maxBatch {
                        defer { queue.pending = [] }
                        return .batch(queue.pending)
                    }
                    defer { queue.pending.removeFirst(Self.maxBatch) }
                    return .batch(Array(queue.pending.prefix(Self.maxBatch)))
                }
                if queue.closing {
                    queue.stopped = true
                    defer { queue.closeWaiters = [] }
                    return .stop(queue.closeWaiters)
                }
                queue.sleeping = true
                return .sleep
            }
            switch step {
            case .batch(let batch):
                next = commit(batch, next: next)
            case .sleep:
                wake.wait()
            case .stop(let waiters):
                for waiter in waiters { waiter.resume() }
                return
            }
        }
    }

    /// Runs one batch in one transaction and resumes its callers. Returns the next revision to assign.
    private func commit(_ batch: [Request], next first: Int64) -> Int64 {
        var results: [Result<Outcome, Error>] = []
        var events: [WatchEvent] = []
        var next = first
        results.reserveCapacity(batch.count)
        events.reserveCapacity(batch.count)
        do {
            try pool.writeWithoutTransaction { db in
                try db.inTransaction(.immediate) {
                    for request in batch {
                        do {
                            let (outcome, event) = try apply(request.operation, revision: next, db)
                            results.append(.success(outcome))
                            events.append(event)
                            next += 1
                        } catch let error as StorageError {
                            results.append(.failure(error))
                        }
                    }
                    return .commit
                }
            }
            transactions.add(1, ordering: .relaxed)
            revision.store(next - 1, ordering: .releasing)
            broadcaster.publish(events)
        } catch {
            let failure = StorageError.backend("write transaction failed: \(error)")
            results = batch.map { _ in .failure(failure) }
            let stored = try? pool.read { db in try SQLiteQueries.currentRevision(db) }
            next = (stored ?? first - 1) + 1
        }
        for (request, result) in zip(batch, results) {
            request.continuation.resume(with: result)
        }
        return next
    }

    private static let insertSQL = """
        INSERT INTO kv (id, name, created, deleted, create_revision, prev_revision, value)
        VALUES (?, ?, ?, ?, ?, ?, ?)
        """

    /// Checks one write's condition against the rows written so far and appends its row.
    private func apply(_ operation: Operation, revision: Int64, _ db: Database) throws -> (Outcome, WatchEvent) {
        let insert = try db.cachedStatement(sql: Self.insertSQL)
        switch operation {
        case .create(let key, let value):
            let latest = try SQLiteQueries.latest(db, key: key, withValue: false)
            if let latest, !latest.deleted { throw StorageError.keyExists(key: key) }
            try insert.execute(arguments: [revision, key, 1, 0, revision, latest?.id ?? 0, Data(value)])
            let kv = KeyValue(key: key, value: value, createRevision: revision, modRevision: revision)
            return (.written(revision), WatchEvent(kind: .created, kv: kv))
        case .update(let key, let value, let expected):
            let latest = try live(db, key: key, expected: expected, withValue: false)
            try insert.execute(arguments: [revision, key, 0, 0, latest.createRevision, latest.id, Data(value)])
            let kv = KeyValue(key: key, value: value, createRevision: latest.createRevision, modRevision: revision)
            return (.written(revision), WatchEvent(kind: .updated, kv: kv))
        case .delete(let key, let expected):
            let latest = try live(db, key: key, expected: expected, withValue: true)
            try insert.execute(arguments: [revision, key, 0, 1, latest.createRevision, latest.id, Data(latest.value)])
            let previous = KeyValue(key: key, value: latest.value, createRevision: latest.createRevision,
                                    modRevision: latest.id)
            var tombstone = previous
            tombstone.modRevision = revision
            return (.deleted(revision, previous), WatchEvent(kind: .deleted, kv: tombstone))
        }
    }

    private func live(_ db: Database, key: String, expected: Int64?, withValue: Bool) throws -> SQLiteQueries.Latest {
        guard let latest = try SQLiteQueries.latest(db, key: key, withValue: withValue), !latest.deleted else {
            throw StorageError.notFound(key: key)
        }
        if let expected, expected != latest.id { throw StorageError.conflict(key: key, current: latest.id) }
        return latest
    }
}
