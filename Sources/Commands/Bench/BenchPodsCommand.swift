import APIMachinery
import ArgumentParser
import CRI
import Client
import ClientHTTP
import Foundation
import Kubelet
import Synchronization

/// `swiftlet bench pods`: pod start latency on a real node. A `swiftlet server` child (control plane
/// only) and a `swiftlet agent` child (its own containerd) on this machine; `--pods` pods are created
/// one after the other, each timed from the create request to the moment a watch shows it Running.
/// The floor, measured in the same run on the same containerd, is what the runtime alone needs to start
/// the same pod: RunPodSandbox + CreateContainer + StartContainer called directly over CRI, with the
/// very sandbox and container configurations the kubelet would send. Also reports the agent's resident
/// memory when idle (containerd is a separate process and excluded).
///
/// Needs root, containerd, runc and the CNI plugins, and the images (`--image`, `--pause-image`)
/// reachable through `--registries` or already imported (`tools/bench-pods.sh` sets all of it up offline).
struct BenchPodsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pods",
        abstract: "Measure pod start latency (create → Running) against the CRI floor on a real node.")

    @Option(help: "Pods started (one after the other) for the kubelet figures, and as many for the floor.")
    var pods = 100

    @Option(help: "The container image (it runs `sleep 3600`).")
    var image = "busybox:1.36"

    @Option(help: "The pod sandbox (pause) image.")
    var pauseImage = "registry.k8s.io/pause:3.10"

    @Option(help: "A registries.yaml (k3s format) for the agent's containerd.")
    var registries: String?

    @Option(help: "Seconds to wait for each stage (node Ready, a pod Running, pods gone).")
    var timeout = 120

    @Option(help: "Seconds the agent is left idle before its resident memory is read (it gives memory back every 30 s).")
    var idleSeconds = 35

    @OptionGroup var server: BenchPortOption

    var port: Int { server.port ?? 16445 }

    func validate() throws {
        guard pods >= 1 else { throw ValidationError("--pods must be at least 1") }
        guard geteuid() == 0 else { throw ValidationError("bench pods runs containers: run it as root") }
    }

    func run() async throws {
        try await runStoppingChildrenOnSignals { try await measure() }
    }

    func measure() async throws {
        let scratch = "/tmp/swiftlet-bench-pods-\(getpid())"
        let runDir = scratch + "/run"
        try FileManager.default.createDirectory(atPath: runDir, withIntermediateDirectories: true)
        var report = BenchReport()

        try await BenchServer.ensurePortFree(port)
        let server = try BenchServer.start(dataDir: scratch + "/server", port: port)
        defer { server.stop() }
        _ = try await server.waitReady()
        let kubeconfig = scratch + "/server/kubeconfig.yaml"
        try await waitUntil("the server's kubeconfig", timeout: timeout) { FileManager.default.fileExists(atPath: kubeconfig) }
        let client = try HTTPAPIClient(kubeconfigPath: kubeconfig)

        let node = "bench-node"
        let agentData = scratch + "/agent"
        var arguments = ["agent", "--kubeconfig", kubeconfig, "--node-name", node, "--node-ip", "127.0.0.1",
                         "--data-dir", agentData, "--run-dir", runDir, "--pause-image", pauseImage,
                         "--bridge", "swlbench0", "--pod-log-dir", agentData + "/logs", "--log-level", "notice",
                         "--kubelet-port", "0"]
        if let registries { arguments += ["--registries", registries] }
        let agentLog = scratch + "/agent.log"
        let agent = try BenchChild.start(arguments, log: agentLog)
        defer {
            agent.stop()
            Self.cleanUp(scratch: scratch, agentData: agentData)
        }
        try await waitUntil("node \(node) Ready", timeout: timeout, log: agentLog) {
            guard let object = try? await client.get(.nodes, name: node) else { return false }
            return object["status"]?["conditions"]?.arrayValue?.contains {
                $0["type"]?.stringValue == "Ready" && $0["status"]?.stringValue == "True"
            } ?? false
        }

        // Idle before any pod: the agent as it sits on a fresh node (its memory is given back every 30 s).
        try await Task.sleep(for: .seconds(idleSeconds))
        report.add("agent_rss_idle_fresh_mb", procStatusMegabytes(pid: agent.process.processIdentifier, field: "VmRSS:"), unit: "MB")

        let watched = RunningTracker()
        _ = try await client.create(.namespaces, object: ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "bench"]])
        let informer = SharedInformer(client: client, resource: .pods, namespace: "bench")
        informer.addHandler(ResourceEventHandler(onAdd: { watched.observe($0) }, onUpdate: { _, pod in watched.observe(pod) }))
        let informerTask = Task { await informer.run() }
        defer { informerTask.cancel() }
        guard await informer.waitForSync() else { throw BenchError("pod informer did not sync") }

        // Warm-up: the images are pulled once, outside both measurements.
        _ = try await startPod(client, name: "warm-up", watched: watched)

        // The floor: the runtime alone, on the agent's containerd, with the kubelet's configurations.
        let runtime = try CRIClient(socketPath: runDir + "/containerd/containerd.sock")
        let floor: [Double]
        do {
            floor = try await Self.floor(runtime: runtime, pods: pods, image: image, logRoot: agentData + "/floor-logs")
        } catch {
            let agentState = agent.exited().map { "the agent ended (\($0)); " } ?? ""
            throw BenchError("the CRI floor failed: \(error); \(agentState)see \(agentLog) and \(agentData)/logs/containerd.log")
        }
        await runtime.close()
        report.add("cri_floor_p50_ms", floor.percentile(50) * 1000, unit: "ms")
        report.add("cri_floor_p99_ms", floor.percentile(99) * 1000, unit: "ms")

        // The kubelet: create → Running, one pod after the other.
        var latencies: [Double] = []
        for index in 0..<pods {
            latencies.append(try await startPod(client, name: "pod-\(index)", watched: watched))
        }
        let p50 = latencies.percentile(50), p99 = latencies.percentile(99)
        report.add("pod_start_p50_ms", p50 * 1000, unit: "ms")
        report.add("pod_start_p99_ms", p99 * 1000, unit: "ms")
        report.add("pod_start_max_ms", (latencies.max() ?? .nan) * 1000, unit: "ms")
        report.add("pod_start_p50_over_floor_ms", (p50 - floor.percentile(50)) * 1000, unit: "ms")
        report.add("pod_start_p50_vs_floor", p50 / floor.percentile(50), unit: "x")

        // Idle: every pod running, nothing changing.
        try await Task.sleep(for: .seconds(idleSeconds))
        report.add("agent_rss_idle_\(pods + 1)_pods_mb", procStatusMegabytes(pid: agent.process.processIdentifier, field: "VmRSS:"), unit: "MB")
        _ = try await client.deleteCollection(.pods, namespace: "bench", query: ListQuery(), options: DeleteQuery())
        try await waitUntil("the pods gone", timeout: timeout, log: agentLog) { informer.lister.list().isEmpty }
        try await Task.sleep(for: .seconds(idleSeconds))
        report.add("agent_rss_idle_no_pods_mb", procStatusMegabytes(pid: agent.process.processIdentifier, field: "VmRSS:"), unit: "MB")
        report.add("agent_peak_rss_mb", agent.peakRSSMegabytes(), unit: "MB")
        report.print()
    }

    /// Creates a pod and returns the seconds until the watch shows it Running.
    func startPod(_ client: HTTPAPIClient, name: String, watched: RunningTracker) async throws -> Double {
        let pod: JSONValue = [
            "apiVersion": "v1", "kind": "Pod", "metadata": ["name": .string(name), "namespace": "bench"],
            "spec": ["containers": [["name": "main", "image": .string(image), "command": ["sleep", "3600"]]],
                     "terminationGracePeriodSeconds": 0],
        ]
        let start = ContinuousClock.now
        _ = try await client.create(.pods, namespace: "bench", object: pod)
        let deadline = start + .seconds(timeout)
        while watched.runningAt(name) == nil {
            guard ContinuousClock.now < deadline else { throw BenchError("pod \(name) not Running after \(timeout) s") }
            try await Task.sleep(for: .milliseconds(1))
        }
        return seconds(watched.runningAt(name)! - start)
    }

    /// RunPodSandbox + CreateContainer + StartContainer for `pods` pods, one after the other; then
    /// everything is stopped and removed again.
    static func floor(runtime: CRIClient, pods: Int, image: String, logRoot: String) async throws -> [Double] {
        let configs = CRIConfigs(logRoot: logRoot)
        let imageRef = try await runtime.imageStatus(.with { $0.image = .with { $0.image = image } }).image.id
        var latencies: [Double] = [], sandboxes: [String] = [], uids: [String] = []
        for index in 0..<pods {
            let uid = UUID().uuidString.lowercased()
            let container: JSONValue = ["name": "main", "image": .string(image), "command": ["sleep", "3600"]]
            let pod: JSONValue = ["metadata": ["name": .string("floor-\(index)"), "namespace": "bench-floor", "uid": .string(uid)],
                                  "spec": ["containers": [container]]]
            var sandbox = configs.sandbox(pod, attempt: 0)
            sandbox.labels = [:]  // not the kubelet's: it must leave these sandboxes alone
            try FileManager.default.createDirectory(atPath: sandbox.logDirectory, withIntermediateDirectories: true)
            var config = configs.container(container, pod: pod, attempt: 0, env: [], mounts: [], image: imageRef)
            config.labels = [:]
            let start = ContinuousClock.now
            let id = try await runtime.runPodSandbox(.with { $0.config = sandbox }).podSandboxID
            let containerID = try await runtime.createContainer(.with {
                $0.podSandboxID = id
                $0.config = config
                $0.sandboxConfig = sandbox
            }).containerID
            _ = try await runtime.startContainer(.with { $0.containerID = containerID })
            latencies.append(seconds(ContinuousClock.now - start))
            sandboxes.append(id)
            uids.append(uid)
        }
        for id in sandboxes {
            _ = try? await runtime.stopPodSandbox(.with { $0.podSandboxID = id })
            _ = try? await runtime.removePodSandbox(.with { $0.podSandboxID = id })
        }
        for uid in uids { PodCgroups.remove(uid: uid, root: "/sys/fs/cgroup") }
        return latencies
    }

    static func cleanUp(scratch: String, agentData: String) {
        // The agent leaves its mounts (pod volumes, containerd's) and bridge behind by design (pods outlive it).
        for command in [["umount", "-R", agentData], ["ip", "link", "del", "swlbench0"]] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = command
            process.standardError = FileHandle.nullDevice
            guard (try? process.run()) != nil else { continue }
            process.waitUntilExit()
        }
        // The logs stay (beside the scratch directory) for a look after a failed run.
        let logs = scratch + ".logs"
        try? FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
        for file in [scratch + "/agent.log", agentData + "/logs/containerd.log"] {
            try? FileManager.default.moveItem(atPath: file, toPath: logs + "/" + (file as NSString).lastPathComponent)
        }
        try? FileManager.default.removeItem(atPath: scratch)
    }

    func waitUntil(_ what: String, timeout: Int, log: String? = nil, _ condition: () async throws -> Bool) async throws {
        try await pollUntil(what, timeout: timeout, interval: .milliseconds(20), detail: { log.map { " (see \($0))" } ?? "" }, condition)
    }
}

/// When the watch first showed each pod Running.
final class RunningTracker: Sendable {
    private let seen = Mutex<[String: ContinuousClock.Instant]>([:])

    func observe(_ pod: JSONValue) {
        guard pod["status"]?["phase"]?.stringValue == "Running", let name = pod["metadata"]?["name"]?.stringValue else { return }
        let now = ContinuousClock.now
        seen.withLock { if $0[name] == nil { $0[name] = now } }
    }

    func runningAt(_ name: String) -> ContinuousClock.Instant? { seen.withLock { $0[name] } }
}

extension Array where Element == Double {
    /// The nearest-rank percentile (0…100) of the values; NaN when empty.
    func percentile(_ p: Double) -> Double {
        guard !isEmpty else { return .nan }
        let sorted = self.sorted()
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
        return sorted[Swift.min(Swift.max(rank, 1), sorted.count) - 1]
    }
}
