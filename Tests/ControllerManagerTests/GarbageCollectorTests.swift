import APIMachinery
import Client
import ControllerManager
import Testing

/// The garbage collector against the in-memory API: background, foreground and orphan propagation,
/// owners replaced or gone, dependents with several owners, and events missed while it was down.
@Suite struct GarbageCollectorTests {
    let ns = "default"

    func configMap(_ name: String, owners: [JSONValue] = [], finalizers: [String] = []) -> JSONValue {
        var metadata: [String: JSONValue] = ["name": .string(name)]
        if !owners.isEmpty { metadata["ownerReferences"] = .array(owners) }
        if !finalizers.isEmpty { metadata["finalizers"] = .array(finalizers.map { .string($0) }) }
        return ["apiVersion": "v1", "kind": "ConfigMap", "metadata": .object(metadata), "data": ["k": "v"]]
    }

    func ref(to owner: JSONValue, kind: String = "ConfigMap", apiVersion: String = "v1", block: Bool? = nil) -> JSONValue {
        var ref: [String: JSONValue] = ["apiVersion": .string(apiVersion), "kind": .string(kind), "name": .string(owner.name),
                                        "uid": .string(owner.uid)]
        if let block { ref["blockOwnerDeletion"] = .bool(block) }
        return .object(ref)
    }

    func exists(_ cluster: TestCluster, _ name: String, in resource: ResourceID = .configMaps) async throws -> Bool {
        do {
            _ = try await cluster.client.get(resource, namespace: ns, name: name)
            return true
        } catch where error.isNotFound {
            return false
        }
    }

    /// True when none of the config maps `names` exists.
    func gone(_ cluster: TestCluster, _ names: String...) async throws -> Bool {
        for name in names where try await exists(cluster, name) { return false }
        return true
    }

    func get(_ cluster: TestCluster, _ name: String, in resource: ResourceID = .configMaps) async throws -> JSONValue {
        try await cluster.client.get(resource, namespace: ns, name: name)
    }

    func delete(_ cluster: TestCluster, _ name: String, _ policy: DeleteQuery.Propagation?,
                in resource: ResourceID = .configMaps) async throws -> JSONValue {
        try await cluster.client.delete(resource, namespace: ns, name: name, options: DeleteQuery(propagationPolicy: policy))
    }

    // MARK: The store's side

    @Test func foregroundAndOrphanDeletesKeepTheObjectWithTheirFinalizer() async throws {
        let cluster = try await TestCluster()
        _ = try await cluster.client.create(.configMaps, namespace: ns, object: configMap("fg"))
        let fg = try await delete(cluster, "fg", .foreground)
        #expect(fg.finalizers == ["foregroundDeletion"])
        #expect(fg.deletionTimestamp != nil)
        #expect(try await exists(cluster, "fg"))

        _ = try await cluster.client.create(.configMaps, namespace: ns, object: configMap("or", finalizers: ["example.com/keep"]))
        let or = try await delete(cluster, "or", .orphan)
        #expect(or.finalizers == ["example.com/keep", "orphan"])
        // A second DELETE with another policy swaps the finalizer; Background drops it.
        let swapped = try await delete(cluster, "or", .foreground)
        #expect(swapped.finalizers == ["example.com/keep", "foregroundDeletion"])
        _ = try await delete(cluster, "fg", .background)
        #expect(try await !exists(cluster, "fg"))

        _ = try await cluster.client.create(.configMaps, namespace: ns, object: configMap("bg"))
        _ = try await delete(cluster, "bg", nil)
        #expect(try await !exists(cluster, "bg"))
    }

    @Test func jobsOrphanTheirPodsByDefault() async throws {
        let cluster = try await TestCluster()
        let job: JSONValue = [
            "apiVersion": "batch/v1", "kind": "Job", "metadata": ["name": "j"],
            "spec": ["template": ["spec": ["restartPolicy": "Never", "containers": [["name": "c", "image": "busybox"]]]]],
        ]
        _ = try await cluster.client.create(.jobs, namespace: ns, object: job)
        let deleted = try await delete(cluster, "j", nil, in: .jobs)
        #expect(deleted.finalizers == ["orphan"])
    }

    // MARK: The collector

    @Test func everyWatchedResourceIsServed() async throws {
        let cluster = try await TestCluster()
        for resource in GarbageCollector.resources {
            _ = try await cluster.client.list(resource.id, namespace: nil)
        }
    }

