import Foundation
import Synchronization

/// What to start: an executable with its arguments, extra environment, where its output goes and,
/// optionally, the network namespace it runs in (entered with `nsenter --net=PATH`, which keeps the
/// host's /sys mounts visible, unlike `ip netns exec`).
public struct ProcessSpec: Sendable, Equatable {
    public var executable: String
    public var arguments: [String]
    /// Added to (and overriding) the environment of the current process.
    public var environment: [String: String]
    /// Standard output (and standard error, unless `errorFile` is set) is appended here; nil discards it.
    public var logFile: String?
    /// Standard error goes here instead of `logFile` when set.
    public var errorFile: String?
    /// A network namespace file (e.g. /var/run/netns/node2) to run the child in.
    public var networkNamespace: String?
    /// The `nsenter` binary used when `networkNamespace` is set.
    public var nsenterPath: String

    public init(
        executable: String, arguments: [String] = [], environment: [String: String] = [:],
        logFile: String? = nil, errorFile: String? = nil, networkNamespace: String? = nil,
        nsenterPath: String = "/usr/bin/nsenter"
    ) {
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
        self.logFile = logFile
        self.errorFile = errorFile
        self.networkNamespace = networkNamespace
        self.nsenterPath = nsenterPath
    }

    /// The program actually executed and its arguments (nsenter wraps the child when a namespace is set;
    /// nsenter execs the child in place, so the PID stays the child's).
    public var commandLine: (executable: String, arguments: [String]) {
        guard let networkNamespace else { return (executable, arguments) }
        return (nsenterPath, ["--net=\(networkNamespace)", "--", executable] + arguments)
    }
}

/// How a child ended.
public enum ProcessExit: Sendable, Equatable, CustomStringConvertible {
    case exited(Int32)
    case signaled(Int32)

    /// The shell convention: the exit code, or 128 + the signal number.
    public var shellStatus: Int32 {
        switch self {
        case .exited(let code): code
        case .signaled(let signal): 128 + signal
        }
    }

    public var description: String {
        switch self {
        case .exited(let code): "exit status \(code)"
        case .signaled(let signal): "killed by signal \(signal)"
        }
    }
}

public struct ProcessLaunchError: Error, CustomStringConvertible {
    public var executable: String
    public var message: String
    public var description: String { "cannot start \(executable): \(message)" }
}

/// A started child. `signal` never reaches another process: once the child has been reaped it does nothing.
public protocol LaunchedProcess: Sendable {
    var pid: Int32 { get }
    /// Suspends until the child has exited; any number of callers may wait.
    func waitForExit() async -> ProcessExit
    /// The exit, if the child has already exited.
    var exitStatus: ProcessExit? { get }
    func signal(_ signal: Int32)
}

/// Starts children. The real one forks processes; `FakeProcessLauncher` records specs for tests.
public protocol ProcessLauncher: Sendable {
    func launch(_ spec: ProcessSpec) throws -> any LaunchedProcess
}

extension LaunchedProcess {
    /// Waits for the exit at most `timeout`; nil if the child is still running then.
    public func waitForExit(timeout: Duration) async -> ProcessExit? {
        if let exitStatus { return exitStatus }
        let latch = ExitLatch()
        // Whichever comes first, the exit or the timer, settles the latch; the loser does nothing.
        let waiter = Task { latch.finish(await self.waitForExit()) }
        let timer = Task {
            try? await Task.sleep(for: timeout)
            latch.finishTimedOut()
        }
        let result = await latch.waitOptional()
        timer.cancel()
        _ = waiter  // ends on its own when the child exits
        return result
    }
}

/// Exit bookkeeping shared by the real and the fake process: the status and the tasks waiting for it.
final class ExitLatch: Sendable {
    private struct State {
        var exit: ProcessExit?
        var timedOut = false
        var waiters: [CheckedContinuation<ProcessExit, Never>] = []
        var optionalWaiters: [CheckedContinuation<ProcessExit?, Never>] = []
    }
    private let state = Mutex(State())

    var exit: ProcessExit? { state.withLock { $0.exit } }

    /// Records the exit (once) and wakes every waiter.
    func finish(_ exit: ProcessExit) { finish { exit } }

    /// Records the exit computed by `reap`, which runs under the lock (once), and wakes every waiter.
    func finish(_ reap: () -> ProcessExit) {
        let (exit, waiters, optionalWaiters) = state.withLock { state in
            guard state.exit == nil, !state.timedOut else {
                return (ProcessExit?.none, [CheckedContinuation<ProcessExit, Never>](), [CheckedContinuation<ProcessExit?, Never>]())
            }
            let exit = reap()
            state.exit = exit
            defer {
                state.waiters = []
                state.optionalWaiters = []
            }
            return (exit, state.waiters, state.optionalWaiters)
        }
        guard let exit else { return }
        for waiter in waiters { waiter.resume(returning: exit) }
        for waiter in optionalWaiters { waiter.resume(returning: exit) }
    }

    /// Settles the latch without an exit (a timeout): optional waiters get nil.
    func finishTimedOut() {
        let waiters = state.withLock { state -> [CheckedContinuation<ProcessExit?, Never>] in
            guard state.exit == nil, !state.timedOut else { return [] }
            state.timedOut = true
            defer { state.optionalWaiters = [] }
            return state.optionalWaiters
        }
        for waiter in waiters { waiter.resume(returning: nil) }
    }

    /// Waits until the latch is settled: the exit, or nil after `finishTimedOut`.
    func waitOptional() async -> ProcessExit? {
        await withCheckedContinuation { continuation in
            let done = state.withLock { state -> (Bool, ProcessExit?) in
                if state.exit != nil || state.timedOut { return (true, state.exit) }
                state.optionalWaiters.append(continuation)
                return (false, nil)
            }
            if done.0 { continuation.resume(returning: done.1) }
        }
    }

    func wait() async -> ProcessExit {
        await withCheckedContinuation { continuation in
            let done = state.withLock { state -> ProcessExit? in
                if let exit = state.exit { return exit }
                state.waiters.append(continuation)
                return nil
            }
            if let done { continuation.resume(returning: done) }
        }
    }

    /// Runs `body` while holding the lock, only if the process has not exited (so a signal can never
    /// reach a recycled PID after the child was reaped and its exit recorded).
    func ifRunning(_ body: () -> Void) {
        state.withLock { state in
            if state.exit == nil { body() }
        }
    }
}
