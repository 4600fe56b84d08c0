import APIMachinery
import Client
@testable import ControllerManager
import Controllers
import Foundation
import Synchronization
import Testing

@Suite struct ReplicaSetControllerTests {
    @Test func createsReplicasAndReplacesADeletedPod() async throws {
        let cluster = try await TestCluster()
        let task = cluster.start(ReplicaSetController(context: cluster.context))
        defer { task.cancel() }
        let rs = try await cluster.client.create(.replicaSets, namespace: "default", object: Fixtures.replicaSet("web", replicas: 3))
        #expect(try await eventually { try await cluster.pods().count == 3 })
        let pods = try await cluster.pods()
        for pod in pods {
            #expect(pod.generateName == "web-")
            #expect(pod.name.hasPrefix("web-"))
            #expect(pod.labels == ["app": "web"])
            let ref = OwnerReferences.controllerRef(of: pod)
            #expect(ref?["uid"]?.stringValue == rs.uid)
            #expect(ref?["kind"] == "ReplicaSet")
            #expect(ref?["blockOwnerDeletion"] == true)
        }
        let victim = pods[0].name
        _ = try await cluster.client.delete(.pods, namespace: "default", name: victim)
        #expect(try await eventually {
            let names = try await cluster.pods().map(\.name)
            return names.count == 3 && !names.contains(victim)
        })
        #expect(try await eventually {
            let status = try await cluster.client.get(.replicaSets, namespace: "default", name: "web")["status"]
            return status?["replicas"] == 3 && status?["fullyLabeledReplicas"] == 3 && status?["observedGeneration"] == 1
        })
        #expect(try await eventually {
            let created = try await cluster.events(reason: "SuccessfulCreate")
            return created.count == 4 && created.allSatisfy {
                $0["source"]?["component"] == "replicaset-controller" && ($0["message"]?.stringValue ?? "").hasPrefix("Created pod: web-")
            }
        })
        // Deleting the pod made the controller count its deletion; nothing extra was created.
        try await Task.sleep(for: .milliseconds(200))
        #expect(try await cluster.pods().count == 3)
    }

    @Test func readyAndAvailableCountsAndTerminatedPodsIgnored() async throws {
        let cluster = try await TestCluster()
        let task = cluster.start(ReplicaSetController(context: cluster.context))
        defer { task.cancel() }
        _ = try await cluster.client.create(.replicaSets, namespace: "default", object: Fixtures.replicaSet("api", replicas: 2, labels: ["app": "api"]))
        #expect(try await eventually { try await cluster.pods().count == 2 })
        var pods = try await cluster.pods()
        _ = try await cluster.client.updateStatus(.pods, namespace: "default", object: Fixtures.withStatus(pods[0], ready: true))
        #expect(try await eventually {
            let status = try await cluster.client.get(.replicaSets, namespace: "default", name: "api")["status"]
            return status?["readyReplicas"] == 1 && status?["availableReplicas"] == 1 && status?["replicas"] == 2
        })
        // A Failed pod no longer counts: a replacement is created.
        pods = try await cluster.pods()
        var failed = pods[1]
        failed["status"] = ["phase": "Failed"]
        _ = try await cluster.client.updateStatus(.pods, namespace: "default", object: failed)
        #expect(try await eventually { try await cluster.pods().count == 3 })
    }

    @Test func availableOnlyAfterMinReadySeconds() async throws {
        let cluster = try await TestCluster()
        let task = cluster.start(ReplicaSetController(context: cluster.context))
        defer { task.cancel() }
        _ = try await cluster.client.create(.replicaSets, namespace: "default",
                                            object: Fixtures.replicaSet("slow", replicas: 1, labels: ["app": "slow"], minReadySeconds: 2))
        #expect(try await eventually { try await cluster.pods().count == 1 })
        let pod = try #require(try await cluster.pods().first)
        _ = try await cluster.client.updateStatus(.pods, namespace: "default", object: Fixtures.withStatus(pod, ready: true))
        #expect(try await eventually {
            try await cluster.client.get(.replicaSets, namespace: "default", name: "slow")["status"]?["readyReplicas"] == 1
        })
        let early = try await cluster.client.get(.replicaSets, namespace: "default", name: "slow")["status"]
        #expect(early?["availableReplicas"] == nil) // ready, not yet for minReadySeconds
        #expect(try await eventually(timeout: .seconds(5)) {
            try await cluster.client.get(.replicaSets, namespace: "default", name: "slow")["status"]?["availableReplicas"] == 1
        })
    }

    @Test func statusUpdateConflictIsRetried() async throws {
        let cluster = try await TestCluster()
        let client = InterferingClient(cluster.client)
        client.conflicts.withLock { $0["replicasets"] = 1 }
        let context = ControllerContext(client: client)
        let task = startControllers([ReplicaSetController(context: context)], context: context)
        defer { task.cancel() }
        _ = try await cluster.client.create(.replicaSets, namespace: "default", object: Fixtures.replicaSet("web", replicas: 2))
        #expect(try await eventually {
            let rs = try await cluster.client.get(.replicaSets, namespace: "default", name: "web")
            return rs["status"]?["replicas"] == 2
        })
        #expect(client.interfered.withLock { $0 } == 1)
        let rs = try await cluster.client.get(.replicaSets, namespace: "default", name: "web")
        #expect(rs.labels["touched"] != nil) // the other writer's change survived
        #expect(try await cluster.pods().count == 2)
    }

    /// The informer misses the pods the controller created: expectations keep a second sync from
    /// creating them again until they are observed, or until the expectations expire.
    @Test func missedWatchEventsDoNotCreateTwice() async throws {
        let cluster = try await TestCluster()
        let client = InterferingClient(cluster.client)
        let now = Mutex(ContinuousClock.now)
        let expectations = Expectations(timeout: .seconds(300), clock: { now.withLock { $0 } })
        // Informers never started: the controller's caches only hold what the test puts in them.
        let context = ControllerContext(client: client)
        let controller = ReplicaSetController(context: context, expectations: expectations)
        let rs = try await cluster.client.create(.replicaSets, namespace: "default", object: Fixtures.replicaSet("web", replicas: 3))
        controller.replicaSets.indexer.upsert(rs)

        try await controller.sync("default/web")
        #expect(client.createCount(.pods) == 3)
        try await controller.sync("default/web")
        try await controller.sync("default/web")
        #expect(client.createCount(.pods) == 3)
        #expect(try await cluster.pods().count == 3)

        // Observing two of the three creations is not enough.
        let created = try await cluster.pods()
        for pod in created.prefix(2) {
            controller.pods.indexer.upsert(pod)
            await controller.podAdded(pod)
        }
        try await controller.sync("default/web")
        #expect(client.createCount(.pods) == 3)

        // The third add event is never delivered (a relist brings the pod in silently). After the
        // expectations expire the controller syncs again and, seeing three pods, creates nothing.
        controller.pods.indexer.upsert(created[2])
        now.withLock { $0 += .seconds(301) }
        try await controller.sync("default/web")
        #expect(client.createCount(.pods) == 3)
        let status = try await cluster.client.get(.replicaSets, namespace: "default", name: "web")["status"]
        #expect(status?["replicas"] == 3)
    }

    @Test func scaleDownDeletesPendingAndNotReadyPodsFirst() async throws {
        let cluster = try await TestCluster()
        let task = cluster.start(ReplicaSetController(context: cluster.context))
        defer { task.cancel() }
        _ = try await cluster.client.create(.replicaSets, namespace: "default", object: Fixtures.replicaSet("web", replicas: 4))
        #expect(try await eventually { try await cluster.pods().count == 4 })
        let pods = try await cluster.pods().sorted { $0.name < $1.name }
        // pods[0]: Pending (never reported); pods[1]: Running but not ready; pods[2], pods[3]: ready.
        var notReady = Fixtures.withStatus(pods[1], ready: false)
        notReady.set(path: ["status", "phase"], to: "Running")
        _ = try await cluster.client.updateStatus(.pods, namespace: "default", object: notReady)
        _ = try await cluster.client.updateStatus(.pods, namespace: "default", object: Fixtures.withStatus(pods[2], ready: true))
        _ = try await cluster.client.updateStatus(.pods, namespace: "default", object: Fixtures.withStatus(pods[3], ready: true))
        #expect(try await eventually {
            try await cluster.client.get(.replicaSets, namespace: "default", name: "web")["status"]?["readyReplicas"] == 2
        })
        _ = try await cluster.client.patch(.replicaSets, namespace: "default", name: "web", format: .merge, body: ["spec": ["replicas": 3]])
        #expect(try await eventually { try await cluster.pods().count == 3 })
        let remaining = try await cluster.pods().map(\.name)
        #expect(!remaining.contains(pods[0].name))
        _ = try await cluster.client.patch(.replicaSets, namespace: "default", name: "web", format: .merge, body: ["spec": ["replicas": 2]])
        #expect(try await eventually { try await cluster.pods().count == 2 })
        let left = try await cluster.pods().map(\.name)
        #expect(Set(left) == [pods[2].name, pods[3].name])
        #expect(try await eventually {
            let deleted = try await cluster.events(reason: "SuccessfulDelete").compactMap { $0["message"]?.stringValue }
            return Set(deleted) == ["Deleted pod: \(pods[0].name)", "Deleted pod: \(pods[1].name)"]
        })
        #expect(try await eventually {
            try await cluster.client.get(.replicaSets, namespace: "default", name: "web")["status"]?["replicas"] == 2
        })
    }

    @Test func adoptsMatchingOrphansAndReleasesPodsThatStopMatching() async throws {
        let cluster = try await TestCluster()
        let orphan: JSONValue = ["apiVersion": "v1", "kind": "Pod",
                                 "metadata": ["name": "stray", "namespace": "default", "labels": ["app": "web"]],
                                 "spec": ["containers": [["name": "app", "image": "nginx:1.27"]]]]
        _ = try await cluster.client.create(.pods, namespace: "default", object: orphan)
        let task = cluster.start(ReplicaSetController(context: cluster.context))
        defer { task.cancel() }
        let rs = try await cluster.client.create(.replicaSets, namespace: "default", object: Fixtures.replicaSet("web", replicas: 2))
        #expect(try await eventually { try await cluster.pods().count == 2 })
        let stray = try await cluster.client.get(.pods, namespace: "default", name: "stray")
        #expect(OwnerReferences.controllerRef(of: stray)?["uid"]?.stringValue == rs.uid)

        // Relabelled out of the selector: released (no owner any more) and replaced.
        _ = try await cluster.client.patch(.pods, namespace: "default", name: "stray", format: .merge,
                                           body: ["metadata": ["labels": ["app": "debug"]]])
        #expect(try await eventually {
            let pod = try await cluster.client.get(.pods, namespace: "default", name: "stray")
            return OwnerReferences.controllerRef(of: pod) == nil
        })
        #expect(try await eventually { try await cluster.pods(selector: "app=web").count == 2 })
    }

    @Test func failedCreatesStopTheSlowStartAndSetReplicaFailure() async throws {
        let cluster = try await TestCluster()
        let client = InterferingClient(cluster.client)
        client.failCreate.withLock {
            $0 = { resource, _ in
                resource == .pods ? StatusError(status: ["kind": "Status", "status": "Failure", "code": 403, "reason": "Forbidden",
                                                        "message": "pods \"web-x\" is forbidden: exceeded quota: compute, requested: pods=1, used: pods=0, limited: pods=0"])
                    : nil
            }
        }
        let context = ControllerContext(client: client)
        let task = startControllers([ReplicaSetController(context: context)], context: context)
        defer { task.cancel() }
        _ = try await cluster.client.create(.replicaSets, namespace: "default", object: Fixtures.replicaSet("web", replicas: 10))
        #expect(try await eventually {
            let conditions = try await cluster.client.get(.replicaSets, namespace: "default", name: "web")["status"]?["conditions"]?.arrayValue ?? []
            return conditions.contains { $0["type"] == "ReplicaFailure" && $0["status"] == "True" && $0["reason"] == "FailedCreate" }
        })
        #expect(try await eventually {
            try await cluster.events(reason: "FailedCreate").contains {
                $0["type"] == "Warning" && ($0["message"]?.stringValue ?? "").hasPrefix("Error creating: pods \"web-x\" is forbidden: exceeded quota")
            }
        })
        // The quota is lifted: pods are created and the condition goes away.
        client.failCreate.withLock { $0 = nil }
        #expect(try await eventually(timeout: .seconds(20)) { try await cluster.pods().count == 10 })
        #expect(try await eventually {
            let status = try await cluster.client.get(.replicaSets, namespace: "default", name: "web")["status"]
            return status?["replicas"] == 10 && !(status?["conditions"]?.arrayValue ?? []).contains { $0["type"] == "ReplicaFailure" }
        })
    }
}
