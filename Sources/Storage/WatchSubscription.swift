import Synchronization

/// One subscriber of a `WatchBroadcaster`: a bounded buffer of events under a prefix, read with
/// `next()` by a single consumer. Cancelling the consumer's task or calling `cancel()` unsubscribes.
public final class WatchSubscription: Sendable {
    private struct State {
        var buffer: [WatchEvent] = []
        var head = 0
        var waiter: CheckedContinuation<WatchEvent?, Error>?
        /// Set once the subscription ends: nil error for a plain end.
        var end: Result<Void, StorageError>?
        var cancelled = false

        var pending: Int { buffer.count - head }

        mutating func pop() -> WatchEvent? {
            guard head < buffer.count else { return nil }
            let event = buffer[head]
            head += 1
            if head == buffer.count {
                buffer.removeAll(keepingCapacity: buffer.capacity <= 4096)
                head = 0
            } else if head >= 1024 && head * 2 >= buffer.count {
                buffer.removeFirst(head)
                head = 0
            }
            return event
        }
    }

    /// The key prefix this subscription receives events for.
    public let prefix: String
    private let bufferLimit: Int
    private let state = Mutex(State())
    private let unsubscribe: @Sendable () -> Void

    init(prefix: String, bufferLimit: Int, unsubscribe: @escaping @Sendable () -> Void) {
        self.prefix = prefix
        self.bufferLimit = bufferLimit
        self.unsubscribe = unsubscribe
    }

    /// Appends the events under the prefix. Returns false when the subscription overflowed (it is then
    /// ended with the overflow error and must be dropped) or has already ended.
    func enqueue(_ events: [WatchEvent]) -> Bool {
        enum Action { case none, deliver(CheckedContinuation<WatchEvent?, Error>, WatchEvent), fail(CheckedContinuation<WatchEvent?, Error>) }
        let prefix = self.prefix
        let (keep, action): (Bool, Action) = state.withLock { state in
            guard state.end == nil, !state.cancelled else { return (false, .none) }
            for event in events where KeyOrder.hasPrefix(event.kv.key, prefix) {
                if state.pending >= bufferLimit {
                    state.buffer = []
                    state.head = 0
                    state.end = .failure(WatchBroadcaster.overflowError)
                    if let waiter = state.waiter {
                        state.waiter = nil
                        return (false, .fail(waiter))
                    }
                    return (false, .none)
                }
                state.buffer.append(event)
            }
            if let waiter = state.waiter, let event = state.pop() {
                state.waiter = nil
                return (true, .deliver(waiter, event))
            }
            return (true, .none)
        }
        switch action {
        case .none: break
        case .deliver(let waiter, let event): waiter.resume(returning: event)
        case .fail(let waiter): waiter.resume(throwing: WatchBroadcaster.overflowError)
        }
        return keep
    }

    /// Ends the subscription once the buffered events are consumed: `next()` then throws `error`.
    func finish(throwing error: StorageError?) {
        let waiter: CheckedContinuation<WatchEvent?, Error>? = state.withLock { state in
            guard state.end == nil else { return nil }
            state.end = error.map { .failure($0) } ?? .success(())
            guard state.pending == 0 else { return nil }
            defer { state.waiter = nil }
            return state.waiter
        }
        if let error { waiter?.resume(throwing: error) } else { waiter?.resume(returning: nil) }
    }

    /// The next event, waiting for one if none is buffered. Returns nil after `cancel()` or when the
    /// consumer's task is cancelled; throws the error the subscription was ended with.
    public func next() async throws -> WatchEvent? {
        enum Immediate { case event(WatchEvent), end(Result<Void, StorageError>), wait }
        let immediate: Immediate = state.withLock { state in
            if let event = state.pop() { return .event(event) }
            if state.cancelled { return .end(.success(())) }
            if let end = state.end { return .end(end) }
            return .wait
        }
        switch immediate {
        case .event(let event): return event
        case .end(.success): return nil
        case .end(.failure(let error)): throw error
        case .wait: break
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<WatchEvent?, Error>) in
                enum Outcome { case event(WatchEvent), end(Result<Void, StorageError>), parked }
                let outcome: Outcome = state.withLock { state in
                    if let event = state.pop() { return .event(event) }
                    if state.cancelled { return .end(.success(())) }
                    if let end = state.end { return .end(end) }
                    state.waiter = continuation
                    return .parked
                }
                switch outcome {
                case .event(let event): continuation.resume(returning: event)
                case .end(.success): continuation.resume(returning: nil)
                case .end(.failure(let error)): continuation.resume(throwing: error)
                case .parked: break
                }
            }
        } onCancel: {
            self.cancel()
        }
    }

    /// Unsubscribes: drops buffered events and makes `next()` return nil.
    public func cancel() {
        let waiter: CheckedContinuation<WatchEvent?, Error>? = state.withLock { state in
            guard !state.cancelled else { return nil }
            state.cancelled = true
            state.buffer = []
            state.head = 0
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: nil)
        unsubscribe()
    }
}
