import APIMachinery
import Client
@testable import ControllerManager
import Controllers
import Foundation
import Synchronization
import Testing

@Suite struct DeploymentControllerTests {
    /// Both controllers and a stand-in kubelet on one in-memory cluster.
    struct Rig {
        let cluster: TestCluster
        let tasks: [Task<Void, Never>]

        init() async throws {
            cluster = try await TestCluster()
            let context = cluster.context
            tasks = [startControllers([ReplicaSetController(context: context), DeploymentController(context: context)], context: context),
                     fakeKubelet(cluster.client)]
        }

        func stop() { for task in tasks { task.cancel() } }

        func deployment(_ name: String) async throws -> JSONValue {
            try await cluster.client.get(.deployments, namespace: "default", name: name)
        }

        func replicaSets(_ name: String) async throws -> [JSONValue] {
            try await cluster.client.list(.replicaSets, namespace: "default", query: ListQuery(labelSelector: "app=\(name)")).items
        }

        /// The rollout is complete as `kubectl rollout status` judges it.
        func rolledOut(_ name: String) async throws -> Bool {
            let d = try await deployment(name)
            let status = d["status"], desired = d["spec"]?["replicas"]?.intValue ?? 1
            return (status?["observedGeneration"]?.intValue ?? 0) >= d.generation
                && status?["updatedReplicas"]?.intValue == desired && status?["replicas"]?.intValue == desired
                && status?["availableReplicas"]?.intValue == desired
        }

        func setImage(_ name: String, _ image: String) async throws {
            _ = try await cluster.client.patch(.deployments, namespace: "default", name: name, format: .strategic,
                                               body: ["spec": ["template": ["spec": ["containers": [["name": "app", "image": .string(image)]]]]]])
        }
    }

    static func image(_ rs: JSONValue) -> String? {
        rs["spec"]?["template"]?["spec"]?["containers"]?.arrayValue?.first?["image"]?.stringValue
    }

