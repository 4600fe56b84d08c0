import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

@testable import HostOS

/// Runs a real containerd when the host has one and we are root. With SWIFTLET_REQUIRE_CONTAINERD=1
/// (CI) a missing containerd is a failure, never a silent skip.
@Suite(.serialized) struct RealContainerdTests {
    static let containerdPath = "/usr/bin/containerd"

    /// nil when the test can run; otherwise why not.
    static func unavailable() -> String? {
        if !FileManager.default.isExecutableFile(atPath: containerdPath) { return "\(containerdPath) is missing" }
        if getuid() != 0 { return "not root" }
        return nil
    }

    static var required: Bool { ProcessInfo.processInfo.environment["SWIFTLET_REQUIRE_CONTAINERD"] == "1" }

    let run = LaunchingCommandRunner()

    func sh(_ script: String) async throws -> CommandResult {
        try await run.run("/bin/sh", ["-c", script], timeout: .seconds(60))
    }

    @Test func startsAContainerdThatSurvivesKill9AndStopsCleanly() async throws {
        if let reason = Self.unavailable() {
            if Self.required { Issue.record("SWIFTLET_REQUIRE_CONTAINERD=1 but \(reason)") }
            return
        }
        // Short paths: the socket path must fit in sun_path.
        let dir = "/tmp/swl-ctd-\(UUID().uuidString.prefix(6))"
        let bridge = "swlt\(UUID().uuidString.prefix(6).lowercased())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try """
            mirrors:
              docker.io:
                endpoint: ["http://127.0.0.1:5000"]
            configs:
              "127.0.0.1:5000":
                auth: {username: test, password: secret}
              "registry.invalid:8443":
                tls: {insecure_skip_verify: true}
            """.write(toFile: dir + "/registries.yaml", atomically: true, encoding: .utf8)
        var options = ContainerdOptions(
            layout: ContainerdLayout(root: dir + "/root", state: dir + "/state", configDir: dir + "/etc", logFile: dir + "/containerd.log"),
            podCIDR: "10.213.77.0/24", sandboxImage: "127.0.0.1:5000/pause:3.9")
        options.bridgeName = bridge
        options.registriesFile = dir + "/registries.yaml"
        options.readinessTimeout = .seconds(30)
        let containerd = Containerd(options: options)
        do {
            try await exercise(containerd, dir: dir)
        } catch {
            Issue.record(error)
        }
        // Whatever happened above: never leave a containerd or its files behind.
        await containerd.stop()
        await cleanUp(dir: dir, bridge: bridge)
    }

    func exercise(_ containerd: Containerd, dir: String) async throws {
        let socket = try await containerd.start()
        #expect(socket == dir + "/state/containerd.sock")
        let firstPID = try #require(await containerd.supervisorStatus?.pid)
        let plugins = try await run.run("/usr/bin/ctr", ["--address", socket, "plugins", "ls"], timeout: .seconds(10))
        let log = (try? String(contentsOfFile: dir + "/containerd.log", encoding: .utf8)) ?? ""
        #expect(plugins.stdout.split(separator: "\n").contains { $0.contains("io.containerd.grpc.v1") && $0.contains(" cri ") && $0.trimmingCharacters(in: .whitespaces).hasSuffix(" ok") },
                "CRI plugin not ok:\n\(plugins.stdout)\n\(log)")
        #expect(plugins.stdout.split(separator: "\n").contains { $0.contains("overlayfs") && $0.trimmingCharacters(in: .whitespaces).hasSuffix(" ok") })

        // kill -9: the supervisor starts a new containerd, which becomes ready again.
        #expect(kill(firstPID, SIGKILL) == 0)
        #expect(await eventually(timeout: .seconds(10)) {
            let status = await containerd.supervisorStatus
            return status?.restarts == 1 && status?.pid != nil && status?.pid != firstPID
        })
        #expect(await containerd.supervisorStatus?.lastExit == .signaled(SIGKILL))
        try await containerd.waitUntilReady()

        try await importAnArchive(socket: socket, dir: dir)

        let secondPID = try #require(await containerd.supervisorStatus?.pid)
        let exit = await containerd.stop()
        #expect(exit == .exited(0), "containerd ended with \(String(describing: exit)) on SIGTERM")
        #expect(kill(secondPID, 0) == -1)
        #expect(await containerd.supervisorStatus?.active == false)
    }

    /// Builds a one-file image with umoci, saves it as a docker archive with skopeo and imports it.
    func importAnArchive(socket: String, dir: String) async throws {
        let tools = ["/usr/bin/umoci", "/usr/bin/skopeo", "/bin/busybox"]
        guard tools.allSatisfy({ FileManager.default.isExecutableFile(atPath: $0) }) else {
            if Self.required { Issue.record("SWIFTLET_REQUIRE_CONTAINERD=1 but one of \(tools) is missing") }
            return
        }
        let build = try await sh("""
            set -e
            cd \(dir) && mkdir -p rootfs/bin && cp /bin/busybox rootfs/bin/busybox
            umoci init --layout oci && umoci new --image oci:img
            umoci insert --image oci:img rootfs /
            umoci config --image oci:img --config.entrypoint /bin/busybox --config.cmd true
            skopeo copy oci:oci:img docker-archive:image.tar:docker.io/library/swiftlet-import-test:1
            """)
        #expect(build.succeeded, "\(build.stdout)\(build.stderr)")
        let archives = ImageArchives(socket: socket, recordFile: dir + "/imported.json")
        try FileManager.default.createDirectory(atPath: dir + "/images", withIntermediateDirectories: true)
        try FileManager.default.moveItem(atPath: dir + "/image.tar", toPath: dir + "/images/image.tar")
        #expect(try await archives.importDirectory(dir + "/images") == [dir + "/images/image.tar"])
        #expect(try await archives.importDirectory(dir + "/images").isEmpty)
        let list = try await run.run("/usr/bin/ctr", ["--address", socket, "-n", "k8s.io", "images", "ls", "-q"], timeout: .seconds(10))
        #expect(list.stdout.contains("docker.io/library/swiftlet-import-test:1"), "\(list.stdout)")
        await #expect(throws: ImageArchiveError.notATar(dir + "/registries.yaml")) {
            try await archives.import(file: dir + "/registries.yaml")
        }
    }

    func cleanUp(dir: String, bridge: String) async {
        // Snapshot mounts (none expected) first, then the files; a bridge exists only if a pod ran.
        if let mounts = try? String(contentsOfFile: "/proc/self/mounts", encoding: .utf8) {
            for line in mounts.split(separator: "\n").reversed() {
                let fields = line.split(separator: " ")
                if fields.count > 1, fields[1].hasPrefix(dir) { _ = umount2(String(fields[1]), Int32(MNT_DETACH)) }
            }
        }
        try? FileManager.default.removeItem(atPath: dir)
        if FileManager.default.fileExists(atPath: "/sys/class/net/\(bridge)") {
            _ = try? await run.run("/sbin/ip", ["link", "del", bridge], timeout: .seconds(10))
        }
    }
}
