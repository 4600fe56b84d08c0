import APIMachinery
import Client
import ControllerManager
import Foundation
import Registry
import Testing

@Suite struct PersistentVolumeControllerTests {
    static func claim(_ name: String, size: String = "1Gi", storageClass: String? = nil, modes: [String] = ["ReadWriteOnce"],
                      volumeName: String? = nil, selector: JSONValue? = nil) -> JSONValue {
        var spec: JSONValue = ["accessModes": .array(modes.map { .string($0) }), "resources": ["requests": ["storage": .string(size)]]]
        if let storageClass { spec["storageClassName"] = .string(storageClass) }
        if let volumeName { spec["volumeName"] = .string(volumeName) }
        if let selector { spec["selector"] = selector }
        return ["apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": ["name": .string(name)], "spec": spec]
    }

    static func volume(_ name: String, size: String, storageClass: String = "", modes: [String] = ["ReadWriteOnce"],
                       labels: [String: JSONValue] = [:], policy: String = "Retain") -> JSONValue {
        ["apiVersion": "v1", "kind": "PersistentVolume", "metadata": ["name": .string(name), "labels": .object(labels)],
         "spec": ["capacity": ["storage": .string(size)], "accessModes": .array(modes.map { .string($0) }),
                  "storageClassName": .string(storageClass), "persistentVolumeReclaimPolicy": .string(policy),
                  "hostPath": ["path": .string("/tmp/\(name)")]]]
    }

    static func storageClass(_ name: String, mode: String, policy: String = "Delete", provisioner: String = "rancher.io/local-path") -> JSONValue {
        ["apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": ["name": .string(name)],
         "provisioner": .string(provisioner), "reclaimPolicy": .string(policy), "volumeBindingMode": .string(mode)]
    }

    static let node: JSONValue = [
        "apiVersion": "v1", "kind": "Node",
        "metadata": ["name": "node-a", "labels": ["kubernetes.io/hostname": "node-a"]],
        "status": ["conditions": [["type": "Ready", "status": "True"]]],
    ]

    func phase(_ c: TestCluster, claim name: String) async -> String? {
        (try? await c.client.get(.persistentVolumeClaims, namespace: "default", name: name))?["status"]?["phase"]?.stringValue
    }

    func phase(_ c: TestCluster, volume name: String) async -> String? {
        (try? await c.client.get(.persistentVolumes, name: name))?["status"]?["phase"]?.stringValue
    }

    func events(_ c: TestCluster, about name: String) async -> [JSONValue] {
        ((try? await c.client.list(.events, namespace: "default"))?.items ?? []).filter { $0["involvedObject"]?["name"]?.stringValue == name }
    }

