/// The Container Runtime Interface as the kubelet sees it: the RuntimeService and ImageService of
/// CRI `runtime.v1`, in terms of the generated request and response messages
/// (Sources/CRI/Generated). `CRIClient` speaks it to containerd over gRPC; `FakeContainerRuntime`
/// implements it in memory for tests.
///
/// Every method throws a `RuntimeError` on failure, never anything else.
public protocol ContainerRuntime: Sendable {
    // MARK: RuntimeService

    func version(_ request: Runtime_V1_VersionRequest) async throws -> Runtime_V1_VersionResponse
    func status(_ request: Runtime_V1_StatusRequest) async throws -> Runtime_V1_StatusResponse
    func updateRuntimeConfig(_ request: Runtime_V1_UpdateRuntimeConfigRequest) async throws
        -> Runtime_V1_UpdateRuntimeConfigResponse

    func runPodSandbox(_ request: Runtime_V1_RunPodSandboxRequest) async throws -> Runtime_V1_RunPodSandboxResponse
    func stopPodSandbox(_ request: Runtime_V1_StopPodSandboxRequest) async throws -> Runtime_V1_StopPodSandboxResponse
    func removePodSandbox(_ request: Runtime_V1_RemovePodSandboxRequest) async throws
        -> Runtime_V1_RemovePodSandboxResponse
    func podSandboxStatus(_ request: Runtime_V1_PodSandboxStatusRequest) async throws
        -> Runtime_V1_PodSandboxStatusResponse
    func listPodSandbox(_ request: Runtime_V1_ListPodSandboxRequest) async throws -> Runtime_V1_ListPodSandboxResponse

    func createContainer(_ request: Runtime_V1_CreateContainerRequest) async throws
        -> Runtime_V1_CreateContainerResponse
    func startContainer(_ request: Runtime_V1_StartContainerRequest) async throws -> Runtime_V1_StartContainerResponse
    func stopContainer(_ request: Runtime_V1_StopContainerRequest) async throws -> Runtime_V1_StopContainerResponse
    func removeContainer(_ request: Runtime_V1_RemoveContainerRequest) async throws
        -> Runtime_V1_RemoveContainerResponse
    func listContainers(_ request: Runtime_V1_ListContainersRequest) async throws -> Runtime_V1_ListContainersResponse
    func containerStatus(_ request: Runtime_V1_ContainerStatusRequest) async throws
        -> Runtime_V1_ContainerStatusResponse
    func updateContainerResources(_ request: Runtime_V1_UpdateContainerResourcesRequest) async throws
        -> Runtime_V1_UpdateContainerResourcesResponse
    func reopenContainerLog(_ request: Runtime_V1_ReopenContainerLogRequest) async throws
        -> Runtime_V1_ReopenContainerLogResponse

    func execSync(_ request: Runtime_V1_ExecSyncRequest) async throws -> Runtime_V1_ExecSyncResponse
    func exec(_ request: Runtime_V1_ExecRequest) async throws -> Runtime_V1_ExecResponse
    func attach(_ request: Runtime_V1_AttachRequest) async throws -> Runtime_V1_AttachResponse
    func portForward(_ request: Runtime_V1_PortForwardRequest) async throws -> Runtime_V1_PortForwardResponse

    func containerStats(_ request: Runtime_V1_ContainerStatsRequest) async throws -> Runtime_V1_ContainerStatsResponse
    func listContainerStats(_ request: Runtime_V1_ListContainerStatsRequest) async throws
        -> Runtime_V1_ListContainerStatsResponse
    func podSandboxStats(_ request: Runtime_V1_PodSandboxStatsRequest) async throws
        -> Runtime_V1_PodSandboxStatsResponse
    func listPodSandboxStats(_ request: Runtime_V1_ListPodSandboxStatsRequest) async throws
        -> Runtime_V1_ListPodSandboxStatsResponse

    // MARK: ImageService

    func listImages(_ request: Runtime_V1_ListImagesRequest) async throws -> Runtime_V1_ListImagesResponse
    /// An image that is not present gives a response without `image` (not an error), as in CRI.
    func imageStatus(_ request: Runtime_V1_ImageStatusRequest) async throws -> Runtime_V1_ImageStatusResponse
    func pullImage(_ request: Runtime_V1_PullImageRequest) async throws -> Runtime_V1_PullImageResponse
    func removeImage(_ request: Runtime_V1_RemoveImageRequest) async throws -> Runtime_V1_RemoveImageResponse
    func imageFsInfo(_ request: Runtime_V1_ImageFsInfoRequest) async throws -> Runtime_V1_ImageFsInfoResponse
}

/// A failed runtime call: a gRPC status code and the runtime's message.
public struct RuntimeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The gRPC status codes (the kubelet tells NotFound, Unavailable and DeadlineExceeded apart).
    public enum Code: String, Sendable, Equatable, CaseIterable {
        case cancelled, unknown, invalidArgument, deadlineExceeded, notFound, alreadyExists
        case permissionDenied, resourceExhausted, failedPrecondition, aborted, outOfRange
        case unimplemented, internalError, unavailable, dataLoss, unauthenticated
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public static func notFound(_ message: String) -> RuntimeError { RuntimeError(.notFound, message) }
    public static func unavailable(_ message: String) -> RuntimeError { RuntimeError(.unavailable, message) }
    public static func deadlineExceeded(_ message: String) -> RuntimeError { RuntimeError(.deadlineExceeded, message) }
    public static func unknown(_ message: String) -> RuntimeError { RuntimeError(.unknown, message) }

    public var isNotFound: Bool { code == .notFound }
    /// The runtime could not be reached (no socket, connection refused or dropped).
    public var isUnavailable: Bool { code == .unavailable }
    public var isDeadlineExceeded: Bool { code == .deadlineExceeded }

    public var description: String { "rpc error: code = \(code.rawValue) desc = \(message)" }
}

extension ContainerRuntime {
    /// Version with the kubelet's requested API version ("v1").
    public func version() async throws -> Runtime_V1_VersionResponse {
        try await version(.with { $0.version = "v1" })
    }

    /// The runtime's conditions by type (`RuntimeReady`, `NetworkReady`).
    public func conditions() async throws -> [String: Runtime_V1_RuntimeCondition] {
        let response = try await status(Runtime_V1_StatusRequest())
        var result: [String: Runtime_V1_RuntimeCondition] = [:]
        for condition in response.status.conditions { result[condition.type] = condition }
        return result
    }
}
