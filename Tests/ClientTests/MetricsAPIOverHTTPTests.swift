import APIMachinery
import Client
import ClientHTTP
import Cluster
import Foundation
import Registry
import Storage
import Testing

/// Kubelets answering from a table (host:port → Summary).
struct TableFetcher: SummaryFetcher {
    let summaries: [String: JSONValue]
    func summary(host: String, port: Int) async throws -> JSONValue {
        guard let s = summaries["\(host):\(port)"] else { throw StatusError.internal("connection refused") }
        return s
    }
}

@Suite(.serialized) struct MetricsAPIOverHTTPTests {
    static let nodes = ResourceID(group: "metrics.k8s.io", version: "v1beta1", resource: "nodes", namespaced: false)
    static let pods = ResourceID(group: "metrics.k8s.io", version: "v1beta1", resource: "pods", namespaced: true)

    @Test func servedOverHTTP() async throws {
        try await withServer { client in
            let list = try await client.list(Self.nodes)
            #expect(list.items.isEmpty)
            await #expect(throws: StatusError.self) { try await client.get(Self.pods, namespace: "default", name: "nope") }
            await #expect(throws: StatusError.self) { try await client.delete(Self.nodes, name: "x") }  // get and list only
        }
    }

    static func node(_ name: String, ip: String, port: Int64, ready: Bool) -> JSONValue {
        ["metadata": ["name": .string(name)],
         "status": ["addresses": [["type": "Hostname", "address": .string(name)], ["type": "InternalIP", "address": .string(ip)]],
                    "daemonEndpoints": ["kubeletEndpoint": ["Port": .int(port)]],
                    "conditions": [["type": "Ready", "status": ready ? "True" : "False"]]]]
    }

    @Test func scraperReadsReadyNodes() async throws {
        #expect(KubeletMetricsScraper.endpoint(of: Self.node("a", ip: "10.0.0.5", port: 10250, ready: true))! == ("10.0.0.5", 10250))
        #expect(KubeletMetricsScraper.endpoint(of: Self.node("a", ip: "10.0.0.5", port: 10250, ready: false)) == nil)
        #expect(KubeletMetricsScraper.endpoint(of: Self.node("a", ip: "10.0.0.5", port: 0, ready: true)) == nil)

        let fetcher = TableFetcher(summaries: ["10.0.0.5:10250": [
            "node": ["nodeName": "a", "cpu": ["usageNanoCores": 2_000_000], "memory": ["workingSetBytes": 1024]], "pods": []]])
        let scraper = KubeletMetricsScraper(fetcher: fetcher)
        let registry = Registry(storage: MemoryStorage(), definitions: Registry.builtInDefinitions().withMetrics(from: scraper), schema: BuiltInSchema())
        try await registry.bootstrap()
        let nodes = try #require(registry.store(group: "", version: "v1", resource: "nodes"))
        for node in [Self.node("a", ip: "10.0.0.5", port: 10250, ready: true), Self.node("b", ip: "10.0.0.6", port: 10250, ready: true)] {
            _ = try await nodes.create(namespace: "", object: node, options: WriteOptions())
        }
        let metrics = try #require(registry.store(group: "metrics.k8s.io", version: "v1beta1", resource: "nodes"))
        let list = try await metrics.list(namespace: nil, options: ListOptions())  // the first request scrapes
        #expect(list.items.map(\.name) == ["a"])
        #expect(list.items.first?["usage"] == ["cpu": "2m", "memory": "1Ki"])
    }
}
