import Foundation

/// An in-memory `ContainerRuntime` with containerd-like semantics, for the kubelet's tests.
///
/// - Sandboxes get 64-hex ids, start READY with a pod IP from `podSubnet` (none on the host
///   network) and go NOTREADY on StopPodSandbox, which also stops their containers and frees the IP.
/// - Containers go CREATED → RUNNING → EXITED with exit codes, reasons and nanosecond timestamps.
///   `exitContainer` ends one from the test; `exitOnStart` makes a container name exit when started.
/// - Images are pulled by reference (normalized like containerd: `busybox` is
///   `docker.io/library/busybox:latest`); `pullableImages` restricts what a pull finds.
/// - List calls honour id, state, sandbox and label-selector filters; unknown ids give `.notFound`,
///   except for the idempotent Remove* calls.
/// - `injectError(_:for:)` makes the next call of a method fail; `calls` records every call.
public actor FakeContainerRuntime: ContainerRuntime {
    /// The CRI methods, named as on the wire.
    public enum Method: String, Sendable, CaseIterable {
        case version = "Version", status = "Status", updateRuntimeConfig = "UpdateRuntimeConfig"
        case runPodSandbox = "RunPodSandbox", stopPodSandbox = "StopPodSandbox"
        case removePodSandbox = "RemovePodSandbox", podSandboxStatus = "PodSandboxStatus"
        case listPodSandbox = "ListPodSandbox"
        case createContainer = "CreateContainer", startContainer = "StartContainer"
        case stopContainer = "StopContainer", removeContainer = "RemoveContainer"
        case listContainers = "ListContainers", containerStatus = "ContainerStatus"
        case updateContainerResources = "UpdateContainerResources", reopenContainerLog = "ReopenContainerLog"
        case execSync = "ExecSync", exec = "Exec", attach = "Attach", portForward = "PortForward"
        case containerStats = "ContainerStats", listContainerStats = "ListContainerStats"
        case podSandboxStats = "PodSandboxStats", listPodSandboxStats = "ListPodSandboxStats"
        case listImages = "ListImages", imageStatus = "ImageStatus", pullImage = "PullImage"
        case removeImage = "RemoveImage", imageFsInfo = "ImageFsInfo"
    }

    /// One recorded call: the method and its main argument (a sandbox or container id, an image).
    public struct Call: Sendable, Equatable, CustomStringConvertible {
        public var method: Method
        public var target: String
        public var description: String { target.isEmpty ? method.rawValue : "\(method.rawValue)(\(target))" }
    }

    struct Sandbox {
        var id: String
        var config: Runtime_V1_PodSandboxConfig
        var runtimeHandler: String
        var state: Runtime_V1_PodSandboxState
        var createdAt: Int64
        var ip: String
    }

    struct Container {
        var id: String
        var sandboxID: String
        var config: Runtime_V1_ContainerConfig
        var imageRef: String
        var logPath: String
        var state: Runtime_V1_ContainerState
        var createdAt: Int64
        var startedAt: Int64 = 0
        var finishedAt: Int64 = 0
        var exitCode: Int32 = 0
        var reason = ""
        var message = ""
        var resources: Runtime_V1_LinuxContainerResources
    }

    // MARK: State

    var sandboxes: [String: Sandbox] = [:]
    var sandboxOrder: [String] = []
    var containers: [String: Container] = [:]
    var containerOrder: [String] = []
    var images: [String: Runtime_V1_Image] = [:]  // by id
    var injected: [Method: [RuntimeError]] = [:]
    var exitOnStartCodes: [String: Int32] = [:]
    var usedIPs: Set<UInt32> = []
    var subnetBase: UInt32 = 0x0A58_0000  // 10.88.0.0
    var subnetBits = 16
    var idCounter: UInt64 = 0
    var fakeClock: Int64?
    /// What Exec/Attach/PortForward answer when set (a test's streaming server); else a dummy URL.
    var streamingURL: String?
    /// Usage figures set by `setContainerUsage`, by container id (zero otherwise).
    var usage: [String: ContainerUsage] = [:]

    /// Every call so far, in order.
    public internal(set) var calls: [Call] = []
    /// The runtime's conditions; `Status` reports them.
    public var runtimeReady = true
    public var networkReady = true
    /// References a pull can find (normalized); nil means every reference pulls.
    public var pullableImages: Set<String>?
    /// The exit code of a running container that StopContainer kills (SIGKILL: 137).
    public var stopExitCode: Int32 = 137
    /// What ExecSync answers; by default exit 0 and no output.
    public var execHandler: @Sendable (_ containerID: String, _ cmd: [String]) -> Runtime_V1_ExecSyncResponse = { _, _ in
        Runtime_V1_ExecSyncResponse()
    }
    public let runtimeName: String
    public let runtimeVersion: String

    public init(runtimeName: String = "fake", runtimeVersion: String = "0.1.0") {
        self.runtimeName = runtimeName
        self.runtimeVersion = runtimeVersion
    }

    // MARK: Helpers

    func now() -> Int64 {
        if let fakeClock { return fakeClock }
        return Int64(Date().timeIntervalSince1970 * 1_000_000_000)
    }

    func record(_ method: Method, _ target: String = "") throws {
        calls.append(Call(method: method, target: target))
        if var queue = injected[method], !queue.isEmpty {
            let error = queue.removeFirst()
            injected[method] = queue
            throw error
        }
    }

    func newID() -> String {
        idCounter += 1
        return Self.hex(of: "id:\(idCounter):\(ObjectIdentifier(self).hashValue)")
    }

    /// 64 hex digits derived from `text` (FNV-1a over four lanes; not cryptographic).
    static func hex(of text: String) -> String {
        var out = ""
        for lane in UInt64(0)..<4 {
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325 ^ (lane &* 0x9E37_79B9_7F4A_7C15)
            for byte in text.utf8 {
                hash ^= UInt64(byte)
                hash = hash &* 0x0000_0100_0000_01B3
            }
            let s = String(hash, radix: 16)
            out += String(repeating: "0", count: 16 - s.count) + s
        }
        return out
    }

    static func parseIPv4(_ text: String) -> UInt32? {
        let octets = text.split(separator: ".").compactMap { UInt8($0) }
        guard octets.count == 4 else { return nil }
        return octets.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
    }

    static func formatIPv4(_ value: UInt32) -> String {
        (0..<4).map { String((value >> UInt32(24 - 8 * $0)) & 0xFF) }.joined(separator: ".")
    }

    /// containerd's reference normalization: docker.io/library for bare names, `:latest` by default.
    public static func normalize(_ reference: String) -> String {
        var ref = reference
        if ref.hasPrefix("sha256:") { return ref }
        let first = ref.split(separator: "/").first.map(String.init) ?? ref
        let hasDomain = ref.contains("/") && (first.contains(".") || first.contains(":") || first == "localhost")
        if !hasDomain {
            ref = (ref.contains("/") ? "docker.io/" : "docker.io/library/") + ref
        }
        let lastComponent = ref.split(separator: "/").last.map(String.init) ?? ref
        if !ref.contains("@") && !lastComponent.contains(":") { ref += ":latest" }
        return ref
    }

    static func repository(of ref: String) -> String {
        if let at = ref.firstIndex(of: "@") { return String(ref[..<at]) }
        let lastSlash = ref.lastIndex(of: "/") ?? ref.startIndex
        if let colon = ref[lastSlash...].lastIndex(of: ":") { return String(ref[..<colon]) }
        return ref
    }

    func findImage(_ reference: String) -> Runtime_V1_Image? {
        if let image = images[reference] { return image }
        let ref = Self.normalize(reference)
        if let image = images[ref] { return image }
        return images.values.first { image in
            image.repoTags.contains(ref) || image.repoDigests.contains(ref)
                || image.id.hasPrefix(reference) && reference.count >= 12 + 7
        }
    }

    func allocateIP() throws -> String {
        let size = UInt32(1) << UInt32(32 - subnetBits)
        for offset in UInt32(2)..<(size - 1) where !usedIPs.contains(subnetBase + offset) {
            usedIPs.insert(subnetBase + offset)
            return Self.formatIPv4(subnetBase + offset)
        }
        throw RuntimeError.unknown("failed to setup network for sandbox: no IP addresses available in range set")
    }

    func releaseIP(_ ip: String) {
        if let value = Self.parseIPv4(ip) { usedIPs.remove(value) }
    }

    func sandbox(_ id: String) throws -> Sandbox {
        if let sandbox = sandboxes[id] { return sandbox }
        // containerd accepts a unique id prefix.
        let matches = sandboxOrder.filter { $0.hasPrefix(id) }
        if !id.isEmpty, matches.count == 1, let sandbox = sandboxes[matches[0]] { return sandbox }
        throw RuntimeError.notFound("an error occurred when try to find sandbox \"\(id)\": not found")
    }

    func container(_ id: String) throws -> Container {
        if let container = containers[id] { return container }
        let matches = containerOrder.filter { $0.hasPrefix(id) }
        if !id.isEmpty, matches.count == 1, let container = containers[matches[0]] { return container }
        throw RuntimeError.notFound("an error occurred when try to find container \"\(id)\": not found")
    }

    func finish(_ container: inout Container, exitCode: Int32, reason: String?, message: String) {
        container.state = .containerExited
        container.finishedAt = now()
        container.exitCode = exitCode
        container.reason = reason ?? (exitCode == 0 ? "Completed" : "Error")
        container.message = message
    }

    static func matches(_ labels: [String: String], _ selector: [String: String]) -> Bool {
        selector.allSatisfy { labels[$0.key] == $0.value }
    }

    func stopContainers(inSandbox id: String) {
        for containerID in containerOrder {
            guard var container = containers[containerID], container.sandboxID == id,
                  container.state == .containerRunning else { continue }
            finish(&container, exitCode: stopExitCode, reason: nil, message: "")
            containers[containerID] = container
        }
    }

    func podSandboxStatus(of sandbox: Sandbox) -> Runtime_V1_PodSandboxStatus {
        var status = Runtime_V1_PodSandboxStatus()
        status.id = sandbox.id
        status.metadata = sandbox.config.metadata
        status.state = sandbox.state
        status.createdAt = sandbox.createdAt
        if !sandbox.ip.isEmpty { status.network.ip = sandbox.ip }
        status.linux.namespaces.options = sandbox.config.linux.securityContext.namespaceOptions
        status.labels = sandbox.config.labels
        status.annotations = sandbox.config.annotations
        status.runtimeHandler = sandbox.runtimeHandler
        return status
    }

    func containerStatus(of container: Container) -> Runtime_V1_ContainerStatus {
        var status = Runtime_V1_ContainerStatus()
        status.id = container.id
        status.metadata = container.config.metadata
        status.state = container.state
        status.createdAt = container.createdAt
        status.startedAt = container.startedAt
        status.finishedAt = container.finishedAt
        status.exitCode = container.exitCode
        status.image = container.config.image
        status.imageRef = container.imageRef
        status.reason = container.reason
        status.message = container.message
        status.labels = container.config.labels
        status.annotations = container.config.annotations
        status.mounts = container.config.mounts
        status.logPath = container.logPath
        status.resources.linux = container.resources
        return status
    }

    func containerStats(of container: Container) -> Runtime_V1_ContainerStats {
        var stats = Runtime_V1_ContainerStats()
        stats.attributes.id = container.id
        stats.attributes.metadata = container.config.metadata
        stats.attributes.labels = container.config.labels
        stats.attributes.annotations = container.config.annotations
        let timestamp = now()
        stats.cpu.timestamp = timestamp
        let usage = usage[container.id] ?? ContainerUsage()
        stats.cpu.usageCoreNanoSeconds.value = usage.usageCoreNanoSeconds
        if let nanoCores = usage.usageNanoCores { stats.cpu.usageNanoCores.value = nanoCores }
        stats.memory.timestamp = timestamp
        stats.memory.workingSetBytes.value = usage.workingSetBytes
        stats.memory.usageBytes.value = usage.usageBytes ?? usage.workingSetBytes
        stats.memory.rssBytes.value = usage.workingSetBytes
        stats.writableLayer.timestamp = timestamp
        stats.writableLayer.usedBytes.value = 0
        return stats
    }

    func podSandboxStats(of sandbox: Sandbox) -> Runtime_V1_PodSandboxStats {
        var stats = Runtime_V1_PodSandboxStats()
        stats.attributes.id = sandbox.id
        stats.attributes.metadata = sandbox.config.metadata
        stats.attributes.labels = sandbox.config.labels
        stats.attributes.annotations = sandbox.config.annotations
        let timestamp = now()
        stats.linux.cpu.timestamp = timestamp
        stats.linux.memory.timestamp = timestamp
        stats.linux.containers = containerOrder.compactMap { containers[$0] }
            .filter { $0.sandboxID == sandbox.id && $0.state == .containerRunning }
            .map(containerStats(of:))
        return stats
    }

    // MARK: RuntimeService

    public func version(_ request: Runtime_V1_VersionRequest) async throws -> Runtime_V1_VersionResponse {
        try record(.version)
        return .with {
            $0.version = "0.1.0"
            $0.runtimeName = runtimeName
            $0.runtimeVersion = runtimeVersion
            $0.runtimeApiVersion = "v1"
        }
    }

    public func status(_ request: Runtime_V1_StatusRequest) async throws -> Runtime_V1_StatusResponse {
        try record(.status)
        func condition(_ type: String, _ ok: Bool, _ reason: String) -> Runtime_V1_RuntimeCondition {
            .with {
                $0.type = type
                $0.status = ok
                if !ok {
                    $0.reason = reason
                    $0.message = "\(type) is false in the fake runtime"
                }
            }
        }
        return .with {
            $0.status.conditions = [
                condition("RuntimeReady", runtimeReady, "RuntimeNotReady"),
                condition("NetworkReady", networkReady, "NetworkPluginNotReady"),
            ]
        }
    }

    public func updateRuntimeConfig(_ request: Runtime_V1_UpdateRuntimeConfigRequest) async throws
        -> Runtime_V1_UpdateRuntimeConfigResponse
    {
        try record(.updateRuntimeConfig, request.runtimeConfig.networkConfig.podCidr)
        if !request.runtimeConfig.networkConfig.podCidr.isEmpty {
            try setPodSubnet(request.runtimeConfig.networkConfig.podCidr)
        }
        return .init()
    }

    public func runPodSandbox(_ request: Runtime_V1_RunPodSandboxRequest) async throws
        -> Runtime_V1_RunPodSandboxResponse
    {
        let meta = request.config.metadata
        try record(.runPodSandbox, "\(meta.namespace)/\(meta.name)")
        guard !meta.name.isEmpty, !meta.namespace.isEmpty, !meta.uid.isEmpty else {
            throw RuntimeError(.invalidArgument, "sandbox config must include metadata name, uid and namespace")
        }
        let name = "\(meta.name)_\(meta.namespace)_\(meta.uid)_\(meta.attempt)"
        if let existing = sandboxes.values.first(where: {
            $0.config.metadata.name == meta.name && $0.config.metadata.namespace == meta.namespace
                && $0.config.metadata.uid == meta.uid && $0.config.metadata.attempt == meta.attempt
        }) {
            throw RuntimeError.unknown(
                "failed to reserve sandbox name \"\(name)\": name \"\(name)\" is reserved for \"\(existing.id)\"")
        }
        if !request.runtimeHandler.isEmpty && request.runtimeHandler != "runc" {
            throw RuntimeError.unknown("failed to get sandbox runtime: no runtime for \"\(request.runtimeHandler)\" is configured")
        }
        let hostNetwork = request.config.linux.securityContext.namespaceOptions.network == .node
        let ip = hostNetwork ? "" : try allocateIP()
        let sandbox = Sandbox(
            id: newID(), config: request.config, runtimeHandler: request.runtimeHandler,
            state: .sandboxReady, createdAt: now(), ip: ip)
        sandboxes[sandbox.id] = sandbox
        sandboxOrder.append(sandbox.id)
        return .with { $0.podSandboxID = sandbox.id }
    }

    public func stopPodSandbox(_ request: Runtime_V1_StopPodSandboxRequest) async throws
        -> Runtime_V1_StopPodSandboxResponse
    {
        try record(.stopPodSandbox, request.podSandboxID)
        var sandbox = try sandbox(request.podSandboxID)
        stopContainers(inSandbox: sandbox.id)
        sandbox.state = .sandboxNotready
        releaseIP(sandbox.ip)
        sandboxes[sandbox.id] = sandbox
        return .init()
    }

    public func removePodSandbox(_ request: Runtime_V1_RemovePodSandboxRequest) async throws
        -> Runtime_V1_RemovePodSandboxResponse
    {
        try record(.removePodSandbox, request.podSandboxID)
        guard let sandbox = try? sandbox(request.podSandboxID) else { return .init() }  // idempotent
        stopContainers(inSandbox: sandbox.id)
        releaseIP(sandbox.ip)
        for id in containerOrder where containers[id]?.sandboxID == sandbox.id { containers[id] = nil }
        containerOrder.removeAll { containers[$0] == nil }
        sandboxes[sandbox.id] = nil
        sandboxOrder.removeAll { $0 == sandbox.id }
        return .init()
    }

    public func podSandboxStatus(_ request: Runtime_V1_PodSandboxStatusRequest) async throws
        -> Runtime_V1_PodSandboxStatusResponse
    {
        try record(.podSandboxStatus, request.podSandboxID)
        let sandbox = try sandbox(request.podSandboxID)
        var response = Runtime_V1_PodSandboxStatusResponse()
        response.status = podSandboxStatus(of: sandbox)
        if request.verbose { response.info["info"] = #"{"runtimeType":"fake"}"# }
        return response
    }

    public func listPodSandbox(_ request: Runtime_V1_ListPodSandboxRequest) async throws
        -> Runtime_V1_ListPodSandboxResponse
    {
        try record(.listPodSandbox)
        let filter = request.filter
        let items = sandboxOrder.compactMap { sandboxes[$0] }.filter { sandbox in
            (filter.id.isEmpty || sandbox.id.hasPrefix(filter.id))
                && (!filter.hasState || filter.state.state == sandbox.state)
                && Self.matches(sandbox.config.labels, filter.labelSelector)
        }.map { sandbox in
            Runtime_V1_PodSandbox.with {
                $0.id = sandbox.id
                $0.metadata = sandbox.config.metadata
                $0.state = sandbox.state
                $0.createdAt = sandbox.createdAt
                $0.labels = sandbox.config.labels
                $0.annotations = sandbox.config.annotations
                $0.runtimeHandler = sandbox.runtimeHandler
            }
        }
        return .with { $0.items = items }
    }

    public func createContainer(_ request: Runtime_V1_CreateContainerRequest) async throws
        -> Runtime_V1_CreateContainerResponse
    {
        let meta = request.config.metadata
        try record(.createContainer, "\(request.podSandboxID)/\(meta.name)")
        let sandbox = try sandbox(request.podSandboxID)
        guard !meta.name.isEmpty else { throw RuntimeError(.invalidArgument, "container config must include metadata") }
        guard sandbox.state == .sandboxReady else {
            throw RuntimeError.unknown("failed to create containerd container: sandbox \(sandbox.id) is not ready")
        }
        if let existing = containers.values.first(where: {
            $0.sandboxID == sandbox.id && $0.config.metadata.name == meta.name && $0.config.metadata.attempt == meta.attempt
        }) {
            throw RuntimeError.unknown("failed to reserve container name \"\(meta.name)_\(meta.attempt)\": reserved for \"\(existing.id)\"")
        }
        guard let image = findImage(request.config.image.image) else {
            throw RuntimeError.notFound(
                "failed to create containerd container: failed to get image \"\(request.config.image.image)\": not found")
        }
        let logPath = sandbox.config.logDirectory.isEmpty || request.config.logPath.isEmpty
            ? "" : sandbox.config.logDirectory + "/" + request.config.logPath
        let container = Container(
            id: newID(), sandboxID: sandbox.id, config: request.config,
            imageRef: image.repoDigests.first ?? image.id, logPath: logPath,
            state: .containerCreated, createdAt: now(), resources: request.config.linux.resources)
        containers[container.id] = container
        containerOrder.append(container.id)
        return .with { $0.containerID = container.id }
    }

    public func startContainer(_ request: Runtime_V1_StartContainerRequest) async throws
        -> Runtime_V1_StartContainerResponse
    {
        try record(.startContainer, request.containerID)
        var container = try container(request.containerID)
        guard container.state == .containerCreated else {
            throw RuntimeError.unknown("container is in \(Self.stateName(container.state)) state")
        }
        guard sandboxes[container.sandboxID]?.state == .sandboxReady else {
            throw RuntimeError.unknown("sandbox container \(container.sandboxID) is not running")
        }
        container.state = .containerRunning
        container.startedAt = now()
        if let code = exitOnStartCodes[container.config.metadata.name] {
            finish(&container, exitCode: code, reason: nil, message: "")
        }
        containers[container.id] = container
        return .init()
    }

    static func stateName(_ state: Runtime_V1_ContainerState) -> String {
        switch state {
        case .containerCreated: "CONTAINER_CREATED"
        case .containerRunning: "CONTAINER_RUNNING"
        case .containerExited: "CONTAINER_EXITED"
        default: "CONTAINER_UNKNOWN"
        }
    }

    public func stopContainer(_ request: Runtime_V1_StopContainerRequest) async throws
        -> Runtime_V1_StopContainerResponse
    {
        try record(.stopContainer, request.containerID)
        var container = try container(request.containerID)
        if container.state == .containerRunning {  // idempotent otherwise
            finish(&container, exitCode: stopExitCode, reason: nil, message: "")
            containers[container.id] = container
        }
        return .init()
    }

    public func removeContainer(_ request: Runtime_V1_RemoveContainerRequest) async throws
        -> Runtime_V1_RemoveContainerResponse
    {
        try record(.removeContainer, request.containerID)
        guard let container = try? container(request.containerID) else { return .init() }  // idempotent
        containers[container.id] = nil
        containerOrder.removeAll { $0 == container.id }
        return .init()
    }

    public func listContainers(_ request: Runtime_V1_ListContainersRequest) async throws
        -> Runtime_V1_ListContainersResponse
    {
        try record(.listContainers)
        let filter = request.filter
        let items = containerOrder.compactMap { containers[$0] }.filter { container in
            (filter.id.isEmpty || container.id.hasPrefix(filter.id))
                && (filter.podSandboxID.isEmpty || container.sandboxID.hasPrefix(filter.podSandboxID))
                && (!filter.hasState || filter.state.state == container.state)
                && Self.matches(container.config.labels, filter.labelSelector)
        }.map { container in
            Runtime_V1_Container.with {
                $0.id = container.id
                $0.podSandboxID = container.sandboxID
                $0.metadata = container.config.metadata
                $0.image = container.config.image
                $0.imageRef = container.imageRef
                $0.state = container.state
                $0.createdAt = container.createdAt
                $0.labels = container.config.labels
                $0.annotations = container.config.annotations
            }
        }
        return .with { $0.containers = items }
    }

    public func containerStatus(_ request: Runtime_V1_ContainerStatusRequest) async throws
        -> Runtime_V1_ContainerStatusResponse
    {
        try record(.containerStatus, request.containerID)
        let container = try container(request.containerID)
        return .with { $0.status = containerStatus(of: container) }
    }

    public func updateContainerResources(_ request: Runtime_V1_UpdateContainerResourcesRequest) async throws
        -> Runtime_V1_UpdateContainerResourcesResponse
    {
        try record(.updateContainerResources, request.containerID)
        var container = try container(request.containerID)
        container.resources = request.linux
        containers[container.id] = container
        return .init()
    }

    public func reopenContainerLog(_ request: Runtime_V1_ReopenContainerLogRequest) async throws
        -> Runtime_V1_ReopenContainerLogResponse
    {
        try record(.reopenContainerLog, request.containerID)
        let container = try container(request.containerID)
        guard container.state == .containerRunning else {
            throw RuntimeError.unknown("container is not running")
        }
        return .init()
    }

    func runningContainer(_ id: String) throws -> Container {
        let container = try container(id)
        guard container.state == .containerRunning else {
            throw RuntimeError.unknown("container is in \(Self.stateName(container.state)) state")
        }
        return container
    }

}
