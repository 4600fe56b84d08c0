import Storage
import StorageSQLite
import Testing

@Suite("WatchBroadcaster")
struct WatchBroadcasterTests {
    static func event(_ key: String, _ revision: Int64) -> WatchEvent {
        WatchEvent(kind: .created, kv: KeyValue(key: key, value: [], createRevision: revision, modRevision: revision))
    }

    @Test("delivers matching events in order and ends an overflowing subscriber without blocking")
    func overflow() async throws {
        let broadcaster = WatchBroadcaster(bufferLimit: 5)
        let slow = broadcaster.subscribe(prefix: "/a/")
        let other = broadcaster.subscribe(prefix: "/b/")
        broadcaster.publish((1...3).map { Self.event("/a/\($0)", Int64($0)) } + [Self.event("/b/1", 4)])
        #expect(try await slow.next()?.revision == 1)
        broadcaster.publish((5...9).map { Self.event("/a/\($0)", Int64($0)) })
        await #expect(throws: StorageError.backend("watch buffer overflow")) { try await slow.next() }
        #expect(broadcaster.subscriberCount == 1)
        #expect(try await other.next()?.revision == 4)
        broadcaster.finishAll(throwing: .closed)
        await #expect(throws: StorageError.closed) { try await other.next() }
    }

    @Test("a watch that is not read does not block writers and ends with the overflow error")
    func slowWatcher() async throws {
        let storage = MemoryStorage(watchBufferLimit: 10)
        let stream = try await storage.watch(prefix: "/", afterRevision: 0)
        for index in 0..<50 { _ = try await storage.create("/k/\(index)", value: []) }
        var received = 0
        await #expect(throws: StorageError.backend("watch buffer overflow")) {
            for try await _ in stream { received += 1 }
        }
        #expect(received <= 50)
        await storage.close()
    }

    @Test("dropping or cancelling a watch unsubscribes it")
    func unsubscribe() async throws {
        let broadcaster = WatchBroadcaster()
        let subscription = broadcaster.subscribe(prefix: "/")
        let waiter = Task { try await subscription.next() }
        try await Task.sleep(for: .milliseconds(20))
        waiter.cancel()
        #expect(try await waiter.value == nil)
        #expect(broadcaster.subscriberCount == 0)

    }

    /// Polls `condition` for up to two seconds.
    static func eventually(_ condition: () -> Bool) async -> Bool {
        for _ in 0..<200 {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return condition()
    }

    @Test("dropping a watch stream unsubscribes it", arguments: ["memory", "sqlite"])
    func dropStream(backend: String) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let memory = MemoryStorage()
        let sqlite = backend == "sqlite" ? try SQLiteStorage(path: directory.databasePath()) : nil
        let storage: any Storage = sqlite ?? memory
        let watchCount = { sqlite?.activeWatchCount ?? memory.activeWatchCount }
        let before = try await storage.currentRevision()
        var stream: AsyncThrowingStream<WatchEvent, Error>? = try await storage.watch(prefix: "/", afterRevision: before)
        #expect(watchCount() == 1)
        _ = try await storage.create("/a", value: [])
        if let events = stream {
            for try await event in events {
                #expect(event.kv.key == "/a")
                break
            }
        }
        stream = nil
        // The cursor actor's executor may release it a moment after the last event is returned.
        #expect(await Self.eventually { watchCount() == 0 })

        let cancelled = try await storage.watch(prefix: "/", afterRevision: before)
        let consumer = Task { for try await _ in cancelled {} }
        try await Task.sleep(for: .milliseconds(20))
        consumer.cancel()
        // Ending normally and throwing CancellationError are both fine ends for a cancelled consumer.
        if case .failure(let error) = await consumer.result { #expect(error is CancellationError) }
        #expect(await Self.eventually { watchCount() == 0 })
        try await storage.close()
    }
}
