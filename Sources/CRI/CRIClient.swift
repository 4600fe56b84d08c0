import GRPCCore
import GRPCNIOTransportHTTP2
import GRPCProtobuf
import Synchronization

/// A `ContainerRuntime` over gRPC to a CRI runtime (containerd) on a unix socket.
///
/// Every call has a deadline (`Options.callTimeout`, `Options.pullTimeout` for PullImage, the
/// request's own timeout plus a margin for ExecSync). While the runtime cannot be reached (a
/// missing socket, a refused connection) an idempotent call is retried for up to
/// `Options.connectRetryWindow` and then fails with `.unavailable`. Errors are always thrown
/// as `RuntimeError`. Call `close()` when done.
public final class CRIClient: ContainerRuntime {
    public struct Options: Sendable {
        /// The deadline of every call except PullImage and ExecSync.
        public var callTimeout: Duration = .seconds(10)
        /// The deadline of PullImage (and of an ExecSync without timeout).
        public var pullTimeout: Duration = .seconds(120)
        /// How long an idempotent call keeps retrying while the runtime is unreachable.
        public var connectRetryWindow: Duration = .seconds(7)
        /// The pause between two attempts to reach the runtime.
        public var retryInterval: Duration = .milliseconds(250)
        /// ExecSync output is capped at 16 MiB per stream by the runtime.
        public var maxResponseMessageBytes: Int = 40 * 1024 * 1024

        public init() {}
    }

    public let socketPath: String
    public let options: Options

    /// The connection calls go to, and how many went to it in the current 10-second window.
    private let current: Mutex<(connection: Connection, windowStart: ContinuousClock.Instant, calls: Int)>
    /// Connections being retired (their in-flight calls finish), awaited by `close()`.
    private let retired = Mutex<[Connection]>([])
    /// Every call's deadline.
    let deadlines = CallDeadlines()

    /// containerd ends many streams with RST_STREAM, and the HTTP/2 client closes a connection that
    /// receives 200 of them within 10 seconds (its rapid-reset defence, not configurable): a busy
    /// kubelet moves to a fresh connection before that.
    static let callsPerConnectionWindow = 150
    static let connectionWindow = Duration.seconds(10)

    /// One gRPC client (one HTTP/2 connection) to the runtime.
    final class Connection: Sendable {
        let grpc: GRPCClient<HTTP2ClientTransport.Posix>
        let runtime: Runtime_V1_RuntimeService.Client<HTTP2ClientTransport.Posix>
        let images: Runtime_V1_ImageService.Client<HTTP2ClientTransport.Posix>
        let runTask: Task<Void, Never>

        init(socketPath: String) throws {
            let transport: HTTP2ClientTransport.Posix
            do {
                transport = try HTTP2ClientTransport.Posix(
                    target: .unixDomainSocket(path: socketPath, authority: "localhost"),
                    transportSecurity: .plaintext,
                    config: .defaults { config in
                        // Reconnect promptly after a runtime restart instead of backing off for minutes.
                        config.backoff = .init(initial: .milliseconds(100), max: .seconds(1), multiplier: 1.6, jitter: 0.2)
                    }
                )
            } catch {
                throw RuntimeError(.internalError, "cannot create a gRPC transport for unix://\(socketPath): \(error)")
            }
            let client = GRPCClient(transport: transport)
            grpc = client
            runtime = Runtime_V1_RuntimeService.Client(wrapping: client)
            images = Runtime_V1_ImageService.Client(wrapping: client)
            runTask = Task {
                // Returns after beginGracefulShutdown(); a transport failure only ends this client.
                try? await client.runConnections()
            }
        }

        /// In-flight calls finish; a connection stuck in its handshake is cut after 2 s.
        func shutDown() async {
            grpc.beginGracefulShutdown()
            let runTask = self.runTask
            let cutter = Task {
                try? await Task.sleep(for: .seconds(2))
                if !Task.isCancelled { runTask.cancel() }
            }
            await runTask.value
            cutter.cancel()
        }
    }

    /// Starts a client for the runtime listening on `socketPath`. Connecting is lazy: a missing
    /// socket surfaces as `.unavailable` from the calls.
    public init(socketPath: String, options: Options = Options()) throws {
        self.socketPath = socketPath
        self.options = options
        current = Mutex((try Connection(socketPath: socketPath), ContinuousClock.now, 0))
    }

    deinit {
        current.withLock { $0.connection.grpc.beginGracefulShutdown() }
        for connection in retired.withLock({ $0 }) { connection.grpc.beginGracefulShutdown() }
    }

