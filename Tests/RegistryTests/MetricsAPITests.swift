import APIMachinery
import Foundation
import Registry
import Storage
import Testing

struct FixedMetrics: MetricsSource {
    let snapshot: MetricsSnapshot
    func snapshot(registry: Registry) async -> MetricsSnapshot { snapshot }
}

@Suite struct MetricsAPITests {
    static let stamp = Date(timeIntervalSince1970: 1_800_000_000)

    static func registry() async throws -> Registry {
        var snapshot = MetricsSnapshot()
        snapshot.nodes["n1"] = .init(timestamp: stamp, windowSeconds: 10, usage: ResourceUsage(cpuNanoCores: 123_456_789, memoryBytes: 2048 * 1024))
        snapshot.pods["default/web"] = .init(timestamp: stamp, windowSeconds: 10, containers: [
            ("app", ResourceUsage(cpuNanoCores: 250_000_000, memoryBytes: 64 << 20)), ("side", ResourceUsage(cpuNanoCores: 5, memoryBytes: 1000))])
        let registry = Registry(storage: MemoryStorage(), definitions: Registry.builtInDefinitions().withMetrics(from: FixedMetrics(snapshot: snapshot)),
                                schema: BuiltInSchema())
        try await registry.bootstrap()
        let nodes = try #require(registry.store(group: "", version: "v1", resource: "nodes"))
        _ = try await nodes.create(namespace: "", object: ["metadata": ["name": "n1", "labels": ["zone": "a"]]], options: WriteOptions())
        _ = try await nodes.create(namespace: "", object: ["metadata": ["name": "n2"]], options: WriteOptions())
        let pods = try #require(registry.store(group: "", version: "v1", resource: "pods"))
        for (name, tier) in [("web", "front"), ("db", "back")] {
            _ = try await pods.create(namespace: "default", object: [
                "metadata": ["name": .string(name), "labels": ["tier": .string(tier)]],
                "spec": ["containers": [["name": "app", "image": "busybox"]]]], options: WriteOptions())
        }
        return registry
    }

    @Test func nodeMetrics() async throws {
        let registry = try await Self.registry()
        let store = try #require(registry.store(group: "metrics.k8s.io", version: "v1beta1", resource: "nodes"))
        #expect(store.definition.verbs == ["get", "list"] && !store.definition.namespaced && store.definition.kind == "NodeMetrics")
        let list = try await store.list(namespace: nil, options: ListOptions())
        #expect(list.items.map(\.name) == ["n1"])  // n2 has no figures
        let n1 = try await store.get(namespace: "", name: "n1")
        #expect(n1["apiVersion"]?.stringValue == "metrics.k8s.io/v1beta1" && n1["kind"]?.stringValue == "NodeMetrics")
        #expect(n1["usage"] == ["cpu": "123456789n", "memory": "2048Ki"])
        #expect(n1["window"]?.stringValue == "10s" && n1["timestamp"]?.stringValue == RFC3339.format(Self.stamp))
        #expect(n1["metadata"]?["labels"] == ["zone": "a"])
        await #expect(throws: StatusError.self) { try await store.get(namespace: "", name: "n2") }
        do {
            _ = try await store.get(namespace: "", name: "n2")
        } catch {
            #expect(error.code == 404 && error.message == "nodes.metrics.k8s.io \"n2\" not found")
        }
    }

    @Test func podMetrics() async throws {
        let registry = try await Self.registry()
        let store = try #require(registry.store(group: "metrics.k8s.io", version: "v1beta1", resource: "pods"))
        let web = try await store.get(namespace: "default", name: "web")
        #expect(web["kind"]?.stringValue == "PodMetrics" && web["metadata"]?["namespace"]?.stringValue == "default")
        #expect(web["containers"] == [["name": "app", "usage": ["cpu": "250m", "memory": "65536Ki"]],
                                      ["name": "side", "usage": ["cpu": "5n", "memory": "1000"]]])
        var options = ListOptions()
        options.labelSelector = try LabelSelector.parse("tier=front")
        #expect(try await store.list(namespace: "default", options: options).items.map(\.name) == ["web"])
        options.labelSelector = try LabelSelector.parse("tier=back")
        #expect(try await store.list(namespace: "default", options: options).items.isEmpty)
        #expect(try await store.list(namespace: "other", options: ListOptions()).items.isEmpty)
        let raw = try await store.listJSON(namespace: nil, options: ListOptions())
        #expect(raw.items.count == 1)
        await #expect(throws: StatusError.self) { try await store.get(namespace: "default", name: "db") }  // no metrics yet
    }

    @Test func summaryToSnapshot() {
        var snapshot = MetricsSnapshot()
        snapshot.add(summary: [
            "node": ["nodeName": "n1", "cpu": ["time": "2027-01-15T08:00:00Z", "usageNanoCores": 5, "usageCoreNanoSeconds": 9],
                     "memory": ["workingSetBytes": 4096]],
            "pods": [
                ["podRef": ["name": "a", "namespace": "ns"], "containers": [["name": "c", "cpu": ["usageNanoCores": 7], "memory": ["workingSetBytes": 10]]]],
                ["podRef": ["name": "b", "namespace": "ns"], "containers": [["name": "c", "cpu": ["usageCoreNanoSeconds": 7]]]],
            ],
        ], windowSeconds: 10)
        #expect(snapshot.nodes["n1"]?.usage == ResourceUsage(cpuNanoCores: 5, memoryBytes: 4096))
        #expect(snapshot.nodes["n1"]?.timestamp == RFC3339.parse("2027-01-15T08:00:00Z"))
        #expect(snapshot.pods["ns/a"]?.containers.first?.usage == ResourceUsage(cpuNanoCores: 7, memoryBytes: 10))
        #expect(snapshot.pods["ns/b"] == nil)  // no rate yet
    }
}
