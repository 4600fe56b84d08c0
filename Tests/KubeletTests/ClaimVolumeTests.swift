import APIMachinery
import CRI
import Client
import ClientLoopback
import Foundation
@testable import Kubelet
import Registry
import Storage
import Synchronization
import Testing

/// Volume directories in memory.
final class FakeVolumeDirectories: LocalVolumeDirectories {
    let state: Mutex<[String: Int]>
    init(_ paths: [String: Int] = [:]) { state = Mutex(paths) }
    var paths: [String: Int] { state.withLock { $0 } }
    func ensureDirectory(_ path: String, mode: Int) throws { state.withLock { if $0[path] == nil { $0[path] = mode } } }
    func exists(_ path: String) -> Bool { state.withLock { $0[path] != nil } }
    func entries(of directory: String) -> [String] {
        state.withLock { all in all.keys.compactMap { path in
            guard path.hasPrefix(directory + "/") else { return nil }
            let rest = path.dropFirst(directory.count + 1)
            return rest.contains("/") ? nil : String(rest)
        } }
    }
    func remove(_ path: String) throws { state.withLock { all in for key in all.keys where key == path || key.hasPrefix(path + "/") { all[key] = nil } } }
}

@Suite struct ClaimVolumeTests {
    struct Setup {
        let client: LoopbackClient
        let runtime: FakeContainerRuntime
        let kubelet: Kubelet
        let root: String
        let directories: FakeVolumeDirectories
    }

    func setUp(directories: FakeVolumeDirectories = FakeVolumeDirectories()) async throws -> Setup {
        let s = try await KubeletTests().setUp(volumeDirectories: directories) { $0.localPathBase = "/storage" }
        return Setup(client: s.client, runtime: s.runtime, kubelet: s.kubelet, root: s.root, directories: directories)
    }

    static func volume(_ name: String, path: String, node: String = "node-a", claimUID: String? = nil) -> JSONValue {
        var spec: JSONValue = [
            "capacity": ["storage": "1Gi"], "accessModes": ["ReadWriteOnce"], "storageClassName": "local-path",
            "persistentVolumeReclaimPolicy": "Delete",
            "hostPath": ["path": .string(path), "type": "DirectoryOrCreate"],
            "nodeAffinity": ["required": ["nodeSelectorTerms": [["matchExpressions": [
                ["key": "kubernetes.io/hostname", "operator": "In", "values": [.string(node)]]]]]]],
        ]
        if let claimUID { spec["claimRef"] = ["namespace": "default", "name": "data", "uid": .string(claimUID)] }
        return ["apiVersion": "v1", "kind": "PersistentVolume", "metadata": ["name": .string(name)], "spec": spec]
    }

