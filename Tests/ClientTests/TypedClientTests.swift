import APIMachinery
import APIModels
import Client
import ClientLoopback
import Registry
import Testing

@Suite struct TypedClientTests {
    @Test func everyTypedKindNamesTheServedResource() {
        let definitions = Registry.builtInDefinitions()
        for kind in allResourceKinds {
            let resource = kind.resource
            let definition = definitions.first {
                $0.group == resource.group && $0.version == resource.version && $0.resource == resource.resource
            }
            #expect(definition != nil, "\(resource) is not served")
            #expect(definition?.kind == kind.gvk.kind, "\(resource) serves \(definition?.kind ?? "nothing"), not \(kind.gvk.kind)")
            #expect(definition?.group == kind.gvk.group && definition?.version == kind.gvk.version)
            #expect(definition?.namespaced == resource.namespaced, "\(resource) scope")
        }
    }

    @Test func typedCrudOverTheLoopbackClient() async throws {
        let (client, _) = try await makeClient()
        let pod = CoreV1.Pod(metadata: .init(labels: ["app": "web"], name: "typed", namespace: "default"),
                             spec: .init(containers: [.init(image: "nginx", name: "c")]))
        let created = try await client.create(pod)
        #expect(created.metadata?.uid?.count == 36)
        #expect(created.spec?.containers?.first?.image == "nginx")

        var read = try await client.get(CoreV1.Pod.self, namespace: "default", name: "typed")
        #expect(read.metadata?.resourceVersion == created.metadata?.resourceVersion)
        read.metadata?.labels?["tier"] = "front"
        let updated = try await client.update(read)
        #expect(updated.metadata?.labels == ["app": "web", "tier": "front"])

        var withStatus = updated
        withStatus.status = CoreV1.PodStatus(phase: "Running")
        let statusWritten = try await client.update(withStatus, subresource: "status")
        #expect(statusWritten.status?.phase == "Running")

        let list = try await client.list(CoreV1.Pod.self, namespace: "default", query: ListQuery(labelSelector: "tier=front"))
        #expect(list.items.map { $0.metadata?.name } == ["typed"])
        #expect(!list.resourceVersion.isEmpty)

        let patched = try await client.patch(CoreV1.Pod.self, namespace: "default", name: "typed", format: .merge,
                                             body: ["metadata": ["annotations": ["a": "b"]]])
        #expect(patched.metadata?.annotations == ["a": "b"])

        // A stale typed update conflicts like a JSON one.
        let conflict = await #expect(throws: StatusError.self) { _ = try await client.update(read) }
        #expect(conflict?.isConflict == true)

        try await client.delete(CoreV1.Pod.self, namespace: "default", name: "typed", options: DeleteQuery(gracePeriodSeconds: 0))
        #expect(try await client.list(CoreV1.Pod.self, namespace: "default").items.isEmpty)

        let lease = try await client.create(CoordinationV1.Lease(metadata: .init(name: "l", namespace: "kube-system"),
                                                                 spec: .init(holderIdentity: "me", leaseDurationSeconds: 15)))
        #expect(lease.spec?.holderIdentity == "me")
    }

    @Test func typedLister() {
        let indexer = Indexer()
        indexer.upsert(["apiVersion": "v1", "kind": "Node", "metadata": ["name": "n1", "labels": ["zone": "a"]],
                        "spec": ["unschedulable": true]])
        let lister = Lister(indexer: indexer)
        let nodes = lister.list(CoreV1.Node.self)
        #expect(nodes.first?.spec?.unschedulable == true)
        #expect(lister.get(CoreV1.Node.self, name: "n1")?.metadata?.labels == ["zone": "a"])
        #expect(lister.get(CoreV1.Node.self, name: "n2") == nil)
    }
}
