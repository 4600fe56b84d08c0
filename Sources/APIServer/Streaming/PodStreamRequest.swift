import APIMachinery
import Registry

/// A pod subresource that streams from the node: log, exec, attach, portforward.
enum PodStreamKind: String, Sendable, CaseIterable {
    case log, exec, attach, portforward
}

/// A validated request for one of a pod's streams: the pod, its container and its kubelet.
struct PodStreamTarget: Sendable {
    var namespace: String
    var pod: String
    /// Empty for portforward.
    var container: String
    var endpoint: KubeletEndpoint
}

/// Validation shared by the HTTP path (logs, and the Status errors of refused upgrades) and the
/// WebSocket upgrade decision, so that both answer the same errors.
struct PodStreamValidator: Sendable {
    let registry: Registry

    var locator: KubeletLocator { KubeletLocator(registry: registry) }

    func validate(_ kind: PodStreamKind, namespace: String, pod name: String, query: Query) async throws(StatusError) -> PodStreamTarget {
        guard let pods = registry.store(group: "", version: "v1", resource: "pods") else { throw StatusError.internal("pods are not served") }
        let pod = try await pods.get(namespace: namespace, name: name)
        var container = ""
        switch kind {
        case .log:
            try Self.validateLogOptions(query, pod: name)
            container = try Self.container(in: pod, requested: query["container"], podName: name)
        case .exec, .attach:
            container = try Self.container(in: pod, requested: query["container"], podName: name)
            if kind == .exec, (query.values["command"] ?? []).isEmpty {
                throw StatusError.badRequest("you must specify at least 1 command")
            }
            let streams = try ["stdin", "stdout", "stderr"].map { (key) throws(StatusError) in try query.bool(key) ?? false }
            if !streams.contains(true) {
                throw StatusError.badRequest("you must specify at least one of stdin, stdout, stderr")
            }
            try Self.requireRunning(pod, kind: kind, name: name, container: container)
        case .portforward:
            try Self.requireRunning(pod, kind: kind, name: name, container: nil)
        }
        let nodeName = pod[path: ["spec", "nodeName"]]?.stringValue ?? ""
        guard !nodeName.isEmpty else { throw StatusError.badRequest("pod \(name) does not have a host assigned") }
        return PodStreamTarget(namespace: namespace, pod: name, container: container,
                               endpoint: try await locator.endpoint(nodeName: nodeName))
    }

    /// The container a stream is for: the one asked for (any regular, init or ephemeral container), or
    /// the only container of the pod.
    static func container(in pod: JSONValue, requested: String?, podName: String) throws(StatusError) -> String {
        func names(_ key: String) -> [String] {
            (pod[path: ["spec", key]]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
        }
        let containers = names("containers"), initContainers = names("initContainers"), ephemeral = names("ephemeralContainers")
        guard let requested, !requested.isEmpty else {
            if containers.count == 1 { return containers[0] }
            var message = "a container name must be specified for pod \(podName), choose one of: [\(containers.joined(separator: " "))]"
            if !initContainers.isEmpty { message += " or one of the init containers: [\(initContainers.joined(separator: " "))]" }
            if !ephemeral.isEmpty { message += " or one of the ephemeral containers: [\(ephemeral.joined(separator: " "))]" }
            throw StatusError.badRequest(message)
        }
        guard containers.contains(requested) || initContainers.contains(requested) || ephemeral.contains(requested) else {
            throw StatusError.badRequest("container \(requested) is not valid for pod \(podName)")
        }
        return requested
    }

    /// exec, attach and port-forward need a running pod (and for exec/attach, a running container).
    static func requireRunning(_ pod: JSONValue, kind: PodStreamKind, name: String, container: String?) throws(StatusError) {
        let phase = pod[path: ["status", "phase"]]?.stringValue ?? "Pending"
        if phase == "Succeeded" || phase == "Failed" {
            switch kind {
            case .exec: throw StatusError.badRequest("cannot exec into a container in a completed pod; current phase is \(phase)")
            case .attach: throw StatusError.badRequest("cannot attach to a container in a completed pod; current phase is \(phase)")
            default: throw StatusError.badRequest("unable to forward port because pod is not running. Current status=\(phase)")
            }
        }
        guard phase == "Running" else {
            if let container { throw StatusError.badRequest("container \(container) in pod \(name) is not running (pod phase \(phase))") }
            throw StatusError.badRequest("unable to forward port because pod is not running. Current status=\(phase)")
        }
    }

    /// PodLogOptions validation, as Kubernetes answers it (422 Invalid).
    static func validateLogOptions(_ query: Query, pod: String) throws(StatusError) {
        var errors: [FieldError] = []
        for key in ["follow", "previous", "timestamps", "insecureSkipTLSVerifyBackend"] { _ = try query.bool(key) }
        if let tail = try query.int("tailLines"), tail < 0 {
            errors.append(FieldError(.invalid, field: "tailLines", value: String(tail), detail: "must be greater than or equal to 0"))
        }
        if let limit = try query.int("limitBytes"), limit < 1 {
            errors.append(FieldError(.invalid, field: "limitBytes", value: String(limit), detail: "must be greater than 0"))
        }
        let sinceSeconds = try query.int("sinceSeconds")
        if let since = sinceSeconds, since < 1 {
            errors.append(FieldError(.invalid, field: "sinceSeconds", value: String(since), detail: "must be greater than 0"))
        }
        if let sinceTime = query["sinceTime"], !sinceTime.isEmpty {
            if sinceSeconds != nil {
                errors.append(FieldError(.forbidden, field: "", detail: "at most one of `sinceTime` or `sinceSeconds` may be specified"))
            }
            if !RFC3339.isValid(sinceTime) {
                throw StatusError.badRequest("sinceTime: parsing time \"\(sinceTime)\" as RFC3339 failed")
            }
        }
        if !errors.isEmpty {
            throw StatusError.invalid(kind: "PodLogOptions", group: "", name: pod, errors: errors)
        }
    }
}

/// A loose RFC 3339 date-time check (`2024-01-02T03:04:05[.frac](Z|±hh:mm)`).
enum RFC3339 {
    static func isValid(_ text: String) -> Bool {
        let b = Array(text.utf8)
        func digits(_ range: Range<Int>) -> Bool { range.upperBound <= b.count && range.allSatisfy { b[$0] >= 48 && b[$0] <= 57 } }
        guard b.count >= 20, digits(0..<4), b[4] == 45, digits(5..<7), b[7] == 45, digits(8..<10),
              b[10] == 84 || b[10] == 116, digits(11..<13), b[13] == 58, digits(14..<16), b[16] == 58, digits(17..<19) else { return false }
        var i = 19
        if b[i] == 46 {
            i += 1
            let start = i
            while i < b.count, b[i] >= 48, b[i] <= 57 { i += 1 }
            if i == start { return false }
        }
        guard i < b.count else { return false }
        if b[i] == 90 || b[i] == 122 { return i + 1 == b.count }
        guard b[i] == 43 || b[i] == 45 else { return false }
        return b.count == i + 6 && digits(i + 1..<i + 3) && b[i + 3] == 58 && digits(i + 4..<i + 6)
    }
}
