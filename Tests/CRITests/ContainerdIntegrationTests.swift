import Foundation
import Testing
@testable import CRI

#if canImport(Glibc)
import Glibc
#endif

/// What the containerd integration tests need on the machine.
enum ContainerdEnvironment {
    static let containerd = "/usr/bin/containerd"
    static let ctr = "/usr/bin/ctr"
    static let runc = "/usr/sbin/runc"
    static let umoci = "/usr/bin/umoci"
    static let busybox = "/bin/busybox"
    static let cniBridge = "/usr/lib/cni/bridge"

    static func executable(_ path: String) -> Bool { FileManager.default.isExecutableFile(atPath: path) }
    /// A private containerd can run: the binary is there and we are root.
    static var available: Bool { executable(containerd) && executable(ctr) && executable(runc) && getuid() == 0 }
    /// Images can be built and imported locally, and pods get a network.
    static var podsAvailable: Bool {
        available && executable(umoci) && executable(busybox) && executable(cniBridge)
            && executable("/usr/lib/cni/host-local") && executable("/usr/lib/cni/loopback")
    }
    /// CI sets SWIFTLET_REQUIRE_CONTAINERD=1: a missing containerd is then a failure, not a skip.
    static var required: Bool { ProcessInfo.processInfo.environment["SWIFTLET_REQUIRE_CONTAINERD"] == "1" }
}

/// Runs a program to completion; throws with its output when it fails.
@discardableResult
private func run(_ path: String, _ arguments: [String], in directory: String? = nil) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw RuntimeError.unknown("\(path) \(arguments.joined(separator: " ")) exited \(process.terminationStatus): \(output)")
    }
    return output
}

/// A containerd of the test's own: temp root/state dirs, its own socket, a CNI bridge
/// `swlt-test0` on 10.99.0.0/24 (no masquerade). `stop()` kills it by PID and removes everything.
final class PrivateContainerd {
    static let bridge = "swlt-test0"
    static let subnet = "10.99.0.0/24"
    static let sandboxImage = "127.0.0.1:5999/swiftlet-test/pause:1"
    static let busyboxImage = "127.0.0.1:5999/swiftlet-test/busybox:1"

    let dir: String
    var socket: String { dir + "/containerd.sock" }
    private var process: Process?

