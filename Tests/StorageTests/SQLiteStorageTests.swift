import Foundation
import GRDB
import Storage
import StorageSQLite
import Testing

@Suite("SQLiteStorage")
struct SQLiteStorageTests {
    @Test("data and revision survive close and reopen, also after compaction")
    func reopen() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path + "/nested/dir/state.db"
        let first = try SQLiteStorage(path: path)
        let r1 = try await first.create("/a", value: Array("a1".utf8))
        let r2 = try await first.update("/a", value: Array("a2".utf8), expectedRevision: r1)
        let r3 = try await first.create("/b", value: Array("b".utf8))
        let r4 = try await first.delete("/b", expectedRevision: r3).revision
        try await first.compact(revision: r4)
        try await first.close()

        let second = try SQLiteStorage(path: path)
        #expect(try await second.currentRevision() == r4)
        #expect(try await second.compactedRevision() == r4)
        #expect(try await second.get("/a").value == KeyValue(key: "/a", value: Array("a2".utf8), createRevision: r1,
                                                             modRevision: r2))
        #expect(try await second.get("/b").value == nil)
        // The newest row (the deletion at r4) was compacted away; AUTOINCREMENT keeps the revision growing.
        let r5 = try await second.create("/c", value: [])
        #expect(r5 == r4 + 1)
        try await second.close()

        let third = try SQLiteStorage(path: path)
        #expect(try await third.currentRevision() == r5)
        #expect(try await third.create("/b", value: []) == r5 + 1)
        let keys = try await third.list(prefix: "/", revision: nil, startKey: nil, limit: nil).items.map(\.key)
        #expect(keys == ["/a", "/b", "/c"])
        try await third.close()
    }

    @Test("concurrent writes are group-committed")
    func groupCommit() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let storage = try SQLiteStorage(path: directory.databasePath())
        let before = storage.transactionsCommitted
        let value = [UInt8](repeating: 7, count: 500)
        let revisions = try await withThrowingTaskGroup(of: Int64.self) { group in
            for index in 0..<200 {
                group.addTask { try await storage.create("/g/\(index)", value: value) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let transactions = storage.transactionsCommitted - before
        #expect(Set(revisions) == Set(1...200))
        #expect(transactions >= 1)
        #expect(transactions <= 50, "200 concurrent creates took \(transactions) transactions")
        // A failed condition fails only its own write, not the batch.
        let good = Task { try await storage.create("/g/new", value: value) }
        let bad = Task { try await storage.create("/g/0", value: value) }
        #expect(try await good.value == 201)
        await #expect(throws: StorageError.keyExists(key: "/g/0")) { try await bad.value }
        try await storage.close()
    }

    @Test("the database is in WAL mode with the kine schema")
    func walAndSchema() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.databasePath()
        let storage = try SQLiteStorage(path: path)
        _ = try await storage.create("/x", value: [1, 2, 3])
        _ = try await storage.delete("/x", expectedRevision: nil)
        try await storage.close()
        let queue = try DatabaseQueue(path: path)
        let (mode, rows) = try queue.read { db in
            (try String.fetchOne(db, sql: "PRAGMA journal_mode"),
             try Row.fetchAll(db, sql: "SELECT id, name, created, deleted, create_revision, prev_revision, value FROM kv"))
        }
        #expect(mode == "wal")
        #expect(rows.count == 2)
        #expect(rows.last?["deleted"] == 1)
        #expect(rows.last?["prev_revision"] == 1)
        #expect(rows.last?["value"] == Data([1, 2, 3]))
        try queue.close()
    }
}
