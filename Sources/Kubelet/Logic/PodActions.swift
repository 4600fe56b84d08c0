import APIMachinery
import Foundation

/// A pod sandbox as the runtime last reported it.
public struct ObservedSandbox: Sendable, Equatable {
    public var id: String
    public var ready: Bool
    public var attempt: Int
    public var ip: String
    public init(id: String, ready: Bool, attempt: Int = 0, ip: String = "") {
        self.id = id
        self.ready = ready
        self.attempt = attempt
        self.ip = ip
    }
}

/// What one sync of a pod must do to move its containers towards the spec, as the kubelet's
/// computePodActions decides it: (re)create the sandbox, start the next init container, start or
/// restart containers by the restart policy and their back-off, kill what failed its liveness probe.
public struct PodActions: Sendable, Equatable {
    /// Recreate the sandbox (killing what runs in the old one); the new sandbox's attempt number.
    public var createSandbox = false
    public var sandboxAttempt = 0
    /// Kill the sandbox and every container without creating a new one (the pod is done or failed).
    public var killPod = false
    /// The init container to start now.
    public var startInit: String?
    /// Regular containers to start, in spec order.
    public var start: [String] = []
    /// Running containers to kill (by runtime id), with the reason for the event.
    public var kill: [Kill] = []
    /// Containers held back by CrashLoopBackOff until the given time.
    public var backingOff: [String: Date] = [:]
    /// The pod's containers will not run again (restart policy), once what runs has exited.
    public var terminal = false

    public struct Kill: Sendable, Equatable {
        public var id: String
        public var name: String
        public var message: String
        public init(id: String, name: String, message: String) {
            self.id = id
            self.name = name
            self.message = message
        }
    }

    public init() {}

    /// `observed` holds every runtime instance of the pod's containers (any attempt); the latest
    /// of a name is the one with the highest attempt. `livenessFailed` names running containers to
    /// restart; `backoff` answers when a container may start again after a failure (nil: now).
    public static func compute(spec: JSONValue, sandbox: ObservedSandbox?, observed: [ObservedContainer],
                               livenessFailed: Set<String> = [], backoff: (String) -> Date? = { _ in nil },
                               now: Date) -> PodActions {
        var actions = PodActions()
        let policy = spec["restartPolicy"]?.stringValue ?? "Always"
        let inits = (spec["initContainers"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
        let containers = (spec["containers"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
        var latest: [String: ObservedContainer] = [:]
        for container in observed where latest[container.name].map({ container.attempt >= $0.attempt }) ?? true {
            latest[container.name] = container
        }

        func mayRestart(_ container: ObservedContainer) -> Bool {
            switch policy {
            case "Never": return false
            case "OnFailure": return container.exitCode != 0
            default: return true
            }
        }
        /// Start `name` now unless it is backing off.
        func startable(_ name: String) -> Bool {
            if let until = backoff(name), until > now {
                actions.backingOff[name] = until
                return false
            }
            return true
        }

        // The sandbox: none or not ready means a fresh one, unless the pod has run and may not restart.
        if sandbox == nil || sandbox?.ready == false {
            if policy == "Never" && sandbox != nil && !observed.isEmpty {
                actions.killPod = true
                actions.terminal = true
                return actions
            }
            actions.createSandbox = true
            actions.sandboxAttempt = sandbox.map { $0.attempt + 1 } ?? 0
            actions.kill = observed.filter { $0.state == .running }.map {
                Kill(id: $0.id, name: $0.name, message: "Pod sandbox changed, it will be killed and re-created.")
            }
            // Containers that already succeeded are not run again unless the policy is Always.
            if let first = inits.first(where: { name in policy == "Always" || latest[name].map { !($0.state == .exited && $0.exitCode == 0) } ?? true }) {
                actions.startInit = first
            } else {
                actions.start = containers.filter { name in
                    guard let last = latest[name] else { return true }
                    return last.state != .exited || mayRestart(last)
                }
            }
            return actions
        }

        // Init containers, in order.
        for name in inits {
            guard let last = latest[name] else {
                if startable(name) { actions.startInit = name }
                return actions
            }
            switch last.state {
            case .running, .created, .unknown:
                return actions  // wait for it
            case .exited where last.exitCode == 0:
                continue
            case .exited:
                if policy == "Never" {
                    actions.killPod = true
                    actions.terminal = true
                } else if startable(name) {
                    actions.startInit = name
                }
                return actions
            }
        }

        // Regular containers.
        var finished = 0
        for name in containers {
            guard let last = latest[name] else {
                if startable(name) { actions.start.append(name) }
                continue
            }
            switch last.state {
            case .running:
                if livenessFailed.contains(name) {
                    actions.kill.append(Kill(id: last.id, name: name, message: "Container \(name) failed liveness probe, will be restarted"))
                }
            case .created, .unknown:
                if startable(name) { actions.start.append(name) }
            case .exited:
                if mayRestart(last) {
                    if startable(name) { actions.start.append(name) }
                } else {
                    finished += 1
                }
            }
        }
        if finished == containers.count && !containers.isEmpty { actions.terminal = true }
        return actions
    }
}