    @Test func backgroundDeletesDependentsOfAGoneOwner() async throws {
        let cluster = try await TestCluster()
        let task = cluster.start(GarbageCollector(context: cluster.context))
        defer { task.cancel() }
        let owner = try await cluster.client.create(.configMaps, namespace: ns, object: configMap("owner"))
        _ = try await cluster.client.create(.configMaps, namespace: ns, object: configMap("dep-1", owners: [ref(to: owner)]))
        _ = try await cluster.client.create(.configMaps, namespace: ns, object: configMap("dep-2", owners: [ref(to: owner)]))
        try await Task.sleep(for: .milliseconds(200))
        #expect(try await exists(cluster, "dep-1"), "a dependent of a live owner stays")
        _ = try await delete(cluster, "owner", .background)
        #expect(try await eventually { try await gone(cluster, "dep-1", "dep-2") })
    }

    @Test func foregroundWaitsForBlockingDependents() async throws {
        let cluster = try await TestCluster()
        let task = cluster.start(GarbageCollector(context: cluster.context))
        defer { task.cancel() }
        let owner = try await cluster.client.create(.configMaps, namespace: ns, object: configMap("owner"))
        _ = try await cluster.client.create(.configMaps, namespace: ns,
                                            object: configMap("blocking", owners: [ref(to: owner, block: true)], finalizers: ["example.com/hold"]))
        _ = try await cluster.client.create(.configMaps, namespace: ns, object: configMap("free", owners: [ref(to: owner, block: false)]))
        _ = try await delete(cluster, "owner", .foreground)
        #expect(try await eventually { try await !exists(cluster, "free") })
        #expect(try await eventually { try await get(cluster, "blocking").deletionTimestamp != nil })
        try await Task.sleep(for: .milliseconds(300))
        let waiting = try await get(cluster, "owner")
        #expect(waiting.deletionTimestamp != nil)
        #expect(waiting.finalizers == ["foregroundDeletion"], "the owner waits for its blocking dependent")

        _ = try await cluster.client.patch(.configMaps, namespace: ns, name: "blocking", format: .merge,
                                           body: ["metadata": ["finalizers": .null]])
        #expect(try await eventually { try await gone(cluster, "blocking", "owner") })
    }

    @Test func foregroundPropagatesThroughAChainOfOwners() async throws {
        let cluster = try await TestCluster()
        let task = cluster.start(GarbageCollector(context: cluster.context))
        defer { task.cancel() }
        let top = try await cluster.client.create(.configMaps, namespace: ns, object: configMap("top"))
        let middle = try await cluster.client.create(.configMaps, namespace: ns, object: configMap("middle", owners: [ref(to: top, block: true)]))
        _ = try await cluster.client.create(.configMaps, namespace: ns,
                                            object: configMap("leaf", owners: [ref(to: middle, block: true)], finalizers: ["example.com/hold"]))
        _ = try await delete(cluster, "top", .foreground)
        // The middle object is deleted in the foreground too, and waits for the leaf.
        #expect(try await eventually { try await get(cluster, "middle").finalizers == ["foregroundDeletion"] })
        #expect(try await eventually { try await get(cluster, "leaf").deletionTimestamp != nil })
        #expect(try await exists(cluster, "top"))
        _ = try await cluster.client.patch(.configMaps, namespace: ns, name: "leaf", format: .merge, body: ["metadata": ["finalizers": .null]])
        #expect(try await eventually { try await gone(cluster, "leaf", "middle", "top") })
    }

    @Test func orphanRemovesTheReferencesThenTheOwner() async throws {
        let cluster = try await TestCluster()
        let task = cluster.start(GarbageCollector(context: cluster.context))
        defer { task.cancel() }
        let owner = try await cluster.client.create(.configMaps, namespace: ns, object: configMap("owner"))
        let other = try await cluster.client.create(.configMaps, namespace: ns, object: configMap("other"))
        _ = try await cluster.client.create(.configMaps, namespace: ns, object: configMap("only", owners: [ref(to: owner)]))
        _ = try await cluster.client.create(.configMaps, namespace: ns, object: configMap("both", owners: [ref(to: owner), ref(to: other)]))
        _ = try await delete(cluster, "owner", .orphan)
        #expect(try await eventually { try await !exists(cluster, "owner") })
        let only = try await get(cluster, "only")
        #expect(only["metadata"]?["ownerReferences"] == nil)
        let both = try await get(cluster, "both")
        #expect(OwnerReferences.all(both).map { $0["uid"]?.stringValue } == [other.uid])
        try await Task.sleep(for: .milliseconds(200))
        #expect(try await exists(cluster, "only"))
    }

