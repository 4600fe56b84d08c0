import Storage

extension StorageConformance {
    static let compactionChecks: [Check] = [
        Check(name: "compaction", run: compaction),
        Check(name: "compactKeeping", run: compactKeeping),
    ]

    static func isCompacted(_ error: StorageError) -> Bool {
        if case .compacted = error { return true }
        return false
    }

    /// Requires a watch after `revision` to fail with `.compacted`, from `watch` or from its stream.
    static func requireCompactedWatch(_ storage: any Storage, prefix: String, after revision: Int64,
                                      file: StaticString = #fileID, line: UInt = #line) async throws {
        try await requireError("watch after compacted revision \(revision)", file: file, line: line,
                               matching: isCompacted) {
            let stream = try await storage.watch(prefix: prefix, afterRevision: revision)
            return try await collect(stream, count: 1, file: file, line: line)
        }
    }

    static func compaction(_ factory: @escaping Factory) async throws {
        try await withStorage(factory) { storage in
            let r1 = try await storage.create("/k/a", value: bytes("a1"))
            let r2 = try await storage.update("/k/a", value: bytes("a2"), expectedRevision: r1)
            let r3 = try await storage.create("/k/b", value: bytes("b1"))
            let r4 = try await storage.delete("/k/b", expectedRevision: r3).revision
            let r5 = try await storage.create("/k/c", value: bytes("c1"))
            let r6 = try await storage.update("/k/a", value: bytes("a3"), expectedRevision: r2)
            try await storage.compact(revision: r4)
            try requireEqual(try await storage.compactedRevision(), r4, "compacted revision")

            try await requireError(.compacted(requested: r3, compacted: r4), "list below the horizon") {
                try await storage.list(prefix: "/k/", revision: r3, startKey: nil, limit: nil)
            }
            try await requireCompactedWatch(storage, prefix: "/k/", after: r3)
            try await requireCompactedWatch(storage, prefix: "/k/", after: 0)

            let a2 = KeyValue(key: "/k/a", value: bytes("a2"), createRevision: r1, modRevision: r2)
            let a3 = KeyValue(key: "/k/a", value: bytes("a3"), createRevision: r1, modRevision: r6)
            let c1 = KeyValue(key: "/k/c", value: bytes("c1"), createRevision: r5, modRevision: r5)
            try requireEqual(try await storage.list(prefix: "/k/", revision: r4, startKey: nil, limit: nil).items, [a2],
                             "list at the horizon")
            try requireEqual(try await storage.list(prefix: "/k/", revision: r5, startKey: nil, limit: nil).items,
                             [a2, c1], "list above the horizon")
            try requireEqual(try await storage.list(prefix: "/k/", revision: nil, startKey: nil, limit: nil).items,
                             [a3, c1], "current list")
            let events = try await collect(try await storage.watch(prefix: "/k/", afterRevision: r4), count: 2)
            try requireEqual(summary(events), ["created /k/c@\(r5)", "updated /k/a@\(r6)"], "watch at the horizon")
            try requireEqual(try await storage.get("/k/a").value, a3, "get after compaction")
            try requireEqual(try await storage.count(prefix: "/k/"), 2, "count after compaction")

            try await storage.compact(revision: r2)
            try requireEqual(try await storage.compactedRevision(), r4, "compacting an older revision is a no-op")
            try await requireError(.futureRevision(requested: r6 + 1, current: r6), "compacting the future") {
                try await storage.compact(revision: r6 + 1)
            }

            try await storage.compact(revision: r6)
            try requireEqual(try await storage.list(prefix: "/k/", revision: nil, startKey: nil, limit: nil).items,
                             [a3, c1], "current list after compacting everything")
            let live = try await storage.watch(prefix: "/k/", afterRevision: r6)
            let r7 = try await storage.delete("/k/c", expectedRevision: r5).revision
            let r8 = try await storage.create("/k/b", value: bytes("b2"))
            try requireEqual(r7, r6 + 1, "revision after compaction")
            try requireEqual(summary(try await collect(live, count: 2)), ["deleted /k/c@\(r7)", "created /k/b@\(r8)"],
                             "live events after compaction")
        }
    }

    static func compactKeeping(_ factory: @escaping Factory) async throws {
        try await withStorage(factory) { storage in
            for index in 0..<10 { _ = try await storage.create("/ck/\(index)", value: []) }
            try requireEqual(try await storage.compactKeeping(last: 3), 7, "horizon after keeping 3")
            try requireEqual(try await storage.compactedRevision(), 7, "compacted revision after keeping 3")
            try requireEqual(try await storage.compactKeeping(last: 5), 7, "keeping more is a no-op")
            let events = try await collect(try await storage.watch(prefix: "/ck/", afterRevision: 7), count: 3)
            try requireEqual(events.map(\.revision), [8, 9, 10], "retained events")
            try requireEqual(try await storage.count(prefix: "/ck/"), 10, "count after compaction")
        }
    }
}
