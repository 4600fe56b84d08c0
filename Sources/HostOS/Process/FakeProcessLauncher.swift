import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A launcher that starts nothing: it records every spec and hands out `FakeProcess`es that tests end
/// with `exit(_:)`. SIGTERM and SIGKILL end a fake process unless it was told to ignore SIGTERM.
public final class FakeProcessLauncher: ProcessLauncher {
    private struct State {
        var nextPID: Int32 = 1000
        var processes: [FakeProcess] = []
        var failures = 0
        var ignoreTerm = false
    }
    private let state = Mutex(State())

    public init() {}

    public func launch(_ spec: ProcessSpec) throws -> any LaunchedProcess {
        try state.withLock { state in
            if state.failures > 0 {
                state.failures -= 1
                throw ProcessLaunchError(executable: spec.executable, message: "fake launch failure")
            }
            state.nextPID += 1
            let process = FakeProcess(pid: state.nextPID, spec: spec, ignoresTerm: state.ignoreTerm)
            state.processes.append(process)
            return process
        }
    }

    /// Every process launched so far, oldest first.
    public var processes: [FakeProcess] { state.withLock { $0.processes } }
    /// The newest process.
    public var last: FakeProcess? { state.withLock { $0.processes.last } }
    /// The next `count` launches throw.
    public func failNextLaunches(_ count: Int) { state.withLock { $0.failures = count } }
    /// Processes launched from now on survive SIGTERM (only SIGKILL ends them).
    public func ignoreTerm(_ ignore: Bool) { state.withLock { $0.ignoreTerm = ignore } }
}

public final class FakeProcess: LaunchedProcess {
    public let pid: Int32
    public let spec: ProcessSpec
    private let ignoresTerm: Bool
    private let latch = ExitLatch()
    private let received = Mutex<[Int32]>([])

    init(pid: Int32, spec: ProcessSpec, ignoresTerm: Bool) {
        self.pid = pid
        self.spec = spec
        self.ignoresTerm = ignoresTerm
    }

    public var exitStatus: ProcessExit? { latch.exit }
    public func waitForExit() async -> ProcessExit { await latch.wait() }

    /// Signals delivered while the process was running.
    public var signals: [Int32] { received.withLock { $0 } }

    public func signal(_ signal: Int32) {
        var delivered = false
        latch.ifRunning { delivered = true }
        guard delivered else { return }
        received.withLock { $0.append(signal) }
        if signal == SIGKILL || (signal == SIGTERM && !ignoresTerm) {
            latch.finish(.signaled(signal))
        }
    }

    /// The process ends by itself.
    public func exit(_ exit: ProcessExit) { latch.finish(exit) }
}