    @Test func bindsTheSmallestFittingVolumeBothWays() async throws {
        let c = try await TestCluster()
        for v in [Self.volume("big", size: "10Gi"), Self.volume("small", size: "2Gi"), Self.volume("tiny", size: "500Mi"),
                  Self.volume("rwx", size: "1Gi", modes: ["ReadWriteMany"]), Self.volume("classy", size: "1Gi", storageClass: "fast"),
                  Self.volume("labelled", size: "5Gi", labels: ["tier": "gold"])] {
            _ = try await c.client.create(.persistentVolumes, object: v)
        }
        let task = c.start(PersistentVolumeController(context: c.context))
        defer { task.cancel() }
        // Unclaimed volumes become Available.
        #expect(await eventually { await phase(c, volume: "big") == "Available" })

        _ = try await c.client.create(.persistentVolumeClaims, namespace: "default", object: Self.claim("data", size: "1Gi", storageClass: ""))
        #expect(await eventually { await phase(c, claim: "data") == "Bound" })
        let claim = try await c.client.get(.persistentVolumeClaims, namespace: "default", name: "data")
        #expect(claim["spec"]?["volumeName"] == "small")
        #expect(claim.annotations["pv.kubernetes.io/bind-completed"] == "yes")
        #expect(claim.annotations["pv.kubernetes.io/bound-by-controller"] == "yes")
        #expect(claim["status"]?["capacity"] == ["storage": "2Gi"])
        #expect(claim["status"]?["accessModes"] == ["ReadWriteOnce"])
        #expect(await eventually { await phase(c, volume: "small") == "Bound" })
        let volume = try await c.client.get(.persistentVolumes, name: "small")
        #expect(volume["spec"]?["claimRef"]?["name"] == "data")
        #expect(volume["spec"]?["claimRef"]?["namespace"] == "default")
        #expect(volume["spec"]?["claimRef"]?["uid"]?.stringValue == claim.uid)

        // A selector narrows the choice; a pre-bound claim gets the volume it names.
        _ = try await c.client.create(.persistentVolumeClaims, namespace: "default",
                                      object: Self.claim("gold", size: "1Gi", storageClass: "", selector: ["matchLabels": ["tier": "gold"]]))
        _ = try await c.client.create(.persistentVolumeClaims, namespace: "default",
                                      object: Self.claim("named", size: "1Gi", storageClass: "", volumeName: "big"))
        #expect(await eventually { await phase(c, claim: "gold") == "Bound" })
        #expect(await eventually { await phase(c, claim: "named") == "Bound" })
        #expect(try await c.client.get(.persistentVolumeClaims, namespace: "default", name: "gold")["spec"]?["volumeName"] == "labelled")
        #expect(try await c.client.get(.persistentVolumes, name: "big")["spec"]?["claimRef"]?["name"] == "named")

        // Nothing fits: the claim stays Pending with an event; a fitting volume created later binds it.
        _ = try await c.client.create(.persistentVolumeClaims, namespace: "default", object: Self.claim("huge", size: "100Gi", storageClass: ""))
        #expect(await eventually { await events(c, about: "huge").contains { $0["reason"] == "FailedBinding" } })
        #expect(await phase(c, claim: "huge") == "Pending")
        _ = try await c.client.create(.persistentVolumes, object: Self.volume("giant", size: "200Gi"))
        #expect(await eventually { await phase(c, claim: "huge") == "Bound" })

        // Deleting a claim releases its volume; Retain keeps the volume Released.
        _ = try await c.client.delete(.persistentVolumeClaims, namespace: "default", name: "data")
        #expect(await eventually { await phase(c, volume: "small") == "Released" })
        try await Task.sleep(for: .milliseconds(200))
        #expect(await phase(c, volume: "small") == "Released")
        // A new claim does not get a Released volume (every other fitting one is taken).
        _ = try await c.client.create(.persistentVolumeClaims, namespace: "default", object: Self.claim("again", size: "2Gi", storageClass: ""))
        #expect(await eventually { await events(c, about: "again").contains { $0["reason"] == "FailedBinding" } })
        #expect(await phase(c, claim: "again") == "Pending")
        #expect(await phase(c, volume: "small") == "Released")
    }