    @Test func anOwnerReplacedByAnotherUIDIsGone() async throws {
        let cluster = try await TestCluster()
        let task = cluster.start(GarbageCollector(context: cluster.context))
        defer { task.cancel() }
        let owner = try await cluster.client.create(.configMaps, namespace: ns, object: configMap("owner"))
        var stale = ref(to: owner)
        stale["uid"] = "0b0e7b6e-0000-4000-8000-000000000000"
        _ = try await cluster.client.create(.configMaps, namespace: ns, object: configMap("dep", owners: [stale]))
        _ = try await cluster.client.create(.configMaps, namespace: ns, object: configMap("kept", owners: [ref(to: owner)]))
        #expect(try await eventually { try await !exists(cluster, "dep") })
        #expect(try await exists(cluster, "kept"))
    }

    @Test func aDependentStaysWhileOneOwnerRemains() async throws {
        let cluster = try await TestCluster()
        let task = cluster.start(GarbageCollector(context: cluster.context))
        defer { task.cancel() }
        let first = try await cluster.client.create(.configMaps, namespace: ns, object: configMap("first"))
        let second = try await cluster.client.create(.configMaps, namespace: ns, object: configMap("second"))
        _ = try await cluster.client.create(.configMaps, namespace: ns, object: configMap("dep", owners: [ref(to: first), ref(to: second)]))
        _ = try await delete(cluster, "first", .background)
        // The reference to the gone owner is dropped; the dependent stays.
        #expect(try await eventually { OwnerReferences.all(try await get(cluster, "dep")).count == 1 })
        #expect(OwnerReferences.all(try await get(cluster, "dep")).first?["uid"]?.stringValue == second.uid)
        _ = try await delete(cluster, "second", .background)
        #expect(try await eventually { try await !exists(cluster, "dep") })
    }

    @Test func aClusterScopedOwnerOfNamespacedDependents() async throws {
        let cluster = try await TestCluster()
        let task = cluster.start(GarbageCollector(context: cluster.context))
        defer { task.cancel() }
        let node = try await cluster.client.create(.nodes, object: ["apiVersion": "v1", "kind": "Node", "metadata": ["name": "n1"]])
        _ = try await cluster.client.create(.leases, namespace: ns, object: [
            "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
            "metadata": ["name": "n1", "ownerReferences": [ref(to: node, kind: "Node")]], "spec": ["holderIdentity": "n1"],
        ])
        try await Task.sleep(for: .milliseconds(200))
        #expect(try await exists(cluster, "n1", in: .leases))
        _ = try await cluster.client.delete(.nodes, name: "n1")
        #expect(try await eventually { try await !exists(cluster, "n1", in: .leases) })
    }

    @Test func aDependentAddedDuringAForegroundDeletionIsDeleted() async throws {
        let cluster = try await TestCluster()
        let task = cluster.start(GarbageCollector(context: cluster.context))
        defer { task.cancel() }
        let owner = try await cluster.client.create(.configMaps, namespace: ns, object: configMap("owner"))
        _ = try await cluster.client.create(.configMaps, namespace: ns,
                                            object: configMap("held", owners: [ref(to: owner, block: true)], finalizers: ["example.com/hold"]))
        _ = try await delete(cluster, "owner", .foreground)
        #expect(try await eventually { try await get(cluster, "held").deletionTimestamp != nil })
        _ = try await cluster.client.create(.configMaps, namespace: ns, object: configMap("late", owners: [ref(to: owner, block: true)]))
        #expect(try await eventually { try await !exists(cluster, "late") })
        #expect(try await exists(cluster, "owner"))
        _ = try await cluster.client.patch(.configMaps, namespace: ns, name: "held", format: .merge, body: ["metadata": ["finalizers": .null]])
        #expect(try await eventually { try await gone(cluster, "held", "owner") })
    }

