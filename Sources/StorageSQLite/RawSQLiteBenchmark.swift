import Foundation
import GRDB
import Storage

/// The baseline for storage benchmarks: plain inserts into one SQLite table with the backend's pragmas
/// (WAL, synchronous=FULL), without any of its logic.
public enum RawSQLiteBenchmark {
    /// Rows per second inserting `rows` rows of `valueSize` bytes, committing every `rowsPerTransaction`
    /// rows. Creates the file and its directory; replaces the benchmark table if it exists.
    public static func insertRate(path: String, rows: Int, valueSize: Int, rowsPerTransaction: Int) throws -> Double {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        var configuration = SQLiteSchema.configuration(synchronous: .full)
        configuration.maximumReaderCount = 1
        let pool = try DatabasePool(path: path, configuration: configuration)
        defer { try? pool.close() }
        try pool.write { db in
            try db.execute(sql: "DROP TABLE IF EXISTS bench")
            try db.execute(sql: "CREATE TABLE bench (id INTEGER PRIMARY KEY, name TEXT NOT NULL, value BLOB)")
        }
        let value = Data((0..<max(valueSize, 0)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
        let perTransaction = max(rowsPerTransaction, 1)
        let start = ContinuousClock.now
        var inserted = 0
        try pool.writeWithoutTransaction { db in
            let insert = try db.makeStatement(sql: "INSERT INTO bench (name, value) VALUES (?, ?)")
            while inserted < rows {
                let batch = min(perTransaction, rows - inserted)
                try db.inTransaction {
                    for index in inserted..<(inserted + batch) {
                        try insert.execute(arguments: ["/bench/\(index)", value])
                    }
                    return .commit
                }
                inserted += batch
            }
        }
        return Double(inserted) / seconds(ContinuousClock.now - start)
    }

    static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return max(Double(seconds) + Double(attoseconds) / 1e18, 1e-9)
    }
}
