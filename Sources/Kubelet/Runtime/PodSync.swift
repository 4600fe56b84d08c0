import APIMachinery
import CRI
import Foundation
import Synchronization

/// One pod's containers brought to its spec through a `ContainerRuntime`, one sync at a time, as the
/// kubelet's SyncPod does: observe the sandbox and containers (by the pod-uid label), decide with
/// `PodActions`, then act — (re)create the sandbox, pull images by imagePullPolicy, resolve the
/// environment, create and start init containers in order and then the containers, kill what failed
/// its liveness probe, hold restarts back with CrashLoopBackOff — and report the pod's status.
public final class PodSync: Sendable {
    public let runtime: any ContainerRuntime
    public let configs: CRIConfigs
    public let hooks: LifecycleHooks
    let now: @Sendable () -> Date
    let backoff = Mutex(CrashLoopBackOff())
    /// Why containers wait, by "uid/name", from the last sync (CrashLoopBackOff, ErrImagePull, …).
    let waiting = Mutex<[String: ContainerStatuses.Waiting]>([:])

    public init(runtime: any ContainerRuntime, configs: CRIConfigs = CRIConfigs(), hooks: LifecycleHooks? = nil,
                now: @escaping @Sendable () -> Date = { Date() }) {
        self.runtime = runtime
        self.configs = configs
        self.hooks = hooks ?? LifecycleHooks(prober: Prober(runtime: runtime))
        self.now = now
    }

    /// An event about a pod (or one of its containers) for the kubelet to record.
    public struct Event: Sendable, Equatable {
        public var warning: Bool
        public var reason: String
        public var message: String
        public init(warning: Bool = false, reason: String, message: String) {
            self.warning = warning
            self.reason = reason
            self.message = message
        }
    }
    /// Events of the syncs since the last `takeEvents`, by pod uid.
    let pending = Mutex<[String: [Event]]>([:])

    /// The events of `uid`'s syncs since the last call (Pulling, Pulled, Created, Started, Failed, BackOff).
    public func takeEvents(uid: String) -> [Event] { pending.withLock { $0.removeValue(forKey: uid) ?? [] } }

    func emit(_ uid: String, _ event: Event) { pending.withLock { $0[uid, default: []].append(event) } }

    /// What the runtime holds for a pod.
    public struct Observation: Sendable {
        public var sandbox: ObservedSandbox?
        public var containers: [ObservedContainer]
        public var uid: String? = nil
    }

    /// Inputs a sync needs besides the pod: its environment resolver and its volume mounts.
    public struct Context: Sendable {
        public var env: @Sendable (_ pod: JSONValue, _ container: JSONValue) throws(EnvResolver.ConfigError) -> EnvResolver.Result
        public var mounts: @Sendable (_ pod: JSONValue, _ container: JSONValue) -> [Runtime_V1_Mount]
        public var livenessFailed: Set<String>
        /// Readiness of containers with a readiness (or startup) probe; others are ready when running.
        public var readiness: [String: Bool] = [:]
        public init(env: @escaping @Sendable (JSONValue, JSONValue) throws(EnvResolver.ConfigError) -> EnvResolver.Result
                        = { pod, container throws(EnvResolver.ConfigError) in try EnvResolver().resolve(pod: pod, container: container) },
                    mounts: @escaping @Sendable (JSONValue, JSONValue) -> [Runtime_V1_Mount] = { _, _ in [] },
                    livenessFailed: Set<String> = []) {
            self.env = env
            self.mounts = mounts
            self.livenessFailed = livenessFailed
        }
    }

    // MARK: Observe

    public func observe(uid: String) async throws -> Observation {
        let sandboxes = try await runtime.listPodSandbox(.with { $0.filter.labelSelector = [CRIConfigs.podUIDLabel: uid] }).items
        var sandbox: ObservedSandbox?
        if let latest = sandboxes.max(by: { ($0.metadata.attempt, $0.createdAt) < ($1.metadata.attempt, $1.createdAt) }) {
            var ip = ""
            if latest.state == .sandboxReady,
               let status = try? await runtime.podSandboxStatus(.with { $0.podSandboxID = latest.id }) {
                ip = status.status.network.ip
            }
            sandbox = ObservedSandbox(id: latest.id, ready: latest.state == .sandboxReady, attempt: Int(latest.metadata.attempt), ip: ip)
        }
        let listed = try await runtime.listContainers(.with { $0.filter.labelSelector = [CRIConfigs.podUIDLabel: uid] }).containers
        var containers: [ObservedContainer] = []
        for item in listed {
            guard let status = try? await runtime.containerStatus(.with { $0.containerID = item.id }).status else { continue }
            containers.append(Self.observed(status))
        }
        return Observation(sandbox: sandbox, containers: containers, uid: uid)
    }

