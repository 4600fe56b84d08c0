import Storage

extension StorageConformance {
    static let writeChecks: [Check] = [
        Check(name: "revisions grow by one per write", run: revisionsGrowByOne),
        Check(name: "create of an existing key fails", run: createExisting),
        Check(name: "update conditions", run: updateConditions),
        Check(name: "delete conditions", run: deleteConditions),
        Check(name: "get", run: getValues),
        Check(name: "value size limit", run: valueSizeLimit),
        Check(name: "concurrent creators", run: concurrentCreators),
        Check(name: "closed store refuses calls", run: closedStore),
    ]

    static func revisionsGrowByOne(_ factory: @escaping Factory) async throws {
        try await withStorage(factory) { storage in
            try requireEqual(try await storage.currentRevision(), 0, "revision of an empty store")
            try requireEqual(try await storage.compactedRevision(), 0, "compacted revision of an empty store")
            try requireEqual(try await storage.create("/r/a", value: bytes("1")), 1, "first create")
            try requireEqual(try await storage.create("/r/b", value: bytes("1")), 2, "second create")
            try requireEqual(try await storage.update("/r/a", value: bytes("2"), expectedRevision: 1), 3, "update")
            try requireEqual(try await storage.delete("/r/b", expectedRevision: nil).revision, 4, "delete")
            try await requireError(.keyExists(key: "/r/a"), "failed create") {
                try await storage.create("/r/a", value: bytes("x"))
            }
            try requireEqual(try await storage.create("/r/c", value: bytes("1")), 5, "create after a failed write")
            try requireEqual(try await storage.currentRevision(), 5, "current revision")
            try requireEqual(try await storage.get("/r/none").revision, 5, "revision reported by get")
        }
    }

    static func createExisting(_ factory: @escaping Factory) async throws {
        try await withStorage(factory) { storage in
            let first = try await storage.create("/k", value: bytes("v"))
            try await requireError(.keyExists(key: "/k"), "second create") {
                try await storage.create("/k", value: bytes("w"))
            }
            try requireEqual(try await storage.get("/k").value?.value, bytes("v"), "value after failed create")
            _ = try await storage.delete("/k", expectedRevision: first)
            let again = try await storage.create("/k", value: bytes("z"))
            let kv = try await storage.get("/k").value
            try requireEqual(kv?.createRevision, again, "createRevision of a re-created key")
            try requireEqual(kv?.value, bytes("z"), "value of a re-created key")
        }
    }

    static func updateConditions(_ factory: @escaping Factory) async throws {
        try await withStorage(factory) { storage in
            let r1 = try await storage.create("/u", value: bytes("1"))
            let r2 = try await storage.update("/u", value: bytes("2"), expectedRevision: r1)
            try await requireError(.conflict(key: "/u", current: r2), "stale update") {
                try await storage.update("/u", value: bytes("3"), expectedRevision: r1)
            }
            try await requireError(.notFound(key: "/missing"), "update of a missing key") {
                try await storage.update("/missing", value: bytes("3"), expectedRevision: nil)
            }
            try await requireError(.notFound(key: "/missing"), "conditional update of a missing key") {
                try await storage.update("/missing", value: bytes("3"), expectedRevision: 1)
            }
            let r3 = try await storage.update("/u", value: bytes("3"), expectedRevision: nil)
            try requireEqual(r3, r2 + 1, "revision of an unconditional update")
            try requireEqual(try await storage.get("/u").value,
                             KeyValue(key: "/u", value: bytes("3"), createRevision: r1, modRevision: r3),
                             "value after updates")
        }
    }

    static func deleteConditions(_ factory: @escaping Factory) async throws {
        try await withStorage(factory) { storage in
            try await requireError(.notFound(key: "/d"), "delete of a missing key") {
                try await storage.delete("/d", expectedRevision: nil)
            }
            let r1 = try await storage.create("/d", value: bytes("1"))
            let r2 = try await storage.update("/d", value: bytes("2"), expectedRevision: r1)
            try await requireError(.conflict(key: "/d", current: r2), "stale delete") {
                try await storage.delete("/d", expectedRevision: r1)
            }
            let (r3, deleted) = try await storage.delete("/d", expectedRevision: r2)
            try requireEqual(r3, r2 + 1, "deletion revision")
            try requireEqual(deleted, KeyValue(key: "/d", value: bytes("2"), createRevision: r1, modRevision: r2),
                             "deleted value")
            try requireEqual(try await storage.get("/d").value, nil, "get after delete")
            try await requireError(.notFound(key: "/d"), "second delete") {
                try await storage.delete("/d", expectedRevision: nil)
            }
            try requireEqual(try await storage.count(prefix: "/"), 0, "count after delete")
        }
    }

