import APIMachinery
import Client
import ControllerManager
import Foundation
import Testing

/// Controllers whose writes meet 409 Conflict retry from their caches and converge.
@Suite struct UpdateConflictTests {
    @Test func disruptionStatusIsRetriedAfterConflicts() async throws {
        let cluster = try await TestCluster()
        let conflicting = ConflictingClient(cluster.client, resource: .podDisruptionBudgets, conflicts: 2)
        let context = ControllerContext(client: conflicting, informers: cluster.context.informers)
        let task = cluster.start(DisruptionController(context: context))
        defer { task.cancel() }
        for index in 1...2 { try await NodeFixtures.runPod(cluster.client, NodeFixtures.pod("web-\(index)"), ip: "10.42.0.\(index)", ready: true) }
        _ = try await cluster.client.create(.podDisruptionBudgets, namespace: "default", object: [
            "apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": ["name": "pdb", "namespace": "default"],
            "spec": ["minAvailable": 1, "selector": ["matchLabels": ["app": "web"]]]])
        #expect(await eventually {
            (try? await cluster.client.get(.podDisruptionBudgets, namespace: "default", name: "pdb"))?["status"]?["disruptionsAllowed"] == 1
        })
        #expect(conflicting.refused.withLock { $0 } == 2)
    }

    @Test func endpointsUpdateIsRetriedAfterConflicts() async throws {
        let cluster = try await TestCluster()
        let conflicting = ConflictingClient(cluster.client, resource: .endpoints, conflicts: 3)
        let context = ControllerContext(client: conflicting, informers: cluster.context.informers)
        let task = cluster.start(EndpointsController(context: context))
        defer { task.cancel() }
        _ = try await cluster.client.create(.services, namespace: "default", object: NodeFixtures.service("web"))
        #expect(await eventually { (try? await cluster.client.get(.endpoints, namespace: "default", name: "web")) != nil })
        try await NodeFixtures.runPod(cluster.client, NodeFixtures.pod("web-1"), ip: "10.42.0.5", ready: true)
        #expect(await eventually {
            let endpoints = try? await cluster.client.get(.endpoints, namespace: "default", name: "web")
            return endpoints?["subsets"]?.arrayValue?.first?["addresses"]?.arrayValue?.first?["ip"] == "10.42.0.5"
        })
        #expect(conflicting.refused.withLock { $0 } == 3)
    }

    @Test func nodeStatusAndTaintsAreRetriedAfterConflicts() async throws {
        let clock = ManualClock()
        let cluster = try await TestCluster()
        let conflicting = ConflictingClient(cluster.client, resource: .nodes, conflicts: 3)
        let options = ControllerOptions(nodeMonitorGracePeriod: .seconds(40), nodeMonitorPeriod: .milliseconds(20))
        let context = ControllerContext(client: conflicting, informers: cluster.context.informers, now: clock.now, options: options)
        _ = try await cluster.client.create(.nodes, object: ["apiVersion": "v1", "kind": "Node", "metadata": ["name": "quiet"]])
        let task = cluster.start(NodeLifecycleController(context: context))
        defer { task.cancel() }
        clock.advance(41)
        #expect(await eventually {
            let node = try? await cluster.client.get(.nodes, name: "quiet")
            let taints = (node?["spec"]?["taints"]?.arrayValue ?? []).compactMap { $0["key"]?.stringValue }
            return taints == ["node.kubernetes.io/unreachable", "node.kubernetes.io/unreachable"]
        })
        let node = try await cluster.client.get(.nodes, name: "quiet")
        let ready = node["status"]?["conditions"]?.arrayValue?.first { $0["type"] == "Ready" }
        #expect(ready?["status"] == "Unknown")
        #expect(ready?["message"] == "Kubelet never posted node status.")
        #expect(conflicting.refused.withLock { $0 } == 3)
    }
}
