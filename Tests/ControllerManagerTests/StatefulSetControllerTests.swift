import APIMachinery
import Client
import ControllerManager
import Foundation
import Synchronization
import Testing

@Suite struct StatefulSetControllerTests {
    static let ns = "default"

    func statefulSet(_ name: String = "web", replicas: Int64 = 3, parallel: Bool = false, partition: Int64? = nil,
                     onDelete: Bool = false) -> JSONValue {
        var spec: [String: JSONValue] = [
            "replicas": .int(replicas), "serviceName": "nginx",
            "selector": ["matchLabels": ["app": .string(name)]],
            "template": Fixtures.template(app: name),
            "volumeClaimTemplates": [["metadata": ["name": "www"],
                                      "spec": ["accessModes": ["ReadWriteOnce"], "resources": ["requests": ["storage": "1Gi"]]]]],
        ]
        if parallel { spec["podManagementPolicy"] = "Parallel" }
        if onDelete {
            spec["updateStrategy"] = ["type": "OnDelete"]
        } else if let partition {
            spec["updateStrategy"] = ["type": "RollingUpdate", "rollingUpdate": ["partition": .int(partition)]]
        }
        return ["apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": ["name": .string(name), "namespace": .string(Self.ns)],
                "spec": .object(spec)]
    }

    func podNames(_ cluster: TestCluster, includeTerminating: Bool = false) async throws -> [String] {
        try await ownedPods(cluster.client, namespace: Self.ns, owner: "web")
            .filter { includeTerminating || $0.deletionTimestamp == nil }.map(\.name).sorted()
    }

    func pod(_ cluster: TestCluster, _ name: String) async throws -> JSONValue {
        try await cluster.client.get(.pods, namespace: Self.ns, name: name)
    }

    func status(_ cluster: TestCluster) async throws -> JSONValue {
        try await cluster.client.get(.statefulSets, namespace: Self.ns, name: "web")["status"] ?? .null
    }

    func setImage(_ cluster: TestCluster, _ image: String) async throws {
        _ = try await cluster.client.patch(.statefulSets, namespace: Self.ns, name: "web", format: .merge,
                                           body: ["spec": ["template": ["spec": ["containers": [["name": "app", "image": .string(image)]]]]]])
    }

    func image(_ pod: JSONValue) -> String? { pod["spec"]?["containers"]?.arrayValue?.first?["image"]?.stringValue }

    /// Runs every pod that is not yet Ready.
    func runAll(_ cluster: TestCluster) async throws {
        for pod in try await ownedPods(cluster.client, namespace: Self.ns, owner: "web")
        where pod.deletionTimestamp == nil && pod["status"]?["phase"] != "Running" {
            try await markRunningReady(cluster.client, namespace: Self.ns, name: pod.name)
        }
    }

