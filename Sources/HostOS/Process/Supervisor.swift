import Foundation
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// The delay before restarting a child that died: `initial`, doubling up to `maximum`, back to `initial`
/// once a child has stayed up for `resetAfter`.
public struct RestartBackoff: Sendable, Equatable {
    public var initial: Duration
    public var maximum: Duration
    public var resetAfter: Duration
    private var next: Duration

    public init(initial: Duration = .milliseconds(100), maximum: Duration = .seconds(5), resetAfter: Duration = .seconds(10)) {
        self.initial = initial
        self.maximum = maximum
        self.resetAfter = resetAfter
        self.next = initial
    }

    /// The delay before the next start, given how long the child that just died had been running.
    public mutating func delay(afterUptime uptime: Duration) -> Duration {
        if uptime >= resetAfter { next = initial }
        let delay = next
        next = min(next * 2, maximum)
        return delay
    }
}

/// Keeps one child running: starts it, restarts it with backoff whenever it dies, and stops it (SIGTERM,
/// then SIGKILL after a grace period), signalling only the PID it started.
public actor Supervisor {
    public struct Status: Sendable, Equatable {
        /// The PID of the running child, if one is running.
        public var pid: Int32?
        /// How many times the child was started again after it died.
        public var restarts = 0
        /// How the most recent child ended.
        public var lastExit: ProcessExit?
        /// The most recent failure to start the child, cleared by a successful start.
        public var lastLaunchError: String?
        /// Whether the supervisor is running (between start and stop).
        public var active = false
    }

    public let name: String
    public let spec: ProcessSpec
    private let launcher: any ProcessLauncher
    private var backoff: RestartBackoff
    private let logger: Logger
    private let sleep: @Sendable (Duration) async throws -> Void
    private let now: @Sendable () -> ContinuousClock.Instant
    private let onLaunch: @Sendable (Int32) -> Void

    private var current: (any LaunchedProcess)?
    private var startedAt: ContinuousClock.Instant?
    private var loop: Task<Void, Never>?
    private var stopping = false
    private var state = Status()

    public init(
        name: String, spec: ProcessSpec, launcher: any ProcessLauncher = HostProcessLauncher(),
        backoff: RestartBackoff = RestartBackoff(), logger: Logger = Logger(label: "swiftlet.supervisor"),
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) },
        now: @escaping @Sendable () -> ContinuousClock.Instant = { .now },
        onLaunch: @escaping @Sendable (_ pid: Int32) -> Void = { _ in }
    ) {
        self.name = name
        self.spec = spec
        self.launcher = launcher
        self.backoff = backoff
        self.logger = logger
        self.sleep = sleep
        self.now = now
        self.onLaunch = onLaunch
    }

    public var status: Status { state }

    /// Starts the child and keeps it running. The first start's failure is thrown (nothing keeps running
    /// then); later failures are retried with backoff. Calling it while active does nothing.
    public func start() throws {
        guard loop == nil else { return }
        stopping = false
        let first = try launchChild()
        state.active = true
        loop = Task { await self.supervise(first) }
    }

    /// Stops the child (SIGTERM, SIGKILL after `grace`) and stops restarting it. Returns how the last
    /// child ended (nil if none was running).
    @discardableResult
    public func stop(grace: Duration = .seconds(10)) async -> ProcessExit? {
        guard let loop else { return nil }
        stopping = true
        loop.cancel()
        var exit: ProcessExit?
        if let child = current {
            logger.info("stopping \(name) (pid \(child.pid))")
            child.signal(SIGTERM)
            exit = await child.waitForExit(timeout: grace)
            if exit == nil {
                logger.warning("\(name) (pid \(child.pid)) ignored SIGTERM for \(grace); sending SIGKILL")
                child.signal(SIGKILL)
                exit = await child.waitForExit()
            }
        }
        await loop.value
        self.loop = nil
        state.active = false
        return exit
    }

    /// Service-style: starts the child, keeps it running until the calling task is cancelled, then stops it.
    public func run(grace: Duration = .seconds(10)) async throws {
        try start()
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(3600))
        }
        await stop(grace: grace)
    }

    private func launchChild() throws -> any LaunchedProcess {
        do {
            let child = try launcher.launch(spec)
            current = child
            startedAt = now()
            state.pid = child.pid
            state.lastLaunchError = nil
            logger.info("started \(name) (pid \(child.pid))")
            onLaunch(child.pid)
            return child
        } catch {
            state.lastLaunchError = "\(error)"
            throw error
        }
    }

    private func supervise(_ first: any LaunchedProcess) async {
        var child: (any LaunchedProcess)? = first
        while !stopping {
            if child == nil {
                do {
                    child = try launchChild()
                    state.restarts += 1
                } catch {
                    logger.error("cannot restart \(name): \(error)")
                    let delay = backoff.delay(afterUptime: .zero)
                    do { try await sleep(delay) } catch { break }
                    continue
                }
            }
            guard let running = child else { continue }
            let exit = await running.waitForExit()
            let uptime = startedAt.map { now() - $0 } ?? .zero
            current = nil
            state.pid = nil
            state.lastExit = exit
            child = nil
            if stopping { break }
            let delay = backoff.delay(afterUptime: uptime)
            logger.warning("\(name) (pid \(running.pid)) ended (\(exit)) after \(uptime); restarting in \(delay)")
            do { try await sleep(delay) } catch { break }
        }
    }
}
