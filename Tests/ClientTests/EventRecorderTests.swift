import APIMachinery
import Client
import ClientLoopback
import Testing

@Suite struct EventRecorderTests {
    @Test func recordsAndAggregatesEvents() async throws {
        let (client, _) = try await makeClient()
        let owner = try await client.create(.configMaps, namespace: "default", object: configMap("subject"))
        let recorder = EventRecorder(client: client, component: "test-controller")
        let first = try #require(await recorder.record(owner, type: .normal, reason: "Synced", message: "all good"))
        #expect(first["involvedObject"]?["uid"] == .string(owner.uid))
        #expect(first["involvedObject"]?["kind"] == "ConfigMap")
        #expect(first["source"]?["component"] == "test-controller")
        #expect(first["count"] == 1)
        let second = try #require(await recorder.record(owner, type: .normal, reason: "Synced", message: "all good"))
        #expect(second.name == first.name)
        #expect(second["count"] == 2)
        _ = await recorder.record(owner, type: .warning, reason: "Failed", message: "oops")

        let events = try await client.list(.events, namespace: "default",
                                           query: ListQuery(fieldSelector: "involvedObject.uid=\(owner.uid)"))
        #expect(events.items.count == 2)
        let warning = try #require(events.items.first { $0["type"] == "Warning" })
        #expect(warning["reason"] == "Failed")
        #expect(warning["message"] == "oops")

        // Cluster-scoped objects' events go to the default namespace.
        let node = try await client.create(.nodes, object: ["apiVersion": "v1", "kind": "Node", "metadata": ["name": "n1"]])
        let nodeEvent = try #require(await recorder.record(node, type: .normal, reason: "Registered", message: "hello"))
        #expect(nodeEvent.namespace == "default")
        #expect(nodeEvent["involvedObject"]?["namespace"] == nil)
    }
}
