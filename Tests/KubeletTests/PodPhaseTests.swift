import APIMachinery
import Foundation
import Kubelet
import Testing

@Suite struct PodPhaseTests {
    static func spec(_ policy: String = "Always", containers: [String] = ["a", "b"], inits: [String] = []) -> JSONValue {
        ["restartPolicy": .string(policy), "containers": .array(containers.map { ["name": .string($0)] }),
         "initContainers": .array(inits.map { ["name": .string($0)] })]
    }
    static func running(_ name: String, ready: Bool = true) -> JSONValue {
        ["name": .string(name), "ready": .bool(ready), "state": ["running": ["startedAt": "2026-01-01T00:00:00Z"]]]
    }
    static func exited(_ name: String, _ code: Int64) -> JSONValue {
        ["name": .string(name), "ready": false, "state": ["terminated": ["exitCode": .int(code)]]]
    }
    static func waiting(_ name: String, lastExit: Int64? = nil) -> JSONValue {
        var status: JSONValue = ["name": .string(name), "ready": false, "state": ["waiting": ["reason": "ContainerCreating"]]]
        if let lastExit { status["lastState"] = ["terminated": ["exitCode": .int(lastExit)]] }
        return status
    }

    @Test func phases() {
        let p = { (spec: JSONValue, inits: [JSONValue], statuses: [JSONValue]) in PodPhase.phase(spec: spec, initStatuses: inits, statuses: statuses) }
        #expect(p(Self.spec(), [], []) == "Pending")
        #expect(p(Self.spec(), [], [Self.running("a"), Self.waiting("b")]) == "Pending")
        #expect(p(Self.spec(), [], [Self.running("a"), Self.running("b")]) == "Running")
        #expect(p(Self.spec(), [], [Self.running("a"), Self.exited("b", 1)]) == "Running")
        // Restarting after a failure (waiting with a last termination) counts as stopped.
        #expect(p(Self.spec(), [], [Self.waiting("a", lastExit: 1), Self.waiting("b", lastExit: 0)]) == "Running")
        #expect(p(Self.spec("Never"), [], [Self.exited("a", 0), Self.exited("b", 0)]) == "Succeeded")
        #expect(p(Self.spec("Never"), [], [Self.exited("a", 0), Self.exited("b", 2)]) == "Failed")
        #expect(p(Self.spec("OnFailure"), [], [Self.exited("a", 0), Self.exited("b", 2)]) == "Running")
        #expect(p(Self.spec("OnFailure"), [], [Self.exited("a", 0), Self.exited("b", 0)]) == "Succeeded")
        #expect(p(Self.spec("Always"), [], [Self.exited("a", 0), Self.exited("b", 0)]) == "Running")
        // Init containers.
        let withInit = Self.spec("Always", inits: ["setup"])
        #expect(p(withInit, [], []) == "Pending")
        #expect(p(withInit, [["name": "setup", "state": ["running": [:]]]], []) == "Pending")
        #expect(p(withInit, [Self.exited("setup", 0)], [Self.running("a"), Self.running("b")]) == "Running")
        #expect(p(withInit, [Self.exited("setup", 1)], []) == "Pending")
        #expect(p(Self.spec("Never", inits: ["setup"]), [Self.exited("setup", 1)], []) == "Failed")
    }

    @Test func conditions() {
        let spec = Self.spec("Always", inits: ["setup", "migrate"])
        #expect(PodPhase.initialized(spec: spec, initStatuses: [Self.exited("setup", 0)])
            == .init(type: "Initialized", status: "False", reason: "ContainersNotInitialized", message: "containers with incomplete status: [migrate]"))
        #expect(PodPhase.initialized(spec: spec, initStatuses: [Self.exited("setup", 0), Self.exited("migrate", 0)]).status == "True")
        let ready = PodPhase.containersReady(spec: spec, statuses: [Self.running("a"), Self.running("b", ready: false)], phase: "Running")
        #expect(ready == .init(type: "ContainersReady", status: "False", reason: "ContainersNotReady", message: "containers with unready status: [b]"))
        let unknown = PodPhase.containersReady(spec: spec, statuses: [Self.running("a", ready: false)], phase: "Pending")
        #expect(unknown.message == "containers with unknown status: [b], containers with unready status: [a]")
        #expect(PodPhase.containersReady(spec: Self.spec("Never"), statuses: [Self.exited("a", 0), Self.exited("b", 0)], phase: "Succeeded")
            == .init(type: "ContainersReady", status: "False", reason: "PodCompleted"))
        var gated = Self.spec()
        gated["readinessGates"] = [["conditionType": "example.com/lb"]]
        let both = [Self.running("a"), Self.running("b")]
        #expect(PodPhase.ready(spec: gated, statuses: both, phase: "Running", conditions: []).message
            == "corresponding condition of pod readiness gate \"example.com/lb\" does not exist.")
        #expect(PodPhase.ready(spec: gated, statuses: both, phase: "Running", conditions: [["type": "example.com/lb", "status": "False"]]).message
            == "the status of pod readiness gate \"example.com/lb\" is not \"True\", but False")
        #expect(PodPhase.ready(spec: gated, statuses: both, phase: "Running", conditions: [["type": "example.com/lb", "status": "True"]]).status == "True")
        #expect(PodPhase.ready(spec: spec, statuses: [Self.running("a")], phase: "Running", conditions: []).reason == "ContainersNotReady")
    }

    @Test func crashLoopBackOffDoublesToFiveMinutesAndResets() {
        var backoff = CrashLoopBackOff()
        let start = Date(timeIntervalSince1970: 1_000_000)
        var delays: [TimeInterval] = []
        var now = start
        for _ in 0..<7 {
            delays.append(backoff.failed("pod/c", at: now))
            now = now.addingTimeInterval(backoff.delay("pod/c") + 1)
        }
        #expect(delays == [10, 20, 40, 80, 160, 300, 300])
        #expect(backoff.restartAllowed("pod/c") == now.addingTimeInterval(-301).addingTimeInterval(300))
        // Ten quiet minutes later, the back-off starts over.
        #expect(backoff.failed("pod/c", at: now.addingTimeInterval(601)) == 10)
        #expect(CrashLoopBackOff.message(delay: 40, container: "app", pod: "web", namespace: "default", uid: "u1")
            == "back-off 40s restarting failed container=app pod=web_default(u1)")
        #expect(CrashLoopBackOff.message(delay: 300, container: "app", pod: "web", namespace: "default", uid: "u1")
            == "back-off 5m0s restarting failed container=app pod=web_default(u1)")
        #expect(CrashLoopBackOff.message(delay: 80, container: "c", pod: "p", namespace: "n", uid: "u").contains("back-off 1m20s"))
    }
}
