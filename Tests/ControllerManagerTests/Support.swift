import APIMachinery
import Client
import ClientLoopback
import ControllerManager
import Foundation
import Registry
import Storage
import Synchronization

/// An in-memory API (the registry over MemoryStorage) and a controller context on it.
struct TestCluster {
    let registry: Registry
    let client: LoopbackClient
    let context: ControllerContext

    init(now: @escaping @Sendable () -> Date = { Date() }, options: ControllerOptions = ControllerOptions()) async throws {
        registry = Registry(storage: MemoryStorage(), definitions: Registry.builtInDefinitions(), schema: BuiltInSchema())
        try await registry.bootstrap()
        client = LoopbackClient(registry: registry)
        context = ControllerContext(client: client, now: now, options: options)
    }

    /// Runs `controller` in the background (informers started) until the returned task is cancelled.
    func start(_ controller: any Controller, workers: Int = 2) -> Task<Void, Never> {
        let context = self.context
        return Task {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await controller.run(workers: workers) }
                context.informers.start()
                await group.waitForAll()
            }
        }
    }
}

/// Polls `condition` every 20 ms until it holds or `timeout` passes; answers whether it held.
func eventually(timeout: Duration = .seconds(10), _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return try await condition()
}

/// A clock tests move by hand (ControllerContext.now).
final class ManualClock: Sendable {
    let current: Mutex<Date>
    init(_ start: Date = Date()) { current = Mutex(start) }
    var now: @Sendable () -> Date { { [self] in current.withLock { $0 } } }
    func advance(_ seconds: TimeInterval) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }
}
