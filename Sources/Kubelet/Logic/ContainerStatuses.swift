import APIMachinery
import Foundation

/// One container as the runtime last reported it, in the kubelet's own terms (converted from CRI).
public struct ObservedContainer: Sendable, Equatable {
    public enum State: String, Sendable { case created, running, exited, unknown }
    public var id: String
    public var name: String
    public var state: State
    public var createdAt: Date?
    public var startedAt: Date?
    public var finishedAt: Date?
    public var exitCode: Int32
    /// The runtime's reason for an exit ("OOMKilled", "Completed", "Error"), if it gave one.
    public var reason: String
    public var message: String
    /// The image as the runtime names it (`docker.io/library/nginx:1.14.2`) and its digest reference.
    public var image: String
    public var imageRef: String
    /// How many times the kubelet has started this container before (the attempt number).
    public var attempt: Int

    public init(id: String, name: String, state: State, createdAt: Date? = nil, startedAt: Date? = nil, finishedAt: Date? = nil,
                exitCode: Int32 = 0, reason: String = "", message: String = "", image: String = "", imageRef: String = "", attempt: Int = 0) {
        self.id = id
        self.name = name
        self.state = state
        self.createdAt = createdAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.exitCode = exitCode
        self.reason = reason
        self.message = message
        self.image = image
        self.imageRef = imageRef
        self.attempt = attempt
    }
}

/// `status.containerStatuses[]` entries as the kubelet writes them.
public enum ContainerStatuses {
    /// Why a container is waiting, when the kubelet knows (CrashLoopBackOff, ErrImagePull, …).
    public struct Waiting: Sendable, Equatable {
        public var reason: String
        public var message: String?
        public init(reason: String, message: String? = nil) {
            self.reason = reason
            self.message = message
        }
    }

    /// The status of container `spec` from its latest runtime instance (`current`), the one before
    /// (`previous`, for lastState), and what the kubelet knows besides. `runtimeName` prefixes ids
    /// (`containerd://…`).
    public static func status(spec: JSONValue, current: ObservedContainer?, previous: ObservedContainer?, waiting: Waiting?,
                              ready: Bool, started: Bool?, restartCount: Int, runtimeName: String = "containerd") -> JSONValue {
        let name = spec["name"]?.stringValue ?? ""
        var status: JSONValue = ["name": .string(name), "ready": .bool(ready), "restartCount": .int(Int64(restartCount)),
                                 "image": .string(current?.image.isEmpty == false ? current!.image : (spec["image"]?.stringValue ?? "")),
                                 "imageID": .string(current?.imageRef ?? ""), "lastState": [:]]
        if let current {
            status["containerID"] = .string("\(runtimeName)://\(current.id)")
        }
        if let waiting, current?.state != .running {
            var state: JSONValue = ["reason": .string(waiting.reason)]
            if let message = waiting.message { state["message"] = .string(message) }
            status["state"] = ["waiting": state]
            // A container waiting to restart shows its last run as lastState.
            if let current, current.state == .exited { status["lastState"] = ["terminated": terminated(current, runtimeName: runtimeName)] }
            else if let previous, previous.state == .exited { status["lastState"] = ["terminated": terminated(previous, runtimeName: runtimeName)] }
        } else if let current {
            switch current.state {
            case .running:
                status["state"] = ["running": ["startedAt": .string(RFC3339.format(current.startedAt ?? Date()))]]
            case .exited:
                status["state"] = ["terminated": terminated(current, runtimeName: runtimeName)]
            case .created, .unknown:
                status["state"] = ["waiting": ["reason": "ContainerCreating"]]
            }
            if let previous, previous.state == .exited { status["lastState"] = ["terminated": terminated(previous, runtimeName: runtimeName)] }
        } else {
            status["state"] = ["waiting": ["reason": "ContainerCreating"]]
        }
        if let started { status["started"] = .bool(started) }
        return status
    }

    /// A `terminated` state: exit code, reason (the runtime's, else Completed for 0 and Error), times.
    public static func terminated(_ container: ObservedContainer, runtimeName: String = "containerd") -> JSONValue {
        let reason = container.reason.isEmpty ? (container.exitCode == 0 ? "Completed" : "Error") : container.reason
        var state: JSONValue = ["exitCode": .int(Int64(container.exitCode)), "reason": .string(reason),
                                "containerID": .string("\(runtimeName)://\(container.id)")]
        if !container.message.isEmpty { state["message"] = .string(container.message) }
        if let started = container.startedAt { state["startedAt"] = .string(RFC3339.format(started)) }
        if let finished = container.finishedAt { state["finishedAt"] = .string(RFC3339.format(finished)) }
        return state
    }
}
