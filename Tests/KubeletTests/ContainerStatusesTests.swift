import APIMachinery
import Foundation
import Kubelet
import Testing

@Suite struct ContainerStatusesTests {
    static let spec: JSONValue = ["name": "web", "image": "nginx:1.14.2"]
    static let t0 = Date(timeIntervalSince1970: 1_767_225_600)  // 2026-01-01T00:00:00Z

    static func container(_ id: String, _ state: ObservedContainer.State, exit: Int32 = 0, reason: String = "", attempt: Int = 0) -> ObservedContainer {
        ObservedContainer(id: id, name: "web", state: state, createdAt: t0, startedAt: t0.addingTimeInterval(1),
                          finishedAt: state == .exited ? t0.addingTimeInterval(5) : nil, exitCode: exit, reason: reason,
                          image: "docker.io/library/nginx:1.14.2", imageRef: "docker.io/library/nginx@sha256:abc", attempt: attempt)
    }

    @Test func runningThenCrashLooping() {
        let running = ContainerStatuses.status(spec: Self.spec, current: Self.container("c1", .running), previous: nil, waiting: nil,
                                               ready: true, started: true, restartCount: 0)
        #expect(running == [
            "name": "web", "ready": true, "restartCount": 0, "started": true,
            "image": "docker.io/library/nginx:1.14.2", "imageID": "docker.io/library/nginx@sha256:abc",
            "containerID": "containerd://c1", "state": ["running": ["startedAt": "2026-01-01T00:00:01Z"]], "lastState": [:],
        ])
        let crashed = ContainerStatuses.status(
            spec: Self.spec, current: Self.container("c2", .exited, exit: 137, attempt: 1), previous: Self.container("c1", .exited, exit: 1),
            waiting: .init(reason: "CrashLoopBackOff", message: "back-off 10s restarting failed container=web pod=p_default(u)"),
            ready: false, started: false, restartCount: 2)
        #expect(crashed["state"] == ["waiting": ["reason": "CrashLoopBackOff", "message": "back-off 10s restarting failed container=web pod=p_default(u)"]])
        #expect(crashed["lastState"]?["terminated"]?["exitCode"] == 137)
        #expect(crashed["lastState"]?["terminated"]?["reason"] == "Error")
        #expect(crashed["lastState"]?["terminated"]?["containerID"] == "containerd://c2")
        #expect(crashed["lastState"]?["terminated"]?["finishedAt"] == "2026-01-01T00:00:05Z")
        #expect(crashed["restartCount"] == 2)
    }

    @Test func terminatedAndWaitingStates() {
        let done = ContainerStatuses.status(spec: Self.spec, current: Self.container("c1", .exited), previous: nil, waiting: nil,
                                            ready: false, started: false, restartCount: 0)
        #expect(done["state"]?["terminated"]?["reason"] == "Completed")
        #expect(done["state"]?["terminated"]?["exitCode"] == 0)
        let oom = ContainerStatuses.terminated(Self.container("c3", .exited, exit: 137, reason: "OOMKilled"))
        #expect(oom["reason"] == "OOMKilled")
        let pulling = ContainerStatuses.status(spec: Self.spec, current: nil, previous: nil,
                                               waiting: .init(reason: "ErrImagePull", message: "failed to pull"), ready: false, started: nil, restartCount: 0)
        #expect(pulling["state"] == ["waiting": ["reason": "ErrImagePull", "message": "failed to pull"]])
        #expect(pulling["image"] == "nginx:1.14.2")
        #expect(pulling["imageID"] == "")
        #expect(pulling["containerID"] == nil && pulling["started"] == nil)
        let creating = ContainerStatuses.status(spec: Self.spec, current: nil, previous: nil, waiting: nil, ready: false, started: false, restartCount: 0)
        #expect(creating["state"] == ["waiting": ["reason": "ContainerCreating"]])
    }
}
