import APIMachinery
import CRI
import Foundation

/// What the kubelet server answers, without HTTP plumbing: /healthz, /containerLogs, /stats/summary,
/// and for /exec, /attach and /portForward the CRI streaming URL to splice the connection to.
struct KubeletRoutes: Sendable {
    var runtime: any ContainerRuntime
    var configs: CRIConfigs
    var pod: KubeletServer.PodLookup
    var statsSummary: KubeletServer.StatsSummary?
    var now: @Sendable () -> Date
    var logPollInterval: Duration

    /// A response: a whole body, or one produced chunk by chunk.
    enum Response: Sendable {
        case full(code: Int, contentType: String, body: [UInt8])
        case stream(contentType: String, body: @Sendable (_ write: @Sendable ([UInt8]) async throws -> Void) async throws -> Void)

        static func error(_ error: StatusError) -> Response {
            .full(code: error.code, contentType: "application/json", body: error.status.serialized())
        }
    }

    /// A request target split into its decoded path segments and query items (`+` is a space, as Go
    /// encodes queries).
    struct Target: Sendable {
        var segments: [String]
        var query: [(name: String, value: String)]

        init(_ uri: String) {
            let parts = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
            let path = parts.first.map(String.init) ?? ""
            segments = path.split(separator: "/").map { $0.removingPercentEncoding ?? String($0) }
            query = parts.count > 1 ? Self.parseQuery(String(parts[1])) : []
        }

        static func parseQuery(_ text: String) -> [(name: String, value: String)] {
            text.split(separator: "&").map { pair in
                let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                func decode(_ s: Substring) -> String {
                    let spaced = s.replacingOccurrences(of: "+", with: " ")
                    return spaced.removingPercentEncoding ?? spaced
                }
                return (decode(kv[0]), kv.count > 1 ? decode(kv[1]) : "")
            }
        }

        func values(_ name: String) -> [String] { query.filter { $0.name == name }.map(\.value) }
        func bool(_ name: String) -> Bool {
            guard let value = values(name).last else { return false }
            return ["", "true", "1"].contains(value.lowercased())
        }
    }

    /// The three streaming subresources.
    enum StreamKind: String, Sendable { case exec, attach, portForward }

    static func streamKind(_ uri: String) -> StreamKind? {
        guard let first = Target(uri).segments.first else { return nil }
        switch first.lowercased() {
        case "exec": return .exec
        case "attach": return .attach
        case "portforward": return .portForward
        default: return nil
        }
    }

    // MARK: Plain requests

    func respond(method: String, uri: String) async -> Response {
        let target = Target(uri)
        let s = target.segments
        do throws(StatusError) {
            switch s.first {
            case "healthz" where s.count == 1:
                guard method == "GET" || method == "HEAD" else { throw StatusError.methodNotAllowed() }
                return .full(code: 200, contentType: "text/plain; charset=utf-8", body: Array("ok".utf8))
            case "containerLogs" where s.count == 4:
                guard method == "GET" else { throw StatusError.methodNotAllowed() }
                return try await containerLogs(namespace: s[1], pod: s[2], container: s[3], query: target.query)
            case "stats" where s.count == 2 && s[1] == "summary":
                guard let statsSummary else { throw StatusError.notFoundPath() }
                do {
                    return .full(code: 200, contentType: "application/json", body: try await statsSummary().serialized())
                } catch let error as StatusError {
                    throw error
                } catch {
                    throw StatusError.internal("\(error)")
                }
            case "exec", "attach", "portForward", "portforward":
                throw StatusError.badRequest("Upgrade request required")
            default:
                throw StatusError.notFoundPath()
            }
        } catch {
            return .error(error)
        }
    }

    // MARK: Logs

