import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Starts real children with posix_spawn: standard input from /dev/null, output appended to the log
/// file, every signal at its default disposition and unblocked (a test runner or an async runtime may
/// block SIGTERM in the spawning thread, and children would inherit that), in a process group of its own
/// (a terminal's Ctrl-C reaches only the agent, which then stops its children in order).
/// A dedicated thread per child waits for it; the child is reaped under the same lock `signal` takes, so
/// a signal can never reach a recycled PID.
public struct HostProcessLauncher: ProcessLauncher {
    public init() {}

    public func launch(_ spec: ProcessSpec) throws -> any LaunchedProcess {
        let (executable, arguments) = spec.commandLine
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw ProcessLaunchError(executable: executable, message: "no executable file at this path")
        }
        for file in [spec.logFile, spec.errorFile].compactMap({ $0 }) {
            try FileManager.default.createDirectory(
                atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        }
        var environment = ProcessInfo.processInfo.environment
        environment.merge(spec.environment) { $1 }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, spec.logFile ?? "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0o644)
        if let errorFile = spec.errorFile {
            posix_spawn_file_actions_addopen(&actions, 2, errorFile, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        } else {
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        var all = sigset_t()
        sigfillset(&all)
        sigdelset(&all, SIGKILL)
        sigdelset(&all, SIGSTOP)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard result == 0 else {
            throw ProcessLaunchError(executable: executable, message: String(cString: strerror(result)))
        }
        let latch = ExitLatch()
        let child = pid
        let waiter = Thread {
            // Wait without reaping, then reap and record the exit atomically with respect to `signal`.
            var info = siginfo_t()
            while waitid(P_PID, id_t(child), &info, WEXITED | WNOWAIT) == -1 && errno == EINTR {}
            latch.finish {
                var status: Int32 = 0
                while waitpid(child, &status, 0) == -1 && errno == EINTR {}
                let signal = status & 0x7F
                return signal == 0 ? .exited((status >> 8) & 0xFF) : .signaled(signal)
            }
        }
        waiter.name = "wait-\(pid)"
        waiter.start()
        return HostProcess(pid: pid, latch: latch)
    }
}

final class HostProcess: LaunchedProcess {
    let pid: Int32
    private let latch: ExitLatch

    init(pid: Int32, latch: ExitLatch) {
        self.pid = pid
        self.latch = latch
    }

    var exitStatus: ProcessExit? { latch.exit }

    func waitForExit() async -> ProcessExit { await latch.wait() }

    func signal(_ signal: Int32) {
        let pid = self.pid
        latch.ifRunning { _ = kill(pid, signal) }
    }
}
