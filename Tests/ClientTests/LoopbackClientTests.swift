import APIMachinery
import Client
import ClientLoopback
import Registry
import Storage
import Testing

@Suite struct LoopbackClientTests {
    @Test func createGetUpdateDelete() async throws {
        let (client, _) = try await makeClient()
        let created = try await client.create(.configMaps, namespace: "default", object: configMap("a", data: ["k": "v"]))
        #expect(created.uid.count == 36)
        #expect(created.kind == "ConfigMap")
        let read = try await client.get(.configMaps, namespace: "default", name: "a")
        #expect(read == created)

        var changed = read
        changed["data"] = ["k": "w"]
        let updated = try await client.update(.configMaps, namespace: "default", object: changed)
        #expect(updated["data"]?["k"] == "w")
        #expect(updated.resourceVersion != read.resourceVersion)

        // The stale resourceVersion of `read` makes a second update conflict.
        let conflict = await #expect(throws: StatusError.self) {
            _ = try await client.update(.configMaps, namespace: "default", object: changed)
        }
        #expect(conflict?.isConflict == true)
        #expect(conflict?.message == "Operation cannot be fulfilled on configmaps \"a\": the object has been modified; please apply your changes to the latest version and try again")

        let status = try await client.delete(.configMaps, namespace: "default", name: "a")
        #expect(status["kind"] == "Status")
        #expect(status["status"] == "Success")
        let missing = await #expect(throws: StatusError.self) {
            _ = try await client.get(.configMaps, namespace: "default", name: "a")
        }
        #expect(missing?.isNotFound == true)
        #expect(missing?.message == "configmaps \"a\" not found")
    }

    @Test func duplicateCreateIsAlreadyExistsAndUnknownResourceIsNotFound() async throws {
        let (client, _) = try await makeClient()
        _ = try await client.create(.configMaps, namespace: "default", object: configMap("a"))
        let duplicate = await #expect(throws: StatusError.self) {
            _ = try await client.create(.configMaps, namespace: "default", object: configMap("a"))
        }
        #expect(duplicate?.isAlreadyExists == true)
        let unknown = await #expect(throws: StatusError.self) {
            _ = try await client.list(ResourceID(group: "example.com", version: "v1", resource: "widgets", namespaced: true))
        }
        #expect(unknown?.code == 404)
    }

    @Test func listSelectorsAndPaging() async throws {
        let (client, _) = try await makeClient()
        for i in 0..<5 {
            _ = try await client.create(.configMaps, namespace: "default",
                                        object: configMap("cm\(i)", labels: ["parity": .string(i % 2 == 0 ? "even" : "odd")]))
        }
        _ = try await client.create(.configMaps, namespace: "kube-system", object: configMap("other", namespace: "kube-system"))

        let all = try await client.list(.configMaps)
        #expect(Set(all.items.map(\.name)).isSuperset(of: ["cm0", "cm4", "other"]))
        let even = try await client.list(.configMaps, namespace: "default", query: ListQuery(labelSelector: "parity=even"))
        #expect(even.items.map(\.name).sorted() == ["cm0", "cm2", "cm4"])
        let byName = try await client.list(.configMaps, namespace: nil, query: ListQuery(fieldSelector: "metadata.name=other"))
        #expect(byName.items.map(\.namespace) == ["kube-system"])

        let first = try await client.list(.configMaps, namespace: "default", query: ListQuery(labelSelector: "parity", limit: 2))
        #expect(first.items.count == 2)
        let token = try #require(first.continueToken)
        let paged = try await client.listAll(.configMaps, namespace: "default", query: ListQuery(labelSelector: "parity"), pageSize: 2)
        #expect(paged.items.map(\.name) == ["cm0", "cm1", "cm2", "cm3", "cm4"])
        #expect(paged.continueToken == nil)
        let second = try await client.list(.configMaps, namespace: "default", query: ListQuery(labelSelector: "parity", limit: 2, continueToken: token))
        #expect(second.items.map(\.name) == ["cm2", "cm3"])

        let bad = await #expect(throws: StatusError.self) {
            _ = try await client.list(.configMaps, namespace: nil, query: ListQuery(fieldSelector: "spec.nope=x"))
        }
        #expect(bad?.code == 400)
    }

    @Test func watchFromResourceVersion() async throws {
        let (client, _) = try await makeClient()
        let start = try await client.list(.configMaps, namespace: "default")
        let stream = try await client.watch(.configMaps, namespace: "default", query: WatchQuery(resourceVersion: start.resourceVersion))
        let created = try await client.create(.configMaps, namespace: "default", object: configMap("w"))
        _ = try await client.patch(.configMaps, namespace: "default", name: "w", format: .merge, body: ["data": ["x": "1"]])
        _ = try await client.delete(.configMaps, namespace: "default", name: "w")
        _ = try await client.create(.configMaps, namespace: "kube-system", object: configMap("elsewhere", namespace: "kube-system"))
        var seen: [String] = []
        for await event in stream {
            seen.append("\(event.type.rawValue):\(event.object.name)")
            if seen.count == 3 { break }
        }
        stream.stop()
        #expect(seen == ["ADDED:w", "MODIFIED:w", "DELETED:w"])
        #expect(created.name == "w")
    }

    @Test func watchOfCompactedVersionReportsExpired() async throws {
        let (client, storage) = try await makeClient()
        let old = try await client.list(.configMaps).resourceVersion
        _ = try await client.create(.configMaps, namespace: "default", object: configMap("a"))
        _ = try await client.create(.configMaps, namespace: "default", object: configMap("b"))
        try await storage.compact(revision: try await storage.currentRevision())
        let error: StatusError?
        do {
            let stream = try await client.watch(.configMaps, namespace: nil, query: WatchQuery(resourceVersion: old))
            var first: ResourceEvent?
            for await event in stream {
                first = event
                break
            }
            error = first?.error
        } catch let thrown {
            error = thrown
        }
        #expect(error?.isExpired == true)
    }

    @Test func patchFormats() async throws {
        let (client, _) = try await makeClient()
        _ = try await client.create(.configMaps, namespace: "default", object: configMap("p", data: ["a": "1"]))
        let merged = try await client.patch(.configMaps, namespace: "default", name: "p", format: .merge, body: ["data": ["b": "2"]])
        #expect(merged["data"] == ["a": "1", "b": "2"])
        let jsonPatched = try await client.patch(.configMaps, namespace: "default", name: "p", format: .json,
                                                 body: [["op": "remove", "path": "/data/a"]])
        #expect(jsonPatched["data"] == ["b": "2"])
        let strategic = try await client.patch(.configMaps, namespace: "default", name: "p", format: .strategic,
                                               body: ["metadata": ["labels": ["l": "v"]]])
        #expect(strategic.labels == ["l": "v"])
        let applied = try await client.apply(.configMaps, namespace: "default", object: configMap("q", data: ["z": "9"]), fieldManager: "test")
        #expect(applied["data"] == ["z": "9"])
        let managers = applied["metadata"]?["managedFields"]?.arrayValue?.compactMap { $0["manager"]?.stringValue }
        #expect(managers == ["test"])
    }

    @Test func statusScaleBindingAndEviction() async throws {
        let (client, _) = try await makeClient()
        let deployment: JSONValue = [
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": "d"],
            "spec": ["replicas": 1, "selector": ["matchLabels": ["app": "d"]],
                     "template": ["metadata": ["labels": ["app": "d"]], "spec": ["containers": [["name": "c", "image": "nginx"]]]]],
        ]
        var created = try await client.create(.deployments, namespace: "default", object: deployment)
        created["status"] = ["replicas": 1, "observedGeneration": 1]
        let withStatus = try await client.updateStatus(.deployments, namespace: "default", object: created)
        #expect(withStatus["status"]?["replicas"] == 1)
        var scale = try await client.get(.deployments, namespace: "default", name: "d", subresource: "scale")
        #expect(scale["kind"] == "Scale")
        scale["spec"] = ["replicas": 3]
        _ = try await client.update(.deployments, namespace: "default", object: scale, subresource: "scale", query: WriteQuery())
        #expect(try await client.get(.deployments, namespace: "default", name: "d")["spec"]?["replicas"] == 3)

        _ = try await client.create(.pods, namespace: "default", object: pod("p"))
        try await client.bind(namespace: "default", pod: "p", node: "node-1")
        let bound = try await client.get(.pods, namespace: "default", name: "p")
        #expect(bound["spec"]?["nodeName"] == "node-1")
        let again = await #expect(throws: StatusError.self) {
            try await client.bind(namespace: "default", pod: "p", node: "node-2")
        }
        #expect(again?.code == 409)

        try await client.evict(namespace: "default", pod: "p", options: DeleteQuery(gracePeriodSeconds: 0))
        let gone = await #expect(throws: StatusError.self) {
            _ = try await client.get(.pods, namespace: "default", name: "p")
        }
        #expect(gone?.isNotFound == true)
    }

    @Test func deleteOptionsAndDeleteCollection() async throws {
        let (client, _) = try await makeClient()
        let a = try await client.create(.configMaps, namespace: "default", object: configMap("a", labels: ["x": "1"]))
        _ = try await client.create(.configMaps, namespace: "default", object: configMap("b", labels: ["x": "1"]))
        _ = try await client.create(.configMaps, namespace: "default", object: configMap("c"))
        let precondition = await #expect(throws: StatusError.self) {
            _ = try await client.delete(.configMaps, namespace: "default", name: "a", options: DeleteQuery(preconditionUID: "wrong"))
        }
        #expect(precondition?.code == 409)
        _ = try await client.delete(.configMaps, namespace: "default", name: "a", options: DeleteQuery(preconditionUID: a.uid))

        // A finalizer keeps a deleted object, marked with deletionTimestamp.
        var held = configMap("held")
        held[key: "metadata", "finalizers"] = ["example.com/hold"]
        _ = try await client.create(.configMaps, namespace: "default", object: held)
        let pending = try await client.delete(.configMaps, namespace: "default", name: "held",
                                              options: DeleteQuery(propagationPolicy: .foreground))
        #expect(pending.deletionTimestamp != nil)

        let deleted = try await client.deleteCollection(.configMaps, namespace: "default", query: ListQuery(labelSelector: "x=1"),
                                                        options: DeleteQuery())
        #expect(deleted.items.map(\.name) == ["b"])
        let left = try await client.list(.configMaps, namespace: "default").items.map(\.name).sorted()
        #expect(left.contains("c") && left.contains("held") && !left.contains("b"))
    }

    @Test func clusterScopedResourcesIgnoreNamespace() async throws {
        let (client, _) = try await makeClient()
        let node: JSONValue = ["apiVersion": "v1", "kind": "Node", "metadata": ["name": "n1"]]
        _ = try await client.create(.nodes, namespace: "ignored", object: node)
        let read = try await client.get(.nodes, name: "n1")
        #expect(read.namespace == "")
        #expect(try await client.list(.nodes, namespace: "default").items.map(\.name) == ["n1"])
    }

    @Test func resourcePaths() {
        #expect(ResourceID.pods.path(namespace: "ns", name: "p", subresource: "status") == "/api/v1/namespaces/ns/pods/p/status")
        #expect(ResourceID.deployments.path(namespace: nil) == "/apis/apps/v1/deployments")
        #expect(ResourceID.nodes.path(namespace: "x", name: "n:1") == "/api/v1/nodes/n%3A1")
        #expect(ResourceID.leases.path(namespace: "kube-system") == "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases")
    }
}
