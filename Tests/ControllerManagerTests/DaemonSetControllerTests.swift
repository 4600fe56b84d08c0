import APIMachinery
import Client
@testable import ControllerManager
import Controllers
import Foundation
import Synchronization
import Testing

@Suite struct DaemonSetControllerTests {
    static let ns = "default"

    func daemonSet(_ name: String = "agent", nodeSelector: [String: String] = [:], maxSurge: Int64 = 0, maxUnavailable: Int64 = 1) -> JSONValue {
        var template = Fixtures.template(app: name)
        if !nodeSelector.isEmpty { template.set(path: ["spec", "nodeSelector"], to: .object(nodeSelector.mapValues { .string($0) })) }
        return ["apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": ["name": .string(name), "namespace": .string(Self.ns)],
                "spec": ["selector": ["matchLabels": ["app": .string(name)]], "template": template,
                         "updateStrategy": ["type": "RollingUpdate", "rollingUpdate": ["maxUnavailable": .int(maxUnavailable), "maxSurge": .int(maxSurge)]]]]
    }

    func podsByNode(_ cluster: TestCluster, _ ds: String = "agent") async throws -> [String: [JSONValue]] {
        var out: [String: [JSONValue]] = [:]
        for pod in try await ownedPods(cluster.client, namespace: Self.ns, owner: ds) where pod.deletionTimestamp == nil {
            let terms = pod["spec"]?["affinity"]?["nodeAffinity"]?["requiredDuringSchedulingIgnoredDuringExecution"]?["nodeSelectorTerms"]
            let node = terms?.arrayValue?.first?["matchFields"]?.arrayValue?.first?["values"]?.arrayValue?.first?.stringValue ?? "?"
            out[node, default: []].append(pod)
        }
        return out
    }

    /// Binds every pod of the DaemonSet to its node and marks it Running and Ready.
    func runPods(_ cluster: TestCluster) async throws {
        for (node, pods) in try await podsByNode(cluster) {
            for pod in pods where !PodStatusIsReady(pod) {
                try await markRunningReady(cluster.client, namespace: Self.ns, name: pod.name, node: node)
            }
        }
    }

    func PodStatusIsReady(_ pod: JSONValue) -> Bool {
        pod["status"]?["conditions"]?.arrayValue?.contains { $0["type"] == "Ready" && $0["status"] == "True" } ?? false
    }