    static func observed(_ status: Runtime_V1_ContainerStatus) -> ObservedContainer {
        func date(_ ns: Int64) -> Date? { ns > 0 ? Date(timeIntervalSince1970: Double(ns) / 1e9) : nil }
        let state: ObservedContainer.State = switch status.state {
        case .containerCreated: .created
        case .containerRunning: .running
        case .containerExited: .exited
        default: .unknown
        }
        return ObservedContainer(id: status.id, name: status.metadata.name, state: state, createdAt: date(status.createdAt),
                                 startedAt: date(status.startedAt), finishedAt: date(status.finishedAt), exitCode: status.exitCode,
                                 reason: status.reason, message: status.message, image: status.image.image, imageRef: status.imageRef,
                                 attempt: Int(status.metadata.attempt))
    }

    // MARK: Sync

    /// One sync of `pod`; answers the status to report.
    @discardableResult
    public func sync(_ pod: JSONValue, context: Context = Context()) async throws -> JSONValue {
        let uid = pod.uid
        let spec = pod["spec"] ?? [:]
        var observation = try await observe(uid: uid)
        let now = self.now()
        var latest: [String: ObservedContainer] = [:]
        for c in observation.containers where latest[c.name].map({ c.attempt >= $0.attempt }) ?? true { latest[c.name] = c }
        let finishedAt = latest.mapValues { $0.finishedAt ?? now }
        let backoffState = backoff.withLock { $0 }
        let actions = PodActions.compute(spec: spec, sandbox: observation.sandbox, observed: observation.containers,
                                         livenessFailed: context.livenessFailed,
                                         backoff: { name in
                                             guard let done = finishedAt[name] else { return nil }
                                             return backoffState.backingOff("\(uid)/\(name)", finished: done, now: now)
                                         }, now: now)
        var waitingNow: [String: ContainerStatuses.Waiting] = [:]
        for name in actions.backingOff.keys {
            let delay = backoffState.delay("\(uid)/\(name)")
            emit(uid, Event(warning: true, reason: "BackOff",
                            message: "Back-off restarting failed container \(name) in pod \(pod.name)_\(pod.namespace)(\(uid))"))
            waitingNow[name] = .init(reason: "CrashLoopBackOff",
                                     message: CrashLoopBackOff.message(delay: delay, container: name, pod: pod.name, namespace: pod.namespace, uid: uid))
        }
        let grace = spec["terminationGracePeriodSeconds"]?.intValue ?? 30
        let containers = (spec["initContainers"]?.arrayValue ?? []) + (spec["containers"]?.arrayValue ?? [])
        for kill in actions.kill {
            await stop(containerID: kill.id, spec: containers.first { $0["name"]?.stringValue == kill.name }, pod: pod,
                       grace: grace, podIP: observation.sandbox?.ip ?? "")
        }
        if actions.killPod {
            try await killPod(observation, grace: grace, pod: pod)
        } else {
            var sandboxID = observation.sandbox?.id ?? ""
            var sandboxConfig = configs.sandbox(pod, attempt: UInt32(actions.sandboxAttempt))
            if actions.createSandbox {
                if let old = observation.sandbox { _ = try? await runtime.stopPodSandbox(.with { $0.podSandboxID = old.id }) }
                sandboxID = try await runtime.runPodSandbox(.with { $0.config = sandboxConfig }).podSandboxID
            } else if let sandbox = observation.sandbox {
                sandboxConfig = configs.sandbox(pod, attempt: UInt32(sandbox.attempt))
            }
            let names = (actions.startInit.map { [$0] } ?? []) + actions.start
            let all = (spec["initContainers"]?.arrayValue ?? []) + (spec["containers"]?.arrayValue ?? [])
            for name in names {
                guard let container = all.first(where: { $0["name"]?.stringValue == name }) else { continue }
                let previous = latest[name]
                if previous?.state == .exited {
                    backoff.withLock { _ = $0.failed("\(uid)/\(name)", at: previous?.finishedAt ?? now) }
                }
                let attempt = UInt32(previous.map { $0.attempt + 1 } ?? 0)
                if let reason = await start(container, pod: pod, sandboxID: sandboxID, sandboxConfig: sandboxConfig,
                                            attempt: attempt, context: context) {
                    waitingNow[name] = reason
                }
            }
        }
        waiting.withLock { all in
            for key in all.keys where key.hasPrefix(uid + "/") { all[key] = nil }
            for (name, reason) in waitingNow { all["\(uid)/\(name)"] = reason }
        }
        observation = try await observe(uid: uid)
        return status(pod, observation: observation, readiness: context.readiness)
    }

