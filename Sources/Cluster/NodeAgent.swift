import APIMachinery
import CRI
import Client
import Foundation
import HostOS
import Kubelet
import Logging

/// What `swiftlet agent` (and, later, `swiftlet server`'s own agent) is configured with.
public struct AgentConfiguration: Sendable {
    public var nodeName: String
    /// The kubelet's pod directories and containerd's root live under here.
    public var dataDirectory = "/var/lib/swiftlet/agent"
    /// containerd's state (its socket) lives under here.
    public var runDirectory = "/run/swiftlet"
    /// An existing CRI socket to use instead of starting containerd.
    public var containerRuntimeEndpoint: String?
    /// A k3s-style registries.yaml (mirrors and credentials).
    public var registriesFile: String?
    /// Image archives imported at start (`<dataDirectory>/images` by default).
    public var imagesDirectory: String?
    public var sandboxImage = "registry.k8s.io/pause:3.10"
    /// The node's InternalIP (default: the first non-loopback IPv4 address, else 127.0.0.1).
    public var nodeIP: String?
    /// The CNI bridge's name.
    public var bridgeName = "cni0"
    /// Pod logs (`<logDirectory>/<ns>_<name>_<uid>/...`).
    public var podLogDirectory = "/var/log/pods"
    /// How often the agent gives back code pages it touched only while starting and the free pages of
    /// its heap (nil: never; see `MemoryRelease`).
    public var releaseMemoryInterval: Duration? = .seconds(30)
    /// The kubelet server's port on the node IP (0: any free port).
    public var kubeletPort = 10250
    /// The local-path provisioner's directory on this node (the server's --default-local-storage-path):
    /// directories of deleted volumes under it are removed.
    public var localStoragePath = "/var/lib/swiftlet/storage"

    public init(nodeName: String) { self.nodeName = nodeName }
}

/// The node agent: makes sure its Node exists (for the podCIDR the API server allocates), starts
/// containerd configured for that CIDR (or uses an external runtime), imports image archives, then
/// runs the kubelet over CRI until cancelled, and stops containerd (the pods' shims keep running).
public struct NodeAgent: Sendable {
    public let configuration: AgentConfiguration
    public let client: any APIClient
    public let logger: Logger

    public init(configuration: AgentConfiguration, client: any APIClient, logger: Logger) {
        self.configuration = configuration
        self.client = client
        self.logger = logger
    }

    public func run() async throws {
        let podCIDR = try await ensureNode()
        var options = ContainerdOptions(layout: .agent(dataDir: configuration.dataDirectory, runDir: configuration.runDirectory),
                                        podCIDR: podCIDR, sandboxImage: configuration.sandboxImage)
        options.registriesFile = configuration.registriesFile
        options.externalEndpoint = configuration.containerRuntimeEndpoint
        options.bridgeName = configuration.bridgeName
        let containerd = Containerd(options: options, logger: logger)
        let socket = try await containerd.start()
        logger.info("container runtime ready on \(socket)")
        let images = configuration.imagesDirectory ?? configuration.dataDirectory + "/images"
        if FileManager.default.fileExists(atPath: images) {
            let archives = ImageArchives(socket: socket, recordFile: configuration.dataDirectory + "/images-imported.json")
            do {
                let imported = try await archives.importDirectory(images)
                if !imported.isEmpty { logger.info("imported image archives: \(imported.joined(separator: ", "))") }
            } catch {
                logger.warning("importing image archives from \(images): \(error)")
            }
        }
        let runtime = try CRIClient(socketPath: socket)
        let facts = HostFacts.read(dataDirectory: configuration.dataDirectory, internalIP: configuration.nodeIP ?? Self.hostIPv4())
        var kubeletOptions = KubeletOptions(nodeName: configuration.nodeName, rootDirectory: configuration.dataDirectory)
        kubeletOptions.cgroupRoot = "/sys/fs/cgroup"
        kubeletOptions.serverPort = configuration.kubeletPort
        kubeletOptions.localPathBase = configuration.localStoragePath
        let kubelet = Kubelet(client: client, runtime: runtime, options: kubeletOptions,
                              facts: facts, configs: CRIConfigs(logRoot: configuration.podLogDirectory), logger: logger)
        let trimmer = configuration.releaseMemoryInterval.map { interval in
            Task.detached(priority: .background) {
                while !Task.isCancelled {
                    try? await Task.sleep(for: interval)
                    MemoryRelease.all()
                }
            }
        }
        await kubelet.run()
        trimmer?.cancel()
        await runtime.close()
        await containerd.stop()
    }

    /// Why this agent cannot run on this machine (nil when it can): it needs root for cgroups, mounts and
    /// CNI, and containerd installed unless an external runtime endpoint is given.
    public func unmetRequirement() -> String? {
        if geteuid() != 0 { return "it needs root (cgroups, mounts, pod networking)" }
        if configuration.containerRuntimeEndpoint == nil, !FileManager.default.isExecutableFile(atPath: ContainerdOptions.defaultContainerdPath) {
            return "\(ContainerdOptions.defaultContainerdPath) is missing (apt-get install containerd runc containernetworking-plugins)"
        }
        return nil
    }

    /// Creates the Node if needed and waits (up to 10 s) for its podCIDR.
    func ensureNode() async throws -> String {
        let name = configuration.nodeName
        let deadline = ContinuousClock.now + .seconds(10)
        while true {
            let node: JSONValue
            if let existing = try? await client.get(.nodes, name: name) {
                node = existing
            } else {
                node = try await client.create(.nodes, object: Kubelet.newNode(name: name))
            }
            if let cidr = node["spec"]?["podCIDR"]?.stringValue, !cidr.isEmpty { return cidr }
            if ContinuousClock.now > deadline { throw AgentError("node \(name) has no spec.podCIDR: the API server allocates one from --cluster-cidr") }
            try await Task.sleep(for: .milliseconds(200))
        }
    }

    /// The first non-loopback IPv4 address of this machine, or 127.0.0.1.
    static func hostIPv4() -> String {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0, let first = list else { return "127.0.0.1" }
        defer { freeifaddrs(list) }
        var cursor: UnsafeMutablePointer<ifaddrs>? = first
        while let entry = cursor {
            defer { cursor = entry.pointee.ifa_next }
            guard let address = entry.pointee.ifa_addr, address.pointee.sa_family == sa_family_t(AF_INET) else { continue }
            let name = String(cString: entry.pointee.ifa_name)
            if name == "lo" || name.hasPrefix("cni") || name.hasPrefix("veth") { continue }
            var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            if getnameinfo(address, socklen_t(MemoryLayout<sockaddr_in>.size), &host, socklen_t(host.count), nil, 0, NI_NUMERICHOST) == 0 {
                return String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            }
        }
        return "127.0.0.1"
    }
}

public struct AgentError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
