import Foundation
import Synchronization
import Testing

@testable import HostOS

func temporaryDirectory(_ prefix: String = "hostos") throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString.prefix(8))").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

@Suite struct ContainerdManagerTests {
    func options(_ dir: String) -> ContainerdOptions {
        var options = ContainerdOptions(
            layout: ContainerdLayout(root: dir + "/root", state: dir + "/state", configDir: dir + "/etc", logFile: dir + "/containerd.log"),
            podCIDR: "10.77.0.0/24", sandboxImage: "127.0.0.1:5000/pause:3.9")
        options.readinessTimeout = .seconds(20)  // generous: a loaded machine is slow, only the expiry test waits it out
        return options
    }

    @Test func writesItsFilesStartsContainerdAndWaitsForTheProbe() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "mirrors:\n  docker.io:\n    endpoint: [\"http://127.0.0.1:5000\"]\n".write(toFile: dir + "/registries.yaml", atomically: true, encoding: .utf8)
        var options = options(dir)
        options.registriesFile = dir + "/registries.yaml"
        let launcher = FakeProcessLauncher()
        let probes = Mutex(0)
        let containerd = Containerd(options: options, launcher: launcher, cgroups: FakeCgroupMounts(unified: ["hugetlb"]),
                                    readinessProbe: { probes.withLock { $0 += 1; return $0 >= 3 } })
        let socket = try await containerd.start()
        #expect(socket == dir + "/state/containerd.sock")
        #expect(probes.withLock { $0 } == 3)
        let spec = try #require(launcher.last?.spec)
        #expect(spec.executable == "/usr/bin/containerd")
        #expect(spec.arguments == ["--config", dir + "/etc/config.toml"])
        #expect(spec.logFile == dir + "/containerd.log")
        #expect(spec.networkNamespace == nil)
        #expect(try String(contentsOfFile: dir + "/state/containerd.pid", encoding: .utf8) == "\(launcher.last!.pid)\n")

        let config = try TOMLReader.parse(String(contentsOfFile: dir + "/etc/config.toml", encoding: .utf8))
        #expect(config["grpc"]?.value("address") == .string(dir + "/state/containerd.sock"))
        let conflist = try String(contentsOfFile: dir + "/etc/cni/net.d/10-swiftlet.conflist", encoding: .utf8)
        #expect(conflist.contains("\"subnet\" : \"10.77.0.0/24\""))
        let hosts = try TOMLReader.parse(String(contentsOfFile: dir + "/etc/certs.d/docker.io/hosts.toml", encoding: .utf8))
        #expect(hosts.table([])?.value("server") == .string("http://127.0.0.1:5000"))
        // Not asked for: no cgroup mounts.
        #expect(await containerd.mountedCgroupControllers.isEmpty)

        // The supervisor restarts it.
        launcher.last!.exit(.exited(1))
        #expect(await eventually { launcher.processes.count == 2 })
        #expect(await containerd.supervisorStatus?.restarts == 1)
        #expect(try String(contentsOfFile: dir + "/state/containerd.pid", encoding: .utf8) == "\(launcher.last!.pid)\n")
        await containerd.stop()
        #expect(launcher.last!.signals == [SIGTERM])
        #expect(!FileManager.default.fileExists(atPath: dir + "/state/containerd.pid"))
    }

    @Test func appliesTheCgroupFixOnlyWhenAskedAndNeeded() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var options = options(dir)
        options.applyCgroupFix = true
        let mounts = FakeCgroupMounts(unified: ["hugetlb"])
        let containerd = Containerd(options: options, launcher: FakeProcessLauncher(), cgroups: mounts, readinessProbe: { true })
        try await containerd.start()
        #expect(mounts.mountCalls == ["/sys/fs/cgroup/hugetlb"])
        #expect(await containerd.mountedCgroupControllers == ["hugetlb"])
        await containerd.stop()

        let none = FakeCgroupMounts(unified: [])
        #expect(try CgroupHybridFix.apply(using: none).isEmpty)
        #expect(none.mountCalls.isEmpty)
    }

    @Test func anExternalEndpointStartsAndWritesNothing() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var options = options(dir)
        options.externalEndpoint = "unix:///run/other/containerd.sock"
        options.applyCgroupFix = true
        let launcher = FakeProcessLauncher(), mounts = FakeCgroupMounts(unified: ["hugetlb"])
        let containerd = Containerd(options: options, launcher: launcher, cgroups: mounts, readinessProbe: { false })
        #expect(try await containerd.start() == "/run/other/containerd.sock")
        #expect(launcher.processes.isEmpty)
        #expect(mounts.mountCalls.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: dir + "/etc"))
    }

    @Test func notReadyInTimeIsAnErrorWithTheLogTail() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var options = options(dir)
        options.readinessTimeout = .milliseconds(200)
        try "line one\nfailed to load plugin\n".write(toFile: dir + "/containerd.log", atomically: true, encoding: .utf8)
        let containerd = Containerd(options: options, launcher: FakeProcessLauncher(), readinessProbe: { false })
        do {
            try await containerd.start()
            Issue.record("start succeeded without readiness")
        } catch let error as ContainerdError {
            #expect(error.description.contains("did not become ready"))
            #expect(error.description.contains("failed to load plugin"))
        }
        await containerd.stop()
    }

    @Test func defaultProbeNeedsTheSocketFileThenCtrVersion() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let commands = FakeCommandRunner { _, _ in CommandResult(exit: .exited(0)) }
        let containerd = Containerd(options: options(dir), launcher: FakeProcessLauncher(), commands: commands)
        #expect(await containerd.isReady() == false)
        #expect(commands.calls.isEmpty)
        try FileManager.default.createDirectory(atPath: dir + "/state", withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: dir + "/state/containerd.sock", contents: nil)
        #expect(await containerd.isReady() == true)
        #expect(commands.calls == [["/usr/bin/ctr", "--address", dir + "/state/containerd.sock", "version"]])
    }
}

