import APIMachinery
import CRI
import Foundation
import Kubelet
import Synchronization
import Testing

/// A clock shared by the fake runtime's timestamps and the kubelet's decisions.
final class SyncClock: Sendable {
    let seconds = Mutex<Double>(1_767_225_600)
    var now: @Sendable () -> Date { { [self] in Date(timeIntervalSince1970: seconds.withLock { $0 }) } }
    func advance(_ s: Double, _ runtime: FakeContainerRuntime) async {
        let value = seconds.withLock { $0 += s; return $0 }
        await runtime.setTime(nanoseconds: Int64(value * 1e9))
    }
}

@Suite struct PodSyncTests {
    static func pod(_ name: String = "web", policy: String = "Always", containers: [JSONValue]? = nil, inits: [JSONValue] = []) -> JSONValue {
        ["metadata": ["name": .string(name), "namespace": "default", "uid": .string("uid-\(name)")],
         "spec": ["restartPolicy": .string(policy), "terminationGracePeriodSeconds": 5,
                  "containers": .array(containers ?? [["name": "app", "image": "busybox:1.36"]]), "initContainers": .array(inits)],
         "status": ["conditions": [["type": "PodScheduled", "status": "True"]]]]
    }

    func setUp() async throws -> (FakeContainerRuntime, SyncClock, PodSync) {
        let runtime = FakeContainerRuntime()
        try await runtime.setPodSubnet("10.42.0.0/24")
        let clock = SyncClock()
        await clock.advance(0, runtime)
        return (runtime, clock, PodSync(runtime: runtime, configs: CRIConfigs(logRoot: "/tmp/pods"), now: clock.now))
    }

    func container(_ status: JSONValue, _ name: String) -> JSONValue? {
        status["containerStatuses"]?.arrayValue?.first { $0["name"]?.stringValue == name }
    }
    func condition(_ status: JSONValue, _ type: String) -> String? {
        status["conditions"]?.arrayValue?.first { $0["type"]?.stringValue == type }?["status"]?.stringValue
    }

    @Test func newPodRunsWithAnIPAndReadyConditions() async throws {
        let (runtime, _, sync) = try await setUp()
        let status = try await sync.sync(Self.pod())
        #expect(status["phase"] == "Running")
        #expect(status["podIP"]?.stringValue?.hasPrefix("10.42.0.") == true)
        let app = container(status, "app")
        #expect(app?["state"]?["running"] != nil && app?["ready"] == true && app?["restartCount"] == 0)
        #expect(app?["containerID"]?.stringValue?.hasPrefix("containerd://") == true)
        #expect(app?["imageID"]?.stringValue?.hasPrefix("docker.io/library/busybox@sha256:") == true)
        #expect(condition(status, "Ready") == "True" && condition(status, "ContainersReady") == "True")
        #expect(condition(status, "Initialized") == "True" && condition(status, "PodReadyToStartContainers") == "True")
        #expect(condition(status, "PodScheduled") == "True")
        #expect(status["qosClass"] == "BestEffort")
        let events = sync.takeEvents(uid: "uid-web")
        #expect(events.map(\.reason) == ["Pulling", "Pulled", "Created", "Started"])
        #expect(events[0].message == "Pulling image \"busybox:1.36\"")
        #expect(events[1].message.hasPrefix("Successfully pulled image \"busybox:1.36\" in "))
        #expect(events[2].message == "Created container app" && events[3].message == "Started container app")
        #expect(sync.takeEvents(uid: "uid-web").isEmpty)
        // A second sync changes nothing.
        await runtime.resetCalls()
        _ = try await sync.sync(Self.pod())
        let sandboxes = await runtime.calls(to: .runPodSandbox), creates = await runtime.calls(to: .createContainer)
        #expect(sandboxes.isEmpty && creates.isEmpty)
    }

