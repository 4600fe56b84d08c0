import Client
import Logging

/// The worker loop every controller runs: take a key, sync it, forget its failures on success or
/// requeue it with backoff on failure, mark it done; `workers` such loops share the queue (the queue
/// never hands the same key to two of them). Returns when the task is cancelled (the queue is shut down).
public func runWorkers(_ queue: WorkQueue<String>, count: Int, name: String, logger: Logger,
                       sync: @escaping @Sendable (String) async throws -> Void) async {
    await withTaskGroup(of: Void.self) { group in
        group.addTask {
            // Shut the queue down when cancelled, so that the workers' `get` returns nil.
            while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
            await queue.shutDown()
        }
        for _ in 0..<max(1, count) {
            group.addTask {
                while let key = await queue.get() {
                    do {
                        try await sync(key)
                        await queue.forget(key)
                    } catch {
                        if await queue.numRequeues(key) < 15 {
                            logger.debug("\(name): sync \(key) failed, retrying: \(error)")
                        } else {
                            logger.warning("\(name): sync \(key) failed: \(error)")
                        }
                        await queue.addRateLimited(key)
                    }
                    await queue.done(key)
                }
            }
        }
        for _ in 0..<max(1, count) { await group.next() }
        group.cancelAll()
    }
}

/// A handler that enqueues the key of every object added, updated or deleted.
public func enqueueingHandler(_ queue: WorkQueue<String>) -> ResourceEventHandler {
    ResourceEventHandler(
        onAdd: { object in await queue.add(Indexer.key(of: object)) },
        onUpdate: { _, object in await queue.add(Indexer.key(of: object)) },
        onDelete: { object in await queue.add(Indexer.key(of: object)) })
}
