/// Limits and defaults shared by every `Storage` backend.
public enum StorageLimits {
    /// The largest value a backend accepts by default: 1.5 MiB, etcd's default request limit.
    public static let defaultMaxValueSize = 1_572_864
    /// How many undelivered events a watch may hold before it is ended with an overflow error.
    public static let defaultWatchBufferLimit = 100_000
}

extension Storage {
    /// Compacts history up to `current - n`, keeping the last `n` revisions watchable. A no-op when that
    /// point is not newer than the current compaction horizon. Returns the compaction horizon afterwards.
    @discardableResult
    public func compactKeeping(last n: Int64) async throws -> Int64 {
        let target = try await currentRevision() - max(n, 0)
        let compacted = try await compactedRevision()
        guard target > compacted else { return compacted }
        try await compact(revision: target)
        return target
    }
}

extension StorageError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .keyExists(let key): "key already exists: \(key)"
        case .notFound(let key): "key not found: \(key)"
        case .conflict(let key, let current): "revision conflict on \(key): current modRevision is \(current)"
        case .compacted(let requested, let compacted):
            "revision \(requested) has been compacted (oldest retained: \(compacted))"
        case .futureRevision(let requested, let current):
            "revision \(requested) is newer than the current revision \(current)"
        case .valueTooLarge(let size, let limit): "value of \(size) bytes exceeds the limit of \(limit) bytes"
        case .closed: "storage is closed"
        case .backend(let message): "storage backend error: \(message)"
        }
    }
}
