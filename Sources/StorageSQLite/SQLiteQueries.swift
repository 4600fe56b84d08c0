import Foundation
import GRDB
import Storage

/// The SQL of the backend's reads and of its compaction, as functions of a GRDB connection.
enum SQLiteQueries {
    /// The newest row of one key, deleted or not.
    struct Latest {
        var id: Int64
        var deleted: Bool
        var createRevision: Int64
        var value: [UInt8]
    }

    /// The SQL condition and arguments selecting names under a prefix from a lower bound. Bounds are
    /// bound as UTF-8 bytes cast to TEXT, so a bound with an embedded NUL (a continue token's
    /// `lastKey + "\0"`) compares byte-wise instead of being cut at the NUL.
    struct KeyRange {
        var sql: String
        var arguments: StatementArguments

        init(prefix: String, from lower: String, column: String = "name") {
            var conditions: [String] = []
            var arguments = StatementArguments()
            if !lower.isEmpty {
                conditions.append("\(column) >= CAST(? AS TEXT)")
                arguments += [Data(lower.utf8)]
            }
            if !prefix.isEmpty {
                if let upper = Self.upperBound(prefix) {
                    conditions.append("\(column) < CAST(? AS TEXT)")
                    arguments += [Data(upper)]
                } else {
                    conditions.append("substr(CAST(\(column) AS BLOB), 1, ?) = ?")
                    arguments += [prefix.utf8.count, Data(prefix.utf8)]
                }
            }
            self.sql = conditions.isEmpty ? "1" : conditions.joined(separator: " AND ")
            self.arguments = arguments
        }

        /// The smallest byte string above every string with `prefix`, when its last byte is ASCII.
        static func upperBound(_ prefix: String) -> [UInt8]? {
            var bytes = Array(prefix.utf8)
            guard let last = bytes.last, last < 0x7F else { return nil }
            bytes[bytes.count - 1] = last + 1
            return bytes
        }
    }

    static func currentRevision(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT seq FROM sqlite_sequence WHERE name = 'kv'") ?? 0
    }

    static func compactedRevision(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [SQLiteSchema.compactKey]) ?? 0
    }

    /// The newest row of `key`; its value is read only when `withValue` (else empty).
    static func latest(_ db: Database, key: String, withValue: Bool = true) throws -> Latest? {
        let columns = withValue ? "id, deleted, create_revision, value" : "id, deleted, create_revision"
        let statement = try db.cachedStatement(
            sql: "SELECT \(columns) FROM kv WHERE name = ? ORDER BY id DESC LIMIT 1")
        guard let row = try Row.fetchOne(statement, arguments: [key]) else { return nil }
        return Latest(id: try int(row, 0), deleted: try int(row, 1) != 0, createRevision: try int(row, 2),
                      value: withValue ? bytes(row, 3) : [])
    }

    /// Live keys under `prefix` at revision `at`, from `startKey`, at most `limit` (nil: all).
    static func list(_ db: Database, prefix: String, startKey: String?, at: Int64, limit: Int?) throws
        -> (items: [KeyValue], more: Bool)
    {
        let range = KeyRange(prefix: prefix, from: KeyOrder.listStart(prefix: prefix, startKey: startKey))
        let sql = """
            SELECT kv.id, kv.name, kv.create_revision, kv.value
            FROM (SELECT MAX(id) AS mid FROM kv WHERE \(range.sql) AND id <= ? GROUP BY name) AS latest
            JOIN kv ON kv.id = latest.mid
            WHERE kv.deleted = 0 ORDER BY kv.name LIMIT ?
            """
        var arguments = range.arguments
        arguments += [at, limit.map { $0 + 1 } ?? -1]
        var items: [KeyValue] = []
        let rows = try Row.fetchCursor(db.cachedStatement(sql: sql), arguments: arguments)
        while let row = try rows.next() {
            items.append(KeyValue(key: try text(row, 1), value: bytes(row, 3), createRevision: try int(row, 2),
                                  modRevision: try int(row, 0)))
        }
        if let limit, items.count > limit {
            items.removeLast(items.count - limit)
            return (items, true)
        }
        return (items, false)
    }

    static func count(_ db: Database, prefix: String) throws -> Int {
        let range = KeyRange(prefix: prefix, from: prefix)
        let sql = """
            SELECT COUNT(*) FROM (SELECT MAX(id) AS mid FROM kv WHERE \(range.sql) GROUP BY name) AS latest
            JOIN kv ON kv.id = latest.mid WHERE kv.deleted = 0
            """
        return try Int.fetchOne(db.cachedStatement(sql: sql), arguments: range.arguments) ?? 0
    }

    /// Up to `limit` changes under `prefix` after revision `after`, in revision order.
    static func history(_ db: Database, prefix: String, after: Int64, limit: Int) throws -> [WatchEvent] {
        let range = KeyRange(prefix: prefix, from: prefix)
        let sql = """
            SELECT id, name, created, deleted, create_revision, value FROM kv
            WHERE id > ? AND \(range.sql) ORDER BY id LIMIT ?
            """
        var arguments: StatementArguments = [after]
        arguments += range.arguments
        arguments += [limit]
        var events: [WatchEvent] = []
        let rows = try Row.fetchCursor(db.cachedStatement(sql: sql), arguments: arguments)
        while let row = try rows.next() {
            let kind: WatchEvent.Kind = try int(row, 3) != 0 ? .deleted : (try int(row, 2) != 0 ? .created : .updated)
            let kv = KeyValue(key: try text(row, 1), value: bytes(row, 5), createRevision: try int(row, 4),
                              modRevision: try int(row, 0))
            events.append(WatchEvent(kind: kind, kv: kv))
        }
        return events
    }

    /// Compacts the revisions in `(from, through]`, given that everything up to `from` is compacted:
    /// deletes each row superseded by a row in the window (its `prev_revision`) and the window's
    /// deletion rows, then records `through` as the compaction horizon.
    static func compact(_ db: Database, from: Int64, through: Int64) throws {
        try db.execute(sql: """
            DELETE FROM kv WHERE id IN (
                SELECT prev_revision FROM kv WHERE id > ? AND id <= ? AND prev_revision > 0)
            """, arguments: [from, through])
        try db.execute(sql: "DELETE FROM kv WHERE id > ? AND id <= ? AND deleted = 1", arguments: [from, through])
        try db.execute(sql: "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                       arguments: [SQLiteSchema.compactKey, through])
    }

    // MARK: - Row decoding that reports a malformed row instead of trapping

    static func int(_ row: Row, _ index: Int) throws -> Int64 {
        guard let value = row[index] as Int64? else { throw StorageError.backend("malformed row: column \(index) is NULL") }
        return value
    }

    static func text(_ row: Row, _ index: Int) throws -> String {
        guard let value = row[index] as String? else { throw StorageError.backend("malformed row: column \(index) is NULL") }
        return value
    }

    /// A BLOB column as bytes; NULL (how SQLite stores an empty blob bound from empty Data) is empty.
    static func bytes(_ row: Row, _ index: Int) -> [UInt8] {
        guard let data = row[index] as Data? else { return [] }
        return [UInt8](data)
    }
}
