import Foundation
import Storage
import StorageSQLite
import Testing

/// Throughput measurements. A small smoke run always; the full run with SWIFTLET_STORAGE_BENCH=1.
@Suite("Storage benchmarks")
struct StorageBenchmarkTests {
    static let full = ProcessInfo.processInfo.environment["SWIFTLET_STORAGE_BENCH"] != nil

    @Test("benchmarks produce rates")
    func smoke() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let raw = try RawSQLiteBenchmark.insertRate(path: directory.databasePath(), rows: 200, valueSize: 400,
                                                    rowsPerTransaction: 50)
        #expect(raw > 0)
        let storage = try SQLiteStorage(path: directory.databasePath())
        let rate = try await StorageBenchmark.storageCreateRate(storage: storage, creates: 320, concurrency: 16,
                                                                valueSize: 400)
        #expect(rate > 0)
        #expect(try await storage.count(prefix: "/bench/") == 320)
        try await storage.close()
    }

    @Test("full measurement", .enabled(if: full))
    func measure() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        for perTransaction in [1, 100] {
            let rate = try RawSQLiteBenchmark.insertRate(path: directory.databasePath(), rows: perTransaction == 1 ? 2_000 : 50_000,
                                                         valueSize: 400, rowsPerTransaction: perTransaction)
            print("BENCH raw sqlite \(perTransaction)/txn: \(Int(rate)) rows/s")
        }
        for synchronous in [SQLiteSynchronous.full, .normal] {
            for (concurrency, valueSize) in [(1, 400), (16, 400), (16, 2000), (64, 400)] {
                let storage = try SQLiteStorage(path: directory.databasePath(), synchronous: synchronous)
                let rate = try await StorageBenchmark.storageCreateRate(storage: storage, creates: 20_000,
                                                                        concurrency: concurrency, valueSize: valueSize)
                let transactions = storage.transactionsCommitted
                print("BENCH sqlite \(synchronous) c=\(concurrency) v=\(valueSize): \(Int(rate)) creates/s, \(transactions) txns")
                try await storage.close()
            }
        }
        let memory = MemoryStorage()
        let rate = try await StorageBenchmark.storageCreateRate(storage: memory, creates: 20_000, concurrency: 16, valueSize: 400)
        print("BENCH memory c=16 v=400: \(Int(rate)) creates/s")
    }
}
