import Storage

extension StorageConformance {
    static let listChecks: [Check] = [
        Check(name: "list prefix isolation and key order", run: listPrefixAndOrder),
        Check(name: "list paging with limit and startKey", run: listPaging),
        Check(name: "list at an older revision", run: listAtRevision),
        Check(name: "count", run: countKeys),
        Check(name: "list at a future revision", run: listFutureRevision),
    ]

    static func keys(_ result: ListResult) -> [String] { result.items.map(\.key) }

    static func listPrefixAndOrder(_ factory: @escaping Factory) async throws {
        try await withStorage(factory) { storage in
            for key in ["/a/2", "/a/1", "/ab/1", "/a/3", "/b/1", "/a/10", "/a"] {
                _ = try await storage.create(key, value: bytes(key))
            }
            let gone = try await storage.create("/a/4", value: bytes("x"))
            _ = try await storage.delete("/a/4", expectedRevision: gone)
            let current = try await storage.currentRevision()
            let a = try await storage.list(prefix: "/a/", revision: nil, startKey: nil, limit: nil)
            try requireEqual(keys(a), ["/a/1", "/a/10", "/a/2", "/a/3"], "keys under /a/")
            try requireEqual(a.items.map(\.value), ["/a/1", "/a/10", "/a/2", "/a/3"].map(bytes), "values under /a/")
            try require(!a.more && a.revision == current, "list metadata: more \(a.more), revision \(a.revision)")
            let ab = try await storage.list(prefix: "/ab/", revision: nil, startKey: nil, limit: nil)
            try requireEqual(keys(ab), ["/ab/1"], "keys under /ab/")
            let all = try await storage.list(prefix: "/", revision: nil, startKey: nil, limit: nil)
            try requireEqual(keys(all), ["/a", "/a/1", "/a/10", "/a/2", "/a/3", "/ab/1", "/b/1"], "keys under /")
            let none = try await storage.list(prefix: "/c/", revision: nil, startKey: nil, limit: nil)
            try require(none.items.isEmpty && !none.more, "empty prefix lists nothing: \(keys(none))")
        }
    }

    static func listPaging(_ factory: @escaping Factory) async throws {
        try await withStorage(factory) { storage in
            let all = (0..<10).map { "/p/0\($0)" }
            for key in all { _ = try await storage.create(key, value: bytes(key)) }
            _ = try await storage.create("/q/00", value: [])
            let first = try await storage.list(prefix: "/p/", revision: nil, startKey: nil, limit: 4)
            try requireEqual(keys(first), Array(all[0..<4]), "first page")
            try require(first.more, "first page says more")
            let at = first.revision
            _ = try await storage.delete("/p/05", expectedRevision: nil)
            _ = try await storage.create("/p/055", value: [])
            let second = try await storage.list(prefix: "/p/", revision: at, startKey: "/p/03\u{0}", limit: 4)
            try requireEqual(keys(second), Array(all[4..<8]), "second page at the first page's revision")
            try require(second.more && second.revision == at, "second page metadata")
            let last = try await storage.list(prefix: "/p/", revision: at, startKey: "/p/08", limit: 4)
            try requireEqual(keys(last), Array(all[8..<10]), "last page")
            try require(!last.more, "last page says no more")
            let exact = try await storage.list(prefix: "/p/", revision: at, startKey: "/p/06", limit: 4)
            try requireEqual(keys(exact), Array(all[6..<10]), "page ending exactly at the last key")
            try require(!exact.more, "page ending exactly at the last key says no more")
            let now = try await storage.list(prefix: "/p/", revision: nil, startKey: "/p/04", limit: 3)
            try requireEqual(keys(now), ["/p/04", "/p/055", "/p/06"], "page of the current state")
            let before = try await storage.list(prefix: "/p/", revision: nil, startKey: "/a", limit: 2)
            try requireEqual(keys(before), ["/p/00", "/p/01"], "startKey before the prefix")
        }
    }

    static func listAtRevision(_ factory: @escaping Factory) async throws {
        try await withStorage(factory) { storage in
            let r1 = try await storage.create("/r/a", value: bytes("a1"))
            let r2 = try await storage.create("/r/b", value: bytes("b1"))
            let r3 = try await storage.update("/r/a", value: bytes("a2"), expectedRevision: r1)
            let r4 = try await storage.delete("/r/b", expectedRevision: r2).revision
            let r5 = try await storage.create("/r/c", value: bytes("c1"))
            let a1 = KeyValue(key: "/r/a", value: bytes("a1"), createRevision: r1, modRevision: r1)
            let a2 = KeyValue(key: "/r/a", value: bytes("a2"), createRevision: r1, modRevision: r3)
            let b1 = KeyValue(key: "/r/b", value: bytes("b1"), createRevision: r2, modRevision: r2)
            let c1 = KeyValue(key: "/r/c", value: bytes("c1"), createRevision: r5, modRevision: r5)
            let expected: [(Int64, [KeyValue])] = [(0, []), (r1, [a1]), (r2, [a1, b1]), (r3, [a2, b1]), (r4, [a2]),
                                                   (r5, [a2, c1])]
            for (revision, items) in expected {
                let result = try await storage.list(prefix: "/r/", revision: revision, startKey: nil, limit: nil)
                try requireEqual(result.items, items, "list at revision \(revision)")
                try requireEqual(result.revision, revision, "revision of the list at \(revision)")
            }
        }
    }

    static func countKeys(_ factory: @escaping Factory) async throws {
        try await withStorage(factory) { storage in
            try requireEqual(try await storage.count(prefix: "/"), 0, "count of an empty store")
            for key in ["/c/1", "/c/2", "/c/3", "/cd/1", "/e"] { _ = try await storage.create(key, value: []) }
            _ = try await storage.update("/c/1", value: bytes("x"), expectedRevision: nil)
            try requireEqual(try await storage.count(prefix: "/c/"), 3, "count under /c/")
            try requireEqual(try await storage.count(prefix: "/cd/"), 1, "count under /cd/")
            _ = try await storage.delete("/c/2", expectedRevision: nil)
            try requireEqual(try await storage.count(prefix: "/c/"), 2, "count after a delete")
            try requireEqual(try await storage.count(prefix: ""), 4, "count of everything")
        }
    }

    static func listFutureRevision(_ factory: @escaping Factory) async throws {
        try await withStorage(factory) { storage in
            _ = try await storage.create("/f", value: [])
            let current = try await storage.currentRevision()
            try await requireError(.futureRevision(requested: current + 1, current: current), "list in the future") {
                try await storage.list(prefix: "/", revision: current + 1, startKey: nil, limit: nil)
            }
            try requireEqual(try await storage.list(prefix: "/", revision: current, startKey: nil, limit: nil).items.count,
                             1, "list at the current revision")
        }
    }
}
