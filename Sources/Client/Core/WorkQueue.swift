/// A controller's queue of keys, as client-go's rate-limited work queue:
/// - `add` deduplicates: a key waiting in the queue is queued once however often it is added;
/// - a key being processed (handed out by `get`, not yet `done`) is never handed out again before
///   `done`; added meanwhile, it is queued again when `done` is called;
/// - `addRateLimited` re-adds after a per-key exponential backoff (5 ms doubling up to 1000 s by
///   default), reset by `forget`; `addAfter` re-adds after a delay;
/// - after `shutDown` nothing new is added; `get` still hands out what is queued, then answers nil.
public actor WorkQueue<Key: Hashable & Sendable> {
    public let baseDelay: Duration
    public let maxDelay: Duration

    private var queue: [Key] = []
    private var head = 0
    private var dirty: Set<Key> = []
    private var processing: Set<Key> = []
    private var failures: [Key: Int] = [:]
    private var waiters: [(id: Int, continuation: CheckedContinuation<Key?, Never>)] = []
    private var nextWaiterID = 0
    private var delayed: [Int: Task<Void, Never>] = [:]
    private var dueTimes: [Key: ContinuousClock.Instant] = [:]
    private var nextDelayedID = 0
    private var shuttingDown = false
    private var drainWaiters: [CheckedContinuation<Void, Never>] = []

    public init(baseDelay: Duration = .milliseconds(5), maxDelay: Duration = .seconds(1000)) {
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
    }

    /// Keys waiting to be handed out.
    public var count: Int { queue.count - head }
    public var isShuttingDown: Bool { shuttingDown }
    /// Keys handed out and not yet done.
    public var processingCount: Int { processing.count }

    public func add(_ key: Key) {
        guard !shuttingDown, !dirty.contains(key) else { return }
        dirty.insert(key)
        if processing.contains(key) { return }
        enqueue(key)
    }

    private func enqueue(_ key: Key) {
        if !waiters.isEmpty {
            let waiter = waiters.removeFirst()
            dirty.remove(key)
            processing.insert(key)
            waiter.continuation.resume(returning: key)
        } else {
            queue.append(key)
        }
    }

    /// The next key to process (marked processing until `done`); waits for one. Nil once the queue is
    /// shut down and empty, or when the calling task is cancelled.
    public func get() async -> Key? {
        if let key = popNext() { return key }
        if shuttingDown || Task.isCancelled { return nil }
        let id = nextWaiterID
        nextWaiterID += 1
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Key?, Never>) in
                if Task.isCancelled {
                    continuation.resume(returning: nil)
                } else {
                    waiters.append((id, continuation))
                }
            }
        } onCancel: {
            Task { await self.cancelWaiter(id) }
        }
    }

    private func cancelWaiter(_ id: Int) {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return }
        waiters.remove(at: index).continuation.resume(returning: nil)
    }

    private func popNext() -> Key? {
        guard head < queue.count else { return nil }
        let key = queue[head]
        head += 1
        if head > 64 && head * 2 > queue.count {
            queue.removeFirst(head)
            head = 0
        }
        dirty.remove(key)
        processing.insert(key)
        return key
    }

    /// Marks `key` processed; if it was added meanwhile, it is queued again.
    public func done(_ key: Key) {
        processing.remove(key)
        if dirty.contains(key) {
            enqueue(key)
        }
        if processing.isEmpty && shuttingDown && count == 0 {
            for waiter in drainWaiters { waiter.resume() }
            drainWaiters.removeAll()
        }
    }

    /// Adds `key` after `delay`. A key already due at or before then is not scheduled again (a
    /// controller re-checking a deadline every period keeps one timer per key, not one per check).
    public func addAfter(_ key: Key, delay: Duration) {
        guard !shuttingDown else { return }
        if delay <= .zero {
            add(key)
            return
        }
        let due = ContinuousClock.now + delay
        if let pending = dueTimes[key], pending <= due { return }
        dueTimes[key] = due
        let id = nextDelayedID
        nextDelayedID += 1
        delayed[id] = Task {
            try? await Task.sleep(until: due, clock: .continuous)
            self.fireDelayed(id, key, due: due)
        }
    }

    private func fireDelayed(_ id: Int, _ key: Key, due: ContinuousClock.Instant) {
        guard delayed.removeValue(forKey: id) != nil, !Task.isCancelled else { return }
        if dueTimes[key] == due { dueTimes[key] = nil }
        add(key)
    }

    /// Keys waiting in `addAfter`, by when they are due.
    public var delayedCount: Int { dueTimes.count }

    /// Re-adds `key` after its backoff, which doubles with each call until `forget`.
    public func addRateLimited(_ key: Key) {
        addAfter(key, delay: nextDelay(key))
    }

    /// The backoff the next `addRateLimited` of `key` waits, and counts it.
    func nextDelay(_ key: Key) -> Duration {
        let failures = self.failures[key, default: 0]
        self.failures[key] = failures + 1
        return backoff(failures: failures)
    }

    /// The backoff after `failures` earlier failures: base * 2^failures, at most maxDelay.
    public func backoff(failures: Int) -> Duration {
        if failures >= 62 { return maxDelay }
        return min(baseDelay * (Int64(1) << Int64(failures)), maxDelay)
    }

    /// How often `key` has been re-added with `addRateLimited` since it was last forgotten.
    public func numRequeues(_ key: Key) -> Int { failures[key, default: 0] }

    /// Resets the backoff of `key` (call after processing it succeeded).
    public func forget(_ key: Key) { failures[key] = nil }

    /// Stops accepting keys; waiting `get`s answer nil once what is queued has been handed out.
    public func shutDown() {
        shuttingDown = true
        for task in delayed.values { task.cancel() }
        delayed.removeAll()
        dueTimes.removeAll()
        if count == 0 {
            for waiter in waiters { waiter.continuation.resume(returning: nil) }
            waiters.removeAll()
        }
        if processing.isEmpty && count == 0 {
            for waiter in drainWaiters { waiter.resume() }
            drainWaiters.removeAll()
        }
    }

    /// Shuts down and waits until every queued key has been handed out and every handed-out key is done.
    public func shutDownWithDrain() async {
        shutDown()
        if processing.isEmpty && count == 0 { return }
        await withCheckedContinuation { drainWaiters.append($0) }
    }
}