    /// Pulls, configures, creates and starts one container; answers why it waits when it could not.
    func start(_ container: JSONValue, pod: JSONValue, sandboxID: String, sandboxConfig: Runtime_V1_PodSandboxConfig,
               attempt: UInt32, context: Context) async -> ContainerStatuses.Waiting? {
        let image = container["image"]?.stringValue ?? ""
        let policy = container["imagePullPolicy"]?.stringValue ?? (image.hasSuffix(":latest") || !image.contains(":") ? "Always" : "IfNotPresent")
        var imageRef = ""
        let name = container["name"]?.stringValue ?? ""
        do {
            let present = try await runtime.imageStatus(.with { $0.image.image = image })
            if present.hasImage { imageRef = present.image.id }
            if policy == "Always" || (imageRef.isEmpty && policy == "IfNotPresent") {
                emit(pod.uid, Event(reason: "Pulling", message: "Pulling image \"\(image)\""))
                let started = ContinuousClock.now
                imageRef = try await runtime.pullImage(.with { $0.image.image = image; $0.sandboxConfig = sandboxConfig }).imageRef
                let elapsed = (ContinuousClock.now - started).components
                let took = Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
                let size = (try? await runtime.imageStatus(.with { $0.image.image = image }))?.image.size ?? 0
                let text = String(format: "%.3fs", took)
                emit(pod.uid, Event(reason: "Pulled",
                                    message: "Successfully pulled image \"\(image)\" in \(text) (\(text) including waiting). Image size: \(size) bytes."))
            } else if imageRef.isEmpty {
                emit(pod.uid, Event(warning: true, reason: "ErrImageNeverPull",
                                    message: "Container image \"\(image)\" is not present with pull policy of Never"))
                return .init(reason: "ErrImageNeverPull", message: "Container image \"\(image)\" is not present with pull policy of Never")
            } else {
                emit(pod.uid, Event(reason: "Pulled", message: "Container image \"\(image)\" already present on machine"))
            }
        } catch {
            emit(pod.uid, Event(warning: true, reason: "Failed", message: "Failed to pull image \"\(image)\": \(error)"))
            emit(pod.uid, Event(warning: true, reason: "Failed", message: "Error: ErrImagePull"))
            return .init(reason: "ErrImagePull", message: "\(error)")
        }
        if let violation = await nonRootViolation(container, pod: pod, image: image) {
            emit(pod.uid, Event(warning: true, reason: "Failed", message: "Error: \(violation)"))
            return .init(reason: "CreateContainerConfigError", message: violation)
        }
        let env: EnvResolver.Result
        do {
            env = try context.env(pod, container)
        } catch {
            emit(pod.uid, Event(warning: true, reason: "Failed", message: "Error: \(error.message)"))
            return .init(reason: "CreateContainerConfigError", message: error.message)
        }
        let config = configs.container(container, pod: pod, attempt: attempt, env: env.env, mounts: context.mounts(pod, container),
                                       image: imageRef.isEmpty ? image : imageRef)
        let id: String
        do {
            id = try await runtime.createContainer(.with {
                $0.podSandboxID = sandboxID
                $0.config = config
                $0.sandboxConfig = sandboxConfig
            }).containerID
        } catch {
            emit(pod.uid, Event(warning: true, reason: "Failed", message: "Error: \(error)"))
            return .init(reason: "CreateContainerError", message: "\(error)")
        }
        emit(pod.uid, Event(reason: "Created", message: "Created container \(name)"))
        do {
            _ = try await runtime.startContainer(.with { $0.containerID = id })
        } catch {
            emit(pod.uid, Event(warning: true, reason: "Failed", message: "Error: \(error)"))
            return .init(reason: "RunContainerError", message: "\(error)")
        }
        emit(pod.uid, Event(reason: "Started", message: "Started container \(name)"))
        let runtime = self.runtime
        let grace = pod["spec"]?["terminationGracePeriodSeconds"]?.intValue ?? 30
        if let failure = await hooks.run(.postStart, container: container, containerID: id, pod: pod, timeout: max(grace, 30), podIP: {
            (try? await runtime.podSandboxStatus(.with { $0.podSandboxID = sandboxID }))?.status.network.ip ?? ""
        }) {
            // The kubelet kills a container whose postStart hook failed; the restart policy decides what follows.
            emit(pod.uid, Event(warning: true, reason: "FailedPostStartHook", message: failure))
            emit(pod.uid, Event(reason: "Killing", message: "FailedPostStartHook"))
            _ = try? await runtime.stopContainer(.with { $0.containerID = id; $0.timeout = grace })
            return .init(reason: "PostStartHookError", message: failure)
        }
        return nil
    }

