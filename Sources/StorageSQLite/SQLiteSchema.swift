import GRDB

/// How hard SQLite works to make a commit durable. Both keep the database consistent after a crash.
public enum SQLiteSynchronous: String, Sendable {
    /// Every commit is fsynced before it is acknowledged: survives kill -9 and power loss.
    case full = "FULL"
    /// WAL commits are fsynced only at checkpoints: survives kill -9, may lose the last commits on
    /// power loss.
    case normal = "NORMAL"
}

/// The kine-style schema: one append-only log of revisions plus a small meta table.
///
/// Each `kv` row is one revision (`id`) of one key (`name`): a create, an update or a deletion (which
/// carries the last value). The live state is the newest row per name that is not a deletion; the state
/// at revision R is the newest row per name with `id <= R` that is not a deletion.
enum SQLiteSchema {
    static let compactKey = "compact_rev"

    static let statements = [
        """
        CREATE TABLE IF NOT EXISTS kv (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL,
            created INTEGER NOT NULL,
            deleted INTEGER NOT NULL,
            create_revision INTEGER NOT NULL,
            prev_revision INTEGER NOT NULL,
            value BLOB
        )
        """,
        "CREATE INDEX IF NOT EXISTS kv_name_id ON kv (name, id)",
        "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)",
    ]

    /// A configuration for WAL databases with the given durability.
    static func configuration(synchronous: SQLiteSynchronous, readers: Int = 4) -> Configuration {
        var configuration = Configuration()
        configuration.maximumReaderCount = readers
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = \(synchronous.rawValue)")
        }
        return configuration
    }

    static func create(_ db: Database) throws {
        for statement in statements { try db.execute(sql: statement) }
    }
}
