import Synchronization

/// Fans committed events out to watch subscribers. Each subscriber names a key prefix and receives the
/// matching events in the order they were published. Publishing never blocks: every subscriber has its
/// own bounded buffer, and one that falls more than `bufferLimit` events behind is ended with
/// `StorageError.backend("watch buffer overflow")` instead of slowing writers down.
///
/// Backends publish from one serial context (the writer), in revision order.
public final class WatchBroadcaster: Sendable {
    /// The overflow error a lagging subscriber's stream ends with.
    public static let overflowError = StorageError.backend("watch buffer overflow")

    private struct State {
        var nextID = 0
        var subscribers: [Int: WatchSubscription] = [:]
        var finished: StorageError?
    }

    private let state = Mutex(State())
    /// The most events one subscriber may hold undelivered.
    public let bufferLimit: Int

    public init(bufferLimit: Int = StorageLimits.defaultWatchBufferLimit) {
        self.bufferLimit = max(bufferLimit, 1)
    }

    /// Registers a subscriber for events under `prefix`. Events published after this call returns are
    /// delivered to it; after `finishAll` the subscription ends at once.
    public func subscribe(prefix: String) -> WatchSubscription {
        state.withLock { state in
            let id = state.nextID
            state.nextID += 1
            let subscription = WatchSubscription(prefix: prefix, bufferLimit: bufferLimit) { [weak self] in
                self?.remove(id)
            }
            if let error = state.finished {
                subscription.finish(throwing: error)
            } else {
                state.subscribers[id] = subscription
            }
            return subscription
        }
    }

    /// Delivers committed events, which must be in increasing revision order, to every matching
    /// subscriber. Never waits for a consumer.
    public func publish(_ events: [WatchEvent]) {
        guard !events.isEmpty else { return }
        state.withLock { state in
            var dropped: [Int] = []
            for (id, subscriber) in state.subscribers where !subscriber.enqueue(events) {
                dropped.append(id)
            }
            for id in dropped { state.subscribers[id] = nil }
        }
    }

    /// Ends every subscription (after it has delivered what it holds) and refuses new ones.
    public func finishAll(throwing error: StorageError) {
        let subscribers = state.withLock { state in
            state.finished = error
            defer { state.subscribers = [:] }
            return Array(state.subscribers.values)
        }
        for subscriber in subscribers { subscriber.finish(throwing: error) }
    }

    /// The number of live subscriptions.
    public var subscriberCount: Int { state.withLock { $0.subscribers.count } }

    private func remove(_ id: Int) {
        _ = state.withLock { $0.subscribers.removeValue(forKey: id) }
    }
}
