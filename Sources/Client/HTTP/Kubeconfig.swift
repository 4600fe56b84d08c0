import Foundation
import Yams

/// The parts of a kubeconfig a client needs: the current context's server and credentials.
public struct KubeconfigCluster: Sendable, Hashable {
    /// `https://host:port` or `http://host:port`, without a trailing slash.
    public var server: String
    /// A bearer token, from the user's `token` or `tokenFile`.
    public var bearerToken: String?
    /// PEM of the certificate authority, from `certificate-authority-data` (base64) or `certificate-authority`.
    public var certificateAuthority: String?
    public var insecureSkipTLSVerify: Bool
    /// The namespace the context names (`default` if none).
    public var namespace: String

    public init(server: String, bearerToken: String? = nil, certificateAuthority: String? = nil,
                insecureSkipTLSVerify: Bool = false, namespace: String = "default") {
        self.server = server.hasSuffix("/") ? String(server.dropLast()) : server
        self.bearerToken = bearerToken
        self.certificateAuthority = certificateAuthority
        self.insecureSkipTLSVerify = insecureSkipTLSVerify
        self.namespace = namespace
    }

    public enum LoadError: Error, CustomStringConvertible, Sendable {
        case invalid(String)
        public var description: String {
            switch self { case .invalid(let message): "invalid kubeconfig: \(message)" }
        }
    }

    /// Reads the kubeconfig at `path`, for `context` (default: its current-context).
    public static func load(path: String, context: String? = nil) throws -> KubeconfigCluster {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let base = URL(fileURLWithPath: path).deletingLastPathComponent()
        return try parse(text, context: context, relativeTo: base)
    }

    /// Reads kubeconfig YAML.
    public static func parse(_ text: String, context: String? = nil, relativeTo base: URL? = nil) throws -> KubeconfigCluster {
        guard let root = try Yams.load(yaml: text) as? [String: Any] else { throw LoadError.invalid("not a YAML mapping") }
        func named(_ list: String, _ name: String) -> [String: Any]? {
            let entries = root[list] as? [[String: Any]] ?? []
            return entries.first { ($0["name"] as? String) == name }
        }
        func file(_ path: String) throws -> String {
            let url = path.hasPrefix("/") || base == nil ? URL(fileURLWithPath: path) : base!.appendingPathComponent(path)
            return try String(contentsOf: url, encoding: .utf8)
        }
        let contextName = context ?? (root["current-context"] as? String) ?? ""
        var clusterName: String? = nil
        var userName: String? = nil
        var namespace = "default"
        if let entry = named("contexts", contextName), let ctx = entry["context"] as? [String: Any] {
            clusterName = ctx["cluster"] as? String
            userName = ctx["user"] as? String
            if let ns = ctx["namespace"] as? String, !ns.isEmpty { namespace = ns }
        } else if context != nil {
            throw LoadError.invalid("context \"\(contextName)\" not found")
        }
        let clusterEntry = clusterName.flatMap { named("clusters", $0) } ?? (root["clusters"] as? [[String: Any]])?.first
        guard let cluster = clusterEntry?["cluster"] as? [String: Any], let server = cluster["server"] as? String, !server.isEmpty else {
            throw LoadError.invalid("no cluster server")
        }
        var ca: String? = nil
        if let data = cluster["certificate-authority-data"] as? String, let decoded = Data(base64Encoded: data) {
            ca = String(decoding: decoded, as: UTF8.self)
        } else if let path = cluster["certificate-authority"] as? String {
            ca = try file(path)
        }
        var token: String? = nil
        if let userName, let user = named("users", userName)?["user"] as? [String: Any] {
            if let t = user["token"] as? String, !t.isEmpty {
                token = t
            } else if let path = user["tokenFile"] as? String {
                token = try file(path).trimmingCharacters(in: .whitespacesAndNewlines)
            }
        }
        return KubeconfigCluster(server: server, bearerToken: token, certificateAuthority: ca,
                                 insecureSkipTLSVerify: cluster["insecure-skip-tls-verify"] as? Bool ?? false, namespace: namespace)
    }
}
