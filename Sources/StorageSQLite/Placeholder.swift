// TEMPORARY stub until the storage branch lands.
import Storage
public final class SQLiteStorage: Storage {
    public init(path: String) throws {}
    public func currentRevision() async throws -> Int64 { 0 }
    public func get(_ key: String) async throws -> (value: KeyValue?, revision: Int64) { (nil, 0) }
    public func list(prefix: String, revision: Int64?, startKey: String?, limit: Int?) async throws -> ListResult { ListResult(items: [], revision: 0, more: false) }
    public func count(prefix: String) async throws -> Int { 0 }
    public func create(_ key: String, value: [UInt8]) async throws -> Int64 { 0 }
    public func update(_ key: String, value: [UInt8], expectedRevision: Int64?) async throws -> Int64 { 0 }
    public func delete(_ key: String, expectedRevision: Int64?) async throws -> (revision: Int64, deleted: KeyValue) { throw StorageError.closed }
    public func watch(prefix: String, afterRevision: Int64) async throws -> AsyncThrowingStream<WatchEvent, Error> { AsyncThrowingStream { $0.finish() } }
    public func compact(revision: Int64) async throws {}
    public func compactedRevision() async throws -> Int64 { 0 }
    public func close() async throws {}
}
