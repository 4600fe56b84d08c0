import APIMachinery
import CRI
import Client
import Foundation
import Logging
import Synchronization

/// The kubelet's settings.
public struct KubeletOptions: Sendable {
    public var nodeName: String
    /// Pod directories (`pods/<uid>/volumes/...`) live here.
    public var rootDirectory: String
    public var leaseDurationSeconds: Int64 = 40
    public var leaseInterval: Duration = .seconds(10)
    public var nodeStatusInterval: Duration = .seconds(10)
    /// How often every pod is synced even without a change (the kubelet's relist, 1 s).
    public var resyncInterval: Duration = .seconds(1)
    public var maxPods = NodeStatus.maxPods
    /// Where cgroup hierarchies are mounted (pod cgroups are removed under each); nil leaves them.
    public var cgroupRoot: String? = nil
    /// The kubelet server's port on the node IP (logs, exec, attach, port-forward, stats); 0 picks a
    /// free port, nil runs no server. The Node reports the port bound.
    public var serverPort: Int? = nil
    /// What the server's /stats/summary answers (default: the kubelet's own stats sampler).
    public var statsSummary: KubeletServer.StatsSummary? = nil
    /// The local-path provisioner's directory on this node (its `pvc-*` volume directories live here;
    /// those of deleted PersistentVolumes are removed every `storageCleanupInterval`).
    public var localPathBase = "/var/lib/swiftlet/storage"
    public var storageCleanupInterval: Duration = .seconds(30)
    /// How often the stats sampler reads container and node usage (the Summary API's window).
    public var statsInterval: Duration = .seconds(10)

    public init(nodeName: String, rootDirectory: String) {
        self.nodeName = nodeName
        self.rootDirectory = rootDirectory
    }
}

/// The node agent's kubelet: registers the Node with the machine's capacity, renews its Lease, and
/// runs the pods bound to it through a `ContainerRuntime` — volumes prepared, containers synced by
/// `PodSync`, status written back through the API, graceful deletions finished and the pod object
/// removed, pods that disappeared cleaned out of the runtime.
public final class Kubelet: Sendable {
    public let client: any APIClient
    public let runtime: any ContainerRuntime
    public let options: KubeletOptions
    let facts: HostFacts
    let logger: Logger
    let podSync: PodSync
    let pods: SharedInformer
    let configMaps: SharedInformer
    let secrets: SharedInformer
    let services: SharedInformer
    let queue = WorkQueue<String>()
    /// Pod key → uid of what this kubelet runs, so a pod that vanished can be cleaned up.
    let known = Mutex<[String: String]>([:])
    /// Probe state by "uid/container", for the container instance it was made for.
    let probes = Mutex<[String: ContainerProbes]>([:])
    let prober: Prober
    let recorder: EventRecorder
    let now: @Sendable () -> Date
    /// The port the kubelet server listens on (0 while it does not).
    let serverPort = Mutex(0)
    let volumeDirectories: any LocalVolumeDirectories
    /// "uid/volume" → the host directory of a bound claim (a claim never rebinds, so it is asked once).
    let boundClaims = Mutex<[String: ClaimVolumes.HostDirectory]>([:])
    /// The labels of this node as registered (for the node affinity of persistent volumes).
    let nodeLabels: Mutex<[String: String]>
    /// CPU and memory of the node and its containers, for `GET /stats/summary`.
    public let stats: StatsSampler

    struct ContainerProbes: Sendable {
        var containerID: String
        var startedAt: Date
        var trackers: [ProbeTracker.Kind: ProbeTracker]
        var lastRun: [ProbeTracker.Kind: Date] = [:]
        /// True once the startup probe succeeded (or when there is none).
        var started: Bool { trackers[.startup].map { $0.result == .success && lastRun[.startup] != nil } ?? true }
    }

