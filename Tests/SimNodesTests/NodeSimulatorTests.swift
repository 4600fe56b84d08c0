import APIMachinery
import Client
import ClientLoopback
import Foundation
import Registry
import SimNodes
import Storage
import Testing

/// The simulator end to end against an in-process registry.
@Suite struct NodeSimulatorTests {
    func waitFor<T: Sendable>(seconds: Double = 10, _ probe: () async throws -> T?) async throws -> T {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let value = try await probe() { return value }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw StatusError.internal("timed out")
    }

    @Test func registersHeartbeatsAndRunsPods() async throws {
        let registry = Registry(storage: MemoryStorage(),
                                definitions: Registry.builtInDefinitions(serviceIPRange: .default, clusterCIDR: .default),
                                schema: BuiltInSchema())
        try await registry.bootstrap()
        let client = LoopbackClient(registry: registry)
        var options = SimNodeOptions()
        options.count = 2
        options.leaseInterval = .milliseconds(200)
        let simulator = NodeSimulator(client: client, options: options)
        let task = Task { try await simulator.run() }
        defer { task.cancel() }

        let nodes = try await waitFor { () async throws -> [JSONValue]? in
            let items = try await client.list(.nodes).items
            if items.count == 2 { return items }; return nil
        }
        let cidrs = Set(nodes.compactMap { $0["spec"]?["podCIDR"]?.stringValue })
        #expect(cidrs == ["10.42.0.0/24", "10.42.1.0/24"])
        let sim1CIDR = try #require(nodes.first { $0.name == "sim-1" }?["spec"]?["podCIDR"]?.stringValue)

        let lease = try await waitFor { try? await client.get(.leases, namespace: "kube-node-lease", name: "sim-1") }
        let renewed = try await waitFor { () async throws -> JSONValue? in
            let now = try await client.get(.leases, namespace: "kube-node-lease", name: "sim-1")
            if now["spec"]?["renewTime"] != lease["spec"]?["renewTime"] { return now }; return nil
        }
        #expect(renewed["spec"]?["holderIdentity"] == "sim-1", "\(renewed) \(lease)")

        let web: JSONValue = ["apiVersion": "v1", "kind": "Pod", "metadata": ["name": "web", "namespace": "default"],
                              "spec": ["nodeName": "sim-1", "containers": [["name": "app", "image": "nginx"]]]]
        _ = try await client.create(.pods, namespace: "default", object: web)
        let running = try await waitFor { () async throws -> JSONValue? in
            let pod = try await client.get(.pods, namespace: "default", name: "web")
            if pod["status"]?["phase"] == "Running" { return pod }; return nil
        }
        let ip = try #require(running["status"]?["podIP"]?.stringValue)
        #expect(PodIPPool(cidr: sim1CIDR)?.contains(ip) == true)
        #expect(running["status"]?["hostIP"] == "172.30.0.1")

        let job: JSONValue = ["apiVersion": "v1", "kind": "Pod",
                              "metadata": ["name": "job", "namespace": "default", "annotations": [SimAnnotations.exitCode: "1"]],
                              "spec": ["nodeName": "sim-2", "restartPolicy": "Never", "containers": [["name": "app", "image": "busybox"]]]]
        _ = try await client.create(.pods, namespace: "default", object: job)
        let failed = try await waitFor { () async throws -> JSONValue? in
            let pod = try await client.get(.pods, namespace: "default", name: "job")
            if pod["status"]?["phase"] == "Failed" { return pod }; return nil
        }
        #expect(failed["status"]?["containerStatuses"]?.arrayValue?.first?["state"]?["terminated"]?["exitCode"] == 1, "\(failed)")

        // Graceful deletion: the simulator finishes it.
        _ = try await client.delete(.pods, namespace: "default", name: "web")
        _ = try await waitFor { () async throws -> Bool? in
            do throws(StatusError) {
                _ = try await client.get(.pods, namespace: "default", name: "web")
                return nil
            } catch where error.isNotFound {
                return true
            }
        }
    }
}
