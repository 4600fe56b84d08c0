import APIMachinery
import Client
import Controllers
import Foundation
import Logging
import Synchronization

/// kube-controller-manager's ReplicaSet controller: keeps spec.replicas active pods matching the
/// selector (creating from the template in slow-start batches of at most burstReplicas, deleting the
/// least valuable first), adopts matching orphans and releases pods that stopped matching, and reports
/// status (replicas, fullyLabeledReplicas, readyReplicas, availableReplicas, observedGeneration, the
/// ReplicaFailure condition). Expectations keep it from creating or deleting twice while its
/// informer catches up with its own writes.
public final class ReplicaSetController: Controller, Sendable {
    public static let name = "replicaset"
    static let component = "replicaset-controller"
    static let kind = "ReplicaSet"
    static let apiVersion = "apps/v1"

    let context: ControllerContext
    let replicaSets: SharedInformer
    let pods: SharedInformer
    let queue = WorkQueue<String>()
    let expectations: Expectations
    let events: ThrottledRecorder
    let burstReplicas: Int
    /// Keys with a status refresh already scheduled: pod status churn (10,000 pods becoming ready)
    /// syncs a ReplicaSet a few times a second, not once per pod.
    let refreshes = Mutex<Set<String>>([])
    static let refreshDelay: Duration = .milliseconds(200)

    public init(context: ControllerContext, expectations: Expectations = Expectations(), burstReplicas: Int = ReplicaSetLogic.burstReplicas) {
        self.context = context
        self.replicaSets = context.informers.informer(for: .replicaSets, indexers: OwnerIndex.indexers)
        self.pods = context.informers.informer(for: .pods, indexers: OwnerIndex.indexers)
        self.expectations = expectations
        self.events = ThrottledRecorder(context.recorder(Self.component))
        self.burstReplicas = burstReplicas
    }

    public func run(workers: Int) async {
        let queue = self.queue
        replicaSets.addHandler(ResourceEventHandler(
            onAdd: { rs in await queue.add(Indexer.key(of: rs)) },
            onUpdate: { _, rs in await queue.add(Indexer.key(of: rs)) },
            onDelete: { [expectations] rs in
                expectations.delete(Indexer.key(of: rs))
                await queue.add(Indexer.key(of: rs))
            }))
        pods.addHandler(ResourceEventHandler(
            onAdd: { [self] pod in await podAdded(pod) },
            onUpdate: { [self] old, new in await podUpdated(old, new) },
            onDelete: { [self] pod in await podDeleted(pod) }))
        await replicaSets.waitForSync()
        await pods.waitForSync()
        await runWorkers(queue, count: workers, name: Self.name, logger: context.logger) { [self] key in try await sync(key) }
    }

    // MARK: Pod events

    /// The ReplicaSet (from the lister) a pod's controller reference points at.
    func owner(of pod: JSONValue) -> JSONValue? {
        OwnerReferences.resolveController(of: pod, kind: Self.kind, group: "apps", in: replicaSets.lister)
    }

    /// ReplicaSets of the pod's namespace whose selector matches it (for orphans).
    func matchingReplicaSets(_ pod: JSONValue) -> [JSONValue] {
        let labels = pod.labels
        return replicaSets.lister.list(namespace: pod.namespace).filter { rs in
            Workloads.selector(rs).map { $0.matches(labels) } ?? false
        }
    }

    func podAdded(_ pod: JSONValue) async {
        if pod.deletionTimestamp != nil {
            // A restarted controller may first see a pod already being deleted.
            await podDeleted(pod)
            return
        }
        if OwnerReferences.controllerRef(of: pod) != nil {
            guard let rs = owner(of: pod) else { return }
            let key = Indexer.key(of: rs)
            expectations.creationObserved(key)
            await enqueue(key, unblocked: expectations.satisfied(key))
            return
        }
        for rs in matchingReplicaSets(pod) { await queue.add(Indexer.key(of: rs)) }
    }

    func podUpdated(_ old: JSONValue, _ new: JSONValue) async {
        if old.resourceVersion == new.resourceVersion { return }
        let labelsChanged = old.labels != new.labels
        if new.deletionTimestamp != nil && old.deletionTimestamp == nil {
            await podDeleted(new)
            if labelsChanged { await podDeleted(old) }
            return
        }
        let oldRef = OwnerReferences.controllerRef(of: old), newRef = OwnerReferences.controllerRef(of: new)
        if oldRef != newRef, oldRef != nil, let previous = owner(of: old) {
            await queue.add(Indexer.key(of: previous))
        }
        if newRef != nil {
            guard let rs = owner(of: new) else { return }
            let key = Indexer.key(of: rs)
            // Only the pod's status changed: a batched status refresh is enough.
            await enqueue(key, unblocked: labelsChanged || oldRef != newRef)
            let minReady = rs["spec"]?["minReadySeconds"]?.intValue ?? 0
            if minReady > 0 && !PodStatus.isReady(old) && PodStatus.isReady(new) {
                await queue.addAfter(key, delay: .seconds(minReady) + .milliseconds(100))
            }
            return
        }
        if labelsChanged || oldRef != newRef {
            for rs in matchingReplicaSets(new) { await queue.add(Indexer.key(of: rs)) }
        }
    }

