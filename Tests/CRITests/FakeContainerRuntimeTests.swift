import Foundation
import Testing
@testable import CRI

private func sandboxConfig(_ name: String, namespace: String = "default", uid: String? = nil, attempt: UInt32 = 0,
                           labels: [String: String] = [:], hostNetwork: Bool = false) -> Runtime_V1_PodSandboxConfig {
    .with {
        $0.metadata.name = name
        $0.metadata.namespace = namespace
        $0.metadata.uid = uid ?? "uid-\(name)"
        $0.metadata.attempt = attempt
        $0.hostname = name
        $0.logDirectory = "/var/log/pods/\(namespace)_\(name)_\(uid ?? "uid-\(name)")"
        $0.labels = labels
        $0.annotations = ["a": "b"]
        if hostNetwork { $0.linux.securityContext.namespaceOptions.network = .node }
    }
}

private func containerConfig(_ name: String, image: String = "busybox", labels: [String: String] = [:])
    -> Runtime_V1_ContainerConfig
{
    .with {
        $0.metadata.name = name
        $0.image.image = image
        $0.command = ["sleep", "3600"]
        $0.envs = [.with { $0.key = "A"; $0.value = "1" }]
        $0.logPath = "\(name)/0.log"
        $0.labels = labels
    }
}

private func runSandbox(_ runtime: FakeContainerRuntime, _ config: Runtime_V1_PodSandboxConfig) async throws -> String {
    try await runtime.runPodSandbox(.with { $0.config = config }).podSandboxID
}

private func create(_ runtime: FakeContainerRuntime, sandbox: String, _ config: Runtime_V1_ContainerConfig,
                    sandboxConfig: Runtime_V1_PodSandboxConfig) async throws -> String {
    try await runtime.createContainer(.with {
        $0.podSandboxID = sandbox
        $0.config = config
        $0.sandboxConfig = sandboxConfig
    }).containerID
}

private func expectCode(_ code: RuntimeError.Code, _ body: () async throws -> Void) async {
    do {
        try await body()
        Issue.record("expected \(code), got success")
    } catch let error as RuntimeError {
        #expect(error.code == code, "\(error)")
    } catch {
        Issue.record("unexpected error \(error)")
    }
}

@Suite struct FakeContainerRuntimeTests {
    @Test func versionAndStatusConditions() async throws {
        let runtime = FakeContainerRuntime()
        let version = try await runtime.version()
        #expect(version.runtimeName == "fake")
        #expect(version.runtimeApiVersion == "v1")
        var conditions = try await runtime.conditions()
        #expect(conditions["RuntimeReady"]?.status == true)
        #expect(conditions["NetworkReady"]?.status == true)
        await runtime.setNetworkReady(false)
        conditions = try await runtime.conditions()
        #expect(conditions["NetworkReady"]?.status == false)
        #expect(conditions["NetworkReady"]?.reason == "NetworkPluginNotReady")
    }

    @Test func sandboxLifecycleAllocatesAndReleasesIPs() async throws {
        let runtime = FakeContainerRuntime()
        try await runtime.setPodSubnet("10.99.0.0/24")
        let a = try await runSandbox(runtime, sandboxConfig("a", labels: ["app": "web"]))
        let b = try await runSandbox(runtime, sandboxConfig("b"))
        let host = try await runSandbox(runtime, sandboxConfig("h", hostNetwork: true))
        #expect(a.count == 64 && a != b)

        let statusA = try await runtime.podSandboxStatus(.with { $0.podSandboxID = a }).status
        #expect(statusA.state == .sandboxReady)
        #expect(statusA.network.ip == "10.99.0.2")
        #expect(statusA.createdAt > 0)
        #expect(statusA.labels == ["app": "web"])
        #expect(statusA.annotations == ["a": "b"])
        #expect(statusA.metadata.name == "a")
        #expect(try await runtime.podSandboxStatus(.with { $0.podSandboxID = b }).status.network.ip == "10.99.0.3")
        #expect(try await runtime.podSandboxStatus(.with { $0.podSandboxID = host }).status.network.ip == "")

        _ = try await runtime.stopPodSandbox(.with { $0.podSandboxID = a })
        _ = try await runtime.stopPodSandbox(.with { $0.podSandboxID = a })  // idempotent
        #expect(try await runtime.podSandboxStatus(.with { $0.podSandboxID = a }).status.state == .sandboxNotready)
        // The freed address is handed out again.
        let c = try await runSandbox(runtime, sandboxConfig("c"))
        #expect(try await runtime.podSandboxStatus(.with { $0.podSandboxID = c }).status.network.ip == "10.99.0.2")

        _ = try await runtime.removePodSandbox(.with { $0.podSandboxID = a })
        _ = try await runtime.removePodSandbox(.with { $0.podSandboxID = a })  // idempotent
        await expectCode(.notFound) { _ = try await runtime.podSandboxStatus(.with { $0.podSandboxID = a }) }
        await expectCode(.notFound) { _ = try await runtime.stopPodSandbox(.with { $0.podSandboxID = "nope" }) }
    }