    /// Shuts the client down: in-flight calls finish, later calls fail with `.unavailable`.
    public func close() async {
        let connections = [current.withLock { $0.connection }] + retired.withLock { $0 }
        await withTaskGroup(of: Void.self) { group in
            for connection in connections { group.addTask { await connection.shutDown() } }
        }
    }

    /// The connection for the next call; a new one once the current has taken its share of this window.
    func connectionForCall() -> Connection {
        let now = ContinuousClock.now
        let (connection, old) = current.withLock { state -> (Connection, Connection?) in
            if now - state.windowStart > Self.connectionWindow {
                state.windowStart = now
                state.calls = 0
            }
            state.calls += 1
            guard state.calls > Self.callsPerConnectionWindow, let fresh = try? Connection(socketPath: socketPath) else {
                return (state.connection, nil)
            }
            let old = state.connection
            state = (fresh, now, 1)
            return (fresh, old)
        }
        if let old {
            retired.withLock { $0.append(old) }
            Task {
                await old.shutDown()
                retired.withLock { $0.removeAll { $0 === old } }
            }
        }
        return connection
    }

    // MARK: Calls

    private func call<Response: Sendable>(
        _ method: String,
        timeout: Duration? = nil,
        retry: Bool = true,
        _ body: @escaping @Sendable (Connection, CallOptions) async throws -> Response
    ) async throws -> Response {
        let clock = ContinuousClock()
        let start = clock.now
        let timeout = timeout ?? options.callTimeout
        let deadline = start + timeout
        let retryUntil = start + options.connectRetryWindow
        while true {
            var callOptions = CallOptions.defaults
            // No gRPC deadline (it is a sleeping task per call): `deadlines` ends the call instead, and
            // cancelling it resets the stream, which ends it in the runtime too.
            callOptions.timeout = nil
            callOptions.waitForReady = false
            callOptions.maxResponseMessageBytes = options.maxResponseMessageBytes
            do {
                let frozen = callOptions
                let connection = connectionForCall()
                return try await withDeadline(deadline, method: method, timeout: timeout) { try await body(connection, frozen) }
            } catch let error as RPCError {
                let mapped = Self.map(error, method: method)
                let now = clock.now
                if retry, mapped.code == .unavailable, now + options.retryInterval < min(retryUntil, deadline),
                   !Task.isCancelled {
                    try? await Task.sleep(for: options.retryInterval)
                    continue
                }
                throw mapped
            } catch {
                throw Self.map(error, method: method)
            }
        }
    }

