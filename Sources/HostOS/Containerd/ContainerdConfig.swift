import Foundation

/// Where one containerd instance keeps its files.
public struct ContainerdLayout: Sendable, Equatable {
    /// containerd's `root` (images, snapshots, metadata).
    public var root: String
    /// containerd's `state` (sockets, per-boot state); the gRPC socket lives here.
    public var state: String
    /// Where config.toml, cni/net.d and certs.d are written.
    public var configDir: String
    /// containerd's own log (stdout and stderr).
    public var logFile: String

    public init(root: String, state: String, configDir: String, logFile: String) {
        self.root = root
        self.state = state
        self.configDir = configDir
        self.logFile = logFile
    }

    /// The agent's layout: `<dataDir>/containerd` and `<runDir>/containerd`, config under
    /// `<dataDir>/containerd-config`.
    public static func agent(dataDir: String = "/var/lib/swiftlet/agent", runDir: String = "/run/swiftlet") -> ContainerdLayout {
        ContainerdLayout(
            root: dataDir + "/containerd", state: runDir + "/containerd",
            configDir: dataDir + "/containerd-config", logFile: dataDir + "/logs/containerd.log")
    }

    /// The socket the agent's containerd listens on by default.
    public static let defaultSocket = agent().socket

    public var socket: String { state + "/containerd.sock" }
    public var configFile: String { configDir + "/config.toml" }
    public var cniConfDir: String { configDir + "/cni/net.d" }
    public var cniConflistFile: String { cniConfDir + "/10-swiftlet.conflist" }
    public var certsDir: String { configDir + "/certs.d" }
    public var cniIPAMDir: String { state + "/cni-ipam" }
}

/// An IPv4 CIDR such as 10.88.0.0/16.
public struct IPv4CIDR: Sendable, Equatable, CustomStringConvertible {
    public var address: UInt32
    public var prefix: Int

    public init(_ text: String) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let prefix = Int(parts[1]), (0...30).contains(prefix) else {
            throw ContainerdConfigError.invalidPodCIDR(text)
        }
        let octets = parts[0].split(separator: ".", omittingEmptySubsequences: false).map { UInt32($0) }
        guard octets.count == 4, octets.allSatisfy({ $0 != nil && $0! <= 255 }) else {
            throw ContainerdConfigError.invalidPodCIDR(text)
        }
        let value = octets.reduce(UInt32(0)) { ($0 << 8) | $1! }
        let mask: UInt32 = prefix == 0 ? 0 : ~UInt32(0) << UInt32(32 - prefix)
        self.address = value & mask
        self.prefix = prefix
    }

    static func format(_ value: UInt32) -> String {
        [24, 16, 8, 0].map { String((value >> UInt32($0)) & 0xFF) }.joined(separator: ".")
    }

    public var description: String { "\(Self.format(address))/\(prefix)" }
    /// The first usable address: the bridge's gateway.
    public var firstAddress: String { Self.format(address + 1) }
}

public enum ContainerdConfigError: Error, CustomStringConvertible, Equatable {
    case invalidPodCIDR(String)

    public var description: String {
        switch self {
        case .invalidPodCIDR(let text): "invalid pod CIDR \"\(text)\" (expected an IPv4 CIDR such as 10.88.0.0/16)"
        }
    }
}

/// containerd 1.6's config.toml (version 2) for a node, its CNI conflist and its registry hosts files.
public struct ContainerdConfig: Sendable, Equatable {
    public var layout: ContainerdLayout
    public var podCIDR: String
    public var sandboxImage: String
    public var bridgeName = "cni0"
    public var networkName = "swiftlet"
    public var cniBinDir = "/usr/lib/cni"
    public var runcPath = "/usr/sbin/runc"
    /// Configured as a second runtime handler `crun` when set.
    public var crunPath: String?
    public var streamServerAddress = "127.0.0.1"
    public var registries = RegistriesConfig()

    public init(layout: ContainerdLayout, podCIDR: String, sandboxImage: String) {
        self.layout = layout
        self.podCIDR = podCIDR
        self.sandboxImage = sandboxImage
    }

    static let cri = ["plugins", "io.containerd.grpc.v1.cri"]