    @Test func sandboxNameIsReservedPerAttempt() async throws {
        let runtime = FakeContainerRuntime()
        _ = try await runSandbox(runtime, sandboxConfig("a"))
        await expectCode(.unknown) { _ = try await runSandbox(runtime, sandboxConfig("a")) }
        _ = try await runSandbox(runtime, sandboxConfig("a", attempt: 1))
        await expectCode(.invalidArgument) { _ = try await runSandbox(runtime, sandboxConfig("")) }
    }

    @Test func listPodSandboxFilters() async throws {
        let runtime = FakeContainerRuntime()
        let a = try await runSandbox(runtime, sandboxConfig("a", labels: ["app": "web", "tier": "1"]))
        let b = try await runSandbox(runtime, sandboxConfig("b", labels: ["app": "db"]))
        _ = try await runtime.stopPodSandbox(.with { $0.podSandboxID = b })

        #expect(try await runtime.listPodSandbox(.init()).items.map(\.id) == [a, b])
        let web = try await runtime.listPodSandbox(.with { $0.filter.labelSelector = ["app": "web"] })
        #expect(web.items.map(\.id) == [a])
        let ready = try await runtime.listPodSandbox(.with { $0.filter.state.state = .sandboxReady })
        #expect(ready.items.map(\.id) == [a])
        let notReady = try await runtime.listPodSandbox(.with { $0.filter.state.state = .sandboxNotready })
        #expect(notReady.items.map(\.id) == [b])
        let byPrefix = try await runtime.listPodSandbox(.with { $0.filter.id = String(b.prefix(12)) })
        #expect(byPrefix.items.map(\.id) == [b])
        let none = try await runtime.listPodSandbox(.with { $0.filter.labelSelector = ["app": "web", "tier": "2"] })
        #expect(none.items.isEmpty)
    }

    @Test func containerLifecycle() async throws {
        let runtime = FakeContainerRuntime()
        await runtime.setTime(nanoseconds: 1_000)
        let podConfig = sandboxConfig("p")
        let pod = try await runSandbox(runtime, podConfig)
        // The image must be present.
        await expectCode(.notFound) {
            _ = try await create(runtime, sandbox: pod, containerConfig("c"), sandboxConfig: podConfig)
        }
        let imageRef = try await runtime.pullImage(.with { $0.image.image = "busybox" }).imageRef
        #expect(imageRef.hasPrefix("sha256:"))

        let id = try await create(runtime, sandbox: pod, containerConfig("c"), sandboxConfig: podConfig)
        var status = try await runtime.containerStatus(.with { $0.containerID = id }).status
        #expect(status.state == .containerCreated)
        #expect(status.createdAt == 1_000)
        #expect(status.startedAt == 0)
        #expect(status.logPath == "/var/log/pods/default_p_uid-p/c/0.log")
        #expect(status.image.image == "busybox")
        #expect(status.imageRef.contains("docker.io/library/busybox@sha256:"))

        await runtime.advanceTime(by: .seconds(2))
        _ = try await runtime.startContainer(.with { $0.containerID = id })
        status = try await runtime.containerStatus(.with { $0.containerID = id }).status
        #expect(status.state == .containerRunning)
        #expect(status.startedAt == 2_000_001_000)
        await expectCode(.unknown) { _ = try await runtime.startContainer(.with { $0.containerID = id }) }

        await runtime.advanceTime(by: .seconds(1))
        try await runtime.exitContainer(id, exitCode: 3)
        status = try await runtime.containerStatus(.with { $0.containerID = id }).status
        #expect(status.state == .containerExited)
        #expect(status.exitCode == 3)
        #expect(status.reason == "Error")
        #expect(status.finishedAt == 3_000_001_000)

        // Same name and attempt is reserved; the next attempt is fine.
        await expectCode(.unknown) {
            _ = try await create(runtime, sandbox: pod, containerConfig("c"), sandboxConfig: podConfig)
        }
        var retry = containerConfig("c")
        retry.metadata.attempt = 1
        let second = try await create(runtime, sandbox: pod, retry, sandboxConfig: podConfig)
        _ = try await runtime.startContainer(.with { $0.containerID = second })
        _ = try await runtime.stopContainer(.with { $0.containerID = second; $0.timeout = 30 })
        status = try await runtime.containerStatus(.with { $0.containerID = second }).status
        #expect(status.state == .containerExited)
        #expect(status.exitCode == 137)
        _ = try await runtime.stopContainer(.with { $0.containerID = second })  // idempotent

        _ = try await runtime.removeContainer(.with { $0.containerID = id })
        _ = try await runtime.removeContainer(.with { $0.containerID = id })  // idempotent
        await expectCode(.notFound) { _ = try await runtime.containerStatus(.with { $0.containerID = id }) }
    }