    /// Why `runAsNonRoot` forbids starting `container` (the kubelet's words), or nil: the user is the
    /// container's runAsUser, else the pod's, else the image's; a non-numeric image user cannot be verified.
    func nonRootViolation(_ container: JSONValue, pod: JSONValue, image: String) async -> String? {
        let podContext = pod["spec"]?["securityContext"], context = container["securityContext"]
        guard (context?["runAsNonRoot"]?.boolValue ?? podContext?["runAsNonRoot"]?.boolValue) == true else { return nil }
        let subject = "(pod: \"\(pod.name)_\(pod.namespace)(\(pod.uid))\", container: \(container["name"]?.stringValue ?? ""))"
        if let uid = context?["runAsUser"]?.intValue ?? podContext?["runAsUser"]?.intValue {
            return uid == 0 ? "container's runAsUser breaks non-root policy \(subject)" : nil
        }
        guard let status = try? await runtime.imageStatus(.with { $0.image.image = image }), status.hasImage else { return nil }
        if status.image.hasUid { return status.image.uid.value == 0 ? "container has runAsNonRoot and image will run as root \(subject)" : nil }
        let user = status.image.username
        if user.isEmpty { return "container has runAsNonRoot and image will run as root \(subject)" }
        return "container has runAsNonRoot and image has non-numeric user (\(user)), cannot verify user is non-root \(subject)"
    }

    /// Stops one container: its preStop hook first (within the grace period), then SIGTERM and, after
    /// what is left of the grace period (at least 2 s after a hook, as the kubelet), SIGKILL.
    func stop(containerID: String, spec: JSONValue?, pod: JSONValue?, grace: Int64, podIP: String) async {
        var remaining = grace
        if let spec, let pod, spec["lifecycle"]?["preStop"] != nil {
            let started = ContinuousClock.now
            if let failure = await hooks.run(.preStop, container: spec, containerID: containerID, pod: pod, timeout: grace, podIP: { podIP }) {
                emit(pod.uid, Event(warning: true, reason: "FailedPreStopHook", message: failure))
            }
            remaining = max(2, grace - (ContinuousClock.now - started).components.seconds)
        }
        _ = try? await runtime.stopContainer(.with { $0.containerID = containerID; $0.timeout = remaining })
    }

    /// Stops every container (preStop hooks, then the grace period; all at once) and the sandbox.
    func killPod(_ observation: Observation, grace: Int64, pod: JSONValue? = nil) async throws {
        let specs = ((pod?["spec"]?["initContainers"]?.arrayValue ?? []) + (pod?["spec"]?["containers"]?.arrayValue ?? []))
        await withTaskGroup(of: Void.self) { group in
            for container in observation.containers where container.state == .running {
                if let uid = observation.uid { emit(uid, Event(reason: "Killing", message: "Stopping container \(container.name)")) }
                let spec = specs.first { $0["name"]?.stringValue == container.name }
                group.addTask { await self.stop(containerID: container.id, spec: spec, pod: pod, grace: grace, podIP: observation.sandbox?.ip ?? "") }
            }
        }
        if let sandbox = observation.sandbox, sandbox.ready {
            _ = try await runtime.stopPodSandbox(.with { $0.podSandboxID = sandbox.id })
        }
    }

