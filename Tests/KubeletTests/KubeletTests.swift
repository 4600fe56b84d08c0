import APIMachinery
import CRI
import Client
import ClientLoopback
import Foundation
import Kubelet
import Registry
import Storage
import Synchronization
import Testing

/// Polls `condition` every 20 ms until it holds or `timeout` passes.
func eventually(timeout: Duration = .seconds(10), _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return try await condition()
}

@Suite struct KubeletTests {
    struct Setup {
        let client: LoopbackClient
        let runtime: FakeContainerRuntime
        let kubelet: Kubelet
        let root: String
    }

    /// A kubelet for node-a over a fake runtime and an in-memory API; `configure` adjusts its options.
    func setUp(volumeDirectories: any LocalVolumeDirectories = HostLocalVolumeDirectories(),
               configure: (inout KubeletOptions) -> Void = { _ in }) async throws -> Setup {
        let registry = Registry(storage: MemoryStorage(), definitions: Registry.builtInDefinitions(), schema: BuiltInSchema())
        try await registry.bootstrap()
        let client = LoopbackClient(registry: registry)
        let runtime = FakeContainerRuntime(runtimeName: "containerd", runtimeVersion: "1.6.20")
        try await runtime.setPodSubnet("10.42.0.0/24")
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("swiftlet-kubelet-\(UUID().uuidString)").path
        var options = KubeletOptions(nodeName: "node-a", rootDirectory: root)
        options.resyncInterval = .milliseconds(50)
        options.leaseInterval = .milliseconds(200)
        configure(&options)
        let facts = HostFacts(hostname: "node-a", internalIP: "192.0.2.10", cpus: 2, memoryBytes: 4 << 30, ephemeralStorageBytes: 20 << 30)
        let kubelet = Kubelet(client: client, runtime: runtime, options: options, facts: facts, volumeDirectories: volumeDirectories)
        return Setup(client: client, runtime: runtime, kubelet: kubelet, root: root)
    }

    static func pod(_ name: String, extra: [String: JSONValue] = [:], container: [String: JSONValue] = [:]) -> JSONValue {
        var c: [String: JSONValue] = ["name": "app", "image": "busybox:1.36"]
        c.merge(container) { $1 }
        var spec: [String: JSONValue] = ["nodeName": "node-a", "containers": [.object(c)]]
        spec.merge(extra) { $1 }
        return ["apiVersion": "v1", "kind": "Pod", "metadata": ["name": .string(name), "namespace": "default"], "spec": .object(spec)]
    }

    func get(_ client: LoopbackClient, _ name: String) async -> JSONValue? {
        try? await client.get(.pods, namespace: "default", name: name)
    }