    @Test func waitForFirstConsumerProvisionsOnTheSelectedNodeAndDeletesOnRelease() async throws {
        var options = ControllerOptions()
        options.localPathBase = "/data/storage"
        let c = try await TestCluster(options: options)
        _ = try await c.client.create(.storageClasses, object: Self.storageClass("local-path", mode: "WaitForFirstConsumer"))
        _ = try await c.client.create(.nodes, object: Self.node)
        let task = c.start(PersistentVolumeController(context: c.context))
        defer { task.cancel() }

        let created = try await c.client.create(.persistentVolumeClaims, namespace: "default", object: Self.claim("www", size: "128Mi", storageClass: "local-path"))
        #expect(await eventually {
            await events(c, about: "www").contains {
                $0["reason"] == "WaitForFirstConsumer" && $0["message"] == "waiting for first consumer to be created before binding"
            }
        })
        #expect(await phase(c, claim: "www") == "Pending")
        #expect(try await c.client.listAll(.persistentVolumes).items.isEmpty)

        // The scheduler picked node-a for the first pod.
        _ = try await c.client.patch(.persistentVolumeClaims, namespace: "default", name: "www", format: .merge,
                                     body: ["metadata": ["annotations": ["volume.kubernetes.io/selected-node": "node-a"]]])
        #expect(await eventually { await phase(c, claim: "www") == "Bound" })
        let name = "pvc-\(created.uid)"
        let volume = try await c.client.get(.persistentVolumes, name: name)
        #expect(volume.annotations["pv.kubernetes.io/provisioned-by"] == "rancher.io/local-path")
        #expect(volume["spec"]?["capacity"] == ["storage": "128Mi"])
        #expect(volume["spec"]?["accessModes"] == ["ReadWriteOnce"])
        #expect(volume["spec"]?["persistentVolumeReclaimPolicy"] == "Delete")
        #expect(volume["spec"]?["storageClassName"] == "local-path")
        #expect(volume["spec"]?["hostPath"] == ["path": .string("/data/storage/\(name)_default_www"), "type": "DirectoryOrCreate"])
        #expect(volume["spec"]?["nodeAffinity"]?["required"]?["nodeSelectorTerms"] == [["matchExpressions": [
            ["key": "kubernetes.io/hostname", "operator": "In", "values": ["node-a"]]]]])
        #expect(volume["spec"]?["claimRef"]?["uid"]?.stringValue == created.uid)
        #expect(await eventually { await phase(c, volume: name) == "Bound" })
        let claim = try await c.client.get(.persistentVolumeClaims, namespace: "default", name: "www")
        #expect(claim["spec"]?["volumeName"]?.stringValue == name)
        #expect(claim.annotations["volume.kubernetes.io/storage-provisioner"] == "rancher.io/local-path")
        #expect(await eventually { await events(c, about: "www").contains { $0["reason"] == "ProvisioningSucceeded" } })

        // Delete policy: the claim's deletion deletes the volume object.
        _ = try await c.client.delete(.persistentVolumeClaims, namespace: "default", name: "www")
        #expect(await eventually { (try? await c.client.get(.persistentVolumes, name: name)) == nil })
    }

    @Test func immediateClassProvisionsAtOnceAndRetainKeepsTheVolume() async throws {
        let c = try await TestCluster()
        _ = try await c.client.create(.storageClasses, object: Self.storageClass("keep", mode: "Immediate", policy: "Retain"))
        _ = try await c.client.create(.storageClasses, object: Self.storageClass("nfs", mode: "Immediate", provisioner: "example.com/nfs"))
        let task = c.start(PersistentVolumeController(context: c.context))
        defer { task.cancel() }
        // No node yet: provisioning waits for one.
        let created = try await c.client.create(.persistentVolumeClaims, namespace: "default", object: Self.claim("db", storageClass: "keep"))
        #expect(await eventually { await events(c, about: "db").contains { $0["reason"] == "ProvisioningFailed" } })
        #expect(await phase(c, claim: "db") == "Pending")
        _ = try await c.client.create(.nodes, object: Self.node)
        #expect(await eventually { await phase(c, claim: "db") == "Bound" })
        let name = "pvc-\(created.uid)"
        #expect(try await c.client.get(.persistentVolumes, name: name)["spec"]?["persistentVolumeReclaimPolicy"] == "Retain")
        _ = try await c.client.delete(.persistentVolumeClaims, namespace: "default", name: "db")
        #expect(await eventually { await phase(c, volume: name) == "Released" })
        try await Task.sleep(for: .milliseconds(200))
        #expect(await phase(c, volume: name) == "Released")

        // Another provisioner's class: the claim waits for it.
        _ = try await c.client.create(.persistentVolumeClaims, namespace: "default", object: Self.claim("share", storageClass: "nfs"))
        #expect(await eventually { await events(c, about: "share").contains { $0["reason"] == "ExternalProvisioning" } })
        #expect(await phase(c, claim: "share") == "Pending")
    }

    @Test func matchingIsByClassModesCapacitySelectorAndNode() {
        let claim = Self.claim("c", size: "1Gi", storageClass: "fast", modes: ["ReadWriteOnce"])
        #expect(PersistentVolumeMatching.fits(Self.volume("v", size: "1Gi", storageClass: "fast", modes: ["ReadWriteOnce", "ReadOnlyMany"]), claim))
        #expect(!PersistentVolumeMatching.fits(Self.volume("v", size: "999Mi", storageClass: "fast"), claim))
        #expect(!PersistentVolumeMatching.fits(Self.volume("v", size: "1Gi", storageClass: "slow"), claim))
        #expect(!PersistentVolumeMatching.fits(Self.volume("v", size: "1Gi", storageClass: "fast", modes: ["ReadOnlyMany"]), claim))
        var pinned = Self.volume("v", size: "1Gi", storageClass: "fast")
        pinned[key: "spec", "nodeAffinity"] = ["required": ["nodeSelectorTerms": [["matchExpressions": [
            ["key": "kubernetes.io/hostname", "operator": "In", "values": ["node-a"]]]]]]]
        #expect(PersistentVolumeMatching.fits(pinned, claim, nodeLabels: ["kubernetes.io/hostname": "node-a"]))
        #expect(!PersistentVolumeMatching.fits(pinned, claim, nodeLabels: ["kubernetes.io/hostname": "node-b"]))
        #expect(PersistentVolumeMatching.localPath(base: "/var/lib/swiftlet/storage/", claim: [
            "metadata": ["name": "www-web-0", "namespace": "ns", "uid": "u1"]]) == "/var/lib/swiftlet/storage/pvc-u1_ns_www-web-0")
    }
}
