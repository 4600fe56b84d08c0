import APIMachinery
import Client
import Foundation
import Testing

/// The eviction subresource against PodDisruptionBudget status (no controller running: the tests
/// write the status themselves).
@Suite struct EvictionTests {
    func budget(_ name: String, labels: [String: String] = ["app": "web"]) -> JSONValue {
        ["apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": ["name": .string(name), "namespace": "default"],
         "spec": ["minAvailable": 1, "selector": ["matchLabels": .object(labels.mapValues { .string($0) })]]]
    }

    func evictionError(_ client: any APIClient, _ pod: String) async -> StatusError? {
        do { try await client.evict(namespace: "default", pod: pod) } catch { return error }
        return nil
    }

    @Test func budgetNotYetProcessedRefusesEviction() async throws {
        let cluster = try await TestCluster()
        let client = cluster.client
        try await NodeFixtures.runPod(client, NodeFixtures.pod("web-1"), ip: "10.42.0.1", ready: true)
        _ = try await client.create(.podDisruptionBudgets, namespace: "default", object: budget("pdb"))
        let error = await evictionError(client, "web-1")
        #expect(error?.code == 429)
        #expect(error?.details?.causes.first?.message == "The disruption budget pdb is still being processed by the server.")
        #expect((try? await client.get(.pods, namespace: "default", name: "web-1")) != nil)
    }

    @Test func allowedEvictionIsRecordedInTheBudget() async throws {
        let cluster = try await TestCluster()
        let client = cluster.client
        try await NodeFixtures.runPod(client, NodeFixtures.pod("web-1"), ip: "10.42.0.1", ready: true)
        var pdb = try await client.create(.podDisruptionBudgets, namespace: "default", object: budget("pdb"))
        pdb["status"] = ["observedGeneration": 1, "currentHealthy": 2, "desiredHealthy": 1, "disruptionsAllowed": 1, "expectedPods": 2]
        _ = try await client.updateStatus(.podDisruptionBudgets, namespace: "default", object: pdb)
        #expect(await evictionError(client, "web-1") == nil)
        let status = try await client.get(.podDisruptionBudgets, namespace: "default", name: "pdb")["status"]
        #expect(status?["disruptionsAllowed"] == 0)
        #expect(status?["disruptedPods"]?["web-1"]?.stringValue != nil)
    }

    @Test func twoBudgetsOrAPendingPod() async throws {
        let cluster = try await TestCluster()
        let client = cluster.client
        try await NodeFixtures.runPod(client, NodeFixtures.pod("web-1"), ip: "10.42.0.1", ready: true)
        _ = try await client.create(.pods, namespace: "default", object: NodeFixtures.pod("pending", node: nil))
        _ = try await client.create(.podDisruptionBudgets, namespace: "default", object: budget("one"))
        _ = try await client.create(.podDisruptionBudgets, namespace: "default", object: budget("two"))
        let error = await evictionError(client, "web-1")
        #expect(error?.code == 500)
        #expect(error?.message == "Internal error occurred: This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.")
        // A pod that is not running yet may always be evicted.
        #expect(await evictionError(client, "pending") == nil)
    }
}