    @Test func createsAReplicaSetNamedByTemplateHash() async throws {
        let rig = try await Rig()
        defer { rig.stop() }
        let d = try await rig.cluster.client.create(.deployments, namespace: "default", object: Fixtures.deployment("web", replicas: 3))
        #expect(try await eventually { try await rig.rolledOut("web") })
        let sets = try await rig.replicaSets("web")
        #expect(sets.count == 1)
        let rs = try #require(sets.first)
        let hash = try #require(rs.labels[TemplateHash.label])
        #expect(rs.name == "web-\(hash)")
        #expect(rs["spec"]?["selector"]?["matchLabels"]?[TemplateHash.label]?.stringValue == hash)
        #expect(rs["spec"]?["template"]?["metadata"]?["labels"]?[TemplateHash.label]?.stringValue == hash)
        #expect(rs.annotations[DeploymentLogic.revisionAnnotation] == "1")
        #expect(rs.annotations[DeploymentLogic.desiredReplicasAnnotation] == "3")
        #expect(rs.annotations[DeploymentLogic.maxReplicasAnnotation] == "4")
        #expect(OwnerReferences.controllerRef(of: rs)?["uid"]?.stringValue == d.uid)
        let pods = try await rig.cluster.pods(selector: "app=web")
        #expect(pods.count == 3)
        #expect(pods.allSatisfy { $0.labels[TemplateHash.label] == hash && $0.name.hasPrefix("web-\(hash)-") })
        let current = try await rig.deployment("web")
        #expect(current.annotations[DeploymentLogic.revisionAnnotation] == "1")
        #expect(current.generation == 1) // the revision annotation is written through /status
        let conditions = current["status"]?["conditions"]?.arrayValue ?? []
        #expect(conditions.contains { $0["type"] == "Available" && $0["status"] == "True" && $0["reason"] == "MinimumReplicasAvailable" })
        #expect(try await eventually {
            let c = try await rig.deployment("web")["status"]?["conditions"]?.arrayValue ?? []
            return c.contains { $0["type"] == "Progressing" && $0["status"] == "True" && $0["reason"] == "NewReplicaSetAvailable" }
        })
        #expect(try await eventually {
            try await rig.cluster.events(reason: "ScalingReplicaSet").contains {
                $0["message"]?.stringValue == "Scaled up replica set \(rs.name) to 3" && $0["source"]?["component"] == "deployment-controller"
            }
        })
    }

    @Test func rollingUpdateReplacesTheOldReplicaSet() async throws {
        let rig = try await Rig()
        defer { rig.stop() }
        _ = try await rig.cluster.client.create(.deployments, namespace: "default", object: Fixtures.deployment("web", replicas: 4))
        #expect(try await eventually { try await rig.rolledOut("web") })
        let first = try #require(try await rig.replicaSets("web").first)

        // Watch the ReplicaSets during the rollout: the total never exceeds replicas + maxSurge (1).
        let maxTotal = Mutex<Int64>(0)
        let watcher = Task {
            while !Task.isCancelled {
                let sets = (try? await rig.replicaSets("web")) ?? []
                let total = sets.reduce(Int64(0)) { $0 + ($1["spec"]?["replicas"]?.intValue ?? 0) }
                maxTotal.withLock { $0 = max($0, total) }
                try? await Task.sleep(for: .milliseconds(5))
            }
        }
        try await rig.setImage("web", "nginx:1.28")
        #expect(try await eventually(timeout: .seconds(20)) {
            let sets = try await rig.replicaSets("web")
            return try await rig.rolledOut("web") && sets.count == 2
                && sets.first { $0.name == first.name }?["spec"]?["replicas"] == 0
        })
        watcher.cancel()
        #expect(maxTotal.withLock { $0 } <= 5)
        let sets = try await rig.replicaSets("web")
        let new = try #require(sets.first { $0.name != first.name })
        #expect(Self.image(new) == "nginx:1.28")
        #expect(new.annotations[DeploymentLogic.revisionAnnotation] == "2")
        #expect(new["spec"]?["replicas"] == 4)
        #expect(try await rig.deployment("web").annotations[DeploymentLogic.revisionAnnotation] == "2")
        let pods = try await rig.cluster.pods(selector: "app=web")
        #expect(pods.count == 4 && pods.allSatisfy { $0.labels[TemplateHash.label] == new.labels[TemplateHash.label] })
        #expect(try await eventually {
            let messages = try await rig.cluster.events(reason: "ScalingReplicaSet").compactMap { $0["message"]?.stringValue }
            return messages.contains { $0.hasPrefix("Scaled down replica set \(first.name) to ") && $0.contains(" from ") }
                && messages.contains { $0.hasPrefix("Scaled up replica set \(new.name) to ") }
        })

        // Back to the first template (what `kubectl rollout undo` does): the old ReplicaSet comes back as revision 3.
        try await rig.setImage("web", "nginx:1.27")
        #expect(try await eventually(timeout: .seconds(20)) {
            let back = try await rig.replicaSets("web").first { $0.name == first.name }
            return try await rig.rolledOut("web") && back?["spec"]?["replicas"] == 4
                && back?.annotations[DeploymentLogic.revisionAnnotation] == "3"
        })
        let back = try #require(try await rig.replicaSets("web").first { $0.name == first.name })
        #expect(back.annotations[DeploymentLogic.revisionHistoryAnnotation] == "1")
    }

    @Test func recreateScalesTheOldDownBeforeCreatingTheNew() async throws {
        let rig = try await Rig()
        defer { rig.stop() }
        _ = try await rig.cluster.client.create(.deployments, namespace: "default",
                                                object: Fixtures.deployment("db", replicas: 3, strategy: "Recreate"))
        #expect(try await eventually { try await rig.rolledOut("db") })
        let first = try #require(try await rig.replicaSets("db").first)
        let stream = try await rig.cluster.client.watch(.replicaSets, namespace: "default",
                                                        query: WatchQuery(resourceVersion: first.resourceVersion))
        try await rig.setImage("db", "postgres:17")
        #expect(try await eventually(timeout: .seconds(20)) {
            let count = try await rig.replicaSets("db").count
            return try await rig.rolledOut("db") && count == 2
        })
        stream.stop()
        // When the new ReplicaSet appeared, the old one was already at zero with no pods left.
        var oldReplicas: Int64 = 3, oldStatusReplicas: Int64 = 3, checked = false
        for await event in stream {
            if event.object.name == first.name {
                oldReplicas = event.object["spec"]?["replicas"]?.intValue ?? 0
                oldStatusReplicas = event.object["status"]?["replicas"]?.intValue ?? 0
            } else if event.type == .added {
                #expect(oldReplicas == 0 && oldStatusReplicas == 0)
                checked = true
                break
            }
        }
        #expect(checked)
    }

    @Test func revisionHistoryLimitCleansUpOldReplicaSets() async throws {
        let rig = try await Rig()
        defer { rig.stop() }
        _ = try await rig.cluster.client.create(.deployments, namespace: "default",
                                                object: Fixtures.deployment("web", replicas: 2, revisionHistoryLimit: 1))
        #expect(try await eventually { try await rig.rolledOut("web") })
        for image in ["nginx:1.28", "nginx:1.29", "nginx:1.30"] {
            try await rig.setImage("web", image)
            #expect(try await eventually(timeout: .seconds(20)) {
                let sets = try await rig.replicaSets("web")
                return try await rig.rolledOut("web") && sets.contains { Self.image($0) == image && $0["spec"]?["replicas"] == 2 }
            })
        }
        #expect(try await eventually {
            let sets = try await rig.replicaSets("web")
            return sets.count == 2 && Set(sets.compactMap(Self.image)) == ["nginx:1.30", "nginx:1.29"]
        })
    }

    @Test func pausedDeploymentsDoNotRollUntilResumed() async throws {
        let rig = try await Rig()
        defer { rig.stop() }
        _ = try await rig.cluster.client.create(.deployments, namespace: "default", object: Fixtures.deployment("web", replicas: 2))
        #expect(try await eventually { try await rig.rolledOut("web") })
        _ = try await rig.cluster.client.patch(.deployments, namespace: "default", name: "web", format: .merge, body: ["spec": ["paused": true]])
        try await rig.setImage("web", "nginx:1.28")
        #expect(try await eventually {
            let d = try await rig.deployment("web")
            return (d["status"]?["conditions"]?.arrayValue ?? []).contains {
                $0["type"] == "Progressing" && $0["status"] == "Unknown" && $0["reason"] == "DeploymentPaused"
            } && d["status"]?["observedGeneration"]?.intValue == d.generation
        })
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await rig.replicaSets("web").count == 1)

        // Scaling while paused still works.
        _ = try await rig.cluster.client.patch(.deployments, namespace: "default", name: "web", format: .merge, body: ["spec": ["replicas": 3]])
        #expect(try await eventually { try await rig.cluster.pods(selector: "app=web").count == 3 })
        #expect(try await rig.replicaSets("web").count == 1)

        _ = try await rig.cluster.client.patch(.deployments, namespace: "default", name: "web", format: .merge, body: ["spec": ["paused": false]])
        #expect(try await eventually(timeout: .seconds(20)) {
            let sets = try await rig.replicaSets("web")
            return try await rig.rolledOut("web") && sets.contains { Self.image($0) == "nginx:1.28" && $0["spec"]?["replicas"] == 3 }
        })
    }

    @Test func scalingUpAndDown() async throws {
        let rig = try await Rig()
        defer { rig.stop() }
        _ = try await rig.cluster.client.create(.deployments, namespace: "default", object: Fixtures.deployment("web", replicas: 2))
        #expect(try await eventually { try await rig.rolledOut("web") })
        _ = try await rig.cluster.client.patch(.deployments, namespace: "default", name: "web", format: .merge, body: ["spec": ["replicas": 5]])
        #expect(try await eventually {
            let count = try await rig.cluster.pods(selector: "app=web").count
            return try await rig.rolledOut("web") && count == 5
        })
        #expect(try await rig.replicaSets("web").first?.annotations[DeploymentLogic.desiredReplicasAnnotation] == "5")
        _ = try await rig.cluster.client.patch(.deployments, namespace: "default", name: "web", format: .merge, body: ["spec": ["replicas": 1]])
        #expect(try await eventually {
            let count = try await rig.cluster.pods(selector: "app=web").count
            return try await rig.rolledOut("web") && count == 1
        })
        #expect(try await eventually {
            let messages = try await rig.cluster.events(reason: "ScalingReplicaSet").compactMap { $0["message"]?.stringValue }
            return messages.contains { $0.hasSuffix("to 5 from 2") } && messages.contains { $0.hasSuffix("to 1 from 5") }
        })
    }

    @Test func statusConflictsAreRetried() async throws {
        let cluster = try await TestCluster()
        let client = InterferingClient(cluster.client)
        client.conflicts.withLock { $0["deployments"] = 3; $0["replicasets"] = 3 }
        let context = ControllerContext(client: client)
        let tasks = [startControllers([ReplicaSetController(context: context), DeploymentController(context: context)], context: context),
                     fakeKubelet(cluster.client)]
        defer { for task in tasks { task.cancel() } }
        _ = try await cluster.client.create(.deployments, namespace: "default", object: Fixtures.deployment("web", replicas: 2))
        #expect(try await eventually {
            let d = try await cluster.client.get(.deployments, namespace: "default", name: "web")
            return d["status"]?["availableReplicas"] == 2 && d["status"]?["updatedReplicas"] == 2
        })
        #expect(client.interfered.withLock { $0 } == 6)
        #expect(try await cluster.pods(selector: "app=web").count == 2)
        #expect(try await cluster.client.list(.replicaSets, namespace: "default").items.count == 1)
    }

    @Test func failedReplicaSetCreationIsReported() async throws {
        let cluster = try await TestCluster()
        let client = InterferingClient(cluster.client)
        client.failCreate.withLock {
            $0 = { resource, _ in
                resource == .replicaSets ? StatusError(status: ["kind": "Status", "status": "Failure", "code": 403, "reason": "Forbidden",
                                                               "message": "replicasets.apps is forbidden: exceeded quota: q"]) : nil
            }
        }
        let context = ControllerContext(client: client)
        let task = startControllers([DeploymentController(context: context)], context: context)
        defer { task.cancel() }
        _ = try await cluster.client.create(.deployments, namespace: "default", object: Fixtures.deployment("web", replicas: 1))
        #expect(try await eventually {
            let c = try await cluster.client.get(.deployments, namespace: "default", name: "web")["status"]?["conditions"]?.arrayValue ?? []
            return c.contains { $0["type"] == "Progressing" && $0["status"] == "False" && $0["reason"] == "ReplicaSetCreateError" }
        })
        #expect(try await eventually {
            try await cluster.events(reason: "FailedCreate").contains {
                $0["type"] == "Warning" && ($0["message"]?.stringValue ?? "").hasPrefix("Failed to create new replica set \"web-")
                    && ($0["message"]?.stringValue ?? "").hasSuffix("exceeded quota: q")
            }
        })
        #expect(try await cluster.client.list(.replicaSets, namespace: "default").items.isEmpty)
    }

    @Test func progressDeadlineExceeded() async throws {
        let cluster = try await TestCluster()
        let context = cluster.context
        // No kubelet: pods never become ready.
        let task = startControllers([ReplicaSetController(context: context), DeploymentController(context: context)], context: context)
        defer { task.cancel() }
        var d = Fixtures.deployment("slow", replicas: 1)
        d.set(path: ["spec", "progressDeadlineSeconds"], to: 1)
        _ = try await cluster.client.create(.deployments, namespace: "default", object: d)
        #expect(try await eventually(timeout: .seconds(30)) {
            let c = try await cluster.client.get(.deployments, namespace: "default", name: "slow")["status"]?["conditions"]?.arrayValue ?? []
            return c.contains { $0["type"] == "Progressing" && $0["status"] == "False" && $0["reason"] == "ProgressDeadlineExceeded" }
                && c.contains { $0["type"] == "Available" && $0["status"] == "False" }
        })
    }
}
