import APIMachinery
import Client
import ClientLoopback
@testable import SchedulerService
import Testing

@Suite struct VolumeBindingTests {
    static let classes = ResourceID(group: "storage.k8s.io", version: "v1", resource: "storageclasses", namespaced: false)

    func claim(_ name: String, storageClass: String, volumeName: String? = nil) -> JSONValue {
        var spec: JSONValue = ["accessModes": ["ReadWriteOnce"], "resources": ["requests": ["storage": "1Gi"]],
                               "storageClassName": .string(storageClass)]
        if let volumeName { spec["volumeName"] = .string(volumeName) }
        return ["apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": ["name": .string(name)], "spec": spec]
    }

    @Test func bindingAPodSelectsItsNodeForUnboundDelayedClaims() async throws {
        let client = try await makeClient()
        for (name, mode) in [("local-path", "WaitForFirstConsumer"), ("fast", "Immediate")] {
            _ = try await client.create(Self.classes, object: [
                "apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": ["name": .string(name)],
                "provisioner": "rancher.io/local-path", "volumeBindingMode": .string(mode)])
        }
        for c in [claim("www", storageClass: "local-path"), claim("imm", storageClass: "fast"),
                  claim("bound", storageClass: "local-path", volumeName: "pv-1")] {
            _ = try await client.create(.persistentVolumeClaims, namespace: "default", object: c)
        }
        _ = try await client.create(.nodes, object: node("node-b"))
        var p = pod("web")
        p[key: "spec", "volumes"] = [["name": "a", "persistentVolumeClaim": ["claimName": "www"]],
                                     ["name": "b", "persistentVolumeClaim": ["claimName": "imm"]],
                                     ["name": "c", "persistentVolumeClaim": ["claimName": "bound"]],
                                     ["name": "d", "persistentVolumeClaim": ["claimName": "missing"]],
                                     ["name": "e", "emptyDir": [:]]]
        try await withScheduler(client) { _ in
            _ = try await client.create(.pods, namespace: "default", object: p)
            try await eventually("web bound") { await nodeName(client, "web") == "node-b" }
        }
        func selected(_ name: String) async throws -> String? {
            try await client.get(.persistentVolumeClaims, namespace: "default", name: name).annotations["volume.kubernetes.io/selected-node"]
        }
        #expect(try await selected("www") == "node-b")
        #expect(try await selected("imm") == nil)
        #expect(try await selected("bound") == nil)
    }
}
