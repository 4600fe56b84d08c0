import Client
import Synchronization
import Testing

@Suite struct WorkQueueTests {
    @Test func addDeduplicates() async {
        let queue = WorkQueue<String>()
        await queue.add("a")
        await queue.add("b")
        await queue.add("a")
        #expect(await queue.count == 2)
        #expect(await queue.get() == "a")
        #expect(await queue.get() == "b")
        #expect(await queue.count == 0)
    }

    @Test func aKeyBeingProcessedIsNotHandedOutAgainUntilDone() async throws {
        let queue = WorkQueue<String>()
        await queue.add("a")
        #expect(await queue.get() == "a")
        await queue.add("a")
        await queue.add("a")
        #expect(await queue.count == 0)

        // A second worker waiting now gets nothing until "a" is done.
        let second = Task { await queue.get() }
        try await Task.sleep(for: .milliseconds(30))
        await queue.add("b")
        #expect(await second.value == "b")
        #expect(await queue.processingCount == 2)
        await queue.done("a")
        #expect(await queue.count == 1)
        #expect(await queue.get() == "a")
        await queue.done("a")
        await queue.done("b")
        #expect(await queue.count == 0)
        #expect(await queue.processingCount == 0)
    }

    @Test func concurrentWorkersNeverProcessOneKeyTwiceAtOnce() async {
        let queue = WorkQueue<Int>()
        final class Counters: Sendable {
            let active = Mutex<Set<Int>>([])
            let overlaps = Atomic<Int>(0)
            let processed = Atomic<Int>(0)
        }
        let counters = Counters()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    while let key = await queue.get() {
                        let fresh = counters.active.withLock { $0.insert(key).inserted }
                        if !fresh { counters.overlaps.add(1, ordering: .relaxed) }
                        await Task.yield()
                        counters.active.withLock { _ = $0.remove(key) }
                        counters.processed.add(1, ordering: .relaxed)
                        await queue.done(key)
                    }
                }
            }
            for round in 0..<200 { await queue.add(round % 3) }
            await queue.shutDownWithDrain()
        }
        #expect(counters.overlaps.load(ordering: .relaxed) == 0)
        #expect(counters.processed.load(ordering: .relaxed) >= 3)
        #expect(counters.processed.load(ordering: .relaxed) <= 200)
    }

    @Test func rateLimitedBackoffDoublesUntilForgotten() async throws {
        let defaults = WorkQueue<String>()
        #expect(await defaults.backoff(failures: 0) == .milliseconds(5))
        #expect(await defaults.backoff(failures: 1) == .milliseconds(10))
        #expect(await defaults.backoff(failures: 10) == .milliseconds(5120))
        #expect(await defaults.backoff(failures: 18) == .seconds(1000))  // 5 ms * 2^18 = 1310 s, capped
        #expect(await defaults.backoff(failures: 100) == .seconds(1000))

        let queue = WorkQueue<String>(baseDelay: .milliseconds(20), maxDelay: .seconds(1))
        let clock = ContinuousClock()
        var start = clock.now
        await queue.addRateLimited("k")
        #expect(await queue.count == 0)
        #expect(await queue.get() == "k")
        #expect(clock.now - start >= .milliseconds(20))
        await queue.done("k")

        start = clock.now
        await queue.addRateLimited("k")
        #expect(await queue.get() == "k")
        #expect(clock.now - start >= .milliseconds(40))
        await queue.done("k")
        #expect(await queue.numRequeues("k") == 2)

        await queue.forget("k")
        #expect(await queue.numRequeues("k") == 0)
        start = clock.now
        await queue.addRateLimited("k")
        #expect(await queue.get() == "k")
        #expect(clock.now - start >= .milliseconds(20))
        // Forgotten, the key started again from the base delay: one requeue counted.
        #expect(await queue.numRequeues("k") == 1)
    }

    @Test func addAfterDelays() async throws {
        let queue = WorkQueue<String>()
        let clock = ContinuousClock()
        let start = clock.now
        await queue.addAfter("later", delay: .milliseconds(50))
        await queue.add("now")
        #expect(await queue.get() == "now")
        #expect(await queue.count == 0)
        #expect(await queue.get() == "later")
        #expect(clock.now - start >= .milliseconds(50))
    }

    @Test func repeatedAddAfterKeepsTheEarliestTimerOnly() async throws {
        let queue = WorkQueue<String>()
        let clock = ContinuousClock()
        let start = clock.now
        for _ in 0..<100 { await queue.addAfter("k", delay: .seconds(300)) }
        #expect(await queue.delayedCount == 1)
        // An earlier deadline still wins.
        await queue.addAfter("k", delay: .milliseconds(30))
        #expect(await queue.get() == "k")
        #expect(clock.now - start >= .milliseconds(30))
        #expect(clock.now - start < .seconds(10))
        await queue.done("k")
        #expect(await queue.delayedCount == 0)
    }

    @Test func shutDownHandsOutWhatIsQueuedThenNil() async {
        let queue = WorkQueue<String>()
        await queue.add("a")
        await queue.addAfter("never", delay: .milliseconds(10))
        await queue.shutDown()
        await queue.add("b")
        #expect(await queue.get() == "a")
        #expect(await queue.get() == nil)
        #expect(await queue.isShuttingDown)

        let idle = WorkQueue<String>()
        let waiting = Task { await idle.get() }
        try? await Task.sleep(for: .milliseconds(10))
        await idle.shutDown()
        #expect(await waiting.value == nil)
    }

    @Test func cancelledGetAnswersNil() async throws {
        let queue = WorkQueue<String>()
        let waiting = Task { await queue.get() }
        try await Task.sleep(for: .milliseconds(10))
        waiting.cancel()
        #expect(await waiting.value == nil)
        await queue.add("x")
        #expect(await queue.get() == "x")
    }
}
