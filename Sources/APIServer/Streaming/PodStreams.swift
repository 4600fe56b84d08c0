import APIMachinery
import Foundation
import NIOHTTP1
import Registry

/// What an accepted WebSocket upgrade of exec, attach or portforward does.
struct StreamPlan: Sendable {
    enum Mode: Sendable, Equatable {
        /// Channel protocols (v4/v5.channel.k8s.io): frames pass through to a kubelet WebSocket.
        case channels
        /// kubectl's port-forward: the binary payloads are a raw SPDY/3.1 byte stream to the kubelet.
        case spdyTunnel
    }

    var kind: PodStreamKind
    var mode: Mode
    /// The subprotocol agreed with the client.
    var clientProtocol: String
    var endpoint: KubeletEndpoint
    /// The kubelet's request line and headers (no blank line, no Sec-WebSocket-Key: added when dialling).
    var upstreamHead: String
}

/// The API server's pod streams: the upgrade decision for exec/attach/portforward and the log proxy.
public struct PodStreams: Sendable {
    static let v5 = "v5.channel.k8s.io", v4 = "v4.channel.k8s.io", spdyPortForward = "SPDY/3.1+portforward.k8s.io"

    let validator: PodStreamValidator
    let logs: LogProxy

    public init(registry: Registry) {
        self.validator = PodStreamValidator(registry: registry)
        self.logs = LogProxy()
    }

    /// The pod subresource a path names: /api/v1/namespaces/{ns}/pods/{name}/{sub}.
    static func podSubresource(_ path: String) -> (namespace: String, pod: String, kind: PodStreamKind)? {
        let s = path.split(separator: "/", omittingEmptySubsequences: false)
        guard s.count == 8, s[0].isEmpty, s[1] == "api", s[2] == "v1", s[3] == "namespaces", s[5] == "pods",
              !s[4].isEmpty, !s[6].isEmpty, let kind = PodStreamKind(rawValue: String(s[7])), kind != .log else { return nil }
        return (Query.decode(s[4]), Query.decode(s[6]), kind)
    }

    /// Subprotocols the client offers, in its order.
    static func offeredProtocols(_ headers: HTTPHeaders) -> [String] {
        headers["Sec-WebSocket-Protocol"].flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }
    }

    /// The subprotocol to answer, nil when none of the offered ones fits.
    static func negotiate(_ kind: PodStreamKind, offered: [String]) -> (String, StreamPlan.Mode)? {
        switch kind {
        case .exec, .attach:
            if offered.contains(v5) { return (v5, .channels) }
            if offered.contains(v4) { return (v4, .channels) }
        case .portforward:
            if offered.contains(spdyPortForward) { return (spdyPortForward, .spdyTunnel) }
            if offered.contains(v4) { return (v4, .channels) }
        case .log:
            break
        }
        return nil
    }

    /// Whether to accept a WebSocket upgrade; a refusal is answered with its Status error.
    func plan(_ head: HTTPRequestHead) async -> Result<StreamPlan, StatusError> {
        let (path, queryString) = Self.split(head.uri)
        guard head.method == .GET, let (namespace, pod, kind) = Self.podSubresource(path) else {
            return .failure(StatusError.badRequest("the server does not support a WebSocket upgrade of this request"))
        }
        guard let (chosen, mode) = Self.negotiate(kind, offered: Self.offeredProtocols(head.headers)) else {
            return .failure(StatusError.badRequest("unable to upgrade: no supported WebSocket subprotocol among \(Self.offeredProtocols(head.headers))"))
        }
        let query = Query(queryString)
        let target: PodStreamTarget
        do {
            target = try await validator.validate(kind, namespace: namespace, pod: pod, query: query)
        } catch {
            return .failure(error)
        }
        let upstreamProtocols = chosen == Self.v5 ? "\(Self.v5), \(Self.v4)" : Self.v4
        let head = Self.upstreamHead(kind, mode: mode, target: target, query: query, protocols: upstreamProtocols)
        return .success(StreamPlan(kind: kind, mode: mode, clientProtocol: chosen, endpoint: target.endpoint, upstreamHead: head))
    }

    /// The answer to an `Upgrade: SPDY/3.1` request: its validation error, else a refusal.
    func refuseSPDY(_ head: HTTPRequestHead) async -> StatusError {
        let (path, queryString) = Self.split(head.uri)
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        if parts.count == 8, let kind = PodStreamKind(rawValue: String(parts[7])), kind != .log {
            do {
                _ = try await validator.validate(kind, namespace: Query.decode(parts[4]), pod: Query.decode(parts[6]), query: Query(queryString))
            } catch {
                return error
            }
        }
        return StatusError.badRequest("SPDY upgrades are not supported by this server: use WebSocket (v5.channel.k8s.io)")
    }

    static func split(_ uri: String) -> (String, String?) {
        guard let q = uri.firstIndex(of: "?") else { return (uri, nil) }
        return (String(uri[..<q]), String(uri[uri.index(after: q)...]))
    }

    /// The request to the kubelet: `/exec|attach/{ns}/{pod}/{container}?…` or `/portForward/{ns}/{pod}[?port=…]`.
    static func upstreamHead(_ kind: PodStreamKind, mode: StreamPlan.Mode, target: PodStreamTarget, query: Query,
                             protocols: String) -> String {
        var items: [(String, String)] = []
        var path: String
        switch kind {
        case .exec, .attach:
            path = "/\(kind.rawValue)/\(escape(target.namespace))/\(escape(target.pod))/\(escape(target.container))"
            if kind == .exec { items += (query.values["command"] ?? []).map { ("command", $0) } }
            for key in ["stdin", "stdout", "stderr", "tty"] {
                if let value = query[key] { items.append((key, value)) }
            }
        case .portforward, .log:
            path = "/portForward/\(escape(target.namespace))/\(escape(target.pod))"
            let ports = ((query.values["ports"] ?? []) + (query.values["port"] ?? []))
                .flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            items += ports.map { ("port", $0) }
        }
        if !items.isEmpty { path += "?" + items.map { "\(escape($0.0))=\(escape($0.1))" }.joined(separator: "&") }
        var lines: [String]
        switch mode {
        case .channels:
            lines = ["GET \(path) HTTP/1.1", "Host: \(target.endpoint.hostPort)", "Connection: Upgrade", "Upgrade: websocket",
                     "Sec-WebSocket-Version: 13", "Sec-WebSocket-Protocol: \(protocols)"]
        case .spdyTunnel:
            lines = ["POST \(path) HTTP/1.1", "Host: \(target.endpoint.hostPort)", "Connection: Upgrade", "Upgrade: SPDY/3.1",
                     "X-Stream-Protocol-Version: portforward.k8s.io", "Content-Length: 0"]
        }
        return lines.joined(separator: "\r\n")
    }

    static let unreserved = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")

    static func escape(_ s: String) -> String {
        s.addingPercentEncoding(withAllowedCharacters: unreserved) ?? s
    }
}