    @Test func exitOnStartAndStopSandboxStopContainers() async throws {
        let runtime = FakeContainerRuntime()
        await runtime.addImage("busybox")
        await runtime.exitOnStart(containerName: "job", exitCode: 0)
        let podConfig = sandboxConfig("p")
        let pod = try await runSandbox(runtime, podConfig)
        let job = try await create(runtime, sandbox: pod, containerConfig("job"), sandboxConfig: podConfig)
        let server = try await create(runtime, sandbox: pod, containerConfig("server"), sandboxConfig: podConfig)
        _ = try await runtime.startContainer(.with { $0.containerID = job })
        _ = try await runtime.startContainer(.with { $0.containerID = server })
        let jobStatus = try await runtime.containerStatus(.with { $0.containerID = job }).status
        #expect(jobStatus.state == .containerExited)
        #expect(jobStatus.exitCode == 0)
        #expect(jobStatus.reason == "Completed")

        _ = try await runtime.stopPodSandbox(.with { $0.podSandboxID = pod })
        let serverStatus = try await runtime.containerStatus(.with { $0.containerID = server }).status
        #expect(serverStatus.state == .containerExited)
        #expect(serverStatus.exitCode == 137)
        // No new containers in a stopped sandbox.
        await expectCode(.unknown) {
            _ = try await create(runtime, sandbox: pod, containerConfig("late"), sandboxConfig: podConfig)
        }
        // Removing the sandbox removes its containers.
        _ = try await runtime.removePodSandbox(.with { $0.podSandboxID = pod })
        #expect(try await runtime.listContainers(.init()).containers.isEmpty)
    }

    @Test func listContainersFilters() async throws {
        let runtime = FakeContainerRuntime()
        await runtime.addImage("docker.io/library/busybox:latest")
        let configA = sandboxConfig("a")
        let configB = sandboxConfig("b")
        let a = try await runSandbox(runtime, configA)
        let b = try await runSandbox(runtime, configB)
        let a1 = try await create(runtime, sandbox: a, containerConfig("x", labels: ["k": "1"]), sandboxConfig: configA)
        let a2 = try await create(runtime, sandbox: a, containerConfig("y", labels: ["k": "2"]), sandboxConfig: configA)
        let b1 = try await create(runtime, sandbox: b, containerConfig("x", labels: ["k": "1"]), sandboxConfig: configB)
        _ = try await runtime.startContainer(.with { $0.containerID = a2 })

        #expect(try await runtime.listContainers(.init()).containers.map(\.id) == [a1, a2, b1])
        #expect(try await runtime.listContainers(.with { $0.filter.podSandboxID = a }).containers.map(\.id) == [a1, a2])
        #expect(try await runtime.listContainers(.with { $0.filter.labelSelector = ["k": "1"] }).containers.map(\.id) == [a1, b1])
        let running = try await runtime.listContainers(.with { $0.filter.state.state = .containerRunning })
        #expect(running.containers.map(\.id) == [a2])
        #expect(running.containers.first?.podSandboxID == a)
        let created = try await runtime.listContainers(.with { $0.filter.state.state = .containerCreated })
        #expect(created.containers.map(\.id) == [a1, b1])
        #expect(try await runtime.listContainers(.with { $0.filter.id = b1 }).containers.count == 1)
        // Stats only cover running containers.
        #expect(try await runtime.listContainerStats(.init()).stats.map(\.attributes.id) == [a2])
        #expect(try await runtime.listPodSandboxStats(.init()).stats.count == 2)
    }

    @Test func imagesPullStatusListRemove() async throws {
        let runtime = FakeContainerRuntime()
        await runtime.setPullableImages(["docker.io/library/nginx:1.27", "127.0.0.1:5000/pause:3.9"])
        await expectCode(.notFound) { _ = try await runtime.pullImage(.with { $0.image.image = "busybox" }) }
        let nginx = try await runtime.pullImage(.with { $0.image.image = "nginx:1.27" }).imageRef
        let pause = try await runtime.pullImage(.with { $0.image.image = "127.0.0.1:5000/pause:3.9" }).imageRef
        #expect(nginx != pause)

        let status = try await runtime.imageStatus(.with { $0.image.image = "docker.io/library/nginx:1.27" })
        #expect(status.hasImage)
        #expect(status.image.id == nginx)
        #expect(status.image.repoTags == ["docker.io/library/nginx:1.27"])
        #expect(try await runtime.imageStatus(.with { $0.image.image = nginx }).image.id == nginx)
        // Absent images are not an error.
        #expect(try await runtime.imageStatus(.with { $0.image.image = "redis" }).hasImage == false)

        #expect(try await runtime.listImages(.init()).images.count == 2)
        #expect(try await runtime.listImages(.with { $0.filter.image.image = "nginx:1.27" }).images.map(\.id) == [nginx])
        let fs = try await runtime.imageFsInfo(.init())
        #expect(fs.imageFilesystems.first?.usedBytes.value == 2_000_000)

        _ = try await runtime.removeImage(.with { $0.image.image = "nginx:1.27" })
        _ = try await runtime.removeImage(.with { $0.image.image = "nginx:1.27" })  // idempotent
        #expect(try await runtime.listImages(.init()).images.map(\.id) == [pause])
    }