    @Test func registersRunsPodsAndFinishesDeletions() async throws {
        let s = try await setUp()
        defer { try? FileManager.default.removeItem(atPath: s.root) }
        // A sandbox left from a pod deleted while the kubelet was down.
        _ = try await s.runtime.runPodSandbox(.with {
            $0.config.metadata = .with { $0.name = "old"; $0.uid = "gone-uid"; $0.namespace = "default" }
            $0.config.labels = [CRIConfigs.podUIDLabel: "gone-uid"]
        })
        let task = Task { await s.kubelet.run() }
        defer { task.cancel() }

        #expect(await eventually {
            let node = try? await s.client.get(.nodes, name: "node-a")
            return node?["status"]?["conditions"]?.arrayValue?.contains { $0["type"] == "Ready" && $0["status"] == "True" } == true
        })
        let node = try await s.client.get(.nodes, name: "node-a")
        #expect(node["status"]?["capacity"]?["cpu"] == "2")
        #expect(node["status"]?["nodeInfo"]?["containerRuntimeVersion"] == "containerd://1.6.20")
        #expect(node.labels["kubernetes.io/hostname"] == "node-a")
        #expect(try await s.client.get(.leases, namespace: "kube-node-lease", name: "node-a")["spec"]?["holderIdentity"] == "node-a")
        #expect(await eventually { (try? await s.runtime.listPodSandbox(.init()).items.isEmpty) == true })

        _ = try await s.client.create(.pods, namespace: "default", object: Self.pod("web"))
        #expect(await eventually { await get(s.client, "web")?["status"]?["phase"] == "Running" })
        let running = try #require(await get(s.client, "web"))
        #expect(running["status"]?["podIP"]?.stringValue?.hasPrefix("10.42.0.") == true)
        #expect(running["status"]?["hostIP"] == "192.0.2.10")
        #expect(running["status"]?["containerStatuses"]?.arrayValue?.first?["ready"] == true)
        #expect(running["status"]?["conditions"]?.arrayValue?.contains { $0["type"] == "Ready" && $0["status"] == "True" } == true)

        // Graceful deletion: the kubelet stops the containers, then removes the object.
        _ = try await s.client.delete(.pods, namespace: "default", name: "web")
        #expect(await eventually { await get(s.client, "web") == nil })
        #expect(await eventually { (try? await s.runtime.listContainers(.init()).containers.isEmpty) == true })
    }

    @Test func volumesEnvAndUpdatedFiles() async throws {
        let s = try await setUp()
        defer { try? FileManager.default.removeItem(atPath: s.root) }
        _ = try await s.client.create(.configMaps, namespace: "default",
                                      object: ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "cfg"], "data": ["mode": "blue"]])
        let task = Task { await s.kubelet.run() }
        defer { task.cancel() }
        let pod = Self.pod("cfg-user", extra: ["volumes": [["name": "conf", "configMap": ["name": "cfg"]], ["name": "scratch", "emptyDir": [:]]]],
                           container: ["env": [["name": "MODE", "valueFrom": ["configMapKeyRef": ["name": "cfg", "key": "mode"]]]],
                                       "volumeMounts": [["name": "conf", "mountPath": "/etc/conf"], ["name": "scratch", "mountPath": "/scratch"]]])
        let created = try await s.client.create(.pods, namespace: "default", object: pod)
        #expect(await eventually { await get(s.client, "cfg-user")?["status"]?["phase"] == "Running" })
        let dir = s.kubelet.podDirectory(created.uid) + "/volumes/kubernetes.io~configmap/conf"
        #expect(try String(contentsOfFile: dir + "/mode", encoding: .utf8) == "blue")
        #expect(FileManager.default.fileExists(atPath: s.kubelet.podDirectory(created.uid) + "/volumes/kubernetes.io~empty-dir/scratch"))
        // The container got the env and the mounts.
        let containers = try await s.runtime.listContainers(.init()).containers
        let status = try await s.runtime.containerStatus(.with { $0.containerID = containers[0].id; $0.verbose = true })
        #expect(status.status.mounts.map(\.containerPath).sorted() == ["/etc/conf", "/scratch"])
        #expect(status.status.mounts.first { $0.containerPath == "/etc/conf" }?.readonly == true)
        // An update of the ConfigMap reaches the file.
        var cm = try await s.client.get(.configMaps, namespace: "default", name: "cfg")
        cm["data"] = ["mode": "green"]
        _ = try await s.client.update(.configMaps, namespace: "default", object: cm)
        #expect(await eventually { (try? String(contentsOfFile: dir + "/mode", encoding: .utf8)) == "green" })

        // A pod whose ConfigMap is missing waits with CreateContainerConfigError.
        _ = try await s.client.create(.pods, namespace: "default", object: Self.pod("no-cfg", container: [
            "env": [["name": "X", "valueFrom": ["configMapKeyRef": ["name": "absent", "key": "k"]]]]]))
        #expect(await eventually {
            await get(s.client, "no-cfg")?["status"]?["containerStatuses"]?.arrayValue?.first?["state"]?["waiting"]?["reason"] == "CreateContainerConfigError"
        })
    }

    @Test func probesDecideReadinessAndRestartOnLivenessFailure() async throws {
        let s = try await setUp()
        defer { try? FileManager.default.removeItem(atPath: s.root) }
        // Readiness follows the file /tmp/ready; liveness fails once /tmp/dead exists.
        let flags = FlagSet()
        await s.runtime.setExecHandler { _, cmd in
            .with { $0.exitCode = flags.isSet(cmd.last ?? "") ? 0 : 1 }
        }
        let task = Task { await s.kubelet.run() }
        defer { task.cancel() }
        flags.set("alive")
        _ = try await s.client.create(.pods, namespace: "default", object: Self.pod("probed", container: [
            "readinessProbe": ["exec": ["command": ["test", "ready"]], "periodSeconds": 1, "failureThreshold": 1],
            "livenessProbe": ["exec": ["command": ["test", "alive"]], "periodSeconds": 1, "failureThreshold": 1],
        ]))
        func app() async -> JSONValue? { await get(s.client, "probed")?["status"]?["containerStatuses"]?.arrayValue?.first }
        #expect(await eventually { await app()?["state"]?["running"] != nil })
        try await Task.sleep(for: .milliseconds(300))
        #expect(await app()?["ready"] == false)
        flags.set("ready")
        #expect(await eventually { await app()?["ready"] == true })
        #expect(await eventually {
            (await get(s.client, "probed")?["status"]?["conditions"]?.arrayValue ?? []).contains { $0["type"] == "Ready" && $0["status"] == "True" }
        })
        flags.clear("alive")
        #expect(await eventually { await app()?["restartCount"] == 1 })
        let events = try await s.client.list(.events, namespace: "default").items
        #expect(events.contains { $0["reason"] == "Unhealthy" && $0["message"]?.stringValue?.hasPrefix("Liveness probe failed") == true })
        #expect(events.contains { $0["reason"] == "Killing" && $0["message"] == "Container app failed liveness probe, will be restarted" })
    }
}

/// Flags an exec handler reads (the fake runtime calls it synchronously).
final class FlagSet: Sendable {
    let flags = Mutex<Set<String>>([])
    func set(_ name: String) { flags.withLock { _ = $0.insert(name) } }
    func clear(_ name: String) { flags.withLock { _ = $0.remove(name) } }
    func isSet(_ name: String) -> Bool { flags.withLock { $0.contains(name) } }
    /// Sets `name`; true only for the call that set it.
    func setOnce(_ name: String) -> Bool { flags.withLock { $0.insert(name).inserted } }
}