    static func getValues(_ factory: @escaping Factory) async throws {
        try await withStorage(factory) { storage in
            let missing = try await storage.get("/g/none")
            try require(missing.value == nil && missing.revision == 0, "get on an empty store: \(missing)")
            let value = (0..<1500).map { UInt8(truncatingIfNeeded: $0 * 7) }
            let r1 = try await storage.create("/g/a", value: value)
            let r2 = try await storage.create("/g/b", value: [])
            let a = try await storage.get("/g/a")
            try requireEqual(a.value, KeyValue(key: "/g/a", value: value, createRevision: r1, modRevision: r1), "get /g/a")
            try requireEqual(a.revision, r2, "revision reported by get")
            try requireEqual(try await storage.get("/g/b").value?.value, [], "empty value")
            try requireEqual(try await storage.get("/g/").value, nil, "get of a prefix")
        }
    }

    static func valueSizeLimit(_ factory: @escaping Factory) async throws {
        try await withStorage(factory) { storage in
            let limit = StorageLimits.defaultMaxValueSize
            try await requireError(.valueTooLarge(size: limit + 1, limit: limit), "oversized create") {
                try await storage.create("/big", value: [UInt8](repeating: 1, count: limit + 1))
            }
            let r1 = try await storage.create("/big", value: [UInt8](repeating: 2, count: limit))
            try await requireError(.valueTooLarge(size: limit + 1, limit: limit), "oversized update") {
                try await storage.update("/big", value: [UInt8](repeating: 3, count: limit + 1), expectedRevision: r1)
            }
            let stored = try await storage.get("/big").value
            try require(stored?.value == [UInt8](repeating: 2, count: limit), "value at the size limit reads back")
            try requireEqual(try await storage.currentRevision(), r1, "rejected writes take no revision")
        }
    }

    static func concurrentCreators(_ factory: @escaping Factory) async throws {
        try await withStorage(factory) { storage in
            let base = try await storage.currentRevision()
            let (workers, perWorker) = (16, 25)
            let watch = try await storage.watch(prefix: "/cc/", afterRevision: base)
            let acknowledged = try await withThrowingTaskGroup(of: [(String, Int64)].self) { group in
                for worker in 0..<workers {
                    group.addTask {
                        var written: [(String, Int64)] = []
                        for index in 0..<perWorker {
                            let key = "/cc/\(worker)/\(index)"
                            written.append((key, try await storage.create(key, value: bytes(key))))
                        }
                        return written
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            let total = workers * perWorker
            let revisions = acknowledged.map(\.1).sorted()
            try requireEqual(revisions, Array((base + 1)...(base + Int64(total))), "revisions of concurrent creates")
            for (key, revision) in acknowledged {
                let kv = try await storage.get(key).value
                try requireEqual(kv, KeyValue(key: key, value: bytes(key), createRevision: revision, modRevision: revision),
                                 "acknowledged key \(key)")
            }
            try requireEqual(try await storage.count(prefix: "/cc/"), total, "count after concurrent creates")
            let events = try await collect(watch, count: total)
            try requireEqual(events.map(\.revision), revisions, "watched revisions of concurrent creates")
        }
    }

    static func closedStore(_ factory: @escaping Factory) async throws {
        let storage = try await factory()
        _ = try await storage.create("/c", value: bytes("v"))
        try await storage.close()
        try await requireError(.closed, "get after close") { try await storage.get("/c") }
        try await requireError(.closed, "create after close") { try await storage.create("/d", value: []) }
        try await requireError(.closed, "list after close") {
            try await storage.list(prefix: "/", revision: nil, startKey: nil, limit: nil)
        }
    }
}
