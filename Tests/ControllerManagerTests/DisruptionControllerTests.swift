import APIMachinery
import Client
import ControllerManager
import Foundation
import Testing

@Suite struct DisruptionControllerTests {
    func budget(_ name: String, _ field: String, _ value: JSONValue) -> JSONValue {
        ["apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": ["name": .string(name), "namespace": "default"],
         "spec": [field: value, "selector": ["matchLabels": ["app": "web"]]]]
    }

    func status(_ client: any APIClient, _ name: String) async -> JSONValue? {
        try? await client.get(.podDisruptionBudgets, namespace: "default", name: name)["status"]
    }

    @Test func minAvailableCountsHealthyPodsAndEvictionHonoursIt() async throws {
        let cluster = try await TestCluster()
        let client = cluster.client
        let task = cluster.start(DisruptionController(context: cluster.context))
        defer { task.cancel() }
        for index in 1...3 { try await NodeFixtures.runPod(client, NodeFixtures.pod("web-\(index)"), ip: "10.42.0.\(index)", ready: index < 3) }
        _ = try await client.create(.podDisruptionBudgets, namespace: "default", object: budget("pdb", "minAvailable", 1))
        var current: JSONValue?
        #expect(await eventually {
            current = await status(client, "pdb")
            return current?["currentHealthy"] == 2 && current?["disruptionsAllowed"] == 1
        })
        #expect(current?["desiredHealthy"] == 1)
        #expect(current?["expectedPods"] == 3)
        #expect(current?["observedGeneration"] == 1)
        let condition = current?["conditions"]?.arrayValue?.first
        #expect(condition?["type"] == "DisruptionAllowed")
        #expect(condition?["status"] == "True")
        #expect(condition?["reason"] == "SufficientPods")
        // Settled: no further writes.
        let version = try await client.get(.podDisruptionBudgets, namespace: "default", name: "pdb").resourceVersion
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await client.get(.podDisruptionBudgets, namespace: "default", name: "pdb").resourceVersion == version)

        // One eviction is allowed; it is recorded and the next one is refused with 429.
        try await client.evict(namespace: "default", pod: "web-1")
        var refused: StatusError?
        do { try await client.evict(namespace: "default", pod: "web-2") } catch { refused = error }
        #expect(refused?.code == 429)
        #expect(refused?.message == "Cannot evict pod as it would violate the pod's disruption budget.")
        #expect(await eventually {
            current = await status(client, "pdb")
            return current?["currentHealthy"] == 1 && current?["disruptionsAllowed"] == 0
        })
        #expect(current?["conditions"]?.arrayValue?.first?["reason"] == "InsufficientPods")
        // The not-ready pod may go: the budget is met without it.
        try await client.evict(namespace: "default", pod: "web-3")
    }

    @Test func maxUnavailablePercentUsesTheControllersScale() async throws {
        let cluster = try await TestCluster()
        let client = cluster.client
        let task = cluster.start(DisruptionController(context: cluster.context))
        defer { task.cancel() }
        let template: JSONValue = ["metadata": ["labels": ["app": "web"]],
                                   "spec": ["containers": [["name": "app", "image": "nginx"]]]]
        let replicaSet = try await client.create(.replicaSets, namespace: "default", object: [
            "apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": ["name": "web", "namespace": "default"],
            "spec": ["replicas": 4, "selector": ["matchLabels": ["app": "web"]], "template": template]])
        let owner = OwnerReferences.makeControllerRef(to: replicaSet, apiVersion: "apps/v1", kind: "ReplicaSet")
        for index in 1...3 { try await NodeFixtures.runPod(client, NodeFixtures.pod("web-\(index)", owner: owner), ip: "10.42.0.\(index)", ready: true) }
        _ = try await client.create(.podDisruptionBudgets, namespace: "default", object: budget("pdb", "maxUnavailable", "50%"))
        var current: JSONValue?
        #expect(await eventually {
            current = await status(client, "pdb")
            return current?["expectedPods"] == 4 && current?["currentHealthy"] == 3
        })
        #expect(current?["desiredHealthy"] == 2)
        #expect(current?["disruptionsAllowed"] == 1)
    }

    @Test func percentagesOverPodsWithoutControllersFailSafe() async throws {
        let cluster = try await TestCluster()
        let client = cluster.client
        let task = cluster.start(DisruptionController(context: cluster.context))
        defer { task.cancel() }
        for index in 1...2 { try await NodeFixtures.runPod(client, NodeFixtures.pod("web-\(index)"), ip: "10.42.0.\(index)", ready: true) }
        _ = try await client.create(.podDisruptionBudgets, namespace: "default", object: budget("pdb", "maxUnavailable", 1))
        var current: JSONValue?
        #expect(await eventually {
            current = await status(client, "pdb")
            return current?["observedGeneration"] == 1
        })
        #expect(current?["disruptionsAllowed"] == 0)
        #expect(current?["conditions"]?.arrayValue?.first?["reason"] == "SyncFailed")
        let events = try await client.list(.events, namespace: "default").items
        #expect(events.contains { $0["reason"] == "NoControllers" && $0["message"] == "found no controllers for pod \"web-1\"" }
                || events.contains { $0["reason"] == "NoControllers" && $0["message"] == "found no controllers for pod \"web-2\"" })
        var refused: StatusError?
        do { try await client.evict(namespace: "default", pod: "web-1") } catch { refused = error }
        #expect(refused?.code == 429)
    }
}