    func podDeleted(_ pod: JSONValue) async {
        guard let key = OwnerReferences.controllerKey(of: pod, kind: Self.kind, group: "apps") else { return }
        guard let rs = replicaSets.lister.get(namespace: Indexer.split(key).namespace, name: Indexer.split(key).name),
              rs.uid == OwnerReferences.controllerRef(of: pod)?["uid"]?.stringValue else { return }
        expectations.deletionObserved(key, objectKey: Indexer.key(of: pod))
        await enqueue(key, unblocked: expectations.satisfied(key))
    }

    /// Syncs `key` now when something may be created or deleted (`unblocked`), else schedules one
    /// status refresh shortly (coalescing the events that arrive meanwhile).
    func enqueue(_ key: String, unblocked: Bool) async {
        if unblocked {
            await queue.add(key)
            return
        }
        let first = refreshes.withLock { $0.insert(key).inserted }
        if first { await queue.addAfter(key, delay: Self.refreshDelay) }
    }

    // MARK: Sync

    struct ReplicaFailure: Error {
        var reason: String
        var message: String
    }

    func sync(_ key: String) async throws {
        _ = refreshes.withLock { $0.remove(key) }
        let (namespace, name) = Indexer.split(key)
        guard let cached = replicaSets.lister.get(namespace: namespace, name: name) else {
            expectations.delete(key)
            return
        }
        let rs = Workloads.typed(cached, kind: Self.kind, apiVersion: Self.apiVersion)
        let needsSync = expectations.satisfied(key) && rs.deletionTimestamp == nil
        guard let selector = Workloads.selector(rs) else {
            context.logger.warning("replicaset \(key): invalid or empty selector")
            return
        }
        let pods = try await claimPods(rs, selector: selector)
        let active = pods.filter(PodStatus.isActive)

        var failure: Error?
        if needsSync {
            do { try await manageReplicas(rs, key: key, active: active) } catch { failure = error }
        }
        try await updateStatus(rs, pods: active, failure: failure)
        if let failure { throw failure }

        let minReady = rs["spec"]?["minReadySeconds"]?.intValue ?? 0
        let desired = rs["spec"]?["replicas"]?.intValue ?? 1
        if minReady > 0 {
            let ready = active.filter(PodStatus.isReady).count
            let available = active.filter { PodStatus.isAvailable($0, minReadySeconds: minReady, now: context.now()) }.count
            if ready == Int(desired) && available != Int(desired) { await queue.addAfter(key, delay: .seconds(minReady)) }
        }
    }

    /// The pods this ReplicaSet controls after adopting matching orphans and releasing controlled pods
    /// that no longer match its selector.
    func claimPods(_ rs: JSONValue, selector: LabelSelector) async throws -> [JSONValue] {
        var claimed: [JSONValue] = []
        let ref = OwnerReferences.makeControllerRef(to: rs, apiVersion: Self.apiVersion, kind: Self.kind)
        for pod in OwnerIndex.ownedAndOrphans(of: rs, in: pods.indexer) where pod.namespace == rs.namespace {
            let matches = Workloads.matches(selector, pod)
            if let controller = OwnerReferences.controllerRef(of: pod) {
                guard controller["uid"]?.stringValue == rs.uid else { continue }
                if matches || rs.deletionTimestamp != nil {
                    claimed.append(pod)
                    continue
                }
                // Release: the pod's labels no longer match.
                _ = try await context.client.patchOwnership(.pods, pod, body: OwnerReferences.releasePatch(pod, ownerUID: rs.uid))
                continue
            }
            guard matches, pod.deletionTimestamp == nil, rs.deletionTimestamp == nil else { continue }
            if let adopted = try await context.client.patchOwnership(.pods, pod, body: OwnerReferences.adoptPatch(pod, ref: ref)) {
                claimed.append(adopted)
            }
        }
        return claimed
    }

    func manageReplicas(_ rs: JSONValue, key: String, active: [JSONValue]) async throws {
        let desired = Int(rs["spec"]?["replicas"]?.intValue ?? 1)
        let diff = active.count - desired
        if diff < 0 {
            let count = min(-diff, burstReplicas)
            expectations.expect(key, adds: count)
            try await createPods(rs, key: key, count: count)
        } else if diff > 0 {
            let count = min(diff, burstReplicas)
            let victims = ReplicaSetLogic.podsToDelete(active, count: count, colocated: ReplicaSetLogic.podsPerNode(active), now: context.now())
            expectations.expect(key, deletes: victims.count, deleteKeys: Set(victims.map { Indexer.key(of: $0) }))
            try await deletePods(rs, key: key, victims: victims)
        }
    }

