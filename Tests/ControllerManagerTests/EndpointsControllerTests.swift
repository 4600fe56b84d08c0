import APIMachinery
import Client
import ControllerManager
import Foundation
import Testing

@Suite struct EndpointsControllerTests {
    func addresses(_ endpoints: JSONValue?, _ field: String) -> [String] {
        (endpoints?["subsets"]?.arrayValue ?? []).flatMap { $0[field]?.arrayValue ?? [] }.compactMap { $0["ip"]?.stringValue }.sorted()
    }

    @Test func endpointsFollowPodReadinessWithNamedPortsAndTargetRefs() async throws {
        let cluster = try await TestCluster()
        let client = cluster.client
        let task = cluster.start(EndpointsController(context: cluster.context))
        defer { task.cancel() }
        _ = try await client.create(.services, namespace: "default", object: NodeFixtures.service("web"))
        let ready = try await NodeFixtures.runPod(client, NodeFixtures.pod("web-1"), ip: "10.42.0.5", ready: true)
        var notReady = try await NodeFixtures.runPod(client, NodeFixtures.pod("web-2", node: "n2"), ip: "10.42.1.7", ready: false)
        try await NodeFixtures.runPod(client, NodeFixtures.pod("other", labels: ["app": "db"]), ip: "10.42.0.9", ready: true)
        try await NodeFixtures.runPod(client, NodeFixtures.pod("no-ip"), ip: nil, ready: false)

        var endpoints: JSONValue?
        #expect(await eventually {
            endpoints = try? await client.get(.endpoints, namespace: "default", name: "web")
            return addresses(endpoints, "addresses") == ["10.42.0.5"] && addresses(endpoints, "notReadyAddresses") == ["10.42.1.7"]
        })
        let subset = endpoints?["subsets"]?.arrayValue?.first
        #expect(subset?["ports"] == [["name": "http", "port": 8080, "protocol": "TCP"]])
        let address = subset?["addresses"]?.arrayValue?.first
        #expect(address?["nodeName"] == "n1")
        #expect(address?["targetRef"] == ["kind": "Pod", "namespace": "default", "name": "web-1", "uid": .string(ready.uid)])

        _ = try await NodeFixtures.setStatus(client, &notReady, ip: "10.42.1.7", ready: true)
        #expect(await eventually {
            endpoints = try? await client.get(.endpoints, namespace: "default", name: "web")
            return addresses(endpoints, "addresses") == ["10.42.0.5", "10.42.1.7"] && addresses(endpoints, "notReadyAddresses").isEmpty
        })
        // Settled: no further writes.
        let version = try await client.get(.endpoints, namespace: "default", name: "web").resourceVersion
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await client.get(.endpoints, namespace: "default", name: "web").resourceVersion == version)

        // Endpoints deleted by hand come back.
        _ = try await client.delete(.endpoints, namespace: "default", name: "web")
        #expect(await eventually {
            addresses(try? await client.get(.endpoints, namespace: "default", name: "web"), "addresses") == ["10.42.0.5", "10.42.1.7"]
        })

        _ = try await client.delete(.pods, namespace: "default", name: "web-1", options: DeleteQuery(gracePeriodSeconds: 0))
        #expect(await eventually { addresses(try? await client.get(.endpoints, namespace: "default", name: "web"), "addresses") == ["10.42.1.7"] })
        _ = try await client.delete(.services, namespace: "default", name: "web")
        #expect(await eventually { (try? await client.get(.endpoints, namespace: "default", name: "web")) == nil })
    }

    @Test func servicesWithoutSelectorAndTheKubernetesServiceAreLeftAlone() async throws {
        let cluster = try await TestCluster()
        let client = cluster.client
        let task = cluster.start(EndpointsController(context: cluster.context))
        defer { task.cancel() }
        _ = try await client.create(.services, namespace: "default", object: NodeFixtures.service("manual", selector: nil))
        _ = try await client.create(.services, namespace: "default", object: NodeFixtures.service("web"))
        try await NodeFixtures.runPod(client, NodeFixtures.pod("web-1"), ip: "10.42.0.5", ready: true)
        #expect(await eventually { (try? await client.get(.endpoints, namespace: "default", name: "web")) != nil })
        #expect((try? await client.get(.endpoints, namespace: "default", name: "manual")) == nil)
    }

    @Test func publishNotReadyAddressesPutsEveryPodUnderAddresses() async throws {
        let cluster = try await TestCluster()
        let client = cluster.client
        let task = cluster.start(EndpointsController(context: cluster.context))
        defer { task.cancel() }
        var service = NodeFixtures.service("web", ports: [["name": "http", "port": 80, "targetPort": 9000]], headless: true)
        service[key: "spec", "publishNotReadyAddresses"] = true
        _ = try await client.create(.services, namespace: "default", object: service)
        try await NodeFixtures.runPod(client, NodeFixtures.pod("web-1"), ip: "10.42.0.5", ready: false)
        var endpoints: JSONValue?
        #expect(await eventually {
            endpoints = try? await client.get(.endpoints, namespace: "default", name: "web")
            return addresses(endpoints, "addresses") == ["10.42.0.5"]
        })
        #expect(endpoints?["subsets"]?.arrayValue?.first?["ports"] == [["name": "http", "port": 9000, "protocol": "TCP"]])
        #expect(endpoints?.labels["service.kubernetes.io/headless"] == "")
    }
}

