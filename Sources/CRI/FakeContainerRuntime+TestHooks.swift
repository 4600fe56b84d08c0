import Foundation

/// What tests do to a FakeContainerRuntime: subnets, injected errors, container exits, images, time.
extension FakeContainerRuntime {

    /// Pod IPs come from `cidr` (IPv4, e.g. "10.99.0.0/24"), from its second address on.
    public func setPodSubnet(_ cidr: String) throws {
        let parts = cidr.split(separator: "/")
        guard parts.count == 2, let bits = Int(parts[1]), (8...30).contains(bits), let base = Self.parseIPv4(String(parts[0]))
        else { throw RuntimeError(.invalidArgument, "invalid pod subnet \(cidr)") }
        subnetBits = bits
        subnetBase = base & (UInt32.max << UInt32(32 - bits))
        usedIPs = []
    }

    /// Makes the next call of `method` fail with `error` (errors queue up in order).
    public func injectError(_ error: RuntimeError, for method: Method) {
        injected[method, default: []].append(error)
    }

    /// Ends a running container with `exitCode` (reason "Completed" for 0, else "Error").
    public func exitContainer(_ id: String, exitCode: Int32, reason: String? = nil, message: String = "") throws {
        guard var container = containers[id] else { throw RuntimeError.notFound("container \"\(id)\" not found") }
        guard container.state == .containerRunning else {
            throw RuntimeError(.failedPrecondition, "container \(id) is not running")
        }
        finish(&container, exitCode: exitCode, reason: reason, message: message)
        containers[id] = container
    }

    /// Containers with this name (ContainerMetadata.name) exit with `exitCode` as soon as they start.
    public func exitOnStart(containerName: String, exitCode: Int32) {
        exitOnStartCodes[containerName] = exitCode
    }

    /// Adds an image as if pulled; returns its id.
    @discardableResult
    public func addImage(_ reference: String, size: UInt64 = 1_000_000) -> String {
        let ref = Self.normalize(reference)
        if let existing = findImage(ref) { return existing.id }
        var image = Runtime_V1_Image()
        image.id = "sha256:" + Self.hex(of: "image:" + ref)
        image.size = size
        if ref.contains("@") {
            image.repoDigests = [ref]
        } else {
            image.repoTags = [ref]
            image.repoDigests = [Self.repository(of: ref) + "@sha256:" + Self.hex(of: "digest:" + ref)]
        }
        image.spec.image = image.id
        images[image.id] = image
        return image.id
    }

    /// Sets the user an image runs as (its `uid`, else its `username`), as ImageStatus reports it.
    public func setImageUser(_ reference: String, uid: Int64?, username: String = "") {
        let id = addImage(reference)
        images[id]?.uid = uid.map { value in .with { $0.value = value } } ?? Runtime_V1_Int64Value()
        if uid == nil { images[id]?.clearUid() }
        images[id]?.username = username
    }

    /// What ContainerStats, ListContainerStats and the sandbox stats report for container `id`:
    /// cumulative CPU time, an optional usageNanoCores (containerd fills it in) and memory.
    public func setContainerUsage(_ id: String, usageCoreNanoSeconds: UInt64, usageNanoCores: UInt64? = nil,
                                  workingSetBytes: UInt64, usageBytes: UInt64? = nil) {
        usage[id] = ContainerUsage(usageCoreNanoSeconds: usageCoreNanoSeconds, usageNanoCores: usageNanoCores,
                                   workingSetBytes: workingSetBytes, usageBytes: usageBytes)
    }

    /// Freezes the clock at `nanoseconds` (timestamps are wall-clock time otherwise).
    public func setTime(nanoseconds: Int64) { fakeClock = nanoseconds }
    public func advanceTime(by duration: Duration) {
        let (seconds, attoseconds) = duration.components
        fakeClock = now() + seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    /// Exec, Attach and PortForward answer `url` (nil: a dummy URL).
    public func setStreamingURL(_ url: String?) { streamingURL = url }
    public func setRuntimeReady(_ ready: Bool) { runtimeReady = ready }
    public func setNetworkReady(_ ready: Bool) { networkReady = ready }
    public func setPullableImages(_ references: Set<String>?) { pullableImages = references.map { Set($0.map(Self.normalize)) } }
    public func setStopExitCode(_ code: Int32) { stopExitCode = code }
    public func setExecHandler(_ handler: @escaping @Sendable (String, [String]) -> Runtime_V1_ExecSyncResponse) {
        execHandler = handler
    }

    /// The calls made to one method, in order.
    public func calls(to method: Method) -> [Call] { calls.filter { $0.method == method } }
    public func resetCalls() { calls = [] }
}

/// One container's usage as FakeContainerRuntime reports it.
struct ContainerUsage: Sendable {
    var usageCoreNanoSeconds: UInt64 = 0
    var usageNanoCores: UInt64?
    var workingSetBytes: UInt64 = 0
    var usageBytes: UInt64?
}