    /// Runs `body` in a task and gives up on it (cancelling it) at `deadline`: also a peer that never
    /// completes the HTTP/2 handshake cannot hold a call.
    func withDeadline<Response: Sendable>(
        _ deadline: ContinuousClock.Instant,
        method: String,
        timeout: Duration,
        _ body: @escaping @Sendable () async throws -> Response
    ) async throws -> Response {
        let state = WatchdogState<Response>()
        let deadlines = self.deadlines
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Response, any Error>) in
                state.continuation.withLock { $0 = continuation }
                let watch = deadlines.add(deadline: deadline) {
                    if state.resume(.failure(RuntimeError(.deadlineExceeded, "\(method): no answer within \(timeout)"))) {
                        state.cancelWork()
                    }
                }
                let task = Task {
                    do {
                        _ = state.resume(.success(try await body()))
                    } catch {
                        _ = state.resume(.failure(error))
                    }
                    deadlines.remove(watch)
                }
                state.work.withLock { $0 = task }
            }
        } onCancel: {
            state.cancelWork()
        }
    }

    static func map(_ error: RPCError, method: String) -> RuntimeError {
        let code: RuntimeError.Code
        switch error.code {
        case .cancelled: code = .cancelled
        case .invalidArgument: code = .invalidArgument
        case .deadlineExceeded: code = .deadlineExceeded
        case .notFound: code = .notFound
        case .alreadyExists: code = .alreadyExists
        case .permissionDenied: code = .permissionDenied
        case .resourceExhausted: code = .resourceExhausted
        case .failedPrecondition: code = .failedPrecondition
        case .aborted: code = .aborted
        case .outOfRange: code = .outOfRange
        case .unimplemented: code = .unimplemented
        case .internalError: code = .internalError
        case .unavailable: code = .unavailable
        case .dataLoss: code = .dataLoss
        case .unauthenticated: code = .unauthenticated
        default: code = .unknown
        }
        return RuntimeError(code, error.message.isEmpty ? "\(method) failed" : error.message)
    }

    static func map(_ error: any Error, method: String) -> RuntimeError {
        if let error = error as? RuntimeError { return error }
        if let error = error as? RPCError { return map(error, method: method) }
        if error is CancellationError { return RuntimeError(.cancelled, "\(method) cancelled") }
        if let error = error as? GRPCCore.RuntimeError {
            // The client is stopped or its transport failed: the runtime cannot be reached.
            return RuntimeError(.unavailable, "\(method): \(error.message)")
        }
        return RuntimeError(.unknown, "\(method): \(error)")
    }

    // MARK: RuntimeService

    public func version(_ request: Runtime_V1_VersionRequest) async throws -> Runtime_V1_VersionResponse {
        try await call("Version") { try await $0.runtime.version(request, options: $1) }
    }

    public func status(_ request: Runtime_V1_StatusRequest) async throws -> Runtime_V1_StatusResponse {
        try await call("Status") { try await $0.runtime.status(request, options: $1) }
    }

    public func updateRuntimeConfig(_ request: Runtime_V1_UpdateRuntimeConfigRequest) async throws
        -> Runtime_V1_UpdateRuntimeConfigResponse
    {
        try await call("UpdateRuntimeConfig") { try await $0.runtime.updateRuntimeConfig(request, options: $1) }
    }

    public func runPodSandbox(_ request: Runtime_V1_RunPodSandboxRequest) async throws
        -> Runtime_V1_RunPodSandboxResponse
    {
        // Not retried: a sandbox may have been created before the connection dropped.
        try await call("RunPodSandbox", timeout: max(options.callTimeout, .seconds(240)), retry: false) {
            try await $0.runtime.runPodSandbox(request, options: $1)
        }
    }

    public func stopPodSandbox(_ request: Runtime_V1_StopPodSandboxRequest) async throws
        -> Runtime_V1_StopPodSandboxResponse
    {
        try await call("StopPodSandbox", timeout: max(options.callTimeout, .seconds(120))) {
            try await $0.runtime.stopPodSandbox(request, options: $1)
        }
    }

    public func removePodSandbox(_ request: Runtime_V1_RemovePodSandboxRequest) async throws
        -> Runtime_V1_RemovePodSandboxResponse
    {
        try await call("RemovePodSandbox", timeout: max(options.callTimeout, .seconds(120))) {
            try await $0.runtime.removePodSandbox(request, options: $1)
        }
    }

    public func podSandboxStatus(_ request: Runtime_V1_PodSandboxStatusRequest) async throws
        -> Runtime_V1_PodSandboxStatusResponse
    {
        try await call("PodSandboxStatus") { try await $0.runtime.podSandboxStatus(request, options: $1) }
    }

    public func listPodSandbox(_ request: Runtime_V1_ListPodSandboxRequest) async throws
        -> Runtime_V1_ListPodSandboxResponse
    {
        try await call("ListPodSandbox") { try await $0.runtime.listPodSandbox(request, options: $1) }
    }

    public func createContainer(_ request: Runtime_V1_CreateContainerRequest) async throws
        -> Runtime_V1_CreateContainerResponse
    {
        try await call("CreateContainer", timeout: max(options.callTimeout, .seconds(120)), retry: false) {
            try await $0.runtime.createContainer(request, options: $1)
        }
    }

    public func startContainer(_ request: Runtime_V1_StartContainerRequest) async throws
        -> Runtime_V1_StartContainerResponse
    {
        try await call("StartContainer", timeout: max(options.callTimeout, .seconds(120)), retry: false) {
            try await $0.runtime.startContainer(request, options: $1)
        }
    }

    public func stopContainer(_ request: Runtime_V1_StopContainerRequest) async throws
        -> Runtime_V1_StopContainerResponse
    {
        // The runtime waits up to `timeout` seconds for the process before killing it.
        let grace = Duration.seconds(max(request.timeout, 0))
        return try await call("StopContainer", timeout: options.callTimeout + grace) {
            try await $0.runtime.stopContainer(request, options: $1)
        }
    }

    public func removeContainer(_ request: Runtime_V1_RemoveContainerRequest) async throws
        -> Runtime_V1_RemoveContainerResponse
    {
        try await call("RemoveContainer", timeout: max(options.callTimeout, .seconds(60))) {
            try await $0.runtime.removeContainer(request, options: $1)
        }
    }

    public func listContainers(_ request: Runtime_V1_ListContainersRequest) async throws
        -> Runtime_V1_ListContainersResponse
    {
        try await call("ListContainers") { try await $0.runtime.listContainers(request, options: $1) }
    }

    public func containerStatus(_ request: Runtime_V1_ContainerStatusRequest) async throws
        -> Runtime_V1_ContainerStatusResponse
    {
        try await call("ContainerStatus") { try await $0.runtime.containerStatus(request, options: $1) }
    }

    public func updateContainerResources(_ request: Runtime_V1_UpdateContainerResourcesRequest) async throws
        -> Runtime_V1_UpdateContainerResourcesResponse
    {
        try await call("UpdateContainerResources") {
            try await $0.runtime.updateContainerResources(request, options: $1)
        }
    }

    public func reopenContainerLog(_ request: Runtime_V1_ReopenContainerLogRequest) async throws
        -> Runtime_V1_ReopenContainerLogResponse
    {
        try await call("ReopenContainerLog") { try await $0.runtime.reopenContainerLog(request, options: $1) }
    }

    public func execSync(_ request: Runtime_V1_ExecSyncRequest) async throws -> Runtime_V1_ExecSyncResponse {
        // The command's own timeout plus a margin; without one, the long (pull) deadline.
        let timeout: Duration = request.timeout > 0
            ? .seconds(request.timeout) + options.callTimeout : options.pullTimeout
        return try await call("ExecSync", timeout: timeout, retry: false) {
            try await $0.runtime.execSync(request, options: $1)
        }
    }

    public func exec(_ request: Runtime_V1_ExecRequest) async throws -> Runtime_V1_ExecResponse {
        try await call("Exec") { try await $0.runtime.exec(request, options: $1) }
    }

    public func attach(_ request: Runtime_V1_AttachRequest) async throws -> Runtime_V1_AttachResponse {
        try await call("Attach") { try await $0.runtime.attach(request, options: $1) }
    }

    public func portForward(_ request: Runtime_V1_PortForwardRequest) async throws -> Runtime_V1_PortForwardResponse {
        try await call("PortForward") { try await $0.runtime.portForward(request, options: $1) }
    }

    public func containerStats(_ request: Runtime_V1_ContainerStatsRequest) async throws
        -> Runtime_V1_ContainerStatsResponse
    {
        try await call("ContainerStats") { try await $0.runtime.containerStats(request, options: $1) }
    }

    public func listContainerStats(_ request: Runtime_V1_ListContainerStatsRequest) async throws
        -> Runtime_V1_ListContainerStatsResponse
    {
        try await call("ListContainerStats") { try await $0.runtime.listContainerStats(request, options: $1) }
    }

    public func podSandboxStats(_ request: Runtime_V1_PodSandboxStatsRequest) async throws
        -> Runtime_V1_PodSandboxStatsResponse
    {
        try await call("PodSandboxStats") { try await $0.runtime.podSandboxStats(request, options: $1) }
    }

    public func listPodSandboxStats(_ request: Runtime_V1_ListPodSandboxStatsRequest) async throws
        -> Runtime_V1_ListPodSandboxStatsResponse
    {
        try await call("ListPodSandboxStats") { try await $0.runtime.listPodSandboxStats(request, options: $1) }
    }

    // MARK: ImageService

    public func listImages(_ request: Runtime_V1_ListImagesRequest) async throws -> Runtime_V1_ListImagesResponse {
        try await call("ListImages") { try await $0.images.listImages(request, options: $1) }
    }

    public func imageStatus(_ request: Runtime_V1_ImageStatusRequest) async throws -> Runtime_V1_ImageStatusResponse {
        try await call("ImageStatus") { try await $0.images.imageStatus(request, options: $1) }
    }

    public func pullImage(_ request: Runtime_V1_PullImageRequest) async throws -> Runtime_V1_PullImageResponse {
        try await call("PullImage", timeout: options.pullTimeout) { try await $0.images.pullImage(request, options: $1) }
    }

    public func removeImage(_ request: Runtime_V1_RemoveImageRequest) async throws -> Runtime_V1_RemoveImageResponse {
        try await call("RemoveImage", timeout: max(options.callTimeout, .seconds(60))) {
            try await $0.images.removeImage(request, options: $1)
        }
    }

    public func imageFsInfo(_ request: Runtime_V1_ImageFsInfoRequest) async throws -> Runtime_V1_ImageFsInfoResponse {
        try await call("ImageFsInfo") { try await $0.images.imageFsInfo(request, options: $1) }
    }
}

/// The shared state of one watched call: who resumes first wins.
private final class WatchdogState<Response: Sendable>: Sendable {
    let continuation = Mutex<CheckedContinuation<Response, any Error>?>(nil)
    let work = Mutex<Task<Void, Never>?>(nil)

    /// Resumes the caller unless someone already did; tells whether this call did.
    func resume(_ result: Result<Response, any Error>) -> Bool {
        let pending = continuation.withLock { value -> CheckedContinuation<Response, any Error>? in
            defer { value = nil }
            return value
        }
        guard let pending else { return false }
        pending.resume(with: result)
        return true
    }

    func cancelWork() {
        work.withLock { $0?.cancel() }
    }
}
