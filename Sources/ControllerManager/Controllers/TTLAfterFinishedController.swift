import APIMachinery
import Client
import Foundation
import Logging

/// kube-controller-manager's TTL-after-finished controller: deletes a finished Job (Complete or Failed)
/// `spec.ttlSecondsAfterFinished` seconds after it finished, with Background propagation so that the
/// garbage collector removes its pods.
public final class TTLAfterFinishedController: Controller, Sendable {
    public static let name = "ttl-after-finished"

    let context: ControllerContext
    let jobs: SharedInformer
    let queue = WorkQueue<String>()

    public init(context: ControllerContext) {
        self.context = context
        self.jobs = context.informers.informer(for: .jobs)
    }

    public func run(workers: Int) async {
        let enqueue: @Sendable (JSONValue) async -> Void = { [queue] job in
            if job.deletionTimestamp == nil, Self.ttl(of: job) != nil, JobLogic.isFinished(job) { await queue.add(Indexer.key(of: job)) }
        }
        jobs.addHandler(ResourceEventHandler(onAdd: enqueue, onUpdate: { _, job in await enqueue(job) }))
        guard await jobs.waitForSync() else { return }
        await runWorkers(queue, count: workers, name: Self.name, logger: context.logger) { [self] key in
            try await sync(key)
        }
    }

    static func ttl(of job: JSONValue) -> Int64? {
        job["spec"]?["ttlSecondsAfterFinished"]?.intValue
    }

    /// When `job` expires: its finish time plus its TTL; nil when it has no TTL or is not finished.
    public static func expiry(of job: JSONValue) -> Date? {
        guard let ttl = ttl(of: job), JobLogic.isFinished(job), let finished = JobLogic.finishTime(job) else { return nil }
        return finished.addingTimeInterval(Double(ttl))
    }

    func sync(_ key: String) async throws {
        let (namespace, name) = Indexer.split(key)
        guard let cached = jobs.lister.get(namespace: namespace, name: name), cached.deletionTimestamp == nil,
              let expiry = Self.expiry(of: cached) else { return }
        let remaining = expiry.timeIntervalSince(context.now())
        if remaining > 0 {
            await queue.addAfter(key, delay: .milliseconds(Int64(remaining * 1000) + 1))
            return
        }
        // The cache may be stale (the TTL changed, the Job was recreated): check the live object.
        guard let live = try await context.client.getIfExists(.jobs, namespace: namespace, name: name) else { return }
        guard live.deletionTimestamp == nil, let liveExpiry = Self.expiry(of: live) else { return }
        let liveRemaining = liveExpiry.timeIntervalSince(context.now())
        if liveRemaining > 0 {
            await queue.addAfter(key, delay: .milliseconds(Int64(liveRemaining * 1000) + 1))
            return
        }
        context.logger.info("ttl-after-finished: deleting job \(key)")
        try await context.client.deleteIfExists(.jobs, namespace: namespace, name: name,
                                                options: DeleteQuery(propagationPolicy: .background, preconditionUID: live.uid,
                                                                     preconditionResourceVersion: live.resourceVersion))
    }
}