    init() throws {
        var template = Array("/tmp/swlt-cri.XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw RuntimeError.unknown("mkdtemp failed") }
        dir = String(cString: made)
        try FileManager.default.createDirectory(atPath: dir + "/net.d", withIntermediateDirectories: true)
        try Self.config(dir).write(toFile: dir + "/config.toml", atomically: true, encoding: .utf8)
        try Self.conflist(dir).write(toFile: dir + "/net.d/10-swlt-test.conflist", atomically: true, encoding: .utf8)
    }

    static func config(_ dir: String) -> String {
        let cri = #"plugins."io.containerd.grpc.v1.cri""#
        return """
        version = 2
        root = "\(dir)/root"
        state = "\(dir)/state"
        oom_score = 0

        [grpc]
          address = "\(dir)/containerd.sock"
        [ttrpc]
          address = "\(dir)/containerd.sock.ttrpc"
        [debug]
          address = ""
          level = "info"
        [metrics]
          address = ""

        [plugins]
          [plugins."io.containerd.internal.v1.opt"]
            path = "\(dir)/opt"
          [\(cri)]
            sandbox_image = "\(sandboxImage)"
            systemd_cgroup = false
            disable_apparmor = true
            restrict_oom_score_adj = true
            tolerate_missing_hugetlb_controller = true
            disable_hugetlb_controller = true
            stream_server_address = "127.0.0.1"
            stream_server_port = "0"
            [\(cri).cni]
              bin_dir = "/usr/lib/cni"
              conf_dir = "\(dir)/net.d"
              max_conf_num = 1
            [\(cri).containerd]
              snapshotter = "overlayfs"
              default_runtime_name = "runc"
              [\(cri).containerd.runtimes.runc]
                runtime_type = "io.containerd.runc.v2"
                [\(cri).containerd.runtimes.runc.options]
                  BinaryName = "/usr/sbin/runc"
                  SystemdCgroup = false

        """
    }

    static func conflist(_ dir: String) -> String {
        """
        {
          "cniVersion": "1.0.0",
          "name": "swlt-test",
          "plugins": [{
            "type": "bridge", "bridge": "\(bridge)", "isGateway": true, "ipMasq": false, "hairpinMode": true,
            "ipam": {
              "type": "host-local",
              "ranges": [[{ "subnet": "\(subnet)", "gateway": "10.99.0.1" }]],
              "routes": [{ "dst": "0.0.0.0/0" }],
              "dataDir": "\(dir)/cni-ipam"
            }
          }]
        }

        """
    }

    func start() async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ContainerdEnvironment.containerd)
        process.arguments = ["--config", dir + "/config.toml"]
        _ = FileManager.default.createFile(atPath: dir + "/containerd.log", contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/containerd.log"))
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        self.process = process
        // The socket appears within ~50 ms on this machine; allow 20 s under load.
        let deadline = ContinuousClock.now + .seconds(20)
        while !FileManager.default.fileExists(atPath: socket) {
            guard process.isRunning else { throw RuntimeError.unknown("containerd exited: \(self.log())") }
            guard ContinuousClock.now < deadline else { throw RuntimeError.unknown("no containerd socket: \(self.log())") }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    func log() -> String { (try? String(contentsOfFile: dir + "/containerd.log", encoding: .utf8)) ?? "" }

    /// Builds busybox and pause images with umoci and imports them into the k8s.io namespace.
    func importImages() throws {
        let rootfs = dir + "/image-rootfs"
        let fm = FileManager.default
        for sub in ["bin", "etc", "tmp"] { try fm.createDirectory(atPath: rootfs + "/" + sub, withIntermediateDirectories: true) }
        try fm.copyItem(atPath: ContainerdEnvironment.busybox, toPath: rootfs + "/bin/busybox")
        for applet in ["sh", "sleep", "echo", "cat", "true", "false", "ls", "hostname", "ip"] {
            try fm.createSymbolicLink(atPath: rootfs + "/bin/" + applet, withDestinationPath: "busybox")
        }
        try "root:x:0:0:root:/:/bin/sh\n".write(toFile: rootfs + "/etc/passwd", atomically: true, encoding: .utf8)
        try "root:x:0:\n".write(toFile: rootfs + "/etc/group", atomically: true, encoding: .utf8)
        let umoci = ContainerdEnvironment.umoci
        let layout = dir + "/oci"
        try run(umoci, ["init", "--layout", layout])
        try run(umoci, ["new", "--image", layout + ":busybox"])
        try run(umoci, ["insert", "--image", layout + ":busybox", rootfs, "/"])
        try run(umoci, ["config", "--image", layout + ":busybox", "--os", "linux", "--architecture", "amd64",
                        "--config.env", "PATH=/bin", "--config.cmd", "sh"])
        try run(umoci, ["tag", "--image", layout + ":busybox", "pause"])
        try run(umoci, ["config", "--image", layout + ":pause", "--config.entrypoint", "sleep",
                        "--config.cmd", "2147483647"])
        try run(umoci, ["gc", "--layout", layout])
        // Full names for ctr import: the io.containerd.image.name annotation.
        let indexPath = layout + "/index.json"
        let data = try Data(contentsOf: URL(fileURLWithPath: indexPath))
        guard var index = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              var manifests = index["manifests"] as? [[String: Any]] else { throw RuntimeError.unknown("bad index.json") }
        for i in manifests.indices {
            var annotations = manifests[i]["annotations"] as? [String: String] ?? [:]
            let tag = annotations["org.opencontainers.image.ref.name"] ?? ""
            annotations["io.containerd.image.name"] = tag == "pause" ? Self.sandboxImage : Self.busyboxImage
            manifests[i]["annotations"] = annotations
        }
        index["manifests"] = manifests
        try JSONSerialization.data(withJSONObject: index).write(to: URL(fileURLWithPath: indexPath))
        try run("/bin/tar", ["-C", layout, "-cf", dir + "/images.tar", "."])
        try run(ContainerdEnvironment.ctr, ["-a", socket, "-n", "k8s.io", "images", "import", dir + "/images.tar"])
    }

    /// Kills containerd by its PID, then anything it left: shims, mounts, the bridge, the temp dir.
    func stop() {
        killContainerd()
        killShims()
        unmountAll()
        if FileManager.default.fileExists(atPath: "/sys/class/net/\(Self.bridge)") {
            _ = try? run("/usr/sbin/ip", ["link", "delete", Self.bridge])
        }
        try? FileManager.default.removeItem(atPath: dir)
    }

    /// Stops the containerd process only (SIGTERM, SIGKILL after 5 s); its state stays.
    func killContainerd() {
        if let process, process.isRunning {
            kill(process.processIdentifier, SIGTERM)
            let deadline = Date().addingTimeInterval(5)
            while process.isRunning && Date() < deadline { usleep(20_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        process = nil
    }

    /// Shims started by this containerd carry `-address <our socket>` on their command line.
    private func killShims() {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return }
        for entry in entries {
            guard let pid = Int32(entry),
                  let cmdline = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { continue }
            let args = cmdline.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            if args.first?.hasSuffix("containerd-shim-runc-v2") == true, args.contains(socket) {
                kill(pid, SIGKILL)
            }
        }
    }

    private func unmountAll() {
        guard let mountinfo = try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8) else { return }
        let points = mountinfo.split(separator: "\n").compactMap { line -> String? in
            let fields = line.split(separator: " ")
            return fields.count > 4 ? String(fields[4]) : nil
        }.filter { $0.hasPrefix(dir + "/") }
        for point in points.reversed() { umount2(point, Int32(MNT_DETACH)) }
    }
}

/// Runs `body` against a fresh private containerd; removes every pod, closes the client and
/// stops containerd afterwards, whatever happened.
private func withContainerd(_ body: (PrivateContainerd, CRIClient) async throws -> Void) async throws {
    let node = try PrivateContainerd()
    var client: CRIClient?
    var failure: (any Error)?
    do {
        try await node.start()
        let started = try CRIClient(socketPath: node.socket)
        client = started
        try await body(node, started)
    } catch {
        failure = error
    }
    if let client {
        if let pods = try? await client.listPodSandbox(.init()) {
            for pod in pods.items {
                _ = try? await client.stopPodSandbox(.with { $0.podSandboxID = pod.id })
                _ = try? await client.removePodSandbox(.with { $0.podSandboxID = pod.id })
            }
        }
        await client.close()
    }
    node.stop()
    #expect(!FileManager.default.fileExists(atPath: node.dir))
    if let failure {
        Issue.record("containerd log:\n\(String(node.log().suffix(4000)))")
        throw failure
    }
}

@Suite(.serialized) struct ContainerdIntegrationTests {
    @Test(.enabled(if: ContainerdEnvironment.required))
    func containerdIsInstalledWhenRequired() {
        #expect(ContainerdEnvironment.available, "SWIFTLET_REQUIRE_CONTAINERD=1 but containerd/ctr/runc are missing or not root")
        #expect(ContainerdEnvironment.podsAvailable, "SWIFTLET_REQUIRE_CONTAINERD=1 but umoci/busybox-static/CNI plugins are missing")
    }

    @Test(.enabled(if: ContainerdEnvironment.available))
    func versionStatusAndImagesOverCRI() async throws {
        try await withContainerd { _, client in
            let version = try await client.version()
            #expect(version.runtimeName == "containerd")
            #expect(version.runtimeApiVersion == "v1")
            #expect(!version.runtimeVersion.isEmpty)

            let conditions = try await client.conditions()
            #expect(conditions["RuntimeReady"]?.status == true)
            #expect(conditions["NetworkReady"] != nil)

            #expect(try await client.listPodSandbox(.init()).items.isEmpty)
            #expect(try await client.listContainers(.init()).containers.isEmpty)
            #expect(try await client.listImages(.init()).images.isEmpty)
            let fs = try await client.imageFsInfo(.init())
            #expect(!fs.imageFilesystems.isEmpty)
            #expect(fs.imageFilesystems.first?.fsID.mountpoint.isEmpty == false)

            // Errors come back as codes: an unknown sandbox is NotFound, an absent image no error.
            do {
                _ = try await client.podSandboxStatus(.with { $0.podSandboxID = "0123456789ab" })
                Issue.record("PodSandboxStatus of an unknown sandbox succeeded")
            } catch let error as RuntimeError {
                #expect(error.code == .notFound, "\(error)")
            }
            let absent = try await client.imageStatus(.with { $0.image.image = PrivateContainerd.busyboxImage })
            #expect(!absent.hasImage)
        }
    }

    /// containerd ends many streams with RST_STREAM; the HTTP/2 client closes a connection that
    /// receives 200 of them within 10 s. A kubelet starting pods quickly makes that many calls.
    @Test(.enabled(if: ContainerdEnvironment.available))
    func manyQuickCallsOnOneClientAllSucceed() async throws {
        try await withContainerd { _, client in
            // StartContainer is never retried: a dropped connection would show as .unavailable.
            for index in 0..<600 {
                do {
                    _ = try await client.startContainer(.with { $0.containerID = "no-such-container" })
                    Issue.record("StartContainer of an unknown container succeeded")
                } catch let error as RuntimeError where error.code == .notFound {
                    continue
                } catch {
                    Issue.record("call \(index) failed: \(error)")
                    throw error
                }
            }
        }
    }

    @Test(.enabled(if: ContainerdEnvironment.available))
    func clientReconnectsAfterARuntimeRestart() async throws {
        try await withContainerd { node, client in
            #expect(try await client.version().runtimeName == "containerd")
            node.killContainerd()
            // containerd leaves its socket file behind: connecting is refused, the call unavailable.
            var options = CRIClient.Options()
            options.connectRetryWindow = .milliseconds(500)
            let impatient = try CRIClient(socketPath: node.socket, options: options)
            do {
                _ = try await impatient.status(.init())
                Issue.record("Status succeeded with containerd stopped")
            } catch let error as RuntimeError {
                #expect(error.code == .unavailable, "\(error)")
            }
            await impatient.close()
            do {
                _ = try await client.listPodSandbox(.init())
                Issue.record("ListPodSandbox succeeded with containerd stopped")
            } catch let error as RuntimeError {
                #expect(error.code == .unavailable, "\(error)")
            }
            // Started again on the same socket, the same client gets through.
            try await node.start()
            #expect(try await client.version().runtimeApiVersion == "v1")
            #expect(try await client.listPodSandbox(.init()).items.isEmpty)
        }
    }

    @Test(.enabled(if: ContainerdEnvironment.podsAvailable))
    func podLifecycleOverCRI() async throws {
        try await withContainerd { node, client in
            try node.importImages()
            let images = try await client.listImages(.init()).images.flatMap(\.repoTags)
            #expect(images.contains(PrivateContainerd.busyboxImage))
            #expect(images.contains(PrivateContainerd.sandboxImage))
            let imageStatus = try await client.imageStatus(.with { $0.image.image = PrivateContainerd.busyboxImage })
            #expect(imageStatus.image.id.hasPrefix("sha256:"))

            let logDir = node.dir + "/logs/default_probe_uid1"
            try FileManager.default.createDirectory(atPath: logDir + "/c", withIntermediateDirectories: true)
            let podConfig = Runtime_V1_PodSandboxConfig.with {
                $0.metadata = .with { $0.name = "probe"; $0.namespace = "default"; $0.uid = "uid1"; $0.attempt = 0 }
                $0.hostname = "probe"
                $0.logDirectory = logDir
                $0.labels = ["io.kubernetes.pod.name": "probe", "swiftlet.test": "yes"]
                $0.annotations = ["note": "integration"]
                $0.linux.securityContext.namespaceOptions = .with { $0.network = .pod; $0.pid = .container; $0.ipc = .pod }
            }
            let podID = try await client.runPodSandbox(.with { $0.config = podConfig }).podSandboxID
            let podStatus = try await client.podSandboxStatus(.with { $0.podSandboxID = podID }).status
            #expect(podStatus.state == .sandboxReady)
            #expect(podStatus.network.ip.hasPrefix("10.99.0."), "pod IP \(podStatus.network.ip)")
            #expect(podStatus.annotations["note"] == "integration")
            let listed = try await client.listPodSandbox(.with { $0.filter.labelSelector = ["swiftlet.test": "yes"] })
            #expect(listed.items.map(\.id) == [podID])

            let containerConfig = Runtime_V1_ContainerConfig.with {
                $0.metadata = .with { $0.name = "c"; $0.attempt = 0 }
                $0.image.image = PrivateContainerd.busyboxImage
                $0.command = ["sh", "-c", "echo started; exec sleep 3600"]
                $0.envs = [.with { $0.key = "GREETING"; $0.value = "hello" }]
                $0.logPath = "c/0.log"
                $0.labels = ["io.kubernetes.container.name": "c"]
            }
            let containerID = try await client.createContainer(.with {
                $0.podSandboxID = podID
                $0.config = containerConfig
                $0.sandboxConfig = podConfig
            }).containerID
            #expect(try await client.containerStatus(.with { $0.containerID = containerID }).status.state == .containerCreated)
            _ = try await client.startContainer(.with { $0.containerID = containerID })
            let running = try await client.containerStatus(.with { $0.containerID = containerID }).status
            #expect(running.state == .containerRunning)
            #expect(running.startedAt > 0)
            #expect(running.logPath == logDir + "/c/0.log")

            let exec = try await client.execSync(.with {
                $0.containerID = containerID
                $0.cmd = ["sh", "-c", "echo $GREETING; hostname; exit 3"]
                $0.timeout = 10
            })
            #expect(String(decoding: exec.stdout, as: UTF8.self) == "hello\nprobe\n")
            #expect(exec.exitCode == 3)

            _ = try await client.stopContainer(.with { $0.containerID = containerID; $0.timeout = 0 })
            let exited = try await client.containerStatus(.with { $0.containerID = containerID }).status
            #expect(exited.state == .containerExited)
            #expect(exited.exitCode == 137)
            #expect(exited.finishedAt >= exited.startedAt)
            let log = try String(contentsOfFile: logDir + "/c/0.log", encoding: .utf8)
            #expect(log.contains("stdout F started"))

            _ = try await client.removeContainer(.with { $0.containerID = containerID })
            #expect(try await client.listContainers(.init()).containers.isEmpty)
            _ = try await client.stopPodSandbox(.with { $0.podSandboxID = podID })
            #expect(try await client.podSandboxStatus(.with { $0.podSandboxID = podID }).status.state == .sandboxNotready)
            _ = try await client.removePodSandbox(.with { $0.podSandboxID = podID })
            #expect(try await client.listPodSandbox(.init()).items.isEmpty)
        }
    }
}

@Suite struct CRIClientUnreachableTests {
    @Test func missingSocketIsUnavailableWithinTheRetryWindow() async throws {
        let dir = NSTemporaryDirectory() + "swlt-cri-missing-\(getpid())"
        let client = try CRIClient(socketPath: dir + "/containerd.sock")
        let clock = ContinuousClock()
        let start = clock.now
        do {
            _ = try await client.version()
            Issue.record("Version over a missing socket succeeded")
        } catch let error as RuntimeError {
            #expect(error.code == .unavailable, "\(error)")
        }
        let elapsed = clock.now - start
        // Retried for ~7 s (connectRetryWindow), well before the 10 s call deadline.
        #expect(elapsed >= .seconds(5) && elapsed < .seconds(10), "took \(elapsed)")

        // Calls that must not be repeated fail at once.
        let quick = clock.now
        do {
            _ = try await client.runPodSandbox(.init())
            Issue.record("RunPodSandbox over a missing socket succeeded")
        } catch let error as RuntimeError {
            #expect(error.code == .unavailable, "\(error)")
        }
        #expect(clock.now - quick < .seconds(3))
        await client.close()
    }

    /// A socket that accepts connections but never speaks HTTP/2: every call ends at its deadline.
    @Test func silentRuntimeHitsTheCallDeadline() async throws {
        let path = NSTemporaryDirectory() + "swlt-cri-silent-\(getpid()).sock"
        unlink(path)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        #expect(fd >= 0)
        defer {
            close(fd)
            unlink(path)
        }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            path.utf8CString.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0.prefix(buffer.count - 1))) }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        #expect(bound == 0)
        #expect(listen(fd, 16) == 0)

        var options = CRIClient.Options()
        options.callTimeout = .seconds(1)
        let client = try CRIClient(socketPath: path, options: options)
        let clock = ContinuousClock()
        let start = clock.now
        do {
            _ = try await client.listPodSandbox(.init())
            Issue.record("ListPodSandbox against a silent socket succeeded")
        } catch let error as RuntimeError {
            #expect(error.code == .deadlineExceeded, "\(error)")
        }
        let elapsed = clock.now - start
        #expect(elapsed >= .seconds(1) && elapsed < .seconds(10), "took \(elapsed)")  // a hang is the failure; a loaded machine is slow
        // Closing does not hang on the connection stuck in its handshake either.
        let closing = clock.now
        await client.close()
        #expect(clock.now - closing < .seconds(5))
    }

    @Test func closedClientFailsWithoutCrashing() async throws {
        var options = CRIClient.Options()
        options.connectRetryWindow = .milliseconds(300)
        let client = try CRIClient(socketPath: "/nonexistent/swlt.sock", options: options)
        await client.close()
        do {
            _ = try await client.status(.init())
            Issue.record("Status on a closed client succeeded")
        } catch let error as RuntimeError {
            #expect(error.code == .unavailable, "\(error)")
        }
    }
}
