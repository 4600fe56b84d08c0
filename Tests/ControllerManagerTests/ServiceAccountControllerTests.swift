import APIMachinery
import Client
import ControllerManager
import Testing

@Suite struct ServiceAccountControllerTests {
    @Test func everyNamespaceGetsADefaultAccountRecreatedWhenDeleted() async throws {
        let cluster = try await TestCluster()
        let task = cluster.start(ServiceAccountController(context: cluster.context))
        defer { task.cancel() }
        let client = cluster.client
        _ = try await client.create(.namespaces, object: ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "team-a"]])
        func hasDefault(_ namespace: String) async -> Bool {
            (try? await client.get(.serviceAccounts, namespace: namespace, name: "default")) != nil
        }
        #expect(await eventually { await hasDefault("team-a") })
        #expect(await eventually { await hasDefault("kube-system") })
        _ = try await client.delete(.serviceAccounts, namespace: "team-a", name: "default")
        #expect(await eventually { await hasDefault("team-a") })
        // Exactly one account: nothing else is created.
        #expect(try await client.list(.serviceAccounts, namespace: "team-a").items.map(\.name) == ["default"])
    }

    @Test func terminatingNamespacesGetNoNewAccount() async throws {
        let cluster = try await TestCluster()
        let client = cluster.client
        let task = cluster.start(ServiceAccountController(context: cluster.context))
        defer { task.cancel() }
        _ = try await client.create(.namespaces, object: ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "leaving"]])
        #expect(await eventually { (try? await client.get(.serviceAccounts, namespace: "leaving", name: "default")) != nil })
        _ = try await client.delete(.namespaces, name: "leaving")
        #expect(await eventually { (try? await client.get(.namespaces, name: "leaving"))?.deletionTimestamp != nil })
        _ = try await client.delete(.serviceAccounts, namespace: "leaving", name: "default")
        try await Task.sleep(for: .milliseconds(300))
        #expect((try? await client.get(.serviceAccounts, namespace: "leaving", name: "default")) == nil)
    }
}
