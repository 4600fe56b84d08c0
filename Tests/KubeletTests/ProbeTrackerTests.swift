import APIMachinery
import Foundation
import Kubelet
import Testing

@Suite struct ProbeTrackerTests {
    @Test func thresholdsAndInitialResults() {
        var readiness = ProbeTracker(kind: .readiness, probe: ["successThreshold": 2, "failureThreshold": 3, "periodSeconds": 5])
        #expect(readiness.result == .failure)
        #expect(readiness.period == 5 && readiness.timeout == 1)
        // Whether each run changed the concluded result.
        var changes: [Bool] = []
        for outcome: ProbeTracker.Result in [.success, .success, .failure, .failure, .success, .failure, .failure, .failure, .unknown] {
            changes.append(readiness.record(outcome))
        }
        #expect(changes == [false, true, false, false, false, false, false, true, false])
        #expect(readiness.result == .failure)

        var liveness = ProbeTracker(kind: .liveness, probe: [:])
        #expect(liveness.result == .success && liveness.failureThreshold == 3 && liveness.period == 10)
        changes = [liveness.record(.failure), liveness.record(.failure)]
        #expect(changes == [false, false] && liveness.result == .success)
        changes = [liveness.record(.failure)]
        #expect(changes == [true] && liveness.result == .failure)
        liveness.reset()
        #expect(liveness.result == .success)
        changes = [liveness.record(.failure)]
        #expect(changes == [false])
    }

    @Test func initialDelayAndHelpers() {
        let probe = ProbeTracker(kind: .startup, probe: ["initialDelaySeconds": 5, "terminationGracePeriodSeconds": 7])
        let started = Date(timeIntervalSince1970: 100)
        #expect(!probe.due(started: started, now: started.addingTimeInterval(4.9)))
        #expect(probe.due(started: started, now: started.addingTimeInterval(5)))
        #expect(probe.terminationGracePeriod == 7)
        #expect(ProbeTracker.httpSucceeded(status: 200) && ProbeTracker.httpSucceeded(status: 302))
        #expect(!ProbeTracker.httpSucceeded(status: 404) && !ProbeTracker.httpSucceeded(status: 500) && !ProbeTracker.httpSucceeded(status: 199))
        #expect(ProbeTracker.failureMessage(.liveness, detail: "HTTP probe failed with statuscode: 500")
            == "Liveness probe failed: HTTP probe failed with statuscode: 500")
    }
}
