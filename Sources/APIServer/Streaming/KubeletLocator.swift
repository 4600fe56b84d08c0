import APIMachinery
import Registry

/// Where a node's kubelet server listens.
public struct KubeletEndpoint: Sendable, Equatable {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// `host:port`, brackets around an IPv6 address.
    public var hostPort: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// Finds a node's kubelet from its Node object: the first InternalIP address (else the Hostname) and
/// `status.daemonEndpoints.kubeletEndpoint.Port`.
struct KubeletLocator: Sendable {
    let registry: Registry

    func endpoint(nodeName: String) async throws(StatusError) -> KubeletEndpoint {
        guard let nodes = registry.store(group: "", version: "v1", resource: "nodes") else {
            throw StatusError.internal("nodes are not served")
        }
        let node = try await nodes.get(namespace: "", name: nodeName)
        guard let endpoint = Self.endpoint(node: node) else {
            throw StatusError.internal("node \(nodeName) reports no address")
        }
        return endpoint
    }

    static func endpoint(node: JSONValue) -> KubeletEndpoint? {
        let addresses = node[path: ["status", "addresses"]]?.arrayValue ?? []
        func address(_ type: String) -> String? {
            addresses.first { $0["type"]?.stringValue == type && !($0["address"]?.stringValue ?? "").isEmpty }?["address"]?.stringValue
        }
        guard let host = address("InternalIP") ?? address("Hostname") else { return nil }
        let port = node[path: ["status", "daemonEndpoints", "kubeletEndpoint", "Port"]]?.intValue ?? 0
        return KubeletEndpoint(host: host, port: Int(port))
    }
}
