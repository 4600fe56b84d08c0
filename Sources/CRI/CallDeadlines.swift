import Synchronization

/// The deadlines of the calls in flight, checked every `tick` by one task that runs only while there are
/// calls in flight.
///
/// A sleeping task per call (a timer to race the call against, as gRPC's own per-call deadline is) keeps
/// its memory until the deadline even when the call ended in a millisecond: a kubelet that makes a few
/// hundred quick calls a second would hold thousands of them.
final class CallDeadlines: Sendable {
    private struct Entry: Sendable {
        let deadline: ContinuousClock.Instant
        let expire: @Sendable () -> Void
    }

    private struct State: Sendable {
        var next = 0
        var entries: [Int: Entry] = [:]
        var ticking = false
    }

    private let state = Mutex(State())
    let tick: Duration

    init(tick: Duration = .milliseconds(100)) {
        self.tick = tick
    }

    /// Calls `expire` once, within `tick` after `deadline`, unless `remove` came first.
    func add(deadline: ContinuousClock.Instant, expire: @escaping @Sendable () -> Void) -> Int {
        let (id, start) = state.withLock { state -> (Int, Bool) in
            state.next += 1
            state.entries[state.next] = Entry(deadline: deadline, expire: expire)
            defer { state.ticking = true }
            return (state.next, !state.ticking)
        }
        if start { Task { await self.run() } }
        return id
    }

    func remove(_ id: Int) {
        state.withLock { _ = $0.entries.removeValue(forKey: id) }
    }

    /// The number of deadlines being watched.
    var count: Int { state.withLock { $0.entries.count } }

    private func run() async {
        while true {
            try? await Task.sleep(for: tick)
            let now = ContinuousClock.now
            let (expired, done) = state.withLock { state -> ([@Sendable () -> Void], Bool) in
                let due = state.entries.filter { $0.value.deadline <= now }
                for id in due.keys { state.entries[id] = nil }
                if state.entries.isEmpty { state.ticking = false }
                return (due.values.map(\.expire), !state.ticking)
            }
            for expire in expired { expire() }
            if done { return }
        }
    }
}