    public init(client: any APIClient, runtime: any ContainerRuntime, options: KubeletOptions, facts: HostFacts,
                configs: CRIConfigs = CRIConfigs(), logger: Logger = Logger(label: "kubelet"),
                probeNetwork: any ProbeNetwork = SocketProbeNetwork(), hostStats: any HostStatsReader = ProcHostStats(),
                now: @escaping @Sendable () -> Date = { Date() },
                volumeDirectories: any LocalVolumeDirectories = HostLocalVolumeDirectories()) {
        self.client = client
        self.volumeDirectories = volumeDirectories
        nodeLabels = Mutex(Self.newNode(name: options.nodeName).labels)
        stats = StatsSampler(runtime: runtime, host: hostStats, nodeName: options.nodeName, now: now)
        self.now = now
        prober = Prober(runtime: runtime, network: probeNetwork)
        recorder = EventRecorder(client: client, component: "kubelet", host: options.nodeName)
        self.runtime = runtime
        self.options = options
        self.facts = facts
        self.logger = logger
        var configs = configs
        configs.nodeMemoryBytes = facts.memoryBytes
        podSync = PodSync(runtime: runtime, configs: configs, hooks: LifecycleHooks(prober: prober), now: now)
        pods = SharedInformer(client: client, resource: .pods, fieldSelector: "spec.nodeName=\(options.nodeName)")
        configMaps = SharedInformer(client: client, resource: .configMaps)
        secrets = SharedInformer(client: client, resource: .secrets)
        services = SharedInformer(client: client, resource: .services)
    }

