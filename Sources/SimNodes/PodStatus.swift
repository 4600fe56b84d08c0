import Foundation
import APIMachinery

/// The pod statuses a simulated kubelet reports, as pure functions of the pod, its addresses and the
/// time: running (every container started and ready), completed (containers exited with a code) and
/// stopped (on graceful deletion).
public enum SimPodStatus {
    /// What the simulator should do with a pod bound to one of its nodes.
    public enum Action: Equatable, Sendable {
        /// Nothing: already in the state the simulator reports (or terminal).
        case none
        /// Report it running.
        case run
        /// Report it completed with this exit code.
        case complete(exitCode: Int64)
        /// Report it completed, `afterSeconds` from now.
        case completeLater(afterSeconds: Double)
        /// Graceful deletion: report it stopped, then delete it for good.
        case stopAndDelete
    }

    /// Whether the pod's containers exit by themselves (restartPolicy Never or OnFailure).
    public static func runsToCompletion(_ pod: JSONValue) -> Bool {
        let policy = pod["spec"]?["restartPolicy"]?.stringValue ?? "Always"
        return policy == "Never" || policy == "OnFailure"
    }

    /// Seconds the pod runs before completing (annotation `sim.swiftlet.dev/run-seconds`, 0 by default).
    public static func runSeconds(_ pod: JSONValue) -> Double {
        max(0, Double(pod.annotations[SimAnnotations.runSeconds]?.trimmingCharacters(in: .whitespaces) ?? "") ?? 0)
    }

    public static func exitCode(_ pod: JSONValue) -> Int64 {
        Int64(pod.annotations[SimAnnotations.exitCode]?.trimmingCharacters(in: .whitespaces) ?? "") ?? 0
    }

    public static func isTerminal(_ pod: JSONValue) -> Bool {
        let phase = pod["status"]?["phase"]?.stringValue
        return phase == "Succeeded" || phase == "Failed"
    }

    /// True once the simulator has reported the pod running (a node without a podCIDR gives no pod IP).
    public static func isRunning(_ pod: JSONValue) -> Bool {
        pod["status"]?["phase"] == "Running" && !(pod["status"]?["hostIP"]?.stringValue ?? "").isEmpty
    }

    /// The next step for `pod` at `now` (seconds since the epoch).
    public static func action(for pod: JSONValue, now: Double) -> Action {
        if let deletion = pod["metadata"]?["deletionTimestamp"], !deletion.isNull { return .stopAndDelete }
        if isTerminal(pod) { return .none }
        let completes = runsToCompletion(pod)
        let seconds = runSeconds(pod)
        if completes && seconds <= 0 { return .complete(exitCode: exitCode(pod)) }
        if !isRunning(pod) { return .run }
        guard completes else { return .none }
        let started = pod["status"]?["startTime"]?.stringValue.flatMap(RFC3339.parse)?.timeIntervalSince1970 ?? now
        let remaining = started + seconds - now
        return remaining <= 0 ? .complete(exitCode: exitCode(pod)) : .completeLater(afterSeconds: remaining)
    }

    static func containers(_ pod: JSONValue, _ field: String) -> [JSONValue] {
        pod["spec"]?[field]?.arrayValue ?? []
    }

    static func identity(_ pod: JSONValue, _ container: JSONValue) -> [String: JSONValue] {
        let name = container["name"]?.stringValue ?? ""
        let image = container["image"]?.stringValue ?? ""
        return ["name": .string(name), "image": .string(image), "imageID": .string("sim://\(image)"),
                "containerID": .string("sim://\(pod.uid)-\(name)")]
    }

    static func terminated(exitCode: Int64, startedAt: String, finishedAt: String, containerID: JSONValue?) -> JSONValue {
        var state: [String: JSONValue] = ["exitCode": .int(exitCode), "reason": .string(exitCode == 0 ? "Completed" : "Error"),
                                          "startedAt": .string(startedAt), "finishedAt": .string(finishedAt)]
        if let containerID { state["containerID"] = containerID }
        return ["terminated": .object(state)]
    }

    /// Init containers, all run to completion at `startedAt`.
    static func initContainerStatuses(_ pod: JSONValue, startedAt: String) -> [JSONValue] {
        containers(pod, "initContainers").map { container in
            var status = identity(pod, container)
            status["ready"] = true
            status["started"] = false
            status["restartCount"] = 0
            status["state"] = terminated(exitCode: 0, startedAt: startedAt, finishedAt: startedAt, containerID: status["containerID"])
            status["lastState"] = [:]
            return .object(status)
        }
    }

