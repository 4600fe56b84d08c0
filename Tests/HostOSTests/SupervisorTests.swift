import Foundation
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

@testable import HostOS

/// Polls `condition` until it holds or `timeout` passes.
func eventually(timeout: Duration = .seconds(10), _ condition: () async -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return await condition()
}

/// A clock tests move by hand, and a sleep that records its durations and returns at once.
final class ManualTime: Sendable {
    private let state = Mutex<(now: ContinuousClock.Instant, sleeps: [Duration])>((.now, []))
    var now: ContinuousClock.Instant { state.withLock { $0.now } }
    var sleeps: [Duration] { state.withLock { $0.sleeps } }
    func advance(_ by: Duration) { state.withLock { $0.now += by } }
    func sleep(_ duration: Duration) async throws {
        state.withLock { $0.sleeps.append(duration) }
        try Task.checkCancellation()
        await Task.yield()
    }
}

@Suite struct RestartBackoffTests {
    @Test func doublesUpToTheMaximumAndResetsAfterALongUptime() {
        var backoff = RestartBackoff()
        let delays = (0..<8).map { _ in backoff.delay(afterUptime: .milliseconds(5)) }
        #expect(delays == [.milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800),
                           .milliseconds(1600), .milliseconds(3200), .seconds(5), .seconds(5)])
        #expect(backoff.delay(afterUptime: .seconds(9)) == .seconds(5))
        #expect(backoff.delay(afterUptime: .seconds(10)) == .milliseconds(100))
        #expect(backoff.delay(afterUptime: .seconds(1)) == .milliseconds(200))
    }
}

@Suite struct SupervisorFakeTests {
    func make(_ launcher: FakeProcessLauncher, _ time: ManualTime) -> Supervisor {
        Supervisor(
            name: "child", spec: ProcessSpec(executable: "/bin/child", arguments: ["--flag"]), launcher: launcher,
            sleep: { try await time.sleep($0) }, now: { time.now })
    }

    @Test func restartsADeadChildWithGrowingBackoffAndReportsIt() async throws {
        let launcher = FakeProcessLauncher(), time = ManualTime()
        let supervisor = make(launcher, time)
        try await supervisor.start()
        #expect(launcher.processes.count == 1)
        #expect(launcher.last?.spec.arguments == ["--flag"])
        #expect(await supervisor.status.pid == launcher.last?.pid)

        for round in 1...3 {
            launcher.last!.exit(.exited(Int32(round)))
            #expect(await eventually { launcher.processes.count == round + 1 })
        }
        #expect(await eventually { await supervisor.status.restarts == 3 })
        let status = await supervisor.status
        #expect(status.lastExit == .exited(3))
        #expect(status.pid == launcher.last!.pid)
        #expect(time.sleeps == [.milliseconds(100), .milliseconds(200), .milliseconds(400)])

        // A child that stayed up for 10 s resets the backoff.
        time.advance(.seconds(11))
        launcher.last!.exit(.signaled(9))
        #expect(await eventually { launcher.processes.count == 5 })
        #expect(time.sleeps.last == .milliseconds(100))
        #expect(await supervisor.status.lastExit == .signaled(9))
        await supervisor.stop()
    }

    @Test func stopTermsOnlyTheCurrentChildAndDoesNotRestartIt() async throws {
        let launcher = FakeProcessLauncher(), time = ManualTime()
        let supervisor = make(launcher, time)
        try await supervisor.start()
        launcher.last!.exit(.exited(1))
        #expect(await eventually { launcher.processes.count == 2 })
        let exit = await supervisor.stop(grace: .seconds(5))
        #expect(exit == .signaled(SIGTERM))
        #expect(launcher.processes[0].signals.isEmpty)
        #expect(launcher.processes[1].signals == [SIGTERM])
        try await Task.sleep(for: .milliseconds(50))
        #expect(launcher.processes.count == 2)
        let status = await supervisor.status
        #expect(status.active == false)
        #expect(status.pid == nil)
        #expect(status.restarts == 1)
    }

    @Test func killsAChildThatIgnoresTermAfterTheGrace() async throws {
        let launcher = FakeProcessLauncher(), time = ManualTime()
        launcher.ignoreTerm(true)
        let supervisor = make(launcher, time)
        try await supervisor.start()
        let exit = await supervisor.stop(grace: .milliseconds(50))
        #expect(exit == .signaled(SIGKILL))
        #expect(launcher.last!.signals == [SIGTERM, SIGKILL])
    }

    @Test func aFirstLaunchFailureIsThrownLaterOnesAreRetried() async throws {
        let launcher = FakeProcessLauncher(), time = ManualTime()
        let supervisor = make(launcher, time)
        launcher.failNextLaunches(1)
        await #expect(throws: ProcessLaunchError.self) { try await supervisor.start() }
        #expect(await supervisor.status.lastLaunchError?.contains("fake launch failure") == true)
        #expect(await supervisor.status.active == false)

        try await supervisor.start()
        launcher.failNextLaunches(2)
        launcher.last!.exit(.exited(2))
        #expect(await eventually { launcher.processes.count == 2 })
        #expect(time.sleeps == [.milliseconds(100), .milliseconds(200), .milliseconds(400)])
        #expect(await supervisor.status.lastLaunchError == nil)
        #expect(await supervisor.status.restarts == 1)
        await supervisor.stop()
    }
}

