import Storage

extension StorageConformance {
    static let watchChecks: [Check] = [
        Check(name: "watch from revision 0 replays everything", run: watchReplayAll),
        Check(name: "watch from a middle revision", run: watchFromMiddle),
        Check(name: "watch receives live events", run: watchLive),
        Check(name: "watch filters by prefix", run: watchPrefix),
    ]

    static func summary(_ events: [WatchEvent]) -> [String] {
        events.map { "\($0.kind) \($0.kv.key)@\($0.revision)" }
    }

    static func watchReplayAll(_ factory: @escaping Factory) async throws {
        try await withStorage(factory) { storage in
            let r1 = try await storage.create("/w/a", value: bytes("a1"))
            let r2 = try await storage.update("/w/a", value: bytes("a2"), expectedRevision: r1)
            let r3 = try await storage.create("/w/b", value: bytes("b1"))
            let r4 = try await storage.delete("/w/a", expectedRevision: r2).revision
            let events = try await collect(try await storage.watch(prefix: "/w/", afterRevision: 0), count: 4)
            try requireEqual(events, [
                WatchEvent(kind: .created, kv: KeyValue(key: "/w/a", value: bytes("a1"), createRevision: r1, modRevision: r1)),
                WatchEvent(kind: .updated, kv: KeyValue(key: "/w/a", value: bytes("a2"), createRevision: r1, modRevision: r2)),
                WatchEvent(kind: .created, kv: KeyValue(key: "/w/b", value: bytes("b1"), createRevision: r3, modRevision: r3)),
                WatchEvent(kind: .deleted, kv: KeyValue(key: "/w/a", value: bytes("a2"), createRevision: r1, modRevision: r4)),
            ], "replayed events")
        }
    }

    static func watchFromMiddle(_ factory: @escaping Factory) async throws {
        try await withStorage(factory) { storage in
            var revisions: [Int64] = []
            for index in 0..<6 { revisions.append(try await storage.create("/m/\(index)", value: [])) }
            let stream = try await storage.watch(prefix: "/m/", afterRevision: revisions[2])
            revisions.append(try await storage.update("/m/0", value: bytes("x"), expectedRevision: nil))
            let events = try await collect(stream, count: 4)
            try requireEqual(summary(events), [
                "created /m/3@\(revisions[3])", "created /m/4@\(revisions[4])", "created /m/5@\(revisions[5])",
                "updated /m/0@\(revisions[6])",
            ], "events after revision \(revisions[2])")
            // The update was both replayed and buffered live: it must not come again.
            let next = try await storage.create("/m/6", value: [])
            try requireEqual(summary(try await collect(stream, count: 1)), ["created /m/6@\(next)"],
                             "the event after the replayed ones")
        }
    }

    static func watchLive(_ factory: @escaping Factory) async throws {
        try await withStorage(factory) { storage in
            _ = try await storage.create("/l/old", value: bytes("o"))
            let stream = try await storage.watch(prefix: "/l/", afterRevision: try await storage.currentRevision())
            let r1 = try await storage.create("/l/a", value: bytes("a1"))
            let r2 = try await storage.update("/l/a", value: bytes("a2"), expectedRevision: r1)
            let (r3, deleted) = try await storage.delete("/l/old", expectedRevision: nil)
            let events = try await collect(stream, count: 3)
            try requireEqual(summary(events), ["created /l/a@\(r1)", "updated /l/a@\(r2)", "deleted /l/old@\(r3)"],
                             "live events")
            try requireEqual(events[1].kv.value, bytes("a2"), "value of an update event")
            try requireEqual(events[2].kv, KeyValue(key: "/l/old", value: bytes("o"), createRevision: deleted.createRevision,
                                                    modRevision: r3), "delete event carries the last value")
            let r4 = try await storage.create("/l/b", value: [])
            try requireEqual(summary(try await collect(stream, count: 1)), ["created /l/b@\(r4)"], "a later live event")
        }
    }

    static func watchPrefix(_ factory: @escaping Factory) async throws {
        try await withStorage(factory) { storage in
            let r1 = try await storage.create("/x/1", value: [])
            _ = try await storage.create("/xy/1", value: [])
            _ = try await storage.create("/y/1", value: [])
            let stream = try await storage.watch(prefix: "/x/", afterRevision: 0)
            _ = try await storage.create("/xy/2", value: [])
            let r2 = try await storage.create("/x/2", value: [])
            _ = try await storage.create("/y/2", value: [])
            let r3 = try await storage.create("/x/3", value: [])
            let events = try await collect(stream, count: 3)
            try requireEqual(summary(events), ["created /x/1@\(r1)", "created /x/2@\(r2)", "created /x/3@\(r3)"],
                             "events under /x/")
        }
    }
}