    /// config.toml as a document (render it with `render()`).
    public func configDocument() -> TOMLDocument {
        var doc = TOMLDocument()
        doc.set([], "version", .integer(2))
        doc.set([], "root", .string(layout.root))
        doc.set([], "state", .string(layout.state))
        doc.set([], "oom_score", .integer(0))
        doc.set(["grpc"], "address", .string(layout.socket))
        doc.set(["ttrpc"], "address", .string(layout.socket + ".ttrpc"))
        doc.set(["debug"], "address", .string(layout.state + "/debug.sock"))
        doc.set(["debug"], "level", .string("info"))
        doc.set(["metrics"], "address", .string(""))
        doc.set(["plugins", "io.containerd.internal.v1.opt"], "path", .string(layout.root + "/opt"))

        let cri = Self.cri
        doc.set(cri, "sandbox_image", .string(sandboxImage))
        doc.set(cri, "systemd_cgroup", .boolean(false))
        doc.set(cri, "disable_cgroup", .boolean(false))
        doc.set(cri, "disable_apparmor", .boolean(true))
        // Root in these VMs lacks CAP_SYS_RESOURCE: without this every RunPodSandbox fails.
        doc.set(cri, "restrict_oom_score_adj", .boolean(true))
        doc.set(cri, "tolerate_missing_hugetlb_controller", .boolean(true))
        doc.set(cri, "disable_hugetlb_controller", .boolean(true))
        doc.set(cri, "stream_server_address", .string(streamServerAddress))
        doc.set(cri, "stream_server_port", .string("0"))
        doc.set(cri, "enable_tls_streaming", .boolean(false))
        doc.set(cri, "max_container_log_line_size", .integer(16384))

        doc.set(cri + ["cni"], "bin_dir", .string(cniBinDir))
        doc.set(cri + ["cni"], "conf_dir", .string(layout.cniConfDir))
        doc.set(cri + ["cni"], "max_conf_num", .integer(1))

        let containerd = cri + ["containerd"]
        doc.set(containerd, "snapshotter", .string("overlayfs"))
        doc.set(containerd, "default_runtime_name", .string("runc"))
        doc.set(containerd, "disable_snapshot_annotations", .boolean(true))
        var runtimes = [("runc", runcPath)]
        if let crunPath { runtimes.append(("crun", crunPath)) }
        for (name, binary) in runtimes {
            let runtime = containerd + ["runtimes", name]
            doc.set(runtime, "runtime_type", .string("io.containerd.runc.v2"))
            doc.set(runtime + ["options"], "BinaryName", .string(binary))
            doc.set(runtime + ["options"], "SystemdCgroup", .boolean(false))
            // A private runtime state root lets several containerds share a host.
            doc.set(runtime + ["options"], "Root", .string(layout.state + "/" + name))
        }

        doc.set(cri + ["registry"], "config_path", .string(layout.certsDir))
        let credentials = registries.credentials
        for host in credentials.keys.sorted() {
            let auth = credentials[host]!
            let path = cri + ["registry", "configs", host, "auth"]
            if let value = auth.username { doc.set(path, "username", .string(value)) }
            if let value = auth.password { doc.set(path, "password", .string(value)) }
            if let value = auth.auth { doc.set(path, "auth", .string(value)) }
            if let value = auth.identityToken { doc.set(path, "identitytoken", .string(value)) }
        }
        return doc
    }

    /// The CNI network: a bridge with host-local IPAM on the pod CIDR (gateway = its first address,
    /// no masquerading so pods never NAT off the host), then portmap for hostPorts.
    public func cniConflist() throws -> String {
        let cidr = try IPv4CIDR(podCIDR)
        let conflist = CNIConflist(
            cniVersion: "1.0.0", name: networkName,
            plugins: [
                .init(
                    type: "bridge", bridge: bridgeName, isGateway: true, ipMasq: false, hairpinMode: true,
                    ipam: .init(
                        type: "host-local", ranges: [[.init(subnet: cidr.description, gateway: cidr.firstAddress)]],
                        routes: [.init(dst: "0.0.0.0/0")], dataDir: layout.cniIPAMDir)),
                .init(type: "portmap", capabilities: ["portMappings": true], snat: true),
            ])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(conflist), as: UTF8.self) + "\n"
    }

    /// Every file to write: path and content.
    public func files() throws -> [(path: String, content: String)] {
        var files = [(layout.configFile, configDocument().render()), (layout.cniConflistFile, try cniConflist())]
        for hosts in registries.hostsFiles() {
            files.append((layout.certsDir + "/" + hosts.directory + "/hosts.toml", hosts.document.render()))
        }
        return files
    }
}

struct CNIConflist: Codable {
    struct Plugin: Codable {
        var type: String
        var bridge: String?
        var isGateway: Bool?
        var ipMasq: Bool?
        var hairpinMode: Bool?
        var ipam: IPAM?
        var capabilities: [String: Bool]?
        var snat: Bool?
    }
    struct IPAM: Codable {
        var type: String
        var ranges: [[Range]]
        var routes: [Route]
        var dataDir: String
    }
    struct Range: Codable {
        var subnet: String
        var gateway: String
    }
    struct Route: Codable { var dst: String }

    var cniVersion: String
    var name: String
    var plugins: [Plugin]
}
