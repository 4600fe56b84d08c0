import APIMachinery

/// The pod-level status the kubelet derives from its containers' statuses: the phase, and the
/// Initialized, ContainersReady and Ready conditions, worded as the kubelet words them.
public enum PodPhase {
    /// The phase from the spec and the container statuses (`status.containerStatuses` and
    /// `initContainerStatuses`, in the API's JSON form).
    public static func phase(spec: JSONValue, initStatuses: [JSONValue], statuses: [JSONValue]) -> String {
        let restartPolicy = spec["restartPolicy"]?.stringValue ?? "Always"
        var pendingInit = 0, failedInit = 0
        for container in spec["initContainers"]?.arrayValue ?? [] {
            let name = container["name"]?.stringValue ?? ""
            let sidecar = container["restartPolicy"]?.stringValue == "Always"
            guard let status = initStatuses.first(where: { $0["name"]?.stringValue == name }) else {
                pendingInit += 1
                continue
            }
            if sidecar {
                if status["started"]?.boolValue != true { pendingInit += 1 }
                continue
            }
            let state = status["state"]
            if state?["running"] != nil {
                pendingInit += 1
            } else if let terminated = state?["terminated"] {
                if (terminated["exitCode"]?.intValue ?? 0) != 0 { failedInit += 1 }
            } else if state?["waiting"] != nil {
                if let last = status["lastState"]?["terminated"] {
                    if (last["exitCode"]?.intValue ?? 0) != 0 { failedInit += 1 }
                } else {
                    pendingInit += 1
                }
            } else {
                pendingInit += 1
            }
        }
        var unknown = 0, running = 0, waiting = 0, stopped = 0, succeeded = 0
        for container in spec["containers"]?.arrayValue ?? [] {
            let name = container["name"]?.stringValue ?? ""
            guard let status = statuses.first(where: { $0["name"]?.stringValue == name }), let state = status["state"] else {
                unknown += 1
                continue
            }
            if state["running"] != nil {
                running += 1
            } else if let terminated = state["terminated"] {
                stopped += 1
                if (terminated["exitCode"]?.intValue ?? 0) == 0 { succeeded += 1 }
            } else if state["waiting"] != nil {
                if status["lastState"]?["terminated"] != nil { stopped += 1 } else { waiting += 1 }
            } else {
                unknown += 1
            }
        }
        if failedInit > 0 && restartPolicy == "Never" { return "Failed" }
        if pendingInit > 0 || failedInit > 0 { return "Pending" }
        if waiting > 0 { return "Pending" }
        if running > 0 && unknown == 0 { return "Running" }
        if running == 0 && stopped > 0 && unknown == 0 {
            if restartPolicy == "Always" { return "Running" }
            if stopped == succeeded { return "Succeeded" }
            if restartPolicy == "Never" { return "Failed" }
            return "Running"
        }
        return "Pending"
    }

    /// A pod condition (without times; the caller keeps lastTransitionTime when the status is unchanged).
    public struct Condition: Equatable, Sendable {
        public var type: String
        public var status: String
        public var reason: String?
        public var message: String?
        public init(type: String, status: String, reason: String? = nil, message: String? = nil) {
            self.type = type
            self.status = status
            self.reason = reason
            self.message = message
        }
    }

    /// Initialized: every (non-sidecar) init container succeeded; sidecars must have started.
    public static func initialized(spec: JSONValue, initStatuses: [JSONValue]) -> Condition {
        var incomplete: [String] = []
        for container in spec["initContainers"]?.arrayValue ?? [] {
            let name = container["name"]?.stringValue ?? ""
            let status = initStatuses.first { $0["name"]?.stringValue == name }
            if container["restartPolicy"]?.stringValue == "Always" {
                if status?["started"]?.boolValue != true { incomplete.append(name) }
                continue
            }
            let terminated = status?["state"]?["terminated"]
            if terminated == nil || (terminated?["exitCode"]?.intValue ?? 0) != 0 { incomplete.append(name) }
        }
        if incomplete.isEmpty { return Condition(type: "Initialized", status: "True") }
        return Condition(type: "Initialized", status: "False", reason: "ContainersNotInitialized",
                         message: "containers with incomplete status: [\(incomplete.joined(separator: " "))]")
    }

    /// ContainersReady: every container (and started sidecar) reports ready.
    public static func containersReady(spec: JSONValue, statuses: [JSONValue], phase: String) -> Condition {
        var unknown: [String] = [], unready: [String] = []
        for container in spec["containers"]?.arrayValue ?? [] {
            let name = container["name"]?.stringValue ?? ""
            guard let status = statuses.first(where: { $0["name"]?.stringValue == name }) else {
                unknown.append(name)
                continue
            }
            if status["ready"]?.boolValue != true { unready.append(name) }
        }
        if phase == "Succeeded" && unknown.isEmpty {
            return Condition(type: "ContainersReady", status: "False", reason: "PodCompleted")
        }
        var messages: [String] = []
        if !unknown.isEmpty { messages.append("containers with unknown status: [\(unknown.joined(separator: " "))]") }
        if !unready.isEmpty { messages.append("containers with unready status: [\(unready.joined(separator: " "))]") }
        if messages.isEmpty { return Condition(type: "ContainersReady", status: "True") }
        return Condition(type: "ContainersReady", status: "False", reason: "ContainersNotReady", message: messages.joined(separator: ", "))
    }

    /// Ready: ContainersReady, and every readiness gate's condition True.
    public static func ready(spec: JSONValue, statuses: [JSONValue], phase: String, conditions: [JSONValue]) -> Condition {
        let containers = containersReady(spec: spec, statuses: statuses, phase: phase)
        if containers.status != "True" {
            return Condition(type: "Ready", status: "False", reason: containers.reason, message: containers.message)
        }
        var gateMessages: [String] = []
        for gate in spec["readinessGates"]?.arrayValue ?? [] {
            let type = gate["conditionType"]?.stringValue ?? ""
            guard let condition = conditions.first(where: { $0["type"]?.stringValue == type }) else {
                gateMessages.append("corresponding condition of pod readiness gate \"\(type)\" does not exist.")
                continue
            }
            if condition["status"]?.stringValue != "True" {
                gateMessages.append("the status of pod readiness gate \"\(type)\" is not \"True\", but \(condition["status"]?.stringValue ?? "")")
            }
        }
        if gateMessages.isEmpty { return Condition(type: "Ready", status: "True") }
        return Condition(type: "Ready", status: "False", reason: "ReadinessGatesNotReady", message: gateMessages.joined(separator: ", "))
    }
}
