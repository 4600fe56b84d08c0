import ControllerManager
import Synchronization
import Testing

@Suite struct ExpectationsTests {
    @Test func satisfiedOnlyWhenEverythingObserved() {
        let expectations = Expectations()
        #expect(expectations.satisfied("ns/rs"))
        expectations.expect("ns/rs", adds: 2)
        #expect(!expectations.satisfied("ns/rs"))
        expectations.creationObserved("ns/rs")
        #expect(!expectations.satisfied("ns/rs"))
        expectations.creationObserved("ns/rs")
        #expect(expectations.satisfied("ns/rs"))
        expectations.raise("ns/rs", deletes: 1)
        #expect(!expectations.satisfied("ns/rs"))
        expectations.deletionObserved("ns/rs")
        #expect(expectations.satisfied("ns/rs"))
    }

    @Test func missedEventsExpire() {
        let now = Mutex(ContinuousClock.now)
        let expectations = Expectations(timeout: .seconds(300), clock: { now.withLock { $0 } })
        expectations.expect("ns/rs", adds: 3)
        now.withLock { $0 += .seconds(299) }
        #expect(!expectations.satisfied("ns/rs"))
        now.withLock { $0 += .seconds(2) }
        #expect(expectations.satisfied("ns/rs"))
    }

    @Test func namedDeletesCountOnlyWhenExpected() {
        let expectations = Expectations()
        expectations.expect("ns/sts", deletes: 1, deleteKeys: ["ns/web-2"])
        expectations.deletionObserved("ns/sts", objectKey: "ns/web-0")
        #expect(!expectations.satisfied("ns/sts"))
        expectations.deletionObserved("ns/sts", objectKey: "ns/web-2")
        #expect(expectations.satisfied("ns/sts"))
    }
}