    static func setCondition(_ conditions: inout [JSONValue], _ type: String, _ value: String, reason: String?, now: String) {
        var condition: [String: JSONValue] = ["type": .string(type), "status": .string(value), "lastProbeTime": .null,
                                              "lastTransitionTime": .string(now)]
        if let reason { condition["reason"] = .string(reason) }
        if let i = conditions.firstIndex(where: { $0["type"]?.stringValue == type }) {
            if conditions[i]["status"]?.stringValue == value, let kept = conditions[i]["lastTransitionTime"] {
                condition["lastTransitionTime"] = kept
            }
            conditions[i] = .object(condition)
        } else {
            conditions.append(.object(condition))
        }
    }

    static func addresses(_ status: inout JSONValue, hostIP: String, podIP: String?) {
        status["hostIP"] = .string(hostIP)
        status["hostIPs"] = [["ip": .string(hostIP)]]
        if let podIP {
            status["podIP"] = .string(podIP)
            status["podIPs"] = [["ip": .string(podIP)]]
        }
    }

    /// The status of `pod` running on a node at `hostIP` with address `podIP`, at `now` (RFC 3339).
    public static func running(_ pod: JSONValue, hostIP: String, podIP: String?, now: String) -> JSONValue {
        var status = pod["status"] ?? [:]
        if status.objectValue == nil { status = [:] }
        let started = status["startTime"]?.stringValue ?? now
        status["phase"] = "Running"
        status["startTime"] = .string(started)
        addresses(&status, hostIP: hostIP, podIP: podIP)
        var conditions = status["conditions"]?.arrayValue ?? []
        for type in ["PodReadyToStartContainers", "Initialized", "ContainersReady", "Ready", "PodScheduled"] {
            setCondition(&conditions, type, "True", reason: nil, now: now)
        }
        status["conditions"] = .array(conditions)
        status["initContainerStatuses"] = .array(initContainerStatuses(pod, startedAt: started))
        status["containerStatuses"] = .array(containers(pod, "containers").map { container in
            var entry = identity(pod, container)
            entry["ready"] = true
            entry["started"] = true
            entry["restartCount"] = 0
            entry["state"] = ["running": ["startedAt": .string(started)]]
            entry["lastState"] = [:]
            return .object(entry)
        })
        return status
    }

    /// The status of `pod` whose containers exited with `exitCode` at `now`: Succeeded for 0, else Failed.
    public static func completed(_ pod: JSONValue, exitCode: Int64, hostIP: String, podIP: String?, now: String) -> JSONValue {
        var status = pod["status"] ?? [:]
        if status.objectValue == nil { status = [:] }
        let started = status["startTime"]?.stringValue ?? now
        let succeeded = exitCode == 0
        status["phase"] = .string(succeeded ? "Succeeded" : "Failed")
        status["startTime"] = .string(started)
        if status["podIP"] == nil || status["podIP"]?.stringValue?.isEmpty == true {
            addresses(&status, hostIP: hostIP, podIP: podIP)
        } else {
            status["hostIP"] = .string(hostIP)
            status["hostIPs"] = [["ip": .string(hostIP)]]
        }
        let reason = succeeded ? "PodCompleted" : "PodFailed"
        var conditions = status["conditions"]?.arrayValue ?? []
        setCondition(&conditions, "PodReadyToStartContainers", "False", reason: nil, now: now)
        setCondition(&conditions, "Initialized", "True", reason: reason, now: now)
        setCondition(&conditions, "Ready", "False", reason: reason, now: now)
        setCondition(&conditions, "ContainersReady", "False", reason: reason, now: now)
        setCondition(&conditions, "PodScheduled", "True", reason: nil, now: now)
        status["conditions"] = .array(conditions)
        status["initContainerStatuses"] = .array(initContainerStatuses(pod, startedAt: started))
        status["containerStatuses"] = .array(containers(pod, "containers").map { container in
            var entry = identity(pod, container)
            entry["ready"] = false
            entry["started"] = false
            entry["restartCount"] = 0
            entry["state"] = terminated(exitCode: exitCode, startedAt: started, finishedAt: now, containerID: entry["containerID"])
            entry["lastState"] = [:]
            return .object(entry)
        })
        return status
    }
}