    @Test func podWaitsForItsClaimThenMountsTheBoundVolume() async throws {
        let s = try await setUp()
        defer { try? FileManager.default.removeItem(atPath: s.root) }
        let task = Task { await s.kubelet.run() }
        defer { task.cancel() }
        let pod = KubeletTests.pod("db", extra: ["volumes": [
            ["name": "data", "persistentVolumeClaim": ["claimName": "data"]],
            ["name": "seed", "persistentVolumeClaim": ["claimName": "data", "readOnly": true]],
        ]], container: ["volumeMounts": [["name": "data", "mountPath": "/var/lib/db"], ["name": "seed", "mountPath": "/seed"]]])
        _ = try await s.client.create(.pods, namespace: "default", object: pod)

        // No claim yet, then an unbound one: Pending with FailedMount, no container.
        #expect(await eventually {
            (try? await s.client.get(.pods, namespace: "default", name: "db"))?["status"]?["message"]?.stringValue?
                .contains("persistentvolumeclaim \"data\" not found") == true
        })
        let claim = try await s.client.create(.persistentVolumeClaims, namespace: "default", object: [
            "apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": ["name": "data"],
            "spec": ["accessModes": ["ReadWriteOnce"], "resources": ["requests": ["storage": "1Gi"]], "storageClassName": "local-path"]])
        #expect(await eventually {
            (try? await s.client.get(.pods, namespace: "default", name: "db"))?["status"]?["message"]?.stringValue
                == "Unable to attach or mount volumes: unmounted volumes=[data]: persistentvolumeclaim \"data\" is not bound"
        })
        let failed = ((try? await s.client.list(.events, namespace: "default"))?.items ?? []).filter {
            $0["involvedObject"]?["name"] == "db" && $0["reason"] == "FailedMount"
        }
        #expect(!failed.isEmpty)
        #expect(try await s.runtime.listContainers(.init()).containers.isEmpty)
        #expect(try await s.client.get(.pods, namespace: "default", name: "db")["status"]?["phase"] == "Pending")

        // Bound (as the PV controller does): the directory is made 0777 and mounted, read-only where asked.
        let path = "/storage/pvc-\(claim.uid)_default_data"
        _ = try await s.client.create(.persistentVolumes, object: Self.volume("pvc-\(claim.uid)", path: path, claimUID: claim.uid))
        var bound = try await s.client.get(.persistentVolumeClaims, namespace: "default", name: "data")
        bound[key: "spec", "volumeName"] = .string("pvc-\(claim.uid)")
        bound = try await s.client.update(.persistentVolumeClaims, namespace: "default", object: bound)
        bound[key: "status", "phase"] = "Bound"
        _ = try await s.client.updateStatus(.persistentVolumeClaims, namespace: "default", object: bound)

        #expect(await eventually { (try? await s.client.get(.pods, namespace: "default", name: "db"))?["status"]?["phase"] == "Running" })
        #expect(s.directories.paths[path] == 0o777)
        let containers = try await s.runtime.listContainers(.init()).containers
        let status = try await s.runtime.containerStatus(.with { $0.containerID = containers[0].id; $0.verbose = true })
        let mounts = Dictionary(uniqueKeysWithValues: status.status.mounts.map { ($0.containerPath, $0) })
        #expect(mounts["/var/lib/db"]?.hostPath == path)
        #expect(mounts["/var/lib/db"]?.readonly == false)
        #expect(mounts["/seed"]?.hostPath == path)
        #expect(mounts["/seed"]?.readonly == true)
    }

    @Test func aVolumeOfAnotherNodeIsRefused() throws {
        let claim: JSONValue = ["metadata": ["name": "data", "uid": "u1"]]
        let volume = Self.volume("pv", path: "/x", node: "node-b", claimUID: "u1")
        #expect(throws: ClaimVolumes.MountError.self) {
            try ClaimVolumes.directory(claim: claim, volume: volume, readOnly: false, nodeLabels: ["kubernetes.io/hostname": "node-a"])
        }
        let here = try ClaimVolumes.directory(claim: claim, volume: volume, readOnly: true, nodeLabels: ["kubernetes.io/hostname": "node-b"])
        #expect(here == ClaimVolumes.HostDirectory(path: "/x", createIfMissing: true, readOnly: true))
        var nfs = volume
        nfs[key: "spec", "hostPath"] = nil
        nfs[key: "spec", "nfs"] = ["server": "s", "path": "/"]
        #expect(throws: ClaimVolumes.MountError.self) {
            try ClaimVolumes.directory(claim: claim, volume: nfs, readOnly: false, nodeLabels: ["kubernetes.io/hostname": "node-b"])
        }
    }

    @Test func directoriesOfDeletedVolumesAreRemoved() async throws {
        let directories = FakeVolumeDirectories([
            "/storage/pvc-keep_default_a": 0o777, "/storage/pvc-keep_default_a/file": 0o644,
            "/storage/pvc-gone_default_b": 0o777, "/storage/pvc-gone_default_b/file": 0o644,
            "/storage/lost+found": 0o700,
        ])
        let s = try await setUp(directories: directories)
        _ = try await s.client.create(.persistentVolumes, object: Self.volume("pvc-keep", path: "/storage/pvc-keep_default_a"))
        let removed = await s.kubelet.cleanUpVolumeDirectories()
        #expect(removed == ["/storage/pvc-gone_default_b"])
        #expect(directories.paths.keys.sorted() == ["/storage/lost+found", "/storage/pvc-keep_default_a", "/storage/pvc-keep_default_a/file"])
    }
}