@Suite struct EndpointSliceControllerTests {
    func slices(_ client: any APIClient, _ service: String) async -> [JSONValue] {
        ((try? await client.list(.endpointSlices, namespace: "default",
                                 query: ListQuery(labelSelector: "kubernetes.io/service-name=\(service)")))?.items ?? [])
    }

    @Test func slicesCarryConditionsLabelsAndOwner() async throws {
        let cluster = try await TestCluster()
        let client = cluster.client
        let task = cluster.start(EndpointSliceController(context: cluster.context))
        defer { task.cancel() }
        let service = try await client.create(.services, namespace: "default", object: NodeFixtures.service("web"))
        // No pods yet: one empty slice.
        #expect(await eventually { await slices(client, "web").count == 1 })
        #expect(await slices(client, "web").first?["endpoints"]?.arrayValue?.isEmpty ?? true)

        try await NodeFixtures.runPod(client, NodeFixtures.pod("web-1"), ip: "10.42.0.5", ready: true)
        try await NodeFixtures.runPod(client, NodeFixtures.pod("web-2"), ip: "10.42.0.6", ready: false)
        var slice: JSONValue?
        #expect(await eventually {
            let all = await slices(client, "web")
            slice = all.first
            return all.count == 1 && (slice?["endpoints"]?.arrayValue?.count ?? 0) == 2
        })
        guard let slice else { return }
        #expect(slice.name.hasPrefix("web-"))
        #expect(slice.labels["endpointslice.kubernetes.io/managed-by"] == "endpointslice-controller.k8s.io")
        #expect(slice["addressType"] == "IPv4")
        #expect(slice["ports"] == [["name": "http", "port": 8080, "protocol": "TCP"]])
        #expect(slice["metadata"]?["ownerReferences"]?.arrayValue?.first?["uid"] == .string(service.uid))
        let endpoints = slice["endpoints"]?.arrayValue ?? []
        let byName = Dictionary(uniqueKeysWithValues: endpoints.map { ($0["targetRef"]?["name"]?.stringValue ?? "", $0) })
        #expect(byName["web-1"]?["conditions"] == ["ready": true, "serving": true, "terminating": false])
        #expect(byName["web-2"]?["conditions"] == ["ready": false, "serving": false, "terminating": false])
        #expect(byName["web-1"]?["addresses"] == ["10.42.0.5"])
        #expect(byName["web-1"]?["nodeName"] == "n1")

        let version = slice.resourceVersion
        try await Task.sleep(for: .milliseconds(300))
        #expect(await slices(client, "web").first?.resourceVersion == version)
    }

    @Test func atMostOneHundredEndpointsPerSlice() async throws {
        let cluster = try await TestCluster()
        let client = cluster.client
        _ = try await client.create(.services, namespace: "default", object: NodeFixtures.service("big"))
        for index in 0..<150 {
            try await NodeFixtures.runPod(client, NodeFixtures.pod("big-\(index)"), ip: "10.42.\(index / 200).\(index % 200 + 2)", ready: true)
        }
        let task = cluster.start(EndpointSliceController(context: cluster.context))
        defer { task.cancel() }
        #expect(await eventually {
            let counts = await slices(client, "big").map { $0["endpoints"]?.arrayValue?.count ?? 0 }.sorted()
            return counts == [50, 100]
        })
        try await Task.sleep(for: .milliseconds(300))
        #expect(await slices(client, "big").count == 2)
    }
}
