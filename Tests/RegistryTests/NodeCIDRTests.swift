import APIMachinery
import Registry
import Storage
import Testing

/// A registry whose nodes get pod CIDRs from `cidr`.
func makeNodeRegistry(cidr: String = "10.42.0.0/16", storage: any Storage = MemoryStorage()) async throws -> GenericStore {
    let range = try #require(ClusterCIDR(cidr: cidr))
    let definitions = Registry.builtInDefinitions(serviceIPRange: .default, clusterCIDR: range)
    let registry = Registry(storage: storage, definitions: definitions, schema: BuiltInSchema())
    try await registry.bootstrap()
    return try #require(registry.store(group: "", version: "v1", resource: "nodes"))
}

func node(_ name: String, spec: [String: JSONValue] = [:]) -> JSONValue {
    ["apiVersion": "v1", "kind": "Node", "metadata": ["name": .string(name)], "spec": .object(spec)]
}

@Suite struct NodeCIDRTests {
    @Test func clusterCIDRParsingAndBlocks() throws {
        let range = try #require(ClusterCIDR(cidr: "10.42.3.4/16"))
        #expect(range.description == "10.42.0.0/16")
        #expect(range.blockCount == 256)
        #expect(range.block(0) == "10.42.0.0/24")
        #expect(range.block(255) == "10.42.255.0/24")
        #expect(range.blockIndex(of: "10.42.7.0/24") == 7)
        #expect(range.blockIndex(of: "10.43.7.0/24") == nil)
        #expect(range.blockIndex(of: "10.42.7.0/25") == nil)
        #expect(ClusterCIDR(cidr: "10.42.0.0/25") == nil)
        #expect(ClusterCIDR(cidr: "10.0.0.0/7") == nil)
        #expect(ClusterCIDR(cidr: "10.42.0.0") == nil)
        #expect(ClusterCIDR.default.description == "10.42.0.0/16")
    }

    @Test func nodesGetDistinctCIDRsAndDeletionFreesThem() async throws {
        let store = try await makeNodeRegistry()
        let a = try await store.create(namespace: "", object: node("a"), options: WriteOptions()).object
        let b = try await store.create(namespace: "", object: node("b"), options: WriteOptions()).object
        #expect(a["spec"]?["podCIDR"] == "10.42.0.0/24")
        #expect(a["spec"]?["podCIDRs"] == ["10.42.0.0/24"])
        #expect(b["spec"]?["podCIDR"] == "10.42.1.0/24")
        // A node that brings its own CIDR keeps it and reserves it.
        let own = try await store.create(namespace: "", object: node("own", spec: ["podCIDR": "10.42.2.0/24"]), options: WriteOptions()).object
        #expect(own["spec"]?["podCIDRs"] == ["10.42.2.0/24"])
        let c = try await store.create(namespace: "", object: node("c"), options: WriteOptions()).object
        #expect(c["spec"]?["podCIDR"] == "10.42.3.0/24")
        // An update keeps the allocated CIDR.
        var updated = a
        updated[key: "spec", "unschedulable"] = true
        updated = try await store.update(namespace: "", name: "a", object: updated, options: WriteOptions()).object
        #expect(updated["spec"]?["podCIDR"] == "10.42.0.0/24")
        // Deleting a node frees its block for the next node.
        _ = try await store.delete(namespace: "", name: "b", options: DeleteOptions())
        let d = try await store.create(namespace: "", object: node("d"), options: WriteOptions()).object
        #expect(d["spec"]?["podCIDR"] == "10.42.1.0/24")
    }

    @Test func concurrentCreatesGetDistinctCIDRsUntilTheRangeIsFull() async throws {
        // A /22 holds four /24 blocks.
        let store = try await makeNodeRegistry(cidr: "10.9.0.0/22", storage: InterleavingStorage())
        let cidrs = try await withThrowingTaskGroup(of: String.self) { group in
            for i in 0..<4 {
                group.addTask {
                    let created = try await store.create(namespace: "", object: node("n\(i)"), options: WriteOptions()).object
                    return created["spec"]?["podCIDR"]?.stringValue ?? ""
                }
            }
            var all: [String] = []
            for try await cidr in group { all.append(cidr) }
            return all
        }
        #expect(Set(cidrs) == ["10.9.0.0/24", "10.9.1.0/24", "10.9.2.0/24", "10.9.3.0/24"])
        let n2CIDR = try #require(try await store.get(namespace: "", name: "n2")["spec"]?["podCIDR"])
        // A full range still registers the node, without a podCIDR; one freed is taken by the next update.
        let extra = try await store.create(namespace: "", object: node("extra"), options: WriteOptions()).object
        #expect(extra["spec"]?["podCIDR"] == nil)
        _ = try await store.delete(namespace: "", name: "n2", options: DeleteOptions())
        var labelled = extra
        labelled[key: "metadata", "labels"] = ["a": "b"]
        let updated = try await store.update(namespace: "", name: "extra", object: labelled, options: WriteOptions()).object
        let cidr = try #require(updated["spec"]?["podCIDR"])
        #expect(cidr == n2CIDR)
        #expect(updated["spec"]?["podCIDRs"] == .array([cidr]))
    }
}
