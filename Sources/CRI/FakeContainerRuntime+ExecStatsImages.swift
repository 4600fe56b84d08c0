import Foundation

/// FakeContainerRuntime's exec/attach/port-forward, stats and ImageService calls.
extension FakeContainerRuntime {
    public func execSync(_ request: Runtime_V1_ExecSyncRequest) async throws -> Runtime_V1_ExecSyncResponse {
        try record(.execSync, request.containerID)
        let container = try runningContainer(request.containerID)
        return execHandler(container.id, request.cmd)
    }

    public func exec(_ request: Runtime_V1_ExecRequest) async throws -> Runtime_V1_ExecResponse {
        try record(.exec, request.containerID)
        let container = try runningContainer(request.containerID)
        guard request.stdin || request.stdout || request.stderr else {
            throw RuntimeError(.invalidArgument, "one of stdin, stdout, or stderr must be set")
        }
        return .with { $0.url = streamingURL ?? "http://127.0.0.1:10010/exec/\(container.id.prefix(8))\(idCounter)" }
    }

    public func attach(_ request: Runtime_V1_AttachRequest) async throws -> Runtime_V1_AttachResponse {
        try record(.attach, request.containerID)
        let container = try runningContainer(request.containerID)
        return .with { $0.url = streamingURL ?? "http://127.0.0.1:10010/attach/\(container.id.prefix(8))" }
    }

    public func portForward(_ request: Runtime_V1_PortForwardRequest) async throws -> Runtime_V1_PortForwardResponse {
        try record(.portForward, request.podSandboxID)
        let sandbox = try sandbox(request.podSandboxID)
        guard sandbox.state == .sandboxReady else {
            throw RuntimeError(.failedPrecondition, "sandbox \(sandbox.id) is not running")
        }
        return .with { $0.url = streamingURL ?? "http://127.0.0.1:10010/portforward/\(sandbox.id.prefix(8))" }
    }

    public func containerStats(_ request: Runtime_V1_ContainerStatsRequest) async throws
        -> Runtime_V1_ContainerStatsResponse
    {
        try record(.containerStats, request.containerID)
        let container = try container(request.containerID)
        return .with { $0.stats = containerStats(of: container) }
    }

    public func listContainerStats(_ request: Runtime_V1_ListContainerStatsRequest) async throws
        -> Runtime_V1_ListContainerStatsResponse
    {
        try record(.listContainerStats)
        let filter = request.filter
        let stats = containerOrder.compactMap { containers[$0] }.filter { container in
            container.state == .containerRunning
                && (filter.id.isEmpty || container.id.hasPrefix(filter.id))
                && (filter.podSandboxID.isEmpty || container.sandboxID.hasPrefix(filter.podSandboxID))
                && Self.matches(container.config.labels, filter.labelSelector)
        }.map(containerStats(of:))
        return .with { $0.stats = stats }
    }

    public func podSandboxStats(_ request: Runtime_V1_PodSandboxStatsRequest) async throws
        -> Runtime_V1_PodSandboxStatsResponse
    {
        try record(.podSandboxStats, request.podSandboxID)
        let sandbox = try sandbox(request.podSandboxID)
        return .with { $0.stats = podSandboxStats(of: sandbox) }
    }

    public func listPodSandboxStats(_ request: Runtime_V1_ListPodSandboxStatsRequest) async throws
        -> Runtime_V1_ListPodSandboxStatsResponse
    {
        try record(.listPodSandboxStats)
        let filter = request.filter
        let stats = sandboxOrder.compactMap { sandboxes[$0] }.filter { sandbox in
            sandbox.state == .sandboxReady
                && (filter.id.isEmpty || sandbox.id.hasPrefix(filter.id))
                && Self.matches(sandbox.config.labels, filter.labelSelector)
        }.map(podSandboxStats(of:))
        return .with { $0.stats = stats }
    }

    // MARK: ImageService

    public func listImages(_ request: Runtime_V1_ListImagesRequest) async throws -> Runtime_V1_ListImagesResponse {
        try record(.listImages)
        let wanted = request.filter.image.image
        let list: [Runtime_V1_Image]
        if wanted.isEmpty {
            list = images.values.sorted { $0.id < $1.id }
        } else {
            list = findImage(wanted).map { [$0] } ?? []
        }
        return .with { $0.images = list }
    }

    public func imageStatus(_ request: Runtime_V1_ImageStatusRequest) async throws -> Runtime_V1_ImageStatusResponse {
        try record(.imageStatus, request.image.image)
        var response = Runtime_V1_ImageStatusResponse()
        if let image = findImage(request.image.image) { response.image = image }
        return response
    }

    public func pullImage(_ request: Runtime_V1_PullImageRequest) async throws -> Runtime_V1_PullImageResponse {
        try record(.pullImage, request.image.image)
        let ref = Self.normalize(request.image.image)
        if let pullableImages, !pullableImages.contains(ref) {
            throw RuntimeError.notFound(
                "failed to pull and unpack image \"\(ref)\": failed to resolve reference \"\(ref)\": \(ref): not found")
        }
        let id = addImage(ref)
        return .with { $0.imageRef = id }
    }

    public func removeImage(_ request: Runtime_V1_RemoveImageRequest) async throws -> Runtime_V1_RemoveImageResponse {
        try record(.removeImage, request.image.image)
        if let image = findImage(request.image.image) { images[image.id] = nil }  // idempotent
        return .init()
    }

    public func imageFsInfo(_ request: Runtime_V1_ImageFsInfoRequest) async throws -> Runtime_V1_ImageFsInfoResponse {
        try record(.imageFsInfo)
        let used = images.values.reduce(UInt64(0)) { $0 + $1.size }
        return .with {
            $0.imageFilesystems = [.with {
                $0.timestamp = now()
                $0.fsID.mountpoint = "/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs"
                $0.usedBytes.value = used
                $0.inodesUsed.value = UInt64(images.count)
            }]
        }
    }
}