    /// Creates `count` pods in slow-start batches (1, 2, 4, …), each batch concurrently; stops after a
    /// batch with a failure, lowering the expectations by every create that failed or was skipped.
    func createPods(_ rs: JSONValue, key: String, count: Int) async throws {
        let pod = Workloads.pod(from: rs["spec"]?["template"], owner: rs, ownerKind: Self.kind, ownerAPIVersion: Self.apiVersion,
                                generateName: Workloads.podPrefix(rs.name))
        let client = context.client, events = self.events, expectations = self.expectations
        var remaining = count
        for batch in ReplicaSetLogic.slowStartBatches(count: count) {
            let errors = await withTaskGroup(of: StatusError?.self) { group -> [StatusError] in
                for _ in 0..<batch {
                    group.addTask {
                        do throws(StatusError) {
                            let created = try await client.create(.pods, namespace: rs.namespace, object: pod)
                            events.record(rs, type: .normal, reason: "SuccessfulCreate", message: "Created pod: \(created.name)")
                            return nil
                        } catch {
                            // The informer will never see this pod.
                            expectations.creationObserved(key)
                            if error.code == 409 && error.reason == "AlreadyExists" { return nil }
                            events.record(rs, type: .warning, reason: "FailedCreate", message: "Error creating: \(error.message)")
                            return error
                        }
                    }
                }
                var errors: [StatusError] = []
                for await error in group { if let error { errors.append(error) } }
                return errors
            }
            remaining -= batch
            if let first = errors.first {
                if remaining > 0 { expectations.creationObserved(key, count: remaining) }
                throw first
            }
        }
    }

    func deletePods(_ rs: JSONValue, key: String, victims: [JSONValue]) async throws {
        let client = context.client, events = self.events, expectations = self.expectations
        let errors = await withTaskGroup(of: StatusError?.self) { group -> [StatusError] in
            for pod in victims {
                group.addTask {
                    do throws(StatusError) {
                        _ = try await client.delete(.pods, namespace: pod.namespace, name: pod.name,
                                                    options: DeleteQuery(preconditionUID: pod.uid))
                        events.record(rs, type: .normal, reason: "SuccessfulDelete", message: "Deleted pod: \(pod.name)")
                        return nil
                    } catch {
                        expectations.deletionObserved(key, objectKey: Indexer.key(of: pod))
                        if error.isNotFound || error.code == 409 { return nil }
                        events.record(rs, type: .warning, reason: "FailedDelete", message: "Error deleting: \(error.message)")
                        return error
                    }
                }
            }
            var errors: [StatusError] = []
            for await error in group { if let error { errors.append(error) } }
            return errors
        }
        if let first = errors.first { throw first }
    }

    // MARK: Status

    /// The status this ReplicaSet should report: counts from its active pods, the ReplicaFailure
    /// condition set when pods could not be created or deleted and cleared once they could.
    func computeStatus(_ rs: JSONValue, pods: [JSONValue], failure: Error?) -> JSONValue {
        var status = ReplicaSetLogic.status(replicaSet: rs, pods: pods, now: context.now())
        var conditions = (rs["status"]?["conditions"]?.arrayValue ?? []).filter { $0["type"]?.stringValue != "ReplicaFailure" }
        let existing = rs["status"]?["conditions"]?.arrayValue?.first { $0["type"]?.stringValue == "ReplicaFailure" }
        if let failure {
            let active = pods.count, desired = Int(rs["spec"]?["replicas"]?.intValue ?? 1)
            let reason = active < desired ? "FailedCreate" : "FailedDelete"
            let message = (failure as? StatusError)?.message ?? "\(failure)"
            if let existing, existing["reason"]?.stringValue == reason, existing["message"]?.stringValue == message {
                conditions.append(existing)
            } else {
                conditions.append(["type": "ReplicaFailure", "status": "True", "reason": .string(reason), "message": .string(message),
                                   "lastTransitionTime": .string(RFC3339.format(context.now()))])
            }
        }
        if !conditions.isEmpty { status["conditions"] = .array(conditions) }
        return Workloads.compact(status, keep: ["replicas"])
    }

    func statusChanged(_ current: JSONValue?, _ new: JSONValue) -> Bool {
        Workloads.compact(current ?? .object([:]), keep: ["replicas"]) != new
    }

    /// Writes the status through the status subresource; on a conflict re-reads the ReplicaSet once
    /// (someone else updated it) and writes again.
    func updateStatus(_ rs: JSONValue, pods: [JSONValue], failure: Error?) async throws {
        var rs = rs
        for attempt in 0..<2 {
            let status = computeStatus(rs, pods: pods, failure: failure)
            if !statusChanged(rs["status"], status) { return }
            var object = rs
            object["status"] = status
            do throws(StatusError) {
                _ = try await context.client.updateStatus(.replicaSets, namespace: rs.namespace, object: object)
                return
            } catch {
                if error.isNotFound { return }
                guard error.isConflict, attempt == 0 else { throw error }
            }
            rs = Workloads.typed(try await context.client.get(.replicaSets, namespace: rs.namespace, name: rs.name),
                                 kind: Self.kind, apiVersion: Self.apiVersion)
        }
    }
}