    /// Runs until cancelled.
    public func run() async {
        let server = await startServer()
        await registerRetrying()
        let queue = self.queue
        pods.addHandler(ResourceEventHandler(
            onAdd: { pod in await queue.add(Indexer.key(of: pod)) },
            onUpdate: { _, pod in await queue.add(Indexer.key(of: pod)) },
            onDelete: { pod in await queue.add(Indexer.key(of: pod)) }))
        // A ConfigMap or Secret change re-syncs the pods of its namespace (env stays; files update).
        for informer in [configMaps, secrets] {
            informer.addHandler(ResourceEventHandler(onUpdate: { [self] _, object in
                for pod in pods.lister.list(namespace: object.namespace) { await queue.add(Indexer.key(of: pod)) }
            }))
        }
        await withTaskGroup(of: Void.self) { group in
            for informer in [pods, configMaps, secrets, services] { group.addTask { await informer.run() } }
            group.addTask { await self.heartbeat() }
            group.addTask { await self.resync() }
            group.addTask { await self.probeLoop() }
            group.addTask { await self.storageCleanupLoop() }
            group.addTask { await self.stats.run(interval: self.options.statsInterval) }
            group.addTask {
                guard await self.pods.waitForSync(), await self.configMaps.waitForSync(), await self.secrets.waitForSync(),
                      await self.services.waitForSync() else { return }
                await self.cleanUpStrays()
                await withTaskGroup(of: Void.self) { workers in
                    for _ in 0..<4 {
                        workers.addTask {
                            while let key = await queue.get() {
                                do {
                                    try await self.sync(key)
                                    await queue.forget(key)
                                } catch {
                                    self.logger.debug("kubelet: sync \(key): \(error)")
                                    await queue.addRateLimited(key)
                                }
                                await queue.done(key)
                            }
                        }
                    }
                    workers.addTask { while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }; await queue.shutDown() }
                }
            }
            await group.waitForAll()
        }
        await server?.stop()
    }

    /// Starts the kubelet server on the node IP (a failure to bind is logged; the Node then reports port 0).
    func startServer() async -> KubeletServer? {
        guard let port = options.serverPort else { return nil }
        let pods = self.pods
        let server = KubeletServer(host: facts.internalIP, port: port, runtime: runtime, configs: podSync.configs,
                                   pod: { namespace, name in pods.lister.get(namespace: namespace, name: name) },
                                   statsSummary: options.statsSummary ?? { [stats] in await stats.summary() }, logger: logger)
        do {
            let bound = try await server.start()
            serverPort.withLock { $0 = bound }
            return server
        } catch {
            logger.error("kubelet: serving on \(facts.internalIP):\(port): \(error)")
            return nil
        }
    }

    /// The port the kubelet server listens on (0 when it does not).
    public var kubeletPort: Int { serverPort.withLock { $0 } }

    /// The kubelet Summary API document (`GET /stats/summary`): the last stats sample.
    public func statsSummary() async -> JSONValue {
        await stats.summary()
    }

    // MARK: Node

    func registerRetrying() async {
        while !Task.isCancelled {
            do {
                try await register()
                return
            } catch {
                logger.warning("kubelet: registering node \(options.nodeName): \(error)")
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    func runtimeVersion() async -> (String, Bool) {
        guard let version = try? await runtime.version() else { return ("", false) }
        let ready = (try? await runtime.conditions())?["RuntimeReady"]?.status ?? false
        return ("\(version.runtimeName)://\(version.runtimeVersion)", ready)
    }

    func register() async throws {
        let (version, ready) = await runtimeVersion()
        let name = options.nodeName
        var node: JSONValue
        if let existing = try await getNode(name) {
            node = existing
        } else {
            node = try await client.create(.nodes, object: Self.newNode(name: name, architecture: facts.architecture))
        }
        let labels = node.labels
        nodeLabels.withLock { $0 = labels }
        node["status"] = NodeStatus.status(facts, runtimeVersion: version, ready: ready,
                                           notReadyMessage: "container runtime is down", previous: node["status"]?["conditions"]?.arrayValue ?? [],
                                           now: Date(), maxPods: options.maxPods, kubeletPort: kubeletPort)
        _ = try await client.updateStatus(.nodes, object: node)
        try await renewLease(nodeUID: node.uid)
    }

    /// The Node a kubelet registers: its name and the well-known hostname/os/arch labels.
    public static func newNode(name: String, architecture: String = "amd64") -> JSONValue {
        ["apiVersion": "v1", "kind": "Node",
         "metadata": ["name": .string(name), "labels": [
             "kubernetes.io/hostname": .string(name), "kubernetes.io/os": "linux", "kubernetes.io/arch": .string(architecture),
             "beta.kubernetes.io/os": "linux", "beta.kubernetes.io/arch": .string(architecture),
         ]]]
    }

    func getNode(_ name: String) async throws(StatusError) -> JSONValue? {
        do {
            return try await client.get(.nodes, name: name)
        } catch {
            if error.isNotFound { return nil }
            throw error
        }
    }

    func renewLease(nodeUID: String) async throws {
        let name = options.nodeName
        let now = JSONValue.string(RFC3339.formatMicro(Date()))
        let spec: JSONValue = ["holderIdentity": .string(name), "leaseDurationSeconds": .int(options.leaseDurationSeconds), "renewTime": now]
        if try await patchLease(name, spec: spec) { return }
        do {
            var metadata: JSONValue = ["name": .string(name), "namespace": "kube-node-lease"]
            if !nodeUID.isEmpty {
                metadata["ownerReferences"] = [["apiVersion": "v1", "kind": "Node", "name": .string(name), "uid": .string(nodeUID)]]
            }
            _ = try await client.create(.leases, namespace: "kube-node-lease",
                                        object: ["apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": metadata, "spec": spec])
        }
    }

    /// Renews an existing Lease; false when there is none yet.
    func patchLease(_ name: String, spec: JSONValue) async throws(StatusError) -> Bool {
        do {
            _ = try await client.patch(.leases, namespace: "kube-node-lease", name: name, format: .merge, body: ["spec": spec])
            return true
        } catch {
            if error.isNotFound { return false }
            throw error
        }
    }

    /// Renews the Lease every `leaseInterval` and posts the node status every `nodeStatusInterval`.
    func heartbeat() async {
        var lastStatus = ContinuousClock.now
        while !Task.isCancelled {
            try? await Task.sleep(for: options.leaseInterval)
            if Task.isCancelled { return }
            do {
                if ContinuousClock.now - lastStatus >= options.nodeStatusInterval {
                    lastStatus = ContinuousClock.now
                    try await register()
                } else {
                    try await renewLease(nodeUID: "")
                }
            } catch {
                logger.warning("kubelet: heartbeat: \(error)")
            }
        }
    }

    func resync() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: options.resyncInterval)
            for pod in pods.lister.list() { await queue.add(Indexer.key(of: pod)) }
            for key in known.withLock({ Array($0.keys) }) { await queue.add(key) }
        }
    }

    // MARK: Pods

    func sync(_ key: String) async throws {
        let (namespace, name) = Indexer.split(key)
        guard let pod = pods.lister.get(namespace: namespace, name: name) else {
            // Gone from the API (or moved): stop and remove what runs for it.
            if let uid = known.withLock({ $0.removeValue(forKey: key) }) {
                probes.withLock { all in for id in all.keys where id.hasPrefix(uid + "/") { all[id] = nil } }
                try await podSync.terminate(uid: uid, grace: 0)
                removePodDirectory(uid)
            }
            return
        }
        if let old = known.withLock({ $0[key] }), old != pod.uid {
            try await podSync.terminate(uid: old, grace: 0)
            removePodDirectory(old)
        }
        let phase = pod["status"]?["phase"]?.stringValue
        if pod.deletionTimestamp != nil {
            let grace = pod["metadata"]?["deletionGracePeriodSeconds"]?.intValue ?? pod["spec"]?["terminationGracePeriodSeconds"]?.intValue ?? 30
            try await podSync.terminate(uid: pod.uid, grace: grace, pod: pod)
            removePodDirectory(pod.uid)
            known.withLock { $0[key] = nil }
            try await finishDeletion(pod)
            return
        }
        if phase == "Succeeded" || phase == "Failed" { return }
        known.withLock { $0[key] = pod.uid }
        var context = PodSync.Context()
        let probeState = probes.withLock { all in all.filter { $0.key.hasPrefix(pod.uid + "/") } }
        for (id, state) in probeState {
            let name = String(id.dropFirst(pod.uid.count + 1))
            if state.trackers[.liveness]?.result == .failure || state.trackers[.startup]?.result == .failure {
                context.livenessFailed.insert(name)
            }
            if state.trackers[.readiness] != nil || state.trackers[.startup] != nil {
                context.readiness[name] = state.started && (state.trackers[.readiness]?.result ?? .success) == .success
            }
        }
        for name in context.livenessFailed {
            await recorder.record(pod, type: .normal, reason: "Killing", message: "Container \(name) failed liveness probe, will be restarted")
            probes.withLock { _ = $0.removeValue(forKey: pod.uid + "/" + name) }
        }
        let resolver = envResolver()
        context.env = { pod, container throws(EnvResolver.ConfigError) in try resolver.resolve(pod: pod, container: container) }
        let claims: [String: ClaimVolumes.HostDirectory]
        do throws(ClaimVolumes.MountError) {
            claims = try await claimDirectories(of: pod)
        } catch {
            if pod["status"]?["message"]?.stringValue != error.message {
                await recorder.record(pod, type: .warning, reason: "FailedMount", message: error.message)
            }
            try await writeStatus(pod, volumeError: error.message)
            return
        }
        let mounts: [String: [Runtime_V1_Mount]]
        do {
            mounts = try prepareVolumes(pod, claims: claims)
        } catch {
            try await writeStatus(pod, volumeError: "\(error)")
            return
        }
        context.mounts = { _, container in mounts[container["name"]?.stringValue ?? ""] ?? [] }
        var status = try await podSync.sync(pod, context: context)
        for event in podSync.takeEvents(uid: pod.uid) {
            await recorder.record(pod, type: event.warning ? .warning : .normal, reason: event.reason, message: event.message)
        }
        status["hostIP"] = .string(facts.internalIP)
        status["hostIPs"] = [["ip": .string(facts.internalIP)]]
        if status != pod["status"] {
            var updated = pod
            updated["status"] = status
            if !(await writeStatus(updated)) { await queue.add(key) }
        }
    }

    /// Removes the pod object once its containers are gone (grace 0, only this uid).
    func finishDeletion(_ pod: JSONValue) async throws(StatusError) {
        do {
            _ = try await client.delete(.pods, namespace: pod.namespace, name: pod.name,
                                        options: DeleteQuery(gracePeriodSeconds: 0, preconditionUID: pod.uid))
        } catch {
            if !(error.isNotFound || error.isConflict) { throw error }
        }
    }

    /// Writes a pod's status; false when it changed meanwhile (the caller syncs again).
    func writeStatus(_ pod: JSONValue) async -> Bool {
        do {
            _ = try await client.updateStatus(.pods, namespace: pod.namespace, object: pod)
            return true
        } catch {
            if !(error.isConflict || error.isNotFound) { logger.debug("kubelet: status of \(pod.name): \(error)") }
            return false
        }
    }

    // MARK: Probes

    /// Every 100 ms, runs the probes that are due (initial delay passed, a period since the last run)
    /// of the running containers; a changed result re-syncs the pod.
    func probeLoop() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(100))
            let now = self.now()
            var due: [(pod: JSONValue, container: JSONValue, id: String, kind: ProbeTracker.Kind, probe: JSONValue)] = []
            for pod in pods.lister.list() where pod["status"]?["phase"]?.stringValue == "Running" && pod.deletionTimestamp == nil {
                for container in pod["spec"]?["containers"]?.arrayValue ?? [] {
                    let name = container["name"]?.stringValue ?? ""
                    let kinds: [(ProbeTracker.Kind, String)] = [(.startup, "startupProbe"), (.liveness, "livenessProbe"), (.readiness, "readinessProbe")]
                    guard kinds.contains(where: { container[$0.1] != nil }),
                          let status = pod["status"]?["containerStatuses"]?.arrayValue?.first(where: { $0["name"]?.stringValue == name }),
                          let started = status["state"]?["running"]?["startedAt"]?.stringValue.flatMap(RFC3339.parse),
                          let fullID = status["containerID"]?.stringValue else { continue }
                    let id = String(fullID.split(separator: "/").last ?? "")
                    let key = pod.uid + "/" + name
                    let state = probes.withLock { all -> ContainerProbes in
                        if let existing = all[key], existing.containerID == id { return existing }
                        var trackers: [ProbeTracker.Kind: ProbeTracker] = [:]
                        for (kind, field) in kinds { if let probe = container[field] { trackers[kind] = ProbeTracker(kind: kind, probe: probe) } }
                        let fresh = ContainerProbes(containerID: id, startedAt: started, trackers: trackers)
                        all[key] = fresh
                        return fresh
                    }
                    for (kind, field) in kinds {
                        guard let tracker = state.trackers[kind], let probe = container[field] else { continue }
                        if kind != .startup && !state.started { continue }
                        if kind == .startup && state.started { continue }
                        guard tracker.due(started: state.startedAt, now: now) else { continue }
                        if let last = state.lastRun[kind], now.timeIntervalSince(last) < tracker.period { continue }
                        probes.withLock { $0[key]?.lastRun[kind] = now }
                        due.append((pod, container, id, kind, probe))
                    }
                }
            }
            guard !due.isEmpty else { continue }
            await withTaskGroup(of: Void.self) { group in
                for item in due {
                    group.addTask { await self.runProbe(item.pod, item.container, id: item.id, kind: item.kind, probe: item.probe) }
                }
            }
        }
    }

    func runProbe(_ pod: JSONValue, _ container: JSONValue, id: String, kind: ProbeTracker.Kind, probe: JSONValue) async {
        let name = container["name"]?.stringValue ?? ""
        let (result, detail) = await prober.run(probe, container: container, containerID: id, podIP: pod["status"]?["podIP"]?.stringValue ?? "")
        let key = pod.uid + "/" + name
        let changed = probes.withLock { all -> Bool in
            guard all[key]?.containerID == id else { return false }
            return all[key]?.trackers[kind]?.record(result) ?? false
        }
        if result == .failure {
            await recorder.record(pod, type: .warning, reason: "Unhealthy", message: ProbeTracker.failureMessage(kind, detail: detail))
        }
        if changed { await queue.add(Indexer.key(of: pod)) }
    }

    func writeStatus(_ pod: JSONValue, volumeError: String) async throws {
        var updated = pod
        updated[key: "status", "phase"] = pod["status"]?["phase"] ?? "Pending"
        updated[key: "status", "hostIP"] = .string(facts.internalIP)
        updated[key: "status", "message"] = .string(volumeError)
        if updated != pod { _ = try? await client.updateStatus(.pods, namespace: pod.namespace, object: updated) }
    }

    func envResolver() -> EnvResolver {
        let configMaps = self.configMaps.lister, secrets = self.secrets.lister, services = self.services.lister
        return EnvResolver(configMap: { configMaps.get(namespace: $0, name: $1) }, secret: { secrets.get(namespace: $0, name: $1) },
                           services: services.list(), nodeAllocatable: nodeAllocatable)
    }

    /// What resourceFieldRefs answer for a limit a container does not set.
    var nodeAllocatable: [String: Quantity] {
        ["cpu": Quantity(value: Int64(facts.cpus)), "memory": Quantity(value: facts.memoryBytes)]
    }

    /// Removes sandboxes of pods this node no longer runs (deleted while the kubelet was down).
    func cleanUpStrays() async {
        guard let sandboxes = try? await runtime.listPodSandbox(Runtime_V1_ListPodSandboxRequest()).items else { return }
        let live = Set(pods.lister.list().map(\.uid))
        for uid in Set(sandboxes.compactMap { $0.labels[CRIConfigs.podUIDLabel] }) where !live.contains(uid) {
            try? await podSync.terminate(uid: uid, grace: 0)
            removePodDirectory(uid)
        }
    }
}
