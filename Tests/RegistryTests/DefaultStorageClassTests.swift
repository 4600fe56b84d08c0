import APIMachinery
@testable import Registry
import Storage
import Testing

@Suite struct DefaultStorageClassTests {
    let spec: JSONValue = ["accessModes": ["ReadWriteOnce"], "resources": ["requests": ["storage": "1Gi"]]]

    @Test func bootstrapCreatesLocalPathOnceAndKeepsUserChanges() async throws {
        let registry = try await makeRegistry()
        let classes = try #require(registry.store(group: "storage.k8s.io", version: "v1", resource: "storageclasses"))
        try await registry.bootstrapDefaultStorageClass()
        let created = try await classes.get(namespace: "", name: "local-path")
        #expect(created["provisioner"] == "rancher.io/local-path")
        #expect(created["reclaimPolicy"] == "Delete")
        #expect(created["volumeBindingMode"] == "WaitForFirstConsumer")
        #expect(created.annotations["storageclass.kubernetes.io/is-default-class"] == "true")
        // A user who unmarks it keeps it unmarked across restarts.
        _ = try await classes.patch(namespace: "", name: "local-path", type: .merge,
                                    body: ["metadata": ["annotations": ["storageclass.kubernetes.io/is-default-class": "false"]]],
                                    options: WriteOptions())
        try await registry.bootstrapDefaultStorageClass()
        let again = try await classes.get(namespace: "", name: "local-path")
        #expect(again.annotations["storageclass.kubernetes.io/is-default-class"] == "false")
        #expect(again.resourceVersion != created.resourceVersion)
    }

    @Test func claimWithoutClassGetsTheNewestDefault() async throws {
        let registry = try await makeRegistry()
        let classes = try #require(registry.store(group: "storage.k8s.io", version: "v1", resource: "storageclasses"))
        let pvcs = try #require(registry.store(group: "", version: "v1", resource: "persistentvolumeclaims"))
        let none = try await pvcs.create(namespace: "default", object: ["metadata": ["name": "a"], "spec": spec], options: WriteOptions()).object
        #expect(none["spec"]?["storageClassName"] == nil)

        _ = try await classes.create(namespace: "", object: ["metadata": ["name": "plain"], "provisioner": "x.io/p"], options: WriteOptions())
        let unmarked = try await pvcs.create(namespace: "default", object: ["metadata": ["name": "b"], "spec": spec], options: WriteOptions()).object
        #expect(unmarked["spec"]?["storageClassName"] == nil)

        try await registry.bootstrapDefaultStorageClass()
        let local = try await pvcs.create(namespace: "default", object: ["metadata": ["name": "c"], "spec": spec], options: WriteOptions()).object
        #expect(local["spec"]?["storageClassName"] == "local-path")

        // A second default created later (newer creationTimestamp, or same second and the name order) wins.
        try await Task.sleep(for: .milliseconds(1100))
        _ = try await classes.create(namespace: "", object: [
            "metadata": ["name": "fast", "annotations": ["storageclass.kubernetes.io/is-default-class": "true"]],
            "provisioner": "x.io/fast",
        ], options: WriteOptions())
        let newest = try await pvcs.create(namespace: "default", object: ["metadata": ["name": "d"], "spec": spec], options: WriteOptions()).object
        #expect(newest["spec"]?["storageClassName"] == "fast")

        // An explicit class, the empty class and the beta annotation are kept as sent.
        var explicit = spec
        explicit["storageClassName"] = "plain"
        #expect(try await pvcs.create(namespace: "default", object: ["metadata": ["name": "e"], "spec": explicit], options: WriteOptions())
            .object["spec"]?["storageClassName"] == "plain")
        var empty = spec
        empty["storageClassName"] = ""
        #expect(try await pvcs.create(namespace: "default", object: ["metadata": ["name": "f"], "spec": empty], options: WriteOptions())
            .object["spec"]?["storageClassName"] == "")
        let beta = try await pvcs.create(namespace: "default", object: [
            "metadata": ["name": "g", "annotations": ["volume.beta.kubernetes.io/storage-class": "plain"]], "spec": spec,
        ], options: WriteOptions()).object
        #expect(beta["spec"]?["storageClassName"] == nil)
        // Updates never add a class.
        let updated = try await pvcs.patch(namespace: "default", name: "a", type: .merge, body: ["metadata": ["labels": ["x": "y"]]],
                                           options: WriteOptions()).object
        #expect(updated["spec"]?["storageClassName"] == nil)
    }
}
