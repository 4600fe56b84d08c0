import APIMachinery
import Client
import ControllerManager
import Foundation
import Testing

@Suite struct TTLAfterFinishedTests {
    @Test func deletesFinishedJobsAfterTheirTTL() async throws {
        let cluster = try await BatchCluster()
        let task = cluster.start(TTLAfterFinishedController(context: cluster.context))
        defer { task.cancel() }
        for (name, ttl) in [("short", Int64(5)), ("long", Int64(100))] {
            var job = try await cluster.createJob(BatchCluster.jobObject(name, extra: ["ttlSecondsAfterFinished": .int(ttl)]))
            let time = JSONValue.string(RFC3339.format(cluster.clock.now()))
            job["status"] = ["startTime": time, "completionTime": time, "succeeded": 1,
                             "conditions": [["type": "SuccessCriteriaMet", "status": "True", "lastTransitionTime": time],
                                            ["type": "Complete", "status": "True", "lastTransitionTime": time]]]
            _ = try await cluster.client.updateStatus(.jobs, namespace: "default", object: job)
        }
        _ = try await cluster.createJob(BatchCluster.jobObject("running", extra: ["ttlSecondsAfterFinished": 0]))
        try await Task.sleep(for: .milliseconds(200))
        #expect(try await cluster.client.list(.jobs, namespace: "default").items.count == 3)
        cluster.clock.advance(6)
        try await cluster.poke(.jobs, "short")
        #expect(try await eventually { try await cluster.client.list(.jobs, namespace: "default").items.map(\.name).sorted() == ["long", "running"] })
    }
}

@Suite struct PodGCTests {
    static func pod(_ name: String, node: String? = nil) -> JSONValue {
        var spec: JSONValue = ["containers": [["name": "c", "image": "busybox"]]]
        if let node { spec["nodeName"] = .string(node) }
        return ["apiVersion": "v1", "kind": "Pod", "metadata": ["name": .string(name), "namespace": "default"], "spec": spec]
    }

    func podNames(_ cluster: BatchCluster) async throws -> [String] {
        try await cluster.client.list(.pods, namespace: "default").items.map(\.name).sorted()
    }

    @Test func deletesTerminatedPodsAboveTheThreshold() async throws {
        let cluster = try await BatchCluster()
        for name in ["a", "b", "c", "d"] {
            let pod = try await cluster.client.create(.pods, namespace: "default", object: Self.pod(name))
            try await cluster.setPhase(pod, name == "d" ? "Failed" : "Succeeded")
        }
        _ = try await cluster.client.create(.pods, namespace: "default", object: Self.pod("running"))
        let task = cluster.start(PodGCController(context: cluster.context, terminatedPodThreshold: 2, period: .milliseconds(50), quarantine: 0))
        defer { task.cancel() }
        // The oldest (ties by name) go: a and b.
        #expect(try await eventually { try await podNames(cluster) == ["c", "d", "running"] })
        try await Task.sleep(for: .milliseconds(200))
        #expect(try await podNames(cluster) == ["c", "d", "running"])
    }

    @Test func thresholdComesFromTheOptions() async throws {
        let cluster = try await TestCluster(options: ControllerOptions(terminatedPodGCThreshold: 3))
        #expect(PodGCController(context: cluster.context).terminatedPodThreshold == 3)
        #expect(PodGCController(context: cluster.context, terminatedPodThreshold: 7).terminatedPodThreshold == 7)
        let defaults = try await TestCluster()
        #expect(PodGCController(context: defaults.context).terminatedPodThreshold == 12500)
        #expect(ControllerOptions(terminatedPodGCThreshold: -1).terminatedPodGCThreshold == 0)
    }

    @Test func deletesPodsOfMissingNodes() async throws {
        let cluster = try await BatchCluster()
        _ = try await cluster.client.create(.nodes, object: ["apiVersion": "v1", "kind": "Node", "metadata": ["name": "here"]])
        _ = try await cluster.client.create(.pods, namespace: "default", object: Self.pod("kept", node: "here"))
        _ = try await cluster.client.create(.pods, namespace: "default", object: Self.pod("orphan", node: "ghost"))
        let task = cluster.start(PodGCController(context: cluster.context, period: .milliseconds(50), quarantine: 0))
        defer { task.cancel() }
        #expect(try await eventually { try await podNames(cluster) == ["kept"] })
    }
}
