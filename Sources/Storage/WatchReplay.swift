/// Builds the stream a backend's `watch` returns: first the stored history after a revision, then live
/// events from a broadcaster subscription, gap-free and without duplicates.
///
/// The caller subscribes before calling `stream`, so every event committed after the subscription is
/// buffered live; the history read that follows sees everything committed before it. Live events at or
/// below the last replayed revision are skipped. History is read page by page as the consumer pulls,
/// so a slow consumer never makes the replay buffer unboundedly.
public enum WatchReplay {
    /// Reads up to `limit` stored events after revision `after`, in revision order. Throws
    /// `StorageError.compacted` when `after` is older than the retained history.
    public typealias HistoryPage = @Sendable (_ after: Int64, _ limit: Int) async throws -> [WatchEvent]

    public static func stream(
        subscription: WatchSubscription,
        afterRevision: Int64,
        pageSize: Int = 1000,
        history: @escaping HistoryPage
    ) -> AsyncThrowingStream<WatchEvent, Error> {
        let cursor = WatchCursor(subscription: subscription, after: afterRevision,
                                 pageSize: max(pageSize, 1), history: history)
        return AsyncThrowingStream(unfolding: { try await cursor.next() })
    }
}

/// The state of one watch stream: replaying history pages, then reading the live subscription.
/// Owned by the stream alone; dropping the stream unsubscribes.
actor WatchCursor {
    private let subscription: WatchSubscription
    private let history: WatchReplay.HistoryPage
    private let pageSize: Int
    private var last: Int64
    private var page: [WatchEvent] = []
    private var index = 0
    private var replaying = true
    private var lastPage = false

    init(subscription: WatchSubscription, after: Int64, pageSize: Int, history: @escaping WatchReplay.HistoryPage) {
        self.subscription = subscription
        self.last = after
        self.pageSize = pageSize
        self.history = history
    }

    deinit {
        subscription.cancel()
    }

    func next() async throws -> WatchEvent? {
        do {
            while replaying {
                if index < page.count {
                    let event = page[index]
                    index += 1
                    last = event.revision
                    return event
                }
                if lastPage {
                    replaying = false
                    break
                }
                page = try await history(last, pageSize)
                index = 0
                lastPage = page.count < pageSize
            }
            page = []
            while let event = try await subscription.next() {
                if event.revision > last {
                    last = event.revision
                    return event
                }
            }
            return nil
        } catch {
            subscription.cancel()
            throw error
        }
    }
}
