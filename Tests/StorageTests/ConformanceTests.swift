import Storage
import StorageSQLite
import Testing
import TestSupport

@Suite("Storage conformance")
struct ConformanceTests {
    @Test("MemoryStorage", arguments: StorageConformance.checks)
    func memory(_ check: StorageConformance.Check) async throws {
        try await check.run { MemoryStorage() }
    }

    @Test("SQLiteStorage", arguments: StorageConformance.checks)
    func sqlite(_ check: StorageConformance.Check) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try await check.run { try SQLiteStorage(path: directory.databasePath()) }
    }

    @Test("SQLiteStorage with synchronous=NORMAL")
    func sqliteNormal() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try await StorageConformance.runAll { try SQLiteStorage(path: directory.databasePath(), synchronous: .normal) }
    }
}
