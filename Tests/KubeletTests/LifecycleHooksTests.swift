import APIMachinery
import CRI
import Foundation
import Kubelet
import Synchronization
import Testing

/// postStart / preStop hooks and the runAsNonRoot check, through PodSync over the fake runtime.
@Suite struct LifecycleHooksTests {
    func setUp() async throws -> (FakeContainerRuntime, PodSync) {
        let runtime = FakeContainerRuntime()
        try await runtime.setPodSubnet("10.42.0.0/24")
        return (runtime, PodSync(runtime: runtime, configs: CRIConfigs(logRoot: "/tmp/pods")))
    }

    func waiting(_ status: JSONValue, _ name: String = "app") -> JSONValue? {
        status["containerStatuses"]?.arrayValue?.first { $0["name"]?.stringValue == name }?["state"]?["waiting"]
    }

    @Test func aFailingPostStartHookKillsTheContainer() async throws {
        let (runtime, sync) = try await setUp()
        await runtime.setExecHandler { _, cmd in
            .with { $0.exitCode = cmd == ["sh", "-c", "exit 3"] ? 3 : 0 }
        }
        let pod = PodSyncTests.pod("hooked", containers: [["name": "app", "image": "busybox:1.36",
                                                           "lifecycle": ["postStart": ["exec": ["command": ["sh", "-c", "exit 3"]]]]]])
        let status = try await sync.sync(pod)
        let events = sync.takeEvents(uid: pod.uid)
        let failed = try #require(events.first { $0.reason == "FailedPostStartHook" })
        #expect(failed.warning)
        #expect(failed.message == "Exec lifecycle hook ([sh -c exit 3]) for Container \"app\" in Pod \"hooked_default(uid-hooked)\" failed - error: command [sh -c exit 3] exited with 3, message: \"\"")
        #expect(events.contains(PodSync.Event(reason: "Killing", message: "FailedPostStartHook")))
        #expect(await runtime.calls(to: .stopContainer).count == 1)
        #expect(waiting(status)?["reason"] == "PostStartHookError")  // as `kubectl get pod` shows it until the restart
        let observed = try await sync.observe(uid: pod.uid)
        #expect(observed.containers.first?.state == .exited)

        // A succeeding hook leaves the container running.
        let fine = PodSyncTests.pod("fine", containers: [["name": "app", "image": "busybox:1.36",
                                                         "lifecycle": ["postStart": ["exec": ["command": ["true"]]]]]])
        _ = try await sync.sync(fine)
        #expect(!sync.takeEvents(uid: fine.uid).contains { $0.reason == "FailedPostStartHook" })
        #expect(try await sync.observe(uid: fine.uid).containers.first?.state == .running)
    }

    @Test func preStopRunsBeforeTheContainerIsStopped() async throws {
        let (runtime, sync) = try await setUp()
        let order = Mutex<[String]>([])
        await runtime.setExecHandler { _, cmd in
            order.withLock { $0.append(cmd.joined(separator: " ")) }
            return .with { $0.exitCode = 0 }
        }
        let pod = PodSyncTests.pod("graceful", containers: [["name": "app", "image": "busybox:1.36",
                                                             "lifecycle": ["preStop": ["exec": ["command": ["sh", "-c", "drain"]]]]]])
        _ = try await sync.sync(pod)
        #expect(await runtime.calls(to: .stopContainer).isEmpty)
        try await sync.terminate(uid: pod.uid, grace: 5, pod: pod)
        #expect(order.withLock { $0 } == ["sh -c drain"])
        #expect(await runtime.calls(to: .stopContainer).count == 1)
        let left = try await sync.observe(uid: pod.uid)
        #expect(left.containers.isEmpty && left.sandbox == nil)

        // Without the pod (it is gone from the API), no hook can run: the containers just stop.
        let other = PodSyncTests.pod("plain", containers: [["name": "app", "image": "busybox:1.36",
                                                            "lifecycle": ["preStop": ["exec": ["command": ["never"]]]]]])
        _ = try await sync.sync(other)
        try await sync.terminate(uid: other.uid, grace: 5)
        #expect(!order.withLock { $0 }.contains("never"))
    }

    @Test func runAsNonRootIsCheckedAgainstTheEffectiveUser() async throws {
        let (runtime, sync) = try await setUp()
        func pod(_ name: String, podContext: JSONValue = [:], context: JSONValue = [:], image: String = "busybox:1.36") -> JSONValue {
            var pod = PodSyncTests.pod(name, containers: [["name": "app", "image": .string(image), "securityContext": context]])
            pod["spec"]?["securityContext"] = podContext
            return pod
        }
        // The image runs as root (no user): refused.
        var status = try await sync.sync(pod("root", podContext: ["runAsNonRoot": true]))
        #expect(waiting(status) == ["reason": "CreateContainerConfigError",
                                    "message": "container has runAsNonRoot and image will run as root (pod: \"root_default(uid-root)\", container: app)"])
        // runAsUser 0 given explicitly breaks the policy.
        status = try await sync.sync(pod("zero", context: ["runAsNonRoot": true, "runAsUser": 0]))
        #expect(waiting(status)?["message"] == "container's runAsUser breaks non-root policy (pod: \"zero_default(uid-zero)\", container: app)")
        // A non-root runAsUser (the pod's) runs.
        status = try await sync.sync(pod("user", podContext: ["runAsNonRoot": true, "runAsUser": 1000]))
        #expect(waiting(status) == nil)
        // The image's own numeric user.
        await runtime.setImageUser("nobody:1", uid: 65534)
        status = try await sync.sync(pod("imageuser", context: ["runAsNonRoot": true], image: "nobody:1"))
        #expect(waiting(status) == nil)
        // A user name cannot be verified.
        await runtime.setImageUser("named:1", uid: nil, username: "app")
        status = try await sync.sync(pod("named", context: ["runAsNonRoot": true], image: "named:1"))
        #expect(waiting(status)?["message"] == "container has runAsNonRoot and image has non-numeric user (app), cannot verify user is non-root (pod: \"named_default(uid-named)\", container: app)")
        // The container's runAsNonRoot false overrides the pod's true.
        status = try await sync.sync(pod("override", podContext: ["runAsNonRoot": true], context: ["runAsNonRoot": false]))
        #expect(waiting(status) == nil)
    }
}