@Suite struct SupervisorRealProcessTests {
    @Test func restartsARealShortLivedChild() async throws {
        let supervisor = Supervisor(
            name: "sh", spec: ProcessSpec(executable: "/bin/sh", arguments: ["-c", "sleep 0.2; exit 3"]))
        try await supervisor.start()
        let firstPID = try #require(await supervisor.status.pid)
        #expect(kill(firstPID, 0) == 0)
        #expect(await eventually { await supervisor.status.restarts >= 1 })
        let status = await supervisor.status
        #expect(status.lastExit == .exited(3))
        #expect(await eventually { await supervisor.status.pid != nil })
        #expect(await supervisor.status.pid != firstPID)
        await supervisor.stop(grace: .seconds(2))
        #expect(await supervisor.status.active == false)
    }

    @Test func stopsARealChildWithTermThenKill() async throws {
        let polite = Supervisor(name: "sleep", spec: ProcessSpec(executable: "/bin/sleep", arguments: ["30"]))
        try await polite.start()
        let pid = try #require(await polite.status.pid)
        #expect(await polite.stop(grace: .seconds(5)) == .signaled(SIGTERM))
        #expect(kill(pid, 0) == -1)

        let stubborn = Supervisor(
            name: "stubborn", spec: ProcessSpec(executable: "/bin/sh", arguments: ["-c", "trap '' TERM; while :; do :; done"]))
        try await stubborn.start()
        try await Task.sleep(for: .milliseconds(200))  // let the shell install its trap
        let started = ContinuousClock.now
        #expect(await stubborn.stop(grace: .milliseconds(300)) == .signaled(SIGKILL))
        #expect(ContinuousClock.now - started >= .milliseconds(300))
    }
}

@Suite struct ProcessLauncherTests {
    @Test func nsenterWrapsTheCommandWhenANamespaceIsGiven() {
        var spec = ProcessSpec(executable: "/usr/bin/containerd", arguments: ["--config", "/c.toml"])
        #expect(spec.commandLine.executable == "/usr/bin/containerd")
        spec.networkNamespace = "/var/run/netns/node2"
        #expect(spec.commandLine.executable == "/usr/bin/nsenter")
        #expect(spec.commandLine.arguments == ["--net=/var/run/netns/node2", "--", "/usr/bin/containerd", "--config", "/c.toml"])
    }

    @Test func passesEnvironmentAndAppendsOutputToTheLogFile() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hostos-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let log = dir + "/logs/child.log"
        let launcher = HostProcessLauncher()
        for word in ["one", "two"] {
            let child = try launcher.launch(ProcessSpec(
                executable: "/bin/sh", arguments: ["-c", "echo $WORD; echo err-$WORD >&2; exit 7"],
                environment: ["WORD": word], logFile: log))
            #expect(child.pid > 0)
            #expect(await child.waitForExit() == .exited(7))
            #expect(child.exitStatus == .exited(7))
            child.signal(SIGTERM)  // after the exit: must not signal anything
        }
        let text = try String(contentsOfFile: log, encoding: .utf8)
        #expect(text == "one\nerr-one\ntwo\nerr-two\n")
    }

    @Test func aMissingExecutableIsALaunchError() {
        #expect(throws: ProcessLaunchError.self) {
            try HostProcessLauncher().launch(ProcessSpec(executable: "/nonexistent/bin"))
        }
    }

    @Test func commandRunnerCapturesOutputAndTimesOut() async throws {
        let runner = LaunchingCommandRunner()
        let result = try await runner.run("/bin/sh", ["-c", "echo out; echo err >&2; exit 4"], timeout: .seconds(10))
        #expect(result == CommandResult(exit: .exited(4), stdout: "out\n", stderr: "err\n"))
        await #expect(throws: CommandError.self) {
            try await runner.run("/bin/sh", ["-c", "exec sleep 5"], timeout: .milliseconds(200))
        }
    }
}

@Suite struct NetworkNamespaceLaunchTests {
    @Test func aChildStartsInsideTheGivenNetworkNamespace() async throws {
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/bin/nsenter"),
            FileManager.default.isExecutableFile(atPath: "/sbin/ip")
        else { return }
        let run = LaunchingCommandRunner()
        let name = "swlt-\(UUID().uuidString.prefix(6).lowercased())"
        let created = try await run.run("/sbin/ip", ["netns", "add", name], timeout: .seconds(10))
        try #require(created.succeeded, "\(created.stderr)")
        defer { _ = Glibc.system("/sbin/ip netns del \(name)") }
        let path = "/var/run/netns/\(name)"
        var info = stat()
        #expect(stat(path, &info) == 0)

        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let child = try HostProcessLauncher().launch(ProcessSpec(
            executable: "/bin/readlink", arguments: ["/proc/self/ns/net"], logFile: dir + "/out", networkNamespace: path))
        #expect(await child.waitForExit() == .exited(0))
        let output = try String(contentsOfFile: dir + "/out", encoding: .utf8)
        #expect(output == "net:[\(info.st_ino)]\n")
        let host = try await run.run("/bin/readlink", ["/proc/self/ns/net"], timeout: .seconds(5))
        #expect(host.stdout != output)
    }
}
