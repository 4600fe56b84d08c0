import APIMachinery
import ArgumentParser
import Client
import ClientHTTP
import Foundation
import Scheduler
import SchedulerService
import SimNodes
import Synchronization

/// `swiftlet bench scheduler`: a `swiftlet server` child and a `swiftlet sim-nodes` child with
/// `--nodes` nodes; measures how fast the scheduler binds `--pods` pods and how long they take to be
/// Running, then how long a Deployment of `--replicas` takes to be all ready, with the server's peak
/// RSS. The baseline, measured in the same run, is the scheduler core alone: the same pods scheduled
/// in-process against the same nodes, with no API, storage, watch or network in the way. The ratio
/// of the two says how much of the scheduler's own speed the whole system delivers.
struct BenchSchedulerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scheduler",
        abstract: "Measure scheduling throughput and Deployment start-up with simulated nodes.")

    @Option(help: "Simulated nodes.")
    var nodes = 1_000

    @Option(help: "Pods created in the scheduling run.")
    var pods = 10_000

    @Option(help: "Replicas of the Deployment in the second run (0 skips it).")
    var replicas = 10_000

    @Option(help: "Concurrent clients creating the pods.")
    var clients = 16

    @Option(help: "Seconds to wait for the Deployment to be all ready before reporting \"not reached\".")
    var deploymentTimeout = 90

    @Option(help: "Seconds to wait for each other stage (nodes Ready, pods bound and Running, pods deleted).")
    var timeout = 300

    /// Shared with `swiftlet bench`, so that `--port` after `scheduler` reaches this command.
    @OptionGroup var server: BenchPortOption

    var port: Int { server.port ?? 16444 }

    func validate() throws {
        guard nodes >= 1 else { throw ValidationError("--nodes must be at least 1") }
        guard pods >= 1 else { throw ValidationError("--pods must be at least 1") }
        guard replicas >= 0 else { throw ValidationError("--replicas must not be negative") }
        guard clients >= 1 else { throw ValidationError("--clients must be at least 1") }
        guard nodes <= 4_096 else { throw ValidationError("--nodes must be at most 4096 (one /24 each of 10.32.0.0/12)") }
    }

    func run() async throws {
        try await runStoppingChildrenOnSignals { try await measure() }
    }

    func measure() async throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("swiftlet-bench-scheduler-\(getpid())").path
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        var report = BenchReport()
        let simOptions = Self.simOptions(nodes: nodes)

        // Baseline: the scheduler core on an in-process cache of the same nodes, one snapshot per pod
        // as the service takes it.
        let core = Self.coreRate(options: simOptions, pods: pods)
        report.add("scheduler_core_pods_per_s_in_process", core, unit: "pods/s")

        try await BenchServer.ensurePortFree(port)
        let server = try BenchServer.start(dataDir: scratch + "/server", port: port,
                                           extraArguments: ["--cluster-cidr", "10.32.0.0/12"])
        defer { server.stop() }
        _ = try await server.waitReady()
        let kubeconfig = scratch + "/server/kubeconfig.yaml"
        // The server writes its kubeconfig as it starts serving, possibly just after /readyz answers.
        try await waitUntil("the server's kubeconfig", timeout: timeout, log: scratch + "/none") {
            FileManager.default.fileExists(atPath: kubeconfig)
        }
        let client = try HTTPAPIClient(kubeconfigPath: kubeconfig)

        let simLog = scratch + "/sim-nodes.log"
        let sim = try BenchChild.start(["sim-nodes", "--kubeconfig", kubeconfig, "--count", String(nodes)], log: simLog)
        defer { sim.stop() }
        let nodesStart = ContinuousClock.now
        try await waitUntil("\(nodes) Ready nodes", timeout: timeout, log: simLog) {
            try await Self.readyNodes(client) >= nodes
        }
        report.add("nodes_\(nodes)_ready_s", seconds(ContinuousClock.now - nodesStart), unit: "s")
        report.add("server_rss_with_nodes_mb", server.rssMegabytes(), unit: "MB")

        // Phase 1: pods created by concurrent clients, bound by the scheduler, run by the nodes. Binding
        // is followed through the scheduler's own counter (/metrics, polled every 20 ms), which costs the
        // server next to nothing; a watch of every pod would be one more watcher for it to feed.
        let namespace = "bench-sched"
        let load = BenchLoad(port: port)
        try await load.createNamespace(namespace)
        let scheduledBefore = try await scheduledCount(load)
        let start = ContinuousClock.now
        let boundAt = Task { () -> ContinuousClock.Instant? in
            try? await BenchHTTPConnection.withConnection(host: load.host, port: load.port) { request in
                let deadline = ContinuousClock.now + .seconds(timeout)
                while ContinuousClock.now < deadline {
                    let r = try await request(.GET, "/metrics", nil)
                    if let n = Self.scheduledCount(metrics: r.body), n - scheduledBefore >= pods { return ContinuousClock.now }
                    try await Task.sleep(for: .milliseconds(20))
                }
                return nil
            }
        }
        let createdAt = try await createPods(namespace: namespace, count: pods, load: load, since: start)
        report.add("pod_creates_per_s_during_scheduling", Double(pods) / createdAt, unit: "creates/s")
        guard let lastBound = await boundAt.value else {
            throw BenchError("timed out after \(timeout) s waiting for \(pods) pods to be scheduled")
        }
        let boundSeconds = seconds(lastBound - start)
        report.add("scheduled_pods_per_s", Double(pods) / boundSeconds, unit: "pods/s")
        report.add("scheduled_vs_core_percent", 100 * Double(pods) / boundSeconds / core, unit: "%")

        // Then the pods themselves: every one bound, and the span of their PodScheduled times.
        let tracker = PodTracker()
        let informer = SharedInformer(client: client, resource: .pods, namespace: namespace)
        informer.addHandler(tracker.handler)
        let informerTask = Task { await informer.run() }
        defer { informerTask.cancel() }
        guard await informer.waitForSync() else { throw BenchError("pod informer did not sync") }
        try await waitUntil("\(pods) pods bound", timeout: timeout, log: simLog) { tracker.boundCount >= pods }
        if let span = tracker.conditionSpan {
            // PodScheduled times have one-second resolution: (n − 1) pods over the whole seconds spanned.
            report.add("scheduled_pods_per_s_from_conditions", Double(pods - 1) / Double(max(span, 1)), unit: "pods/s")
        }
        try await waitUntil("\(pods) pods Running", timeout: timeout, log: simLog) { tracker.runningCount >= pods }
        report.add("pods_\(pods)_all_running_s", seconds(ContinuousClock.now - start), unit: "s")
        report.add("server_peak_rss_after_pods_mb", server.peakRSSMegabytes(), unit: "MB")

        let deleteStart = ContinuousClock.now
        _ = try await client.deleteCollection(.pods, namespace: namespace, query: ListQuery(),
                                              options: DeleteQuery(gracePeriodSeconds: 0))
        try await waitUntil("\(pods) pods deleted", timeout: timeout, log: simLog) { informer.lister.list().isEmpty }
        report.add("pods_\(pods)_deleted_s", seconds(ContinuousClock.now - deleteStart), unit: "s")
        informerTask.cancel()

        // Phase 2: a Deployment (needs the deployment and replicaset controllers).
        if replicas > 0 {
            let deployNamespace = "bench-deploy"
            try await load.createNamespace(deployNamespace)
            let deployStart = ContinuousClock.now
            _ = try await client.create(.deployments, namespace: deployNamespace, object: Self.deployment(replicas: replicas))
            var ready: Int64 = 0
            var reached = false
            let deadline = deployStart + .seconds(deploymentTimeout)
            while ContinuousClock.now < deadline {
                let deployment = try await client.get(.deployments, namespace: deployNamespace, name: "bench")
                ready = deployment["status"]?["readyReplicas"]?.intValue ?? 0
                if ready >= replicas { reached = true; break }
                try await Task.sleep(for: .milliseconds(200))
            }
            if reached {
                report.add("deployment_\(replicas)_replicas_ready_s", seconds(ContinuousClock.now - deployStart), unit: "s")
            } else {
                report.add("deployment_\(replicas)_replicas_ready_s", .nan, unit: "s",
                           note: "not reached in \(deploymentTimeout) s (readyReplicas \(ready))")
            }
        }
        report.add("server_peak_rss_mb", server.peakRSSMegabytes(), unit: "MB")
        report.add("sim_nodes_peak_rss_mb", sim.peakRSSMegabytes(), unit: "MB")
        report.print()
    }

    static func simOptions(nodes: Int) -> SimNodeOptions {
        var options = SimNodeOptions()
        options.count = nodes
        return options
    }

    static let podLabels: JSONValue = ["app": "bench-sched"]

    static var podSpec: JSONValue {
        ["containers": [["name": "c", "image": "registry.k8s.io/pause:3.10",
                         "resources": ["requests": ["cpu": "10m", "memory": "16Mi"]]]]]
    }

    static func pod(name: String) -> JSONValue {
        ["apiVersion": "v1", "kind": "Pod", "metadata": ["name": .string(name), "labels": podLabels], "spec": podSpec]
    }

    static func deployment(replicas: Int) -> JSONValue {
        ["apiVersion": "apps/v1", "kind": "Deployment",
         "metadata": ["name": "bench"],
         "spec": ["replicas": .int(Int64(replicas)), "selector": ["matchLabels": podLabels],
                  "template": ["metadata": ["labels": podLabels], "spec": podSpec]]]
    }

    /// Pods per second of the scheduler core: the service's loop (snapshot, schedule, assume) without I/O.
    static func coreRate(options: SimNodeOptions, pods: Int) -> Double {
        let cache = SchedulerCache()
        let now = RFC3339.format(Date())
        for index in 1...options.count { cache.upsertNode(SimObjects.node(index: index, options: options, now: now)) }
        var scheduler = Scheduler()
        scheduler.keepPluginScores = false  // as SchedulerService
        var next = 0
        let start = ContinuousClock.now
        for i in 0..<pods {
            var pod = Self.pod(name: "core-\(i)")
            pod[key: "metadata", "namespace"] = "bench-core"
            let (result, nodeCount) = {
                let snapshot = cache.snapshot()
                return (scheduler.schedule(pod: pod, nodes: snapshot, startIndex: next), snapshot.count)
            }()
            switch result {
            case .scheduled(let node, _, let evaluated):
                next = (next + evaluated) % nodeCount
                cache.assume(pod, node: node)
            case .unschedulable:
                break
            }
        }
        return Double(pods) / seconds(ContinuousClock.now - start)
    }

    /// The scheduler's `scheduler_schedule_attempts_total{result="scheduled"}` from /metrics.
    func scheduledCount(_ load: BenchLoad) async throws -> Int {
        try await BenchHTTPConnection.withConnection(host: load.host, port: load.port) { request in
            let r = try await request(.GET, "/metrics", nil)
            guard r.status == 200, let n = Self.scheduledCount(metrics: r.body) else {
                throw BenchError("GET /metrics: HTTP \(r.status), no scheduler_schedule_attempts_total{result=\"scheduled\"}")
            }
            return n
        }
    }

    /// The value of the scheduled-attempts counter in a Prometheus text exposition.
    static func scheduledCount(metrics body: [UInt8]) -> Int? {
        for line in String(decoding: body, as: UTF8.self).split(separator: "\n")
        where line.hasPrefix("scheduler_schedule_attempts_total{") && line.contains("result=\"scheduled\"") {
            return line.split(separator: " ").last.flatMap { Double($0) }.map { Int($0) }
        }
        return nil
    }

    static func readyNodes(_ client: HTTPAPIClient) async throws -> Int {
        let list = try await client.list(.nodes)
        return list.items.count { node in
            (node["status"]?["conditions"]?.arrayValue ?? []).contains {
                $0["type"]?.stringValue == "Ready" && $0["status"]?.stringValue == "True"
            }
        }
    }

    /// Creates the pods from `clients` connections; seconds from `since` until the last was created.
    func createPods(namespace: String, count: Int, load: BenchLoad, since: ContinuousClock.Instant) async throws -> Double {
        let next = BenchCounter()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<min(clients, count) {
                group.addTask {
                    try await BenchHTTPConnection.withConnection(host: load.host, port: load.port) { request in
                        while true {
                            let i = next.next()
                            if i >= count { return }
                            let body = Self.pod(name: "p-\(i)").serialized()
                            let r = try await request(.POST, "/api/v1/namespaces/\(namespace)/pods", body)
                            guard r.status == 201 else {
                                throw BenchError("creating pod p-\(i): HTTP \(r.status) \(String(decoding: r.body.prefix(300), as: UTF8.self))")
                            }
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        return seconds(ContinuousClock.now - since)
    }

    func waitUntil(_ what: String, timeout: Int, log: String, _ condition: () async throws -> Bool) async throws {
        try await pollUntil(what, timeout: timeout, interval: .milliseconds(100), detail: {
            let tail = (try? String(contentsOfFile: log, encoding: .utf8))?.split(separator: "\n").suffix(10).joined(separator: "\n") ?? ""
            return "; sim-nodes log:\n\(tail)"
        }, condition)
    }
}

/// Which pods of the watched namespace have been seen bound and Running, and their PodScheduled times.
final class PodTracker: Sendable {
    struct State {
        var bound: Set<String> = []
        var running: Set<String> = []
        /// PodScheduled=True lastTransitionTime, seconds since 1970.
        var scheduledAt: [String: Double] = [:]
    }
    let state = Mutex(State())

    var boundCount: Int { state.withLock { $0.bound.count } }
    var runningCount: Int { state.withLock { $0.running.count } }

    var handler: ResourceEventHandler {
        ResourceEventHandler(onAdd: { [self] pod in observe(pod) }, onUpdate: { [self] _, pod in observe(pod) })
    }

    func observe(_ pod: JSONValue) {
        let name = pod.name
        let isBound = !(pod["spec"]?["nodeName"]?.stringValue ?? "").isEmpty
        let isRunning = pod["status"]?["phase"]?.stringValue == "Running"
        let scheduled = (pod["status"]?["conditions"]?.arrayValue ?? []).first {
            $0["type"]?.stringValue == "PodScheduled" && $0["status"]?.stringValue == "True"
        }?["lastTransitionTime"]?.stringValue.flatMap { RFC3339.parse($0)?.timeIntervalSince1970 }
        state.withLock { state in
            if isBound { state.bound.insert(name) }
            if isRunning { state.running.insert(name) }
            if let scheduled, state.scheduledAt[name] == nil { state.scheduledAt[name] = scheduled }
        }
    }

    /// Whole seconds between the first and last PodScheduled transition.
    var conditionSpan: Double? {
        state.withLock { state in
            let times = state.scheduledAt.values
            return times.isEmpty ? nil : times.max()! - times.min()!
        }
    }
}

/// A counter shared by concurrent tasks.
final class BenchCounter: Sendable {
    let value = Atomic<Int>(0)
    /// The current value, then incremented.
    func next() -> Int { value.add(1, ordering: .relaxed).oldValue }
}

/// Another child process of this binary (`swiftlet sim-nodes`), its output in a log file.
struct BenchChild {
    let process: Process

    static func start(_ arguments: [String], log: String) throws -> BenchChild {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.arguments = arguments
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let handle = FileHandle(forWritingAtPath: log)
        process.standardOutput = handle ?? FileHandle.nullDevice
        process.standardError = handle ?? FileHandle.nullDevice
        try process.run()
        return BenchChild(process: process)
    }

    func peakRSSMegabytes() -> Double { procStatusMegabytes(pid: process.processIdentifier, field: "VmHWM:") }

    /// SIGTERM, then SIGKILL after 30 s. Reaps the child itself: Foundation's `waitUntilExit` can spin
    /// forever from an async context when it never observes the exit.
    func stop() {
        let pid = process.processIdentifier
        guard kill(pid, 0) == 0 else { return }
        kill(pid, SIGTERM)
        for _ in 0..<300 {
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) != 0 { return }
            usleep(100_000)
        }
        kill(pid, SIGKILL)
        var status: Int32 = 0
        _ = waitpid(pid, &status, 0)
    }

    /// How the child ended, if it did (reaping it): "exit status N" or "signal N".
    func exited() -> String? {
        var status: Int32 = 0
        guard waitpid(process.processIdentifier, &status, WNOHANG) == process.processIdentifier else { return nil }
        let signal = status & 0x7f
        return signal == 0 ? "exit status \((status >> 8) & 0xff)" : "signal \(signal)"
    }
}

/// A `kB` field of /proc/PID/status (VmRSS, VmHWM) in MB.
func procStatusMegabytes(pid: Int32, field: String) -> Double {
    guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return .nan }
    for line in status.split(separator: "\n") where line.hasPrefix(field) {
        let kb = line.split(separator: " ").compactMap { Double($0) }.first ?? .nan
        return kb / 1024
    }
    return .nan
}
