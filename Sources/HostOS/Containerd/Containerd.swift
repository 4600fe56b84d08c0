import Foundation
import Logging

/// How the agent gets its container runtime.
public struct ContainerdOptions: Sendable {
    public var layout: ContainerdLayout
    public var podCIDR: String
    public var sandboxImage: String
    /// A k3s-style registries.yaml; nil for none.
    public var registriesFile: String?
    /// `--container-runtime-endpoint`: a runtime someone else runs. When set, nothing is written or started.
    public var externalEndpoint: String?
    public var bridgeName = "cni0"
    public static let defaultContainerdPath = "/usr/bin/containerd"
    public var containerdPath = ContainerdOptions.defaultContainerdPath
    public var ctrPath = "/usr/bin/ctr"
    /// nil: `/usr/bin/crun` when that file exists.
    public var crunPath: String?
    public var networkNamespace: String?
    /// Mount cgroup2-bound controllers as v1 first (needed by crun on hybrid hosts).
    public var applyCgroupFix = false
    public var readinessTimeout: Duration = .seconds(30)
    public var stopGrace: Duration = .seconds(10)
    public var backoff = RestartBackoff()

    public init(layout: ContainerdLayout, podCIDR: String, sandboxImage: String) {
        self.layout = layout
        self.podCIDR = podCIDR
        self.sandboxImage = sandboxImage
    }
}

public enum ContainerdError: Error, CustomStringConvertible {
    case notReady(socket: String, after: Duration, log: String)
    case writeFailed(path: String, message: String)

    public var description: String {
        switch self {
        case .notReady(let socket, let after, let log):
            "containerd did not become ready on \(socket) within \(after)" + (log.isEmpty ? "" : "; last log lines:\n\(log)")
        case .writeFailed(let path, let message): "cannot write \(path): \(message)"
        }
    }
}

/// The agent's containerd: writes its configuration, starts it under a `Supervisor`, waits until it
/// answers, and stops it. With an external endpoint it only hands that socket back.
public actor Containerd {
    public typealias ReadinessProbe = @Sendable () async -> Bool

    public let options: ContainerdOptions
    private let launcher: any ProcessLauncher
    private let commands: any CommandRunner
    private let cgroups: any CgroupMounts
    private let probe: ReadinessProbe?
    private let logger: Logger
    private var supervisor: Supervisor?
    /// Controllers this instance moved to cgroup v1.
    public private(set) var mountedCgroupControllers: [String] = []

    public init(
        options: ContainerdOptions, launcher: any ProcessLauncher = HostProcessLauncher(),
        commands: (any CommandRunner)? = nil, cgroups: any CgroupMounts = HostCgroupMounts(),
        readinessProbe: ReadinessProbe? = nil, logger: Logger = Logger(label: "swiftlet.containerd")
    ) {
        self.options = options
        self.launcher = launcher
        self.commands = commands ?? LaunchingCommandRunner(launcher: launcher)
        self.cgroups = cgroups
        self.probe = readinessProbe
        self.logger = logger
    }

    /// The socket clients should dial: the external endpoint, or our containerd's.
    public nonisolated var socket: String {
        if let external = options.externalEndpoint {
            return external.hasPrefix("unix://") ? String(external.dropFirst("unix://".count)) : external
        }
        return options.layout.socket
    }

    public var supervisorStatus: Supervisor.Status? {
        get async { await supervisor?.status }
    }

    /// The configuration that `start()` writes.
    public func config() throws -> ContainerdConfig {
        var config = ContainerdConfig(layout: options.layout, podCIDR: options.podCIDR, sandboxImage: options.sandboxImage)
        config.bridgeName = options.bridgeName
        config.crunPath = options.crunPath ?? (FileManager.default.isExecutableFile(atPath: "/usr/bin/crun") ? "/usr/bin/crun" : nil)
        if let file = options.registriesFile {
            config.registries = try RegistriesConfig.load(path: file)
        }
        return config
    }

    /// Writes config.toml, the CNI conflist and the certs.d tree (replacing any earlier certs.d).
    public func writeConfiguration() throws {
        let config = try config()
        let fm = FileManager.default
        for dir in [options.layout.root, options.layout.state, options.layout.configDir] {
            try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
        }
        if fm.fileExists(atPath: options.layout.certsDir) {
            try fm.removeItem(atPath: options.layout.certsDir)
        }
        for (path, content) in try config.files() {
            do {
                try fm.createDirectory(
                    atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try Data(content.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
            } catch {
                throw ContainerdError.writeFailed(path: path, message: error.localizedDescription)
            }
        }
    }

    /// Starts containerd (unless external) and returns the socket once the runtime answers.
    @discardableResult
    public func start() async throws -> String {
        if options.externalEndpoint != nil { return socket }
        if options.applyCgroupFix {
            let mounted = try CgroupHybridFix.apply(using: cgroups)
            if !mounted.isEmpty { logger.info("mounted cgroup v1 hierarchies for crun: \(mounted.joined(separator: ", "))") }
            mountedCgroupControllers += mounted
        }
        try writeConfiguration()
        if supervisor == nil {
            // A containerd left running by an agent that died would hold the same root and socket.
            if let stale = await StaleProcess.stop(pidFile: pidFile, commandLineContains: options.layout.configFile, grace: options.stopGrace) {
                logger.warning("stopped containerd pid \(stale) left by an earlier agent")
            }
            let spec = ProcessSpec(
                executable: options.containerdPath, arguments: ["--config", options.layout.configFile],
                logFile: options.layout.logFile, networkNamespace: options.networkNamespace)
            let pidFile = self.pidFile
            supervisor = Supervisor(
                name: "containerd", spec: spec, launcher: launcher, backoff: options.backoff, logger: logger,
                onLaunch: { pid in try? Data("\(pid)\n".utf8).write(to: URL(fileURLWithPath: pidFile), options: .atomic) })
        }
        try await supervisor!.start()
        try await waitUntilReady()
        return socket
    }

    /// Where the PID of the running containerd is recorded.
    public nonisolated var pidFile: String { options.layout.state + "/containerd.pid" }

    /// Polls the readiness probe until it answers or `readinessTimeout` passes.
    public func waitUntilReady() async throws {
        let deadline = ContinuousClock.now + options.readinessTimeout
        while ContinuousClock.now < deadline {
            if await isReady() { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ContainerdError.notReady(socket: socket, after: options.readinessTimeout, log: logTail())
    }

    /// One readiness check: the injected probe, or the socket exists and `ctr version` succeeds.
    public func isReady() async -> Bool {
        if let probe { return await probe() }
        // ctr waits for its dial timeout on a missing socket: look for the file first.
        guard FileManager.default.fileExists(atPath: socket) else { return false }
        let result = try? await commands.run(options.ctrPath, ["--address", socket, "version"], timeout: .seconds(5))
        return result?.succeeded ?? false
    }

    /// Stops containerd (running containers keep running in their shims); returns how it ended.
    @discardableResult
    public func stop() async -> ProcessExit? {
        guard let supervisor else { return nil }
        let exit = await supervisor.stop(grace: options.stopGrace)
        try? FileManager.default.removeItem(atPath: pidFile)
        return exit
    }

    private func logTail(lines: Int = 10) -> String {
        guard let text = try? String(contentsOfFile: options.layout.logFile, encoding: .utf8) else { return "" }
        return text.split(separator: "\n").suffix(lines).joined(separator: "\n")
    }
}