    @Test func crashingContainerRestartsWithBackOff() async throws {
        let (runtime, clock, sync) = try await setUp()
        let pod = Self.pod()
        _ = try await sync.sync(pod)
        func appID() async throws -> String {
            try await sync.observe(uid: pod.uid).containers.filter { $0.name == "app" }.max { $0.attempt < $1.attempt }!.id
        }
        try await runtime.exitContainer(try await appID(), exitCode: 1)
        await clock.advance(1, runtime)
        // The first restart is immediate.
        var status = try await sync.sync(pod)
        #expect(container(status, "app")?["restartCount"] == 1)
        #expect(container(status, "app")?["state"]?["running"] != nil)
        #expect(container(status, "app")?["lastState"]?["terminated"]?["exitCode"] == 1)
        // The second waits 10 s.
        try await runtime.exitContainer(try await appID(), exitCode: 2)
        await clock.advance(1, runtime)
        status = try await sync.sync(pod)
        #expect(container(status, "app")?["state"]?["waiting"]?["reason"] == "CrashLoopBackOff")
        #expect(sync.takeEvents(uid: "uid-web").contains {
            $0.warning && $0.reason == "BackOff" && $0.message == "Back-off restarting failed container app in pod web_default(uid-web)"
        })
        #expect(container(status, "app")?["state"]?["waiting"]?["message"] == "back-off 10s restarting failed container=app pod=web_default(uid-web)")
        #expect(container(status, "app")?["lastState"]?["terminated"]?["exitCode"] == 2)
        #expect(condition(status, "Ready") == "False")
        #expect(status["phase"] == "Running")
        await clock.advance(10, runtime)
        status = try await sync.sync(pod)
        #expect(container(status, "app")?["state"]?["running"] != nil && container(status, "app")?["restartCount"] == 2)
        // Then 20 s.
        try await runtime.exitContainer(try await appID(), exitCode: 2)
        await clock.advance(11, runtime)
        status = try await sync.sync(pod)
        #expect(container(status, "app")?["state"]?["waiting"]?["message"]?.stringValue?.hasPrefix("back-off 20s") == true)
    }

    @Test func completionInitContainersAndConfigErrors() async throws {
        let (runtime, _, sync) = try await setUp()
        // restartPolicy Never: a container that exits 0 makes the pod Succeeded.
        let job = Self.pod("job", policy: "Never", inits: [["name": "setup", "image": "busybox:1.36"]])
        var status = try await sync.sync(job)
        #expect(status["phase"] == "Pending")
        #expect(status["initContainerStatuses"]?.arrayValue?.first?["state"]?["running"] != nil)
        #expect(condition(status, "Initialized") == "False")
        let setup = try await sync.observe(uid: job.uid).containers.first { $0.name == "setup" }!
        try await runtime.exitContainer(setup.id, exitCode: 0)
        status = try await sync.sync(job)
        #expect(condition(status, "Initialized") == "True")
        #expect(container(status, "app")?["state"]?["running"] != nil)
        let app = try await sync.observe(uid: job.uid).containers.first { $0.name == "app" }!
        try await runtime.exitContainer(app.id, exitCode: 0)
        status = try await sync.sync(job)
        #expect(status["phase"] == "Succeeded")
        #expect(container(status, "app")?["state"]?["terminated"]?["reason"] == "Completed")
        #expect(status["conditions"]?.arrayValue?.first { $0["type"] == "Ready" }?["reason"] == "PodCompleted")

        // A missing ConfigMap keeps the container waiting with CreateContainerConfigError.
        let configured = Self.pod("cfg", containers: [["name": "app", "image": "busybox:1.36",
                                                       "env": [["name": "X", "valueFrom": ["configMapKeyRef": ["name": "absent", "key": "k"]]]]]])
        status = try await sync.sync(configured)
        #expect(container(status, "app")?["state"]?["waiting"] == ["reason": "CreateContainerConfigError", "message": "configmap \"absent\" not found"])
        #expect(status["phase"] == "Pending")

        // imagePullPolicy Never without the image.
        let never = Self.pod("never", containers: [["name": "app", "image": "nginx:1.14.2", "imagePullPolicy": "Never"]])
        status = try await sync.sync(never)
        #expect(container(status, "app")?["state"]?["waiting"]?["reason"] == "ErrImageNeverPull")
        // A pull that fails.
        await runtime.setPullableImages(["busybox:1.36"])
        let missing = Self.pod("missing", containers: [["name": "app", "image": "nginx:9.9", "imagePullPolicy": "IfNotPresent"]])
        status = try await sync.sync(missing)
        #expect(container(status, "app")?["state"]?["waiting"]?["reason"] == "ErrImagePull")
    }

    @Test func livenessFailureRestartsAndTerminationCleansUp() async throws {
        let (runtime, _, sync) = try await setUp()
        let pod = Self.pod()
        _ = try await sync.sync(pod)
        var status = try await sync.sync(pod, context: .init(livenessFailed: ["app"]))
        // Killed this sync (exit 137 by the fake's stop), restarted on the next.
        #expect(await runtime.calls(to: .stopContainer).count == 1)
        status = try await sync.sync(pod)
        #expect(container(status, "app")?["restartCount"] == 1 && container(status, "app")?["state"]?["running"] != nil)
        #expect(container(status, "app")?["lastState"]?["terminated"]?["exitCode"] == 137)
        try await sync.terminate(uid: pod.uid, grace: 5)
        let left = try await sync.observe(uid: pod.uid)
        #expect(left.sandbox == nil && left.containers.isEmpty)
    }

    @Test func podCgroupsAreRemovedInEveryHierarchy() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("swiftlet-cgroups-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let fm = FileManager.default
        for dir in ["memory/kubepods/burstable/podu1/c1", "cpu,cpuacct/kubepods/podu1", "pids/kubepods/besteffort/podu1",
                    "memory/kubepods/burstable/podu2"] {
            try fm.createDirectory(atPath: root + "/" + dir, withIntermediateDirectories: true)
        }
        PodCgroups.remove(uid: "u1", root: root)
        #expect(!fm.fileExists(atPath: root + "/memory/kubepods/burstable/podu1"))
        #expect(!fm.fileExists(atPath: root + "/cpu,cpuacct/kubepods/podu1"))
        #expect(!fm.fileExists(atPath: root + "/pids/kubepods/besteffort/podu1"))
        #expect(fm.fileExists(atPath: root + "/memory/kubepods/burstable/podu2"))
    }
}