    func containerLogs(namespace: String, pod name: String, container: String, query: [(name: String, value: String)])
        async throws(StatusError) -> Response
    {
        let options = try ContainerLogOptions.parse(query, now: now())
        let pod = try lookUp(namespace: namespace, name: name, container: container)
        let instances = try await instances(of: pod, container: container)
        let directory = "\(configs.logDirectory(pod))/\(container)"
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            .compactMap { $0.hasSuffix(".log") ? Int($0.dropLast(4)) : nil }
        let attempts = Set(instances.map(\.attempt)).union(files)
        guard let current = attempts.max() else {
            if options.previous { throw Self.noPrevious(container, name) }
            throw StatusError.badRequest("container \"\(container)\" in pod \"\(name)\" is waiting to start: ContainerCreating")
        }
        let attempt = options.previous ? current - 1 : current
        guard attempts.contains(attempt) else { throw Self.noPrevious(container, name) }
        let instance = instances.first { $0.attempt == attempt }
        let path = instance.map(\.logPath).flatMap { $0.isEmpty ? nil : $0 } ?? "\(directory)/\(attempt).log"
        let runtime = self.runtime
        let streamer = ContainerLogStreamer(path: path, options: options, pollInterval: logPollInterval, isRunning: {
            guard let id = instance?.id, let status = try? await runtime.containerStatus(.with { $0.containerID = id }) else { return false }
            return status.status.state == .containerRunning || status.status.state == .containerCreated
        })
        return .stream(contentType: "text/plain", body: { write in try await streamer.run(write: write) })
    }

    static func noPrevious(_ container: String, _ pod: String) -> StatusError {
        .badRequest("previous terminated container \"\(container)\" in pod \"\(pod)\" not found")
    }

    // MARK: Streaming

    /// The runtime's streaming URL for an exec, attach or port-forward request.
    func streamURL(_ kind: StreamKind, uri: String) async throws(StatusError) -> URL {
        let target = Target(uri)
        let s = target.segments
        let text: String
        switch kind {
        case .exec, .attach:
            guard s.count == 4 else { throw StatusError.notFoundPath() }
            let pod = try lookUp(namespace: s[1], name: s[2], container: s[3])
            guard let running = try await instances(of: pod, container: s[3]).last(where: { $0.state == .containerRunning }) else {
                throw StatusError(code: 404, reason: "NotFound", message: "container not found (\"\(s[3])\")")
            }
            let tty = target.bool("tty")
            let stdin = target.bool("stdin"), stdout = target.bool("stdout"), stderr = target.bool("stderr") && !tty
            guard stdin || stdout || stderr else {
                throw StatusError.badRequest("you must specify at least 1 of stdin, stdout, stderr")
            }
            if kind == .exec {
                let command = target.values("command")
                guard !command.isEmpty else { throw StatusError.badRequest("you must specify at least 1 command") }
                text = try await call {
                    try await runtime.exec(.with {
                        $0.containerID = running.id
                        $0.cmd = command
                        $0.tty = tty
                        $0.stdin = stdin
                        $0.stdout = stdout
                        $0.stderr = stderr
                    }).url
                }
            } else {
                text = try await call {
                    try await runtime.attach(.with {
                        $0.containerID = running.id
                        $0.tty = tty
                        $0.stdin = stdin
                        $0.stdout = stdout
                        $0.stderr = stderr
                    }).url
                }
            }
        case .portForward:
            guard s.count == 3 else { throw StatusError.notFoundPath() }
            let pod = try lookUp(namespace: s[1], name: s[2], container: nil)
            let sandboxes = try await call {
                try await runtime.listPodSandbox(.with { $0.filter.labelSelector = [CRIConfigs.podUIDLabel: pod.uid] }).items
            }
            guard let sandbox = sandboxes.filter({ $0.state == .sandboxReady }).max(by: { $0.metadata.attempt < $1.metadata.attempt }) else {
                throw StatusError(code: 404, reason: "NotFound", message: "pod not found (\"\(s[2])_\(s[1])\")")
            }
            var ports: [Int32] = []
            for value in target.values("port") {
                guard let port = Int32(value), (1...65535).contains(port) else {
                    throw StatusError.badRequest("invalid port \"\(value)\"")
                }
                ports.append(port)
            }
            text = try await call { try await runtime.portForward(.with { $0.podSandboxID = sandbox.id; $0.port = ports }).url }
        }
        guard let url = URL(string: text), url.host != nil else {
            throw StatusError.internal("the runtime answered an invalid streaming URL \"\(text)\"")
        }
        return url
    }