    @Test func injectedErrorsAndCallRecord() async throws {
        let runtime = FakeContainerRuntime()
        await runtime.injectError(.unavailable("connection refused"), for: .version)
        await expectCode(.unavailable) { _ = try await runtime.version() }
        _ = try await runtime.version()  // only the next call fails

        await runtime.addImage("busybox")
        let podConfig = sandboxConfig("p")
        let pod = try await runSandbox(runtime, podConfig)
        await runtime.injectError(.deadlineExceeded("slow"), for: .createContainer)
        await expectCode(.deadlineExceeded) {
            _ = try await create(runtime, sandbox: pod, containerConfig("c"), sandboxConfig: podConfig)
        }
        // The failed call created nothing.
        #expect(try await runtime.listContainers(.init()).containers.isEmpty)

        let calls = await runtime.calls
        #expect(calls.map(\.method) == [.version, .version, .runPodSandbox, .createContainer, .listContainers])
        #expect(calls[2].target == "default/p")
        #expect(await runtime.calls(to: .version).count == 2)
    }

    @Test func execSyncAndStreamingNeedARunningContainer() async throws {
        let runtime = FakeContainerRuntime()
        await runtime.addImage("busybox")
        await runtime.setExecHandler { _, cmd in
            .with {
                $0.stdout = Data(cmd.joined(separator: " ").utf8)
                $0.exitCode = cmd.first == "false" ? 1 : 0
            }
        }
        let podConfig = sandboxConfig("p")
        let pod = try await runSandbox(runtime, podConfig)
        let id = try await create(runtime, sandbox: pod, containerConfig("c"), sandboxConfig: podConfig)
        await expectCode(.unknown) { _ = try await runtime.execSync(.with { $0.containerID = id; $0.cmd = ["true"] }) }
        _ = try await runtime.startContainer(.with { $0.containerID = id })
        let ok = try await runtime.execSync(.with { $0.containerID = id; $0.cmd = ["echo", "hi"] })
        #expect(String(decoding: ok.stdout, as: UTF8.self) == "echo hi")
        #expect(ok.exitCode == 0)
        #expect(try await runtime.execSync(.with { $0.containerID = id; $0.cmd = ["false"] }).exitCode == 1)
        let url = try await runtime.exec(.with { $0.containerID = id; $0.cmd = ["sh"]; $0.stdout = true }).url
        #expect(url.hasPrefix("http://127.0.0.1:"))
        await expectCode(.invalidArgument) { _ = try await runtime.exec(.with { $0.containerID = id; $0.cmd = ["sh"] }) }
        _ = try await runtime.updateContainerResources(.with { $0.containerID = id; $0.linux.cpuQuota = 50_000 })
        #expect(try await runtime.containerStatus(.with { $0.containerID = id }).status.resources.linux.cpuQuota == 50_000)
    }

    @Test func referenceNormalization() {
        #expect(FakeContainerRuntime.normalize("busybox") == "docker.io/library/busybox:latest")
        #expect(FakeContainerRuntime.normalize("library/busybox:1.36") == "docker.io/library/busybox:1.36")
        #expect(FakeContainerRuntime.normalize("127.0.0.1:5000/pause:3.9") == "127.0.0.1:5000/pause:3.9")
        #expect(FakeContainerRuntime.normalize("localhost/app") == "localhost/app:latest")
        #expect(FakeContainerRuntime.normalize("registry.k8s.io/pause@sha256:abc") == "registry.k8s.io/pause@sha256:abc")
    }

    @Test func runtimeErrorCodesAreDistinguishable() {
        #expect(RuntimeError.notFound("x").isNotFound)
        #expect(RuntimeError.unavailable("x").isUnavailable)
        #expect(RuntimeError.deadlineExceeded("x").isDeadlineExceeded)
        #expect(!RuntimeError.unknown("x").isNotFound)
        #expect(RuntimeError.notFound("gone").description == "rpc error: code = notFound desc = gone")
    }
}
