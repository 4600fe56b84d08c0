import Synchronization
import Testing
@testable import CRI

@Suite struct CallDeadlinesTests {
    @Test func aDeadlineFiresOnceAfterItPassesAndARemovedOneNever() async throws {
        let deadlines = CallDeadlines(tick: .milliseconds(20))
        let fired = Mutex<[String]>([])
        let clock = ContinuousClock()
        let start = clock.now
        _ = deadlines.add(deadline: start + .milliseconds(100)) { fired.withLock { $0.append("late") } }
        let removed = deadlines.add(deadline: start + .milliseconds(50)) { fired.withLock { $0.append("removed") } }
        deadlines.remove(removed)
        _ = deadlines.add(deadline: start + .seconds(3600)) { fired.withLock { $0.append("hour") } }
        while fired.withLock({ $0.isEmpty }), clock.now - start < .seconds(10) {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(clock.now - start >= .milliseconds(100))
        try await Task.sleep(for: .milliseconds(200))
        #expect(fired.withLock { $0 } == ["late"])
        #expect(deadlines.count == 1)
    }

    @Test func theCheckerStopsWhenNothingIsWatchedAndStartsAgain() async throws {
        let deadlines = CallDeadlines(tick: .milliseconds(10))
        let fired = Mutex(0)
        for round in 1...3 {
            _ = deadlines.add(deadline: .now + .milliseconds(30)) { fired.withLock { $0 += 1 } }
            let start = ContinuousClock.now
            while fired.withLock({ $0 }) < round, ContinuousClock.now - start < .seconds(10) {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(fired.withLock { $0 } == round)
            #expect(deadlines.count == 0)
            try await Task.sleep(for: .milliseconds(50))  // the checker has stopped: nothing to watch
        }
    }
}
