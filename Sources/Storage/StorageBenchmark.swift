/// Load generators for measuring a `Storage` backend, used by tests and by `swiftlet bench`.
public enum StorageBenchmark {
    /// Creates per second: `creates` new keys of `valueSize` bytes written by `concurrency` concurrent
    /// callers, each awaiting its previous create before the next. Keys go under a fresh prefix.
    public static func storageCreateRate(storage: any Storage, creates: Int, concurrency: Int, valueSize: Int)
        async throws -> Double
    {
        let workers = max(concurrency, 1)
        let value = (0..<max(valueSize, 0)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        let run = UInt64.random(in: 0...UInt64.max)
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<workers {
                let share = creates / workers + (worker < creates % workers ? 1 : 0)
                group.addTask {
                    for index in 0..<share {
                        _ = try await storage.create("/bench/\(run)/\(worker)/\(index)", value: value)
                    }
                }
            }
            try await group.waitForAll()
        }
        let (seconds, attoseconds) = (ContinuousClock.now - start).components
        return Double(creates) / max(Double(seconds) + Double(attoseconds) / 1e18, 1e-9)
    }
}