@Suite struct ImageArchivesTests {
    /// A minimal tar: one empty file.
    func writeTar(_ path: String) throws {
        var header = [UInt8](repeating: 0, count: 512)
        for (i, byte) in "file.txt".utf8.enumerated() { header[i] = byte }
        for (i, byte) in "ustar".utf8.enumerated() { header[257 + i] = byte }
        try Data(header + [UInt8](repeating: 0, count: 1024)).write(to: URL(fileURLWithPath: path))
    }

    @Test func validateRejectsMissingFilesDirectoriesAndNonTars() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(throws: ImageArchiveError.missingFile(dir + "/none.tar")) { try ImageArchives.validate(dir + "/none.tar") }
        #expect(throws: ImageArchiveError.missingFile(dir)) { try ImageArchives.validate(dir) }
        try "not a tar at all".write(toFile: dir + "/text.tar", atomically: true, encoding: .utf8)
        #expect(throws: ImageArchiveError.notATar(dir + "/text.tar")) { try ImageArchives.validate(dir + "/text.tar") }
        try writeTar(dir + "/ok.tar")
        try ImageArchives.validate(dir + "/ok.tar")
    }

    @Test func importRunsCtrInTheK8sNamespaceAndReportsNames() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try writeTar(dir + "/a.tar")
        let commands = FakeCommandRunner { _, _ in
            CommandResult(exit: .exited(0), stdout: "unpacking docker.io/library/busybox:1.36 (sha256:abc)...done\n")
        }
        let archives = ImageArchives(socket: "/s.sock", commands: commands)
        #expect(try await archives.import(file: dir + "/a.tar") == ["docker.io/library/busybox:1.36"])
        #expect(commands.calls == [["/usr/bin/ctr", "--address", "/s.sock", "--namespace", "k8s.io", "images", "import",
                                    "--snapshotter", "overlayfs", dir + "/a.tar"]])

        let failing = ImageArchives(socket: "/s.sock", commands: FakeCommandRunner { _, _ in
            CommandResult(exit: .exited(1), stderr: "ctr: unrecognized image format\n")
        })
        await #expect(throws: ImageArchiveError.importFailed(file: dir + "/a.tar", status: 1, message: "ctr: unrecognized image format\n")) {
            try await failing.import(file: dir + "/a.tar")
        }
    }

    @Test func importDirectoryImportsEachTarOnceUntilItChanges() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let images = dir + "/images"
        try FileManager.default.createDirectory(atPath: images, withIntermediateDirectories: true)
        try writeTar(images + "/a.tar")
        try writeTar(images + "/b.tar")
        try "ignored".write(toFile: images + "/notes.txt", atomically: true, encoding: .utf8)
        let commands = FakeCommandRunner()
        let record = dir + "/state/imported.json"
        let first = ImageArchives(socket: "/s.sock", commands: commands, recordFile: record)
        #expect(try await first.importDirectory(images) == [images + "/a.tar", images + "/b.tar"])
        #expect(try await first.importDirectory(images).isEmpty)

        // A restarted agent reads the records back; a changed file is imported again.
        let second = ImageArchives(socket: "/s.sock", commands: commands, recordFile: record)
        #expect(try await second.importDirectory(images).isEmpty)
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: 60)], ofItemAtPath: images + "/b.tar")
        #expect(try await second.importDirectory(images) == [images + "/b.tar"])
        #expect(commands.calls.count == 3)
        #expect(try await second.importDirectory(dir + "/missing").isEmpty)
    }
}

@Suite struct StaleProcessTests {
    @Test func stopsOnlyAProcessWhoseCommandLineMatches() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let config = dir + "/config.toml"
        let child = try HostProcessLauncher().launch(ProcessSpec(
            executable: "/bin/sh", arguments: ["-c", "while :; do sleep 0.05; done", "containerd", "--config", config]))
        defer { child.signal(SIGKILL) }
        let pidFile = dir + "/containerd.pid"

        try "\(child.pid)\n".write(toFile: pidFile, atomically: true, encoding: .utf8)
        #expect(await StaleProcess.stop(pidFile: pidFile, commandLineContains: dir + "/other.toml", grace: .seconds(1)) == nil)
        #expect(child.exitStatus == nil)
        #expect(!FileManager.default.fileExists(atPath: pidFile))

        try "\(child.pid)\n".write(toFile: pidFile, atomically: true, encoding: .utf8)
        #expect(await StaleProcess.stop(pidFile: pidFile, commandLineContains: config, grace: .seconds(2)) == child.pid)
        #expect(await child.waitForExit(timeout: .seconds(5)) == .signaled(SIGTERM))
        #expect(await StaleProcess.stop(pidFile: dir + "/none.pid", commandLineContains: config, grace: .seconds(1)) == nil)
    }
}
