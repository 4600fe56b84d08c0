import APIMachinery
import Foundation
import Kubelet
import Testing

@Suite struct PodActionsTests {
    static func spec(_ policy: String = "Always", inits: [String] = [], containers: [String] = ["web", "log"]) -> JSONValue {
        ["restartPolicy": .string(policy), "initContainers": .array(inits.map { ["name": .string($0)] }),
         "containers": .array(containers.map { ["name": .string($0)] })]
    }
    static func c(_ name: String, _ state: ObservedContainer.State, exit: Int32 = 0, attempt: Int = 0) -> ObservedContainer {
        ObservedContainer(id: "\(name)-\(attempt)", name: name, state: state, exitCode: exit, attempt: attempt)
    }
    static let ready = ObservedSandbox(id: "s1", ready: true)
    static let now = Date(timeIntervalSince1970: 1_000)

    @Test func newPodCreatesTheSandboxThenRunsInitContainersInOrder() {
        var a = PodActions.compute(spec: Self.spec(inits: ["setup", "migrate"]), sandbox: nil, observed: [], now: Self.now)
        #expect(a.createSandbox && a.sandboxAttempt == 0 && a.startInit == "setup" && a.start.isEmpty)
        a = PodActions.compute(spec: Self.spec(inits: ["setup", "migrate"]), sandbox: Self.ready, observed: [Self.c("setup", .running)], now: Self.now)
        #expect(a == PodActions())
        a = PodActions.compute(spec: Self.spec(inits: ["setup", "migrate"]), sandbox: Self.ready, observed: [Self.c("setup", .exited)], now: Self.now)
        #expect(a.startInit == "migrate" && a.start.isEmpty)
        a = PodActions.compute(spec: Self.spec(inits: ["setup", "migrate"]), sandbox: Self.ready,
                               observed: [Self.c("setup", .exited), Self.c("migrate", .exited)], now: Self.now)
        #expect(a.startInit == nil && a.start == ["web", "log"])
        // A failed init container: retried (with back-off) unless the policy is Never.
        a = PodActions.compute(spec: Self.spec(inits: ["setup"]), sandbox: Self.ready, observed: [Self.c("setup", .exited, exit: 1)], now: Self.now)
        #expect(a.startInit == "setup")
        a = PodActions.compute(spec: Self.spec(inits: ["setup"]), sandbox: Self.ready, observed: [Self.c("setup", .exited, exit: 1)],
                               backoff: { _ in Self.now.addingTimeInterval(10) }, now: Self.now)
        #expect(a.startInit == nil && a.backingOff == ["setup": Self.now.addingTimeInterval(10)])
        a = PodActions.compute(spec: Self.spec("Never", inits: ["setup"]), sandbox: Self.ready, observed: [Self.c("setup", .exited, exit: 1)], now: Self.now)
        #expect(a.killPod && a.terminal)
    }

    @Test func restartPolicies() {
        let exitedOK = [Self.c("web", .exited), Self.c("log", .exited, exit: 2)]
        var a = PodActions.compute(spec: Self.spec("Always"), sandbox: Self.ready, observed: exitedOK, now: Self.now)
        #expect(a.start == ["web", "log"] && !a.terminal)
        a = PodActions.compute(spec: Self.spec("OnFailure"), sandbox: Self.ready, observed: exitedOK, now: Self.now)
        #expect(a.start == ["log"] && !a.terminal)
        a = PodActions.compute(spec: Self.spec("Never"), sandbox: Self.ready, observed: exitedOK, now: Self.now)
        #expect(a.start.isEmpty && a.terminal)
        // Only the latest attempt of a name counts.
        a = PodActions.compute(spec: Self.spec("OnFailure"), sandbox: Self.ready,
                               observed: [Self.c("web", .exited, exit: 1, attempt: 0), Self.c("web", .exited, exit: 0, attempt: 1),
                                          Self.c("log", .running)], now: Self.now)
        #expect(a.start.isEmpty && !a.terminal)
        // Back-off holds a restart.
        a = PodActions.compute(spec: Self.spec("Always"), sandbox: Self.ready, observed: [Self.c("web", .exited, exit: 1), Self.c("log", .running)],
                               backoff: { $0 == "web" ? Self.now.addingTimeInterval(20) : nil }, now: Self.now)
        #expect(a.start.isEmpty && a.backingOff["web"] == Self.now.addingTimeInterval(20))
        a = PodActions.compute(spec: Self.spec("Always"), sandbox: Self.ready, observed: [Self.c("web", .exited, exit: 1), Self.c("log", .running)],
                               backoff: { _ in Self.now.addingTimeInterval(-1) }, now: Self.now)
        #expect(a.start == ["web"])
    }

    @Test func livenessAndSandboxChanges() {
        var a = PodActions.compute(spec: Self.spec(), sandbox: Self.ready, observed: [Self.c("web", .running), Self.c("log", .running)],
                                   livenessFailed: ["web"], now: Self.now)
        #expect(a.kill == [.init(id: "web-0", name: "web", message: "Container web failed liveness probe, will be restarted")])
        // A dead sandbox: everything running is killed and a new sandbox (next attempt) created.
        a = PodActions.compute(spec: Self.spec(), sandbox: ObservedSandbox(id: "s1", ready: false, attempt: 2),
                               observed: [Self.c("web", .running), Self.c("log", .exited)], now: Self.now)
        #expect(a.createSandbox && a.sandboxAttempt == 3 && a.start == ["web", "log"])
        #expect(a.kill.map(\.name) == ["web"])
        // With restartPolicy Never, a pod whose sandbox died after running is done.
        a = PodActions.compute(spec: Self.spec("Never"), sandbox: ObservedSandbox(id: "s1", ready: false),
                               observed: [Self.c("web", .exited)], now: Self.now)
        #expect(a.killPod && a.terminal && !a.createSandbox)
        // OnFailure: a new sandbox does not rerun what succeeded.
        a = PodActions.compute(spec: Self.spec("OnFailure"), sandbox: ObservedSandbox(id: "s1", ready: false),
                               observed: [Self.c("web", .exited), Self.c("log", .exited, exit: 1)], now: Self.now)
        #expect(a.createSandbox && a.start == ["log"])
    }
}