    /// Stops and removes everything the pod has in the runtime (it was deleted); with the pod, its
    /// containers' preStop hooks run first.
    public func terminate(uid: String, grace: Int64, pod: JSONValue? = nil) async throws {
        let observation = try await observe(uid: uid)
        try await killPod(observation, grace: grace, pod: pod)
        for container in observation.containers { _ = try? await runtime.removeContainer(.with { $0.containerID = container.id }) }
        if let sandbox = observation.sandbox { _ = try? await runtime.removePodSandbox(.with { $0.podSandboxID = sandbox.id }) }
        backoff.withLock { state in
            for name in observation.containers.map(\.name) { state.forget("\(uid)/\(name)") }
        }
        waiting.withLock { all in for key in all.keys where key.hasPrefix(uid + "/") { all[key] = nil } }
        _ = takeEvents(uid: uid)
    }

    // MARK: Status

    /// The pod's status from what the runtime holds: phase, conditions, container statuses, pod IPs.
    public func status(_ pod: JSONValue, observation: Observation, readiness: [String: Bool] = [:]) -> JSONValue {
        let spec = pod["spec"] ?? [:]
        let uid = pod.uid
        let waiting = self.waiting.withLock { $0 }
        func statuses(_ containers: [JSONValue], isInit: Bool) -> [JSONValue] {
            containers.map { container in
                let name = container["name"]?.stringValue ?? ""
                let instances = observation.containers.filter { $0.name == name }.sorted { $0.attempt < $1.attempt }
                let current = instances.last
                let previous = instances.count > 1 ? instances[instances.count - 2] : nil
                let running = current?.state == .running
                let probed = container["readinessProbe"] != nil || container["startupProbe"] != nil
                let ready = !isInit && running && (probed ? readiness[name] ?? false : true)
                return ContainerStatuses.status(spec: container, current: current, previous: previous, waiting: waiting["\(uid)/\(name)"],
                                                ready: isInit ? (current?.state == .exited && current?.exitCode == 0) : ready,
                                                started: isInit ? nil : running, restartCount: current?.attempt ?? 0)
            }
        }
        let initStatuses = statuses(spec["initContainers"]?.arrayValue ?? [], isInit: true)
        let containerStatuses = statuses(spec["containers"]?.arrayValue ?? [], isInit: false)
        let phase = PodPhase.phase(spec: spec, initStatuses: initStatuses, statuses: containerStatuses)
        let stamp = JSONValue.string(RFC3339.format(now()))
        let previous = pod["status"]?["conditions"]?.arrayValue ?? []
        func condition(_ c: PodPhase.Condition) -> JSONValue {
            let old = previous.first { $0["type"]?.stringValue == c.type }
            var out: JSONValue = ["type": .string(c.type), "status": .string(c.status), "lastProbeTime": .null,
                                  "lastTransitionTime": old?["status"]?.stringValue == c.status ? (old?["lastTransitionTime"] ?? stamp) : stamp]
            if let reason = c.reason { out["reason"] = .string(reason) }
            if let message = c.message { out["message"] = .string(message) }
            return out
        }
        let sandboxReady = observation.sandbox?.ready == true
        var conditions: [JSONValue] = [
            condition(.init(type: "PodReadyToStartContainers", status: sandboxReady ? "True" : "False")),
            condition(PodPhase.initialized(spec: spec, initStatuses: initStatuses)),
            condition(PodPhase.ready(spec: spec, statuses: containerStatuses, phase: phase, conditions: previous)),
            condition(PodPhase.containersReady(spec: spec, statuses: containerStatuses, phase: phase)),
        ]
        if let scheduled = previous.first(where: { $0["type"]?.stringValue == "PodScheduled" }) { conditions.append(scheduled) }
        var status: JSONValue = ["phase": .string(phase), "conditions": .array(conditions),
                                 "containerStatuses": .array(containerStatuses), "qosClass": .string(CRIConfigs.qosClass(pod))]
        if !initStatuses.isEmpty { status["initContainerStatuses"] = .array(initStatuses) }
        if let ip = observation.sandbox?.ip, !ip.isEmpty {
            status["podIP"] = .string(ip)
            status["podIPs"] = [["ip": .string(ip)]]
        }
        status["startTime"] = pod["status"]?["startTime"] ?? stamp
        return status
    }
}
