/// kube-scheduler's scheduling queue, keyed by pod (`namespace/name`):
/// - the active queue, popped by priority (highest first), then by arrival;
/// - the backoff queue: a pod that failed waits 1 s, doubling per attempt up to 10 s;
/// - the unschedulable pool: a pod no node can take waits for a cluster event that may change that
///   (`moveAllToActiveOrBackoff`), or at most `unschedulableTimeout` (5 minutes).
/// A pod that failed while a move request arrived goes to the backoff queue, not the pool, so that
/// the event is not missed.
public actor SchedulingQueue {
    public let initialBackoff: Duration
    public let maxBackoff: Duration
    public let unschedulableTimeout: Duration
    let clock = ContinuousClock()

    struct HeapEntry {
        var key: String
        var priority: Int64
        var arrival: UInt64
        var version: UInt64

        /// Whether `self` pops before `other`.
        func before(_ other: HeapEntry) -> Bool {
            priority != other.priority ? priority > other.priority : arrival < other.arrival
        }
    }

    struct PodState {
        var priority: Int64
        var arrival: UInt64
        var attempts = 0
        var lastFailure: ContinuousClock.Instant?
    }

    var heap: [HeapEntry] = []
    /// Key -> version of its live heap entry (older entries are skipped when popped).
    var active: [String: UInt64] = [:]
    var backoff: Set<String> = []
    /// Key -> when it entered the pool.
    var unschedulable: [String: ContinuousClock.Instant] = [:]
    var inFlight: [String: UInt64] = [:]
    var pods: [String: PodState] = [:]
    var sequence: UInt64 = 0
    var schedulingCycle: UInt64 = 0
    var moveRequestCycle: UInt64 = 0
    var waiters: [CheckedContinuation<(key: String, cycle: UInt64)?, Never>] = []
    var closed = false

    public init(initialBackoff: Duration = .seconds(1), maxBackoff: Duration = .seconds(10),
                unschedulableTimeout: Duration = .seconds(300)) {
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
        self.unschedulableTimeout = unschedulableTimeout
    }

    // MARK: Pods

    /// A pod to schedule (new, or seen again): queued unless it is already known.
    public func add(_ key: String, priority: Int64) {
        if var state = pods[key] {
            if state.priority != priority {
                state.priority = priority
                pods[key] = state
                if active[key] != nil { push(key) }
            }
            return
        }
        sequence += 1
        pods[key] = PodState(priority: priority, arrival: sequence)
        push(key)
    }

    /// A pending pod changed. A changed spec or labels may make it schedulable: it leaves the pool.
    public func update(_ key: String, priority: Int64, specChanged: Bool) {
        guard pods[key] != nil else { return add(key, priority: priority) }
        pods[key]?.priority = priority
        if active[key] != nil {
            push(key)
        } else if specChanged, unschedulable[key] != nil {
            unschedulable[key] = nil
            activateOrBackoff(key, now: clock.now)
        }
    }

    /// The pod is gone or bound: forget it.
    public func delete(_ key: String) {
        pods[key] = nil
        active[key] = nil
        backoff.remove(key)
        unschedulable[key] = nil
    }

    /// The next pod to schedule and the scheduling cycle it belongs to; waits while the active queue is
    /// empty; nil once the queue is closed or the task cancelled.
    public func pop() async -> (key: String, cycle: UInt64)? {
        if let next = popActive() { return next }
        if closed || Task.isCancelled { return nil }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                waiters.append(continuation)
                wake()
            }
        } onCancel: {
            Task { await self.close() }
        }
    }

    func popActive() -> (key: String, cycle: UInt64)? {
        while !heap.isEmpty {
            let top = heapPop()
            guard active[top.key] == top.version else { continue }
            active[top.key] = nil
            schedulingCycle += 1
            inFlight[top.key] = schedulingCycle
            return (top.key, schedulingCycle)
        }
        return nil
    }

    /// Hands queued pods to waiting `pop` calls (or nil to all when closed).
    func wake() {
        while !waiters.isEmpty {
            if closed {
                waiters.removeFirst().resume(returning: nil)
                continue
            }
            guard let next = popActive() else { return }
            waiters.removeFirst().resume(returning: next)
        }
    }

    /// The pod was scheduled (or its attempt ended without a verdict): it leaves the queue.
    public func done(_ key: String) {
        inFlight[key] = nil
    }

    /// The pod's attempt in `cycle` failed. An unschedulable pod waits in the pool for a cluster event
    /// (unless one came during the attempt); an error (a failed write) backs off.
    public func failed(_ key: String, cycle: UInt64, unschedulable isUnschedulable: Bool) {
        inFlight[key] = nil
        guard var state = pods[key] else { return }
        let now = clock.now
        state.attempts += 1
        state.lastFailure = now
        pods[key] = state
        guard active[key] == nil, !backoff.contains(key), unschedulable[key] == nil else { return }
        if isUnschedulable, moveRequestCycle < cycle {
            unschedulable[key] = now
        } else {
            backoff.insert(key)
        }
    }

    /// A cluster event that may make pods schedulable: every pod of the pool goes back to the active
    /// queue, or to the backoff queue while it still backs off.
    public func moveAllToActiveOrBackoff() {
        moveRequestCycle = schedulingCycle
        let now = clock.now
        let keys = unschedulable.keys
        unschedulable.removeAll()
        for key in keys { activateOrBackoff(key, now: now) }
    }

    /// Moves pods whose backoff ended to the active queue, and pods in the pool longer than
    /// `unschedulableTimeout` out of it. Call periodically.
    public func flush() {
        let now = clock.now
        for key in backoff where backoffExpiry(key) <= now {
            backoff.remove(key)
            push(key)
        }
        for (key, since) in unschedulable where now - since >= unschedulableTimeout {
            unschedulable[key] = nil
            activateOrBackoff(key, now: now)
        }
    }

    /// Ends every waiting and future `pop`.
    public func close() {
        closed = true
        wake()
    }

    func activateOrBackoff(_ key: String, now: ContinuousClock.Instant) {
        if backoffExpiry(key) > now { backoff.insert(key) } else { push(key) }
    }

    /// The backoff of a pod that failed `attempts` times: 1 s doubling, at most 10 s.
    public func backoffDuration(attempts: Int) -> Duration {
        guard attempts > 0 else { return .zero }
        var duration = initialBackoff
        for _ in 1..<attempts {
            duration *= 2
            if duration >= maxBackoff { return maxBackoff }
        }
        return min(duration, maxBackoff)
    }

    func backoffExpiry(_ key: String) -> ContinuousClock.Instant {
        guard let state = pods[key], let last = state.lastFailure else { return clock.now - .seconds(1) }
        return last + backoffDuration(attempts: state.attempts)
    }

    // MARK: Inspection

    /// How many pods each queue holds.
    public var counts: (active: Int, backoff: Int, unschedulable: Int) { (active.count, backoff.count, unschedulable.count) }

    public func isUnschedulable(_ key: String) -> Bool { unschedulable[key] != nil }

    // MARK: Heap

    func push(_ key: String) {
        guard let state = pods[key] else { return }
        sequence += 1
        active[key] = sequence
        heap.append(HeapEntry(key: key, priority: state.priority, arrival: state.arrival, version: sequence))
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].before(heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
        wake()
    }

    func heapPop() -> HeapEntry {
        let top = heap[0]
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1, right = left + 1
                var best = parent
                if left < heap.count, heap[left].before(heap[best]) { best = left }
                if right < heap.count, heap[right].before(heap[best]) { best = right }
                if best == parent { break }
                heap.swapAt(parent, best)
                parent = best
            }
        }
        return top
    }
}