    @Test func onePodPerEligibleNodeWithAffinityTolerationsAndRevision() async throws {
        let cluster = try await TestCluster()
        let client = cluster.client
        _ = try await client.create(.nodes, object: node("n1", labels: ["role": "agent"]))
        _ = try await client.create(.nodes, object: node("n2", labels: ["role": "agent"]))
        _ = try await client.create(.nodes, object: node("n3", labels: ["role": "other"]))
        _ = try await client.create(.nodes, object: node("n4", labels: ["role": "agent"],
                                                        taints: [["key": "dedicated", "value": "db", "effect": "NoSchedule"]]))
        // Auto-tolerated: a cordoned, memory-pressured node still runs the daemon.
        _ = try await client.create(.nodes, object: node("n5", labels: ["role": "agent"],
                                                        taints: [["key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"],
                                                                 ["key": "node.kubernetes.io/memory-pressure", "effect": "NoSchedule"]]))
        _ = try await client.create(.daemonSets, namespace: Self.ns, object: daemonSet(nodeSelector: ["role": "agent"]))
        let task = cluster.start(DaemonSetController(context: cluster.context))
        defer { task.cancel() }

        #expect(try await eventually { try await podsByNode(cluster).keys.sorted() == ["n1", "n2", "n5"] })
        let byNode = try await podsByNode(cluster)
        #expect(byNode.values.allSatisfy { $0.count == 1 })
        let pod = try #require(byNode["n1"]?.first)
        #expect(pod.name.hasPrefix("agent-"))
        #expect(pod["spec"]?["nodeName"] == nil)
        #expect(pod["spec"]?["affinity"]?["nodeAffinity"]?["requiredDuringSchedulingIgnoredDuringExecution"] ==
                ["nodeSelectorTerms": [["matchFields": [["key": "metadata.name", "operator": "In", "values": ["n1"]]]]]])
        let tolerations = pod["spec"]?["tolerations"]?.arrayValue ?? []
        for (key, effect) in [("node.kubernetes.io/not-ready", "NoExecute"), ("node.kubernetes.io/unreachable", "NoExecute"),
                              ("node.kubernetes.io/disk-pressure", "NoSchedule"), ("node.kubernetes.io/memory-pressure", "NoSchedule"),
                              ("node.kubernetes.io/pid-pressure", "NoSchedule"), ("node.kubernetes.io/unschedulable", "NoSchedule")] {
            #expect(tolerations.contains { $0["key"]?.stringValue == key && $0["effect"]?.stringValue == effect && $0["operator"] == "Exists" })
        }
        let hash = try #require(pod.labels["controller-revision-hash"])
        #expect(pod.labels["pod-template-generation"] == "1")
        let revisions = try await client.list(.controllerRevisions, namespace: Self.ns).items
        #expect(revisions.count == 1)
        #expect(revisions.first?.name == "agent-\(hash)")
        #expect(revisions.first?["revision"] == 1)
        #expect(revisions.first?.labels["app"] == "agent")
        #expect(revisions.first?["data"]?["spec"]?["template"]?["$patch"] == "replace")
        #expect(try await eventually {
            try await eventMessages(client, namespace: Self.ns, about: "agent").filter { $0.hasPrefix("Created pod: agent-") }.count == 3
        })

        // Status once the pods run.
        try await runPods(cluster)
        #expect(try await eventually {
            let status = try await client.get(.daemonSets, namespace: Self.ns, name: "agent")["status"]
            return status?["desiredNumberScheduled"] == 3 && status?["currentNumberScheduled"] == 3 && status?["numberReady"] == 3
                && status?["numberAvailable"] == 3 && status?["updatedNumberScheduled"] == 3 && status?["numberMisscheduled"] == 0
                && status?["observedGeneration"] == 1
        })
    }

    @Test func followsNewAndRemovedNodesAndLabelChanges() async throws {
        let cluster = try await TestCluster()
        let client = cluster.client
        _ = try await client.create(.nodes, object: node("n1"))
        _ = try await client.create(.daemonSets, namespace: Self.ns, object: daemonSet())
        let task = cluster.start(DaemonSetController(context: cluster.context))
        defer { task.cancel() }
        #expect(try await eventually { try await podsByNode(cluster).keys.sorted() == ["n1"] })

        _ = try await client.create(.nodes, object: node("n2"))
        #expect(try await eventually { try await podsByNode(cluster).keys.sorted() == ["n1", "n2"] })

        _ = try await client.delete(.nodes, name: "n1")
        #expect(try await eventually { try await podsByNode(cluster).keys.sorted() == ["n2"] })
        #expect(try await eventually {
            try await eventMessages(client, namespace: Self.ns, about: "agent").contains { $0.hasPrefix("Deleted pod: agent-") }
        })

        // A NoExecute taint the daemon does not tolerate evicts it; a NoSchedule one added later would not.
        _ = try await client.patch(.nodes, name: "n2", format: .merge, body: ["spec": ["taints": [["key": "gone", "effect": "NoExecute"]]]])
        #expect(try await eventually { try await podsByNode(cluster).isEmpty })
        try await Task.sleep(for: .milliseconds(200))
        #expect(try await ownedPods(client, namespace: Self.ns, owner: "agent").count == 0)
    }

    @Test func rollingUpdateReplacesOneNodeAtATime() async throws {
        let cluster = try await TestCluster()
        let client = cluster.client
        for name in ["n1", "n2", "n3"] { _ = try await client.create(.nodes, object: node(name)) }
        _ = try await client.create(.daemonSets, namespace: Self.ns, object: daemonSet())
        let task = cluster.start(DaemonSetController(context: cluster.context))
        let reaper = startReaper(client, namespace: Self.ns)
        defer { task.cancel(); reaper.cancel() }
        #expect(try await eventually { try await podsByNode(cluster).count == 3 })
        try await runPods(cluster)
        #expect(try await eventually {
            try await client.get(.daemonSets, namespace: Self.ns, name: "agent")["status"]?["numberAvailable"] == 3
        })
        let oldHash = try await podsByNode(cluster)["n1"]?.first?.labels["controller-revision-hash"]

        _ = try await client.patch(.daemonSets, namespace: Self.ns, name: "agent", format: .merge,
                                   body: ["spec": ["template": ["spec": ["containers": [["name": "app", "image": "nginx:1.28"]]]]]])
        // maxUnavailable 1: until the new pod runs, exactly one node lacks its old pod.
        var replaced = Set<String>()
        for _ in 0..<3 {
            #expect(try await eventually {
                let byNode = try await podsByNode(cluster)
                return byNode.values.contains { $0.contains { $0.labels["controller-revision-hash"] != oldHash && !PodStatusIsReady($0) } }
            })
            let byNode = try await podsByNode(cluster)
            let old = byNode.values.flatMap { $0 }.filter { $0.labels["controller-revision-hash"] == oldHash }
            #expect(old.count == 2 - replaced.count)
            try await runPods(cluster)
            for (node, pods) in byNode where pods.contains(where: { $0.labels["controller-revision-hash"] != oldHash }) { replaced.insert(node) }
        }
        #expect(replaced.count == 3)
        #expect(try await eventually {
            let status = try await client.get(.daemonSets, namespace: Self.ns, name: "agent")["status"]
            return status?["updatedNumberScheduled"] == 3 && status?["numberAvailable"] == 3 && status?["observedGeneration"] == 2
        })
        let revisions = try await client.list(.controllerRevisions, namespace: Self.ns).items.sorted { ($0["revision"]?.intValue ?? 0) < ($1["revision"]?.intValue ?? 0) }
        #expect(revisions.map { $0["revision"]?.intValue ?? 0 } == [1, 2])
        #expect(revisions.first?.labels["controller-revision-hash"] == oldHash)
    }

    @Test func maxSurgeStartsTheNewPodBeforeDeletingTheOld() async throws {
        let cluster = try await TestCluster()
        let client = cluster.client
        for name in ["n1", "n2"] { _ = try await client.create(.nodes, object: node(name)) }
        _ = try await client.create(.daemonSets, namespace: Self.ns, object: daemonSet(maxSurge: 1, maxUnavailable: 0))
        let task = cluster.start(DaemonSetController(context: cluster.context))
        let reaper = startReaper(client, namespace: Self.ns)
        defer { task.cancel(); reaper.cancel() }
        #expect(try await eventually { try await podsByNode(cluster).count == 2 })
        try await runPods(cluster)
        #expect(try await eventually {
            try await client.get(.daemonSets, namespace: Self.ns, name: "agent")["status"]?["numberAvailable"] == 2
        })
        _ = try await client.patch(.daemonSets, namespace: Self.ns, name: "agent", format: .merge,
                                   body: ["spec": ["template": ["spec": ["containers": [["name": "app", "image": "nginx:1.28"]]]]]])
        // One node at a time gets a second (new) pod while its old one keeps running.
        #expect(try await eventually { try await podsByNode(cluster).values.map(\.count).sorted() == [1, 2] })
        try await Task.sleep(for: .milliseconds(200))
        #expect(try await podsByNode(cluster).values.map(\.count).sorted() == [1, 2], "maxSurge 1: no second surge, no deletion yet")
        for _ in 0..<2 {
            try await runPods(cluster)
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(try await eventually {
            try await runPods(cluster)
            let byNode = try await podsByNode(cluster)
            return byNode.count == 2 && byNode.values.allSatisfy { $0.count == 1 && image($0[0]) == "nginx:1.28" }
        })
    }

    func image(_ pod: JSONValue) -> String? { pod["spec"]?["containers"]?.arrayValue?.first?["image"]?.stringValue }

    @Test func onDeleteReplacesOnlyDeletedPods() async throws {
        let cluster = try await TestCluster()
        let client = cluster.client
        for name in ["n1", "n2"] { _ = try await client.create(.nodes, object: node(name)) }
        var ds = daemonSet()
        ds.set(path: ["spec", "updateStrategy"], to: ["type": "OnDelete"])
        _ = try await client.create(.daemonSets, namespace: Self.ns, object: ds)
        let task = cluster.start(DaemonSetController(context: cluster.context))
        defer { task.cancel() }
        #expect(try await eventually { try await podsByNode(cluster).count == 2 })
        try await runPods(cluster)
        let before = try await podsByNode(cluster)
        _ = try await client.patch(.daemonSets, namespace: Self.ns, name: "agent", format: .merge,
                                   body: ["spec": ["template": ["spec": ["containers": [["name": "app", "image": "nginx:1.28"]]]]]])
        #expect(try await eventually { try await client.list(.controllerRevisions, namespace: Self.ns).items.count == 2 })
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await podsByNode(cluster).mapValues { $0.map(\.uid) } == before.mapValues { $0.map(\.uid) })
        let victim = try #require(before["n1"]?.first)
        _ = try await client.delete(.pods, namespace: Self.ns, name: victim.name, options: DeleteQuery(gracePeriodSeconds: 0))
        #expect(try await eventually {
            let pod = try await podsByNode(cluster)["n1"]?.first
            return pod != nil && pod?.uid != victim.uid && pod?.labels["controller-revision-hash"] != victim.labels["controller-revision-hash"]
        })
        #expect(try await podsByNode(cluster)["n2"]?.first?.uid == before["n2"]?.first?.uid)
    }

    @Test func adoptsAMatchingOrphanAndReleasesAPodThatStopsMatching() async throws {
        let cluster = try await TestCluster()
        let client = cluster.client
        for name in ["n1", "n2"] { _ = try await client.create(.nodes, object: node(name)) }
        let orphan: JSONValue = ["apiVersion": "v1", "kind": "Pod",
                                 "metadata": ["name": "stray", "namespace": .string(Self.ns), "labels": ["app": "agent"]],
                                 "spec": ["nodeName": "n1", "containers": [["name": "app", "image": "nginx:1.27"]]]]
        _ = try await client.create(.pods, namespace: Self.ns, object: orphan)
        let ds = try await client.create(.daemonSets, namespace: Self.ns, object: daemonSet())
        let task = cluster.start(DaemonSetController(context: cluster.context))
        defer { task.cancel() }
        #expect(try await eventually {
            OwnerReferences.controllerRef(of: try await client.get(.pods, namespace: Self.ns, name: "stray"))?["uid"]?.stringValue == ds.uid
        })
        // The adopted pod serves n1 (an old revision, so the rolling update replaces it); n2 gets a new pod.
        #expect(try await eventually { try await ownedPods(client, namespace: Self.ns, owner: "agent").count == 2 })

        // A pod whose labels stop matching is released (and replaced).
        let n2Pod = try #require(try await podsByNode(cluster)["n2"]?.first)
        _ = try await client.patch(.pods, namespace: Self.ns, name: n2Pod.name, format: .merge, body: ["metadata": ["labels": ["app": "other"]]])
        #expect(try await eventually {
            OwnerReferences.controllerRef(of: try await client.get(.pods, namespace: Self.ns, name: n2Pod.name)) == nil
        })
        #expect(try await eventually { try await podsByNode(cluster)["n2"]?.count == 1 })
    }

    /// A ControllerRevision name taken by another object's revision is a hash collision: the
    /// collision count goes up and the revision (and pods' hash) get another name.
    @Test func revisionNameCollisionRaisesCollisionCount() async throws {
        let cluster = try await TestCluster()
        let client = cluster.client
        _ = try await client.create(.nodes, object: node("n1"))
        let ds = try await client.create(.daemonSets, namespace: Self.ns, object: daemonSet())
        let data = ControllerRevisions.data(template: ds["spec"]?["template"] ?? .null)
        let takenHash = TemplateHash.controllerRevisionHash(data: data, collisionCount: 0)
        _ = try await client.create(.controllerRevisions, namespace: Self.ns, object: [
            "apiVersion": "apps/v1", "kind": "ControllerRevision",
            "metadata": ["name": .string("agent-\(takenHash)"), "namespace": .string(Self.ns)],
            "data": ["spec": ["template": ["metadata": ["labels": ["app": "someone-else"]]]]], "revision": 1])
        let task = cluster.start(DaemonSetController(context: cluster.context))
        defer { task.cancel() }
        #expect(try await eventually {
            try await client.get(.daemonSets, namespace: Self.ns, name: "agent")["status"]?["collisionCount"] == 1
        })
        let expected = TemplateHash.controllerRevisionHash(data: data, collisionCount: 1)
        #expect(expected != takenHash)
        #expect(try await eventually { try await podsByNode(cluster)["n1"]?.first?.labels["controller-revision-hash"] == expected })
        let ours = try await client.get(.controllerRevisions, namespace: Self.ns, name: "agent-\(expected)")
        #expect(OwnerReferences.controllerRef(of: ours)?["uid"]?.stringValue == ds.uid)
    }

    @Test func statusUpdateConflictIsRetried() async throws {
        let cluster = try await TestCluster()
        let conflicting = ConflictingClient(cluster.client, resource: .daemonSets, conflicts: 2, subresource: "status")
        let context = ControllerContext(client: conflicting)
        _ = try await cluster.client.create(.nodes, object: node("n1"))
        _ = try await cluster.client.create(.daemonSets, namespace: Self.ns, object: daemonSet())
        let task = startControllers([DaemonSetController(context: context)], context: context)
        defer { task.cancel() }
        #expect(try await eventually {
            try await cluster.client.get(.daemonSets, namespace: Self.ns, name: "agent")["status"]?["desiredNumberScheduled"] == 1
        })
        #expect(conflicting.refused.withLock { $0 } == 2)
        #expect(try await ownedPods(cluster.client, namespace: Self.ns, owner: "agent").count == 1)
    }

    /// A missed watch event: the controller believes its creates are still in flight (expectations
    /// unsatisfied), so it creates nothing more until they expire; then it creates exactly one pod per
    /// node, and repeated syncs never add a second.
    @Test func unsatisfiedExpectationsCreateNothingTwice() async throws {
        let cluster = try await TestCluster()
        let client = cluster.client
        let now = Mutex(ContinuousClock.now)
        let expectations = Expectations(timeout: .seconds(300), clock: { now.withLock { $0 } })
        expectations.expect("default/agent", adds: 2)
        for name in ["n1", "n2"] { _ = try await client.create(.nodes, object: node(name)) }
        _ = try await client.create(.daemonSets, namespace: Self.ns, object: daemonSet())
        let task = cluster.start(DaemonSetController(context: cluster.context, expectations: expectations))
        defer { task.cancel() }
        // The controller syncs (status is written) but creates nothing while it expects creations.
        #expect(try await eventually {
            try await client.get(.daemonSets, namespace: Self.ns, name: "agent")["status"]?["desiredNumberScheduled"] == 2
        })
        try await Task.sleep(for: .milliseconds(200))
        #expect(try await ownedPods(client, namespace: Self.ns, owner: "agent").isEmpty)

        now.withLock { $0 += .seconds(301) }
        _ = try await client.patch(.daemonSets, namespace: Self.ns, name: "agent", format: .merge, body: ["metadata": ["labels": ["poke": "1"]]])
        #expect(try await eventually { try await ownedPods(client, namespace: Self.ns, owner: "agent").count == 2 })
        for i in 2...6 {
            _ = try await client.patch(.daemonSets, namespace: Self.ns, name: "agent", format: .merge, body: ["metadata": ["labels": ["poke": .string("\(i)")]]])
        }
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await podsByNode(cluster).mapValues(\.count) == ["n1": 1, "n2": 1])
    }
}
