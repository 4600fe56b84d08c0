import Foundation
import Synchronization

/// The result of a short command: its exit and captured output.
public struct CommandResult: Sendable, Equatable {
    public var exit: ProcessExit
    public var stdout: String
    public var stderr: String

    public init(exit: ProcessExit, stdout: String = "", stderr: String = "") {
        self.exit = exit
        self.stdout = stdout
        self.stderr = stderr
    }

    public var succeeded: Bool { exit == .exited(0) }
}

public enum CommandError: Error, CustomStringConvertible, Equatable {
    case timedOut(command: String, after: Duration)

    public var description: String {
        switch self {
        case .timedOut(let command, let after): "\(command) did not finish within \(after)"
        }
    }
}

/// Runs short commands (ctr, mount helpers) to completion.
public protocol CommandRunner: Sendable {
    func run(_ executable: String, _ arguments: [String], timeout: Duration) async throws -> CommandResult
}

/// Runs commands through a `ProcessLauncher`, capturing output in temporary files (no pipe can fill up).
/// A command still running at the timeout is killed by its PID.
public struct LaunchingCommandRunner: CommandRunner {
    public var launcher: any ProcessLauncher

    public init(launcher: any ProcessLauncher = HostProcessLauncher()) {
        self.launcher = launcher
    }

    public func run(_ executable: String, _ arguments: [String], timeout: Duration) async throws -> CommandResult {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("swiftlet-cmd-\(UUID().uuidString)")
        let out = base.path + ".out", err = base.path + ".err"
        defer {
            try? FileManager.default.removeItem(atPath: out)
            try? FileManager.default.removeItem(atPath: err)
        }
        let process = try launcher.launch(ProcessSpec(executable: executable, arguments: arguments, logFile: out, errorFile: err))
        guard let exit = await process.waitForExit(timeout: timeout) else {
            process.signal(SIGKILL)
            _ = await process.waitForExit()
            throw CommandError.timedOut(command: ([executable] + arguments).joined(separator: " "), after: timeout)
        }
        let read = { (path: String) in (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }
        return CommandResult(exit: exit, stdout: read(out), stderr: read(err))
    }
}

/// Answers commands from a table; records every call.
public final class FakeCommandRunner: CommandRunner {
    public typealias Handler = @Sendable (_ executable: String, _ arguments: [String]) -> CommandResult
    private let handler: Handler
    private let recorded = Mutex<[[String]]>([])

    public init(handler: @escaping Handler = { _, _ in CommandResult(exit: .exited(0)) }) {
        self.handler = handler
    }

    /// Every call so far: the executable followed by its arguments.
    public var calls: [[String]] { recorded.withLock { $0 } }

    public func run(_ executable: String, _ arguments: [String], timeout: Duration) async throws -> CommandResult {
        recorded.withLock { $0.append([executable] + arguments) }
        return handler(executable, arguments)
    }
}