    @Test func orderedReadyCreatesOneOrdinalAtATimeWithClaims() async throws {
        let cluster = try await TestCluster()
        let client = cluster.client
        _ = try await client.create(.statefulSets, namespace: Self.ns, object: statefulSet())
        let task = cluster.start(StatefulSetController(context: cluster.context))
        defer { task.cancel() }

        #expect(try await eventually { try await podNames(cluster) == ["web-0"] })
        try await Task.sleep(for: .milliseconds(200))
        #expect(try await podNames(cluster) == ["web-0"], "web-1 must wait for web-0 to be Running and Ready")

        let web0 = try await pod(cluster, "web-0")
        #expect(web0.labels["statefulset.kubernetes.io/pod-name"] == "web-0")
        #expect(web0.labels["apps.kubernetes.io/pod-index"] == "0")
        #expect(web0["spec"]?["hostname"] == "web-0")
        #expect(web0["spec"]?["subdomain"] == "nginx")
        #expect(web0["spec"]?["volumes"]?.arrayValue?.contains {
            $0["name"] == "www" && $0["persistentVolumeClaim"]?["claimName"] == "www-web-0"
        } == true)
        let claim = try await client.get(.persistentVolumeClaims, namespace: Self.ns, name: "www-web-0")
        #expect(claim.labels["app"] == "web")
        #expect(claim["metadata"]?["ownerReferences"] == nil, "Retain: claims are not owned")
        let revision = try #require(web0.labels["controller-revision-hash"])
        #expect(revision.hasPrefix("web-"))
        let revisions = try await client.list(.controllerRevisions, namespace: Self.ns).items
        #expect(revisions.map(\.name) == [revision])

        try await markRunningReady(client, namespace: Self.ns, name: "web-0")
        #expect(try await eventually { try await podNames(cluster) == ["web-0", "web-1"] })
        try await markRunningReady(client, namespace: Self.ns, name: "web-1")
        #expect(try await eventually { try await podNames(cluster) == ["web-0", "web-1", "web-2"] })
        try await markRunningReady(client, namespace: Self.ns, name: "web-2")
        #expect(try await eventually {
            let s = try await status(cluster)
            return s["replicas"] == 3 && s["readyReplicas"] == 3 && s["availableReplicas"] == 3 && s["currentReplicas"] == 3
                && s["updatedReplicas"] == 3 && s["currentRevision"] == .string(revision) && s["updateRevision"] == .string(revision)
                && s["observedGeneration"] == 1 && s["collisionCount"] == 0
        })
        for i in 0..<3 { _ = try await client.get(.persistentVolumeClaims, namespace: Self.ns, name: "www-web-\(i)") }
        let messages = try await eventMessages(client, namespace: Self.ns, about: "web")
        #expect(messages == [
            "create Claim www-web-0 Pod web-0 in StatefulSet web success", "create Pod web-0 in StatefulSet web successful",
            "create Claim www-web-1 Pod web-1 in StatefulSet web success", "create Pod web-1 in StatefulSet web successful",
            "create Claim www-web-2 Pod web-2 in StatefulSet web success", "create Pod web-2 in StatefulSet web successful",
        ])
    }

    @Test func parallelCreatesEveryOrdinalAtOnce() async throws {
        let cluster = try await TestCluster()
        _ = try await cluster.client.create(.statefulSets, namespace: Self.ns, object: statefulSet(parallel: true))
        let task = cluster.start(StatefulSetController(context: cluster.context))
        defer { task.cancel() }
        #expect(try await eventually { try await podNames(cluster) == ["web-0", "web-1", "web-2"] })
        #expect(try await status(cluster)["readyReplicas"] == nil)
    }

    @Test func scaleDownRemovesTheHighestOrdinalFirstAndKeepsClaims() async throws {
        let cluster = try await TestCluster()
        let client = cluster.client
        _ = try await client.create(.statefulSets, namespace: Self.ns, object: statefulSet())
        let task = cluster.start(StatefulSetController(context: cluster.context))
        defer { task.cancel() }
        #expect(try await eventually {
            try await runAll(cluster)
            let names = try await podNames(cluster)
            let ready = try await status(cluster)["readyReplicas"]
            return names == ["web-0", "web-1", "web-2"] && ready == 3
        })
        _ = try await client.patch(.statefulSets, namespace: Self.ns, name: "web", format: .merge, body: ["spec": ["replicas": 1]])
        #expect(try await eventually { try await podNames(cluster) == ["web-0"] })
        let deletes = try await eventMessages(client, namespace: Self.ns, about: "web").filter { $0.hasPrefix("delete Pod") }
        #expect(deletes == ["delete Pod web-2 in StatefulSet web successful", "delete Pod web-1 in StatefulSet web successful"])
        // Claims stay (whenScaled: Retain).
        for i in 0..<3 { _ = try await client.get(.persistentVolumeClaims, namespace: Self.ns, name: "www-web-\(i)") }
        #expect(try await eventually { try await status(cluster)["replicas"] == 1 })
    }

    @Test func adoptsAnOrphanWithAnOrdinalName() async throws {
        let cluster = try await TestCluster()
        let client = cluster.client
        for name in ["web-0", "web-extra"] {
            _ = try await client.create(.pods, namespace: Self.ns, object: [
                "apiVersion": "v1", "kind": "Pod", "metadata": ["name": .string(name), "namespace": .string(Self.ns), "labels": ["app": "web"]],
                "spec": ["containers": [["name": "app", "image": "nginx:1.27"]]]])
        }
        let set = try await client.create(.statefulSets, namespace: Self.ns, object: statefulSet(replicas: 1, parallel: true))
        let task = cluster.start(StatefulSetController(context: cluster.context))
        defer { task.cancel() }
        #expect(try await eventually {
            OwnerReferences.controllerRef(of: try await pod(cluster, "web-0"))?["uid"]?.stringValue == set.uid
        })
        try await Task.sleep(for: .milliseconds(200))
        #expect(OwnerReferences.controllerRef(of: try await pod(cluster, "web-extra")) == nil, "not a member: its name has no ordinal")
        #expect(!(try await eventMessages(client, namespace: Self.ns, about: "web")).contains("create Pod web-0 in StatefulSet web successful"))
    }

    @Test func claimRetentionPolicyDeleteSetsOwners() async throws {
        let cluster = try await TestCluster()
        let client = cluster.client
        var set = statefulSet(replicas: 2, parallel: true)
        set.set(path: ["spec", "persistentVolumeClaimRetentionPolicy"], to: ["whenDeleted": "Delete", "whenScaled": "Delete"])
        let created = try await client.create(.statefulSets, namespace: Self.ns, object: set)
        let task = cluster.start(StatefulSetController(context: cluster.context))
        defer { task.cancel() }
        #expect(try await eventually {
            try await runAll(cluster)
            return try await status(cluster)["readyReplicas"] == 2
        })
        let claim = try await client.get(.persistentVolumeClaims, namespace: Self.ns, name: "www-web-1")
        let setRef = OwnerReferences.controllerRef(of: claim)
        #expect(setRef?["kind"] == "StatefulSet" && setRef?["uid"]?.stringValue == created.uid)
        let web1 = try await pod(cluster, "web-1")
        _ = try await client.patch(.statefulSets, namespace: Self.ns, name: "web", format: .merge, body: ["spec": ["replicas": 1]])
        #expect(try await eventually { try await podNames(cluster) == ["web-0"] })
        let scaled = try await client.get(.persistentVolumeClaims, namespace: Self.ns, name: "www-web-1")
        #expect(OwnerReferences.all(scaled).contains { $0["kind"] == "Pod" && $0["uid"]?.stringValue == web1.uid })
        let kept = try await client.get(.persistentVolumeClaims, namespace: Self.ns, name: "www-web-0")
        #expect(!OwnerReferences.all(kept).contains { $0["kind"] == "Pod" })
    }

    @Test func orderedScaleDownWaitsForTheTerminatingPod() async throws {
        let cluster = try await TestCluster()
        let client = cluster.client
        _ = try await client.create(.statefulSets, namespace: Self.ns, object: statefulSet())
        let task = cluster.start(StatefulSetController(context: cluster.context))
        defer { task.cancel() }
        #expect(try await eventually {
            for pod in try await ownedPods(client, namespace: Self.ns, owner: "web") where pod["spec"]?["nodeName"] == nil {
                _ = try? await client.create(.nodes, object: node("n1"))
                try await markRunningReady(client, namespace: Self.ns, name: pod.name, node: "n1")
            }
            return try await status(cluster)["readyReplicas"] == 3
        })
        _ = try await client.patch(.statefulSets, namespace: Self.ns, name: "web", format: .merge, body: ["spec": ["replicas": 1]])
        // Bound pods terminate gracefully: web-2 stays terminating and web-1 is left alone meanwhile.
        #expect(try await eventually { try await pod(cluster, "web-2").deletionTimestamp != nil })
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await pod(cluster, "web-1").deletionTimestamp == nil)
        _ = try await client.delete(.pods, namespace: Self.ns, name: "web-2", options: DeleteQuery(gracePeriodSeconds: 0))
        #expect(try await eventually { try await pod(cluster, "web-1").deletionTimestamp != nil })
    }

    @Test func rollingUpdateByOrdinalHonoursPartition() async throws {
        let cluster = try await TestCluster()
        let client = cluster.client
        _ = try await client.create(.statefulSets, namespace: Self.ns, object: statefulSet(partition: 1))
        let task = cluster.start(StatefulSetController(context: cluster.context))
        defer { task.cancel() }
        #expect(try await eventually {
            try await runAll(cluster)
            return try await status(cluster)["readyReplicas"] == 3
        })
        let oldRevision = try #require(try await status(cluster)["currentRevision"]?.stringValue)

        try await setImage(cluster, "nginx:1.28")
        // web-2 first; web-1 only once web-2 runs again; web-0 never (partition 1).
        #expect(await eventually { (try? await pod(cluster, "web-2")).map(image) == "nginx:1.28" })
        #expect(image(try await pod(cluster, "web-1")) == "nginx:1.27")
        try await Task.sleep(for: .milliseconds(200))
        #expect(image(try await pod(cluster, "web-1")) == "nginx:1.27", "web-1 waits for web-2 to be Ready")
        try await runAll(cluster)
        #expect(await eventually { (try? await pod(cluster, "web-1")).map(image) == "nginx:1.28" })
        try await runAll(cluster)
        #expect(try await eventually {
            let s = try await status(cluster)
            return s["updatedReplicas"] == 2 && s["readyReplicas"] == 3
        })
        try await Task.sleep(for: .milliseconds(200))
        #expect(image(try await pod(cluster, "web-0")) == "nginx:1.27")
        let s = try await status(cluster)
        #expect(s["currentRevision"] == .string(oldRevision))
        #expect(s["updateRevision"] != .string(oldRevision))
        let updateRevision = try await pod(cluster, "web-2").labels["controller-revision-hash"]
        #expect(s["updateRevision"]?.stringValue == updateRevision)

        // Deleted below the partition: recreated at the current revision.
        _ = try await client.delete(.pods, namespace: Self.ns, name: "web-0", options: DeleteQuery(gracePeriodSeconds: 0))
        #expect(await eventually { (try? await pod(cluster, "web-0"))?.labels["controller-revision-hash"] == oldRevision })
        try await runAll(cluster)

        // Partition 0 finishes the rollout: currentRevision becomes the update revision.
        _ = try await client.patch(.statefulSets, namespace: Self.ns, name: "web", format: .merge,
                                   body: ["spec": ["updateStrategy": ["rollingUpdate": ["partition": 0]]]])
        #expect(try await eventually {
            try await runAll(cluster)
            let s = try await status(cluster)
            return s["currentRevision"]?.stringValue == updateRevision && s["updatedReplicas"] == 3 && s["currentReplicas"] == 3
        })
        #expect(image(try await pod(cluster, "web-0")) == "nginx:1.28")
        let deletes = try await eventMessages(client, namespace: Self.ns, about: "web").filter { $0.hasPrefix("delete Pod") }
        #expect(deletes == ["delete Pod web-2 in StatefulSet web successful", "delete Pod web-1 in StatefulSet web successful",
                            "delete Pod web-0 in StatefulSet web successful"])
        let revisions = try await client.list(.controllerRevisions, namespace: Self.ns).items
        #expect(Set(revisions.compactMap { $0["revision"]?.intValue }) == [1, 2])
    }

    @Test func onDeleteKeepsPodsUntilDeleted() async throws {
        let cluster = try await TestCluster()
        let client = cluster.client
        _ = try await client.create(.statefulSets, namespace: Self.ns, object: statefulSet(replicas: 2, onDelete: true))
        let task = cluster.start(StatefulSetController(context: cluster.context))
        defer { task.cancel() }
        #expect(try await eventually {
            try await runAll(cluster)
            return try await status(cluster)["readyReplicas"] == 2
        })
        try await setImage(cluster, "nginx:1.28")
        #expect(try await eventually {
            let s = try await status(cluster)
            return s["updateRevision"] != nil && s["updateRevision"] != s["currentRevision"]
        })
        try await Task.sleep(for: .milliseconds(300))
        #expect(image(try await pod(cluster, "web-1")) == "nginx:1.27")
        _ = try await client.delete(.pods, namespace: Self.ns, name: "web-1", options: DeleteQuery(gracePeriodSeconds: 0))
        #expect(await eventually { (try? await pod(cluster, "web-1")).map(image) == "nginx:1.28" })
        #expect(image(try await pod(cluster, "web-0")) == "nginx:1.27")
    }

    @Test func statusConflictIsRetriedAndExpectationsPreventDoubleCreates() async throws {
        let cluster = try await TestCluster()
        let conflicting = ConflictingClient(cluster.client, resource: .statefulSets, conflicts: 2, subresource: "status")
        let context = ControllerContext(client: conflicting)
        let now = Mutex(ContinuousClock.now)
        let expectations = Expectations(timeout: .seconds(300), clock: { now.withLock { $0 } })
        // A create the informer never reported (a missed watch event).
        expectations.expect("default/web", adds: 1)
        _ = try await cluster.client.create(.statefulSets, namespace: Self.ns, object: statefulSet(replicas: 2, parallel: true))
        let task = startControllers([StatefulSetController(context: context, expectations: expectations)], context: context)
        defer { task.cancel() }
        #expect(try await eventually { try await status(cluster)["updateRevision"] != nil })
        #expect(conflicting.refused.withLock { $0 } == 2)
        try await Task.sleep(for: .milliseconds(200))
        #expect(try await podNames(cluster).isEmpty)

        now.withLock { $0 += .seconds(301) }
        _ = try await cluster.client.patch(.statefulSets, namespace: Self.ns, name: "web", format: .merge, body: ["metadata": ["labels": ["poke": "1"]]])
        #expect(try await eventually { try await podNames(cluster) == ["web-0", "web-1"] })
        for i in 2...5 {
            _ = try await cluster.client.patch(.statefulSets, namespace: Self.ns, name: "web", format: .merge,
                                               body: ["metadata": ["labels": ["poke": .string("\(i)")]]])
        }
        try await Task.sleep(for: .milliseconds(300))
        let creates = try await eventMessages(cluster.client, namespace: Self.ns, about: "web").filter { $0.hasPrefix("create Pod") }
        #expect(creates.sorted() == ["create Pod web-0 in StatefulSet web successful", "create Pod web-1 in StatefulSet web successful"])
        #expect(try await eventually { try await status(cluster)["replicas"] == 2 })
    }
}