    // MARK: Pods and containers

    /// The pod, and that `container` is one of its containers (when given).
    func lookUp(namespace: String, name: String, container: String?) throws(StatusError) -> JSONValue {
        guard let pod = pod(namespace, name) else {
            throw StatusError.notFound(GroupResource(group: "", resource: "pods"), name: name)
        }
        if let container {
            let spec = pod["spec"]
            let names = ["initContainers", "containers", "ephemeralContainers"]
                .flatMap { spec?[$0]?.arrayValue ?? [] }.compactMap { $0["name"]?.stringValue }
            guard names.contains(container) else {
                throw StatusError.badRequest("container \(container) is not valid for pod \(name)")
            }
        }
        return pod
    }

    struct Instance: Sendable {
        var id: String
        var attempt: Int
        var state: Runtime_V1_ContainerState
        var logPath: String
    }

    /// The runtime's instances of one container of the pod, by attempt.
    func instances(of pod: JSONValue, container: String) async throws(StatusError) -> [Instance] {
        let listed = try await call {
            try await runtime.listContainers(.with {
                $0.filter.labelSelector = [CRIConfigs.podUIDLabel: pod.uid, CRIConfigs.containerNameLabel: container]
            }).containers
        }
        var out: [Instance] = []
        for item in listed where item.metadata.name == container {
            let status = try? await runtime.containerStatus(.with { $0.containerID = item.id }).status
            out.append(Instance(id: item.id, attempt: Int(item.metadata.attempt), state: status?.state ?? item.state,
                                logPath: status?.logPath ?? ""))
        }
        return out.sorted { $0.attempt < $1.attempt }
    }

    /// A runtime call whose failure becomes a Status: NotFound 404, InvalidArgument/FailedPrecondition
    /// 400, anything else 500.
    func call<T: Sendable>(_ body: () async throws -> T) async throws(StatusError) -> T {
        do {
            return try await body()
        } catch let error as RuntimeError {
            switch error.code {
            case .notFound: throw StatusError(code: 404, reason: "NotFound", message: error.description)
            case .invalidArgument, .failedPrecondition: throw StatusError.badRequest(error.description)
            default: throw StatusError.internal(error.description)
            }
        } catch {
            throw StatusError.internal("\(error)")
        }
    }
}

/// The request head the kubelet sends to the runtime's streaming server: the client's method and
/// headers, the target replaced by the URL's path (with the client's query when the URL has none) and
/// Host by the URL's authority.
enum StreamProxyHead {
    static func bytes(method: String, uri: String, headers: [(name: String, value: String)], to url: URL) -> [UInt8] {
        var path = url.path(percentEncoded: true)
        if path.isEmpty { path = "/" }
        if let query = url.query(percentEncoded: true), !query.isEmpty {
            path += "?" + query
        } else if let mark = uri.firstIndex(of: "?") {
            path += String(uri[mark...])
        }
        let authority = url.port.map { "\(url.host ?? ""):\($0)" } ?? (url.host ?? "")
        var lines = headers.filter { $0.name.lowercased() != "host" }.map { "\($0.name): \($0.value)\r\n" }
        lines.insert("Host: \(authority)\r\n", at: headers.firstIndex { $0.name.lowercased() == "host" } ?? 0)
        let text = "\(method) \(path) HTTP/1.1\r\n" + lines.joined()
        return Array((text + "\r\n").utf8)
    }
}