    @Test func ownersDeletedWhileTheCollectorWasDownAreNoticed() async throws {
        let cluster = try await TestCluster()
        let owner = try await cluster.client.create(.configMaps, namespace: ns, object: configMap("owner"))
        _ = try await cluster.client.create(.configMaps, namespace: ns, object: configMap("dep", owners: [ref(to: owner)]))
        let live = try await cluster.client.create(.configMaps, namespace: ns, object: configMap("live"))
        _ = try await cluster.client.create(.configMaps, namespace: ns, object: configMap("kept", owners: [ref(to: live)]))
        _ = try await delete(cluster, "owner", .background)
        let task = cluster.start(GarbageCollector(context: cluster.context))
        defer { task.cancel() }
        #expect(try await eventually { try await !exists(cluster, "dep") })
        #expect(try await exists(cluster, "kept"))
    }

    @Test func deletingADeploymentRemovesItsReplicaSetsAndPods() async throws {
        let cluster = try await TestCluster()
        let task = cluster.start(GarbageCollector(context: cluster.context))
        defer { task.cancel() }
        let labels: JSONValue = ["app": "web"]
        let template: JSONValue = ["metadata": ["labels": labels], "spec": ["containers": [["name": "c", "image": "nginx"]]]]
        let deployment = try await cluster.client.create(.deployments, namespace: ns, object: [
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": "web"],
            "spec": ["replicas": 0, "selector": ["matchLabels": labels], "template": template],
        ])
        let replicaSet = try await cluster.client.create(.replicaSets, namespace: ns, object: [
            "apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": ["name": "web-1", "ownerReferences": [OwnerReferences.makeControllerRef(to: deployment, apiVersion: "apps/v1", kind: "Deployment")]],
            "spec": ["replicas": 0, "selector": ["matchLabels": labels], "template": template],
        ])
        for index in 0..<3 {
            _ = try await cluster.client.create(.pods, namespace: ns, object: [
                "apiVersion": "v1", "kind": "Pod",
                "metadata": ["name": .string("web-1-\(index)"), "labels": labels,
                             "ownerReferences": [OwnerReferences.makeControllerRef(to: replicaSet, apiVersion: "apps/v1", kind: "ReplicaSet")]],
                "spec": template["spec"]!,
            ])
        }
        _ = try await delete(cluster, "web", .foreground, in: .deployments)
        #expect(try await eventually {
            let pods = try await cluster.client.list(.pods, namespace: ns).items.count
            let replicaSet = try await exists(cluster, "web-1", in: .replicaSets)
            let deployment = try await exists(cluster, "web", in: .deployments)
            return pods == 0 && !replicaSet && !deployment
        })
    }
}

/// The collector at scale: the dependents of a deleted owner are found by index and need no GET each.
@Suite struct GarbageCollectorScaleTests {
    @Test func collectsTenThousandPodsOfADeletedReplicaSet() async throws {
        let cluster = try await TestCluster()
        let count = 10_000
        let labels: JSONValue = ["app": "big"]
        let template: JSONValue = ["metadata": ["labels": labels], "spec": ["containers": [["name": "c", "image": "nginx"]]]]
        let replicaSet = try await cluster.client.create(.replicaSets, namespace: "default", object: [
            "apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": ["name": "big"],
            "spec": ["replicas": .int(Int64(count)), "selector": ["matchLabels": labels], "template": template],
        ])
        let ref = OwnerReferences.makeControllerRef(to: replicaSet, apiVersion: "apps/v1", kind: "ReplicaSet")
        for index in 0..<count {
            _ = try await cluster.client.create(.pods, namespace: "default", object: [
                "apiVersion": "v1", "kind": "Pod",
                "metadata": ["name": .string("big-\(index)"), "labels": labels, "ownerReferences": [ref]],
                "spec": template["spec"]!,
            ])
        }
        let task = cluster.start(GarbageCollector(context: cluster.context), workers: 10)
        defer { task.cancel() }
        let started = ContinuousClock.now
        _ = try await cluster.client.delete(.replicaSets, namespace: "default", name: "big")
        #expect(try await eventually(timeout: .seconds(60)) {
            try await cluster.client.list(.pods, namespace: "default", query: ListQuery(limit: 1)).items.isEmpty
        })
        print("garbage collector: \(count) pods collected in \(ContinuousClock.now - started)")
    }
}
