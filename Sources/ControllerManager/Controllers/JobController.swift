import APIMachinery
import Client
import Controllers
import Foundation
import Logging
import Synchronization

/// kube-controller-manager's Job controller: runs a Job's pods until `completions` of them succeeded
/// (NonIndexed) or every index in 0..<completions has a succeeded pod (Indexed), at most `parallelism`
/// at once; fails the Job past backoffLimit or activeDeadlineSeconds; suspends and resumes it.
///
/// Terminated pods are counted exactly once, as Kubernetes tracks them: every pod is created with the
/// `batch.kubernetes.io/job-tracking` finalizer; a terminated pod's UID is first written to
/// status.uncountedTerminatedPods, then its finalizer is removed, then the UID moves into the
/// succeeded/failed counters. Removals not yet seen by the informer are remembered, so a stale cache
/// never counts a pod twice; `Expectations` keep a lagging informer from creating pods twice.
public final class JobController: Controller, Sendable {
    public static let name = "job"
    static let component = "job-controller"

    let context: ControllerContext
    let jobs: SharedInformer
    let pods: SharedInformer
    let queue = WorkQueue<String>()
    let expectations: Expectations
    let recorder: EventRecorder
    /// Job key -> pod UIDs whose finalizer this controller removed and the informer has not shown yet.
    let pendingRemovals = Mutex<[String: Set<String>]>([:])
    /// Job key -> failures since the last success and when the last was counted (the replacement backoff).
    let backoff = Mutex<[String: (failures: Int, last: Date)]>([:])
    let podBackoffBase: TimeInterval

    public init(context: ControllerContext, expectations: Expectations = Expectations(),
                podBackoffBase: TimeInterval = JobLogic.defaultPodBackoff) {
        self.context = context
        self.jobs = context.informers.informer(for: .jobs)
        self.pods = context.informers.informer(for: .pods, indexers: [Self.podsByJobUID: { pod in
            guard let ref = OwnerReferences.controllerRef(of: pod), OwnerReferences.refers(ref, toKind: "Job", group: "batch"),
                  let uid = ref["uid"]?.stringValue else { return [] }
            return [uid]
        }])
        self.expectations = expectations
        self.recorder = context.recorder(Self.component)
        self.podBackoffBase = podBackoffBase
    }

    static let orphanPrefix = "pod:"
    static let podsByJobUID = "job-controller-uid"

    public func run(workers: Int) async {
        jobs.addHandler(enqueueingHandler(queue))
        pods.addHandler(ResourceEventHandler(
            onAdd: { [self] pod in
                guard let key = liveJobKey(of: pod) else { return await enqueueIfOrphan(pod) }
                if pod.deletionTimestamp != nil {
                    expectations.deletionObserved(key, objectKey: Indexer.key(of: pod))
                } else {
                    expectations.creationObserved(key)
                }
                await queue.add(key)
            },
            onUpdate: { [self] old, pod in
                guard let key = liveJobKey(of: pod) else { return await enqueueIfOrphan(pod) }
                if pod.deletionTimestamp != nil { expectations.deletionObserved(key, objectKey: Indexer.key(of: pod)) }
                if !JobLogic.hasTrackingFinalizer(pod) { removalObserved(key, uid: pod.uid) }
                if let oldKey = jobKey(of: old), oldKey != key { await queue.add(oldKey) }
                await queue.add(key)
            },
            onDelete: { [self] pod in
                guard let key = jobKey(of: pod) else { return }
                expectations.deletionObserved(key, objectKey: Indexer.key(of: pod))
                removalObserved(key, uid: pod.uid)
                await queue.add(key)
            }))
        guard await jobs.waitForSync(), await pods.waitForSync() else { return }
        await runWorkers(queue, count: workers, name: Self.name, logger: context.logger) { [self] key in
            if key.hasPrefix(Self.orphanPrefix) {
                try await cleanUpOrphan(String(key.dropFirst(Self.orphanPrefix.count)))
            } else {
                try await sync(key)
            }
        }
    }

    func jobKey(of pod: JSONValue) -> String? {
        OwnerReferences.controllerKey(of: pod, kind: "Job", group: "batch")
    }

    /// The key of the pod's Job when that Job is in the cache (same uid); nil for an orphan.
    func liveJobKey(of pod: JSONValue) -> String? {
        guard let key = jobKey(of: pod) else { return nil }
        if JobLogic.hasTrackingFinalizer(pod) {
            let job = jobs.lister.get(namespace: pod.namespace, name: Indexer.split(key).name)
            if job == nil || job?.uid != OwnerReferences.controllerRef(of: pod)?["uid"]?.stringValue { return nil }
        }
        return key
    }

    func removalObserved(_ key: String, uid: String) {
        pendingRemovals.withLock { all in
            guard all[key]?.remove(uid) != nil else { return }
            if all[key]?.isEmpty == true { all[key] = nil }
        }
    }

    func pending(_ key: String) -> Set<String> { pendingRemovals.withLock { $0[key] ?? [] } }

    /// A pod with the tracking finalizer whose Job is gone: its finalizer must go, or it never leaves.
    func enqueueIfOrphan(_ pod: JSONValue) async {
        guard JobLogic.hasTrackingFinalizer(pod) else { return }
        await queue.add(Self.orphanPrefix + Indexer.key(of: pod))
    }

    func cleanUpOrphan(_ podKey: String) async throws {
        guard let pod = pods.lister.get(namespace: Indexer.split(podKey).namespace, name: Indexer.split(podKey).name),
              JobLogic.hasTrackingFinalizer(pod) else { return }
        if let ref = OwnerReferences.controllerRef(of: pod), OwnerReferences.refers(ref, toKind: "Job", group: "batch"),
           let name = ref["name"]?.stringValue {
            let job = jobs.lister.get(namespace: pod.namespace, name: name)
            if let job, job.uid == ref["uid"]?.stringValue, !JobLogic.isFinished(job) { return }
            if job == nil, let live = try? await context.client.get(.jobs, namespace: pod.namespace, name: name),
               live.uid == ref["uid"]?.stringValue, !JobLogic.isFinished(live) { return }
        }
        _ = try await removeFinalizer(pod)
    }

    // MARK: Sync

    struct Counts {
        var succeeded: Int64
        var failed: Int64
    }

    func sync(_ key: String) async throws {
        let (namespace, name) = Indexer.split(key)
        // The Job as the API has it now: the cache may not show this controller's last status write
        // yet, and counting from a stale status would create pods twice.
        guard jobs.lister.get(namespace: namespace, name: name) != nil,
              var job = try await context.client.getIfExists(.jobs, namespace: namespace, name: name) else {
            expectations.delete(key)
            pendingRemovals.withLock { _ = $0.removeValue(forKey: key) }
            _ = backoff.withLock { $0.removeValue(forKey: key) }
            // Its pods may still hold the tracking finalizer.
            for pod in pods.lister.list(namespace: namespace) where JobLogic.hasTrackingFinalizer(pod) && jobKey(of: pod) == key {
                await queue.add(Self.orphanPrefix + Indexer.key(of: pod))
            }
            return
        }
        let owned = pods.indexer.byIndex(Self.podsByJobUID, job.uid).filter { $0.namespace == namespace }
        // Another controller manages it (spec.managedBy).
        if let manager = job["spec"]?["managedBy"]?.stringValue, manager != JobLogic.managedByJobController { return }
        if job.deletionTimestamp != nil || JobLogic.isFinished(job) {
            // Nothing more to count: let every pod go.
            var failure: Error?
            for pod in owned where JobLogic.hasTrackingFinalizer(pod) && !pending(key).contains(pod.uid) {
                do { _ = try await removeFinalizer(pod, jobKey: key) } catch { failure = error }
            }
            if let failure { throw failure }
            return
        }
        let now = context.now()
        let spec = job["spec"] ?? .object([:])
        let indexed = spec["completionMode"]?.stringValue == "Indexed"
        let completions = spec["completions"]?.intValue
        let limit = Int(completions ?? 0)

        // 1. Count terminated pods exactly once.
        job = try await trackTerminatedPods(job, key: key, pods: owned, indexed: indexed, limit: limit, now: now)
        var status = job["status"]?.objectValue ?? [:]
        let original = JSONValue.object(status)
        var conditions = status["conditions"]?.arrayValue ?? []
        let succeededIndexes = indexed ? JobLogic.parseIndexes(status["completedIndexes"]?.stringValue, limit: limit) : []
        let perIndex = JobLogic.perIndexBackoffLimit(job) != nil
        let failedIndexes = perIndex ? JobLogic.parseIndexes(status["failedIndexes"]?.stringValue, limit: limit) : []
        if perIndex, status["failedIndexes"] == nil { status["failedIndexes"] = "" }
        let uncounted = status["uncountedTerminatedPods"]
        let uncountedSucceeded = Int64(uncounted?["succeeded"]?.arrayValue?.count ?? 0)
        let uncountedFailed = Int64(uncounted?["failed"]?.arrayValue?.count ?? 0)
        let succeeded = indexed ? Int64(succeededIndexes.count) : (status["succeeded"]?.intValue ?? 0) + uncountedSucceeded
        let failed = (status["failed"]?.intValue ?? 0) + uncountedFailed

        var active = owned.filter(PodStatus.isActive)
        let terminating = owned.filter(JobLogic.isTerminating)
        let suspended = spec["suspend"]?.boolValue == true
        var requeueAfter: TimeInterval?
        var finishing = JobLogic.trueCondition(job, "FailureTarget") ?? JobLogic.trueCondition(job, "SuccessCriteriaMet")

        // 2. Suspension and start time.
        if suspended {
            if JobLogic.setCondition(&conditions, JobLogic.condition("Suspended", reason: "JobSuspended", message: "Job suspended", now: now)) {
                await recorder.record(job, type: .normal, reason: "Suspended", message: "Job suspended")
            }
        } else {
            if let s = conditions.first(where: { $0["type"]?.stringValue == "Suspended" }), s["status"]?.stringValue == "True" {
                JobLogic.setCondition(&conditions, JobLogic.condition("Suspended", status: "False", reason: "JobResumed", message: "Job resumed", now: now))
                await recorder.record(job, type: .normal, reason: "Resumed", message: "Job resumed")
                status["startTime"] = .string(RFC3339.format(now))
            }
            if status["startTime"] == nil || status["startTime"]?.isNull == true { status["startTime"] = .string(RFC3339.format(now)) }
        }

        // 3. Failure and success criteria.
        if finishing == nil && !suspended {
            let backoffLimit = spec["backoffLimit"]?.intValue ?? 6
            let restarts = spec["template"]?["spec"]?["restartPolicy"]?.stringValue == "OnFailure"
                ? active.reduce(Int64(0)) { $0 + PodStatus.restartCount($1) } : 0
            var failure: (reason: String, message: String)?
            if perIndex, let maxFailed = spec["maxFailedIndexes"]?.intValue, Int64(failedIndexes.count) > maxFailed {
                failure = ("MaxFailedIndexesExceeded", "Job has exceeded the specified maximal number of failed indexes")
            } else if perIndex, !failedIndexes.isEmpty, succeededIndexes.union(failedIndexes).count >= limit {
                failure = ("FailedIndexes", "Job has failed indexes")
            } else if failed + restarts > backoffLimit {
                failure = ("BackoffLimitExceeded", JobLogic.backoffLimitExceededMessage)
            } else if let deadline = spec["activeDeadlineSeconds"]?.intValue,
                      let start = status["startTime"]?.stringValue.flatMap(RFC3339.parse) {
                let remaining = start.addingTimeInterval(Double(deadline)).timeIntervalSince(now)
                if remaining <= 0 {
                    failure = ("DeadlineExceeded", JobLogic.deadlineExceededMessage)
                } else {
                    requeueAfter = remaining
                }
            }
            if let failure {
                let c = JobLogic.condition("FailureTarget", reason: failure.reason, message: failure.message, now: now)
                JobLogic.setCondition(&conditions, c)
                finishing = c
            } else {
                let complete: Bool
                if indexed {
                    complete = succeededIndexes.count >= limit
                } else if let completions {
                    complete = succeeded >= completions && active.isEmpty
                } else {
                    complete = succeeded > 0 && active.isEmpty
                }
                if complete {
                    let c = JobLogic.condition("SuccessCriteriaMet", reason: "CompletionsReached", message: JobLogic.completionsReachedMessage, now: now)
                    JobLogic.setCondition(&conditions, c)
                    finishing = c
                } else if indexed, let rule = JobLogic.matchedSuccessRule(job, succeededIndexes: succeededIndexes) {
                    let c = JobLogic.condition("SuccessCriteriaMet", reason: "SuccessPolicy", message: "Matched rules at index \(rule)", now: now)
                    JobLogic.setCondition(&conditions, c)
                    finishing = c
                }
            }
        }

        var failure: Error?
        var createdCount = 0
        if let finishing {
            // 4a. Finishing: stop what still runs; the final condition follows once no pod is left running.
            let failing = finishing["type"]?.stringValue == "FailureTarget"
            if !active.isEmpty {
                expectations.expect(key, deletes: active.count, deleteKeys: Set(active.map { Indexer.key(of: $0) }))
                for pod in active {
                    do {
                        // A failing Job counts its stopped pods as failed: keep their finalizers.
                        if !failing { _ = try await removeFinalizer(pod, jobKey: key) }
                        _ = try await context.client.delete(.pods, namespace: namespace, name: pod.name)
                        await recorder.record(job, type: .normal, reason: "SuccessfulDelete", message: "Deleted pod: \(pod.name)")
                    } catch {
                        expectations.deletionObserved(key, objectKey: Indexer.key(of: pod))
                        if (error as? StatusError)?.isNotFound != true { failure = error }
                    }
                }
                active = []
            } else if terminating.isEmpty && uncountedSucceeded + uncountedFailed == 0 {
                let type = failing ? "Failed" : "Complete"
                let reason = finishing["reason"]?.stringValue ?? ""
                let message = finishing["message"]?.stringValue ?? ""
                JobLogic.setCondition(&conditions, JobLogic.condition(type, reason: reason, message: message, now: now))
                if !failing { status["completionTime"] = .string(RFC3339.format(now)) }
                status["uncountedTerminatedPods"] = .object([:])
                if failing {
                    await recorder.record(job, type: .warning, reason: reason, message: message)
                } else {
                    await recorder.record(job, type: .normal, reason: "Completed", message: "Job completed")
                }
            }
        } else if expectations.satisfied(key) {
            // 4b. Running or suspended: create or delete pods.
            do {
                let (delay, created) = try await manage(job, key: key, active: &active, terminating: terminating, succeeded: succeeded,
                                                        succeededIndexes: succeededIndexes, failedIndexes: failedIndexes,
                                                        failureCounts: perIndex ? JobLogic.indexFailureCounts(owned, job: job) : [:],
                                                        indexed: indexed, suspended: suspended, now: now)
                createdCount = created
                if let delay { requeueAfter = min(requeueAfter ?? delay, delay) }
            } catch {
                failure = error
            }
        }

        // 5. Status.
        status["active"] = active.count + createdCount == 0 ? nil : .int(Int64(active.count + createdCount))
        status["ready"] = .int(Int64(active.filter(PodStatus.isReady).count))
        status["terminating"] = .int(Int64(terminating.count))
        status["conditions"] = conditions.isEmpty ? nil : .array(conditions)
        if status["uncountedTerminatedPods"] == nil { status["uncountedTerminatedPods"] = .object([:]) }
        if .object(status) != original {
            job["status"] = .object(status)
            _ = try await context.client.updateStatus(.jobs, namespace: namespace, object: job)
        }
        if let failure { throw failure }
        if let requeueAfter, requeueAfter > 0 {
            await queue.addAfter(key, delay: .milliseconds(Int64(requeueAfter * 1000) + 1))
        }
    }

    /// Writes newly terminated pods to uncountedTerminatedPods, removes their finalizers, then moves
    /// them into the counters; answers the Job as last written.
    func trackTerminatedPods(_ job: JSONValue, key: String, pods: [JSONValue], indexed: Bool, limit: Int, now: Date) async throws -> JSONValue {
        var job = job
        let uncounted = job["status"]?["uncountedTerminatedPods"]
        var uncountedSucceeded = (uncounted?["succeeded"]?.arrayValue ?? []).compactMap(\.stringValue)
        var uncountedFailed = (uncounted?["failed"]?.arrayValue ?? []).compactMap(\.stringValue)
        let known = Set(uncountedSucceeded).union(uncountedFailed).union(pending(key))
        var completed = indexed ? JobLogic.parseIndexes(job["status"]?["completedIndexes"]?.stringValue, limit: limit) : []
        var newFailures = 0
        var newSuccesses = 0
        var ignored: [JSONValue] = []
        var failJob: String?
        let perIndexLimit = JobLogic.perIndexBackoffLimit(job)
        var failedIndexes = perIndexLimit != nil ? JobLogic.parseIndexes(job["status"]?["failedIndexes"]?.stringValue, limit: limit) : []
        for pod in pods where JobLogic.hasTrackingFinalizer(pod) && !known.contains(pod.uid) {
            if JobLogic.isSucceeded(pod) {
                uncountedSucceeded.append(pod.uid)
                newSuccesses += 1
                if indexed, let index = JobLogic.completionIndex(pod), index < limit { completed.insert(index) }
            } else if JobLogic.isFailed(pod, job: job) {
                let action = JobLogic.failurePolicyAction(job: job, pod: pod)
                switch action {
                case .ignore?:
                    ignored.append(pod)
                    continue
                case .failJob(let message)?:
                    if failJob == nil { failJob = message }
                default:
                    break
                }
                if let perIndexLimit, let index = JobLogic.completionIndex(pod), index < limit, !completed.contains(index),
                   action == .failIndex || Int64(JobLogic.indexFailureCount(pod) + 1) > perIndexLimit {
                    failedIndexes.insert(index)
                }
                uncountedFailed.append(pod.uid)
                newFailures += 1
            }
        }
        // Ignored failures are not counted: their finalizers simply go.
        for pod in ignored {
            try await removeFinalizer(pod, jobKey: key)
        }
        func write(_ status: [String: JSONValue]) async throws {
            job["status"] = .object(status)
            job = try await context.client.updateStatus(.jobs, namespace: job.namespace, object: job)
        }
        if newFailures + newSuccesses > 0 {
            var status = job["status"]?.objectValue ?? [:]
            status["uncountedTerminatedPods"] = ["succeeded": .array(uncountedSucceeded.map { .string($0) }),
                                                 "failed": .array(uncountedFailed.map { .string($0) })]
            if indexed { status["completedIndexes"] = .string(JobLogic.formatIndexes(completed)) }
            if perIndexLimit != nil { status["failedIndexes"] = .string(JobLogic.formatIndexes(failedIndexes)) }
            if let failJob, JobLogic.trueCondition(job, "FailureTarget") == nil, JobLogic.trueCondition(job, "SuccessCriteriaMet") == nil {
                // Recorded with the pod that caused it, so that a retry cannot lose the decision.
                var conditions = status["conditions"]?.arrayValue ?? []
                JobLogic.setCondition(&conditions, JobLogic.condition("FailureTarget", reason: "PodFailurePolicy", message: failJob, now: now))
                status["conditions"] = .array(conditions)
            }
            try await write(status)
            backoff.withLock { all in
                if newSuccesses > 0 { all[key] = nil }
                if newFailures > 0 { all[key] = ((all[key]?.failures ?? 0) + newFailures, now) }
            }
        }
        guard !uncountedSucceeded.isEmpty || !uncountedFailed.isEmpty else { return job }
        // Remove the finalizers of every uncounted pod still holding one.
        let byUID = Dictionary(pods.map { ($0.uid, $0) }, uniquingKeysWith: { a, _ in a })
        var released: Set<String> = []
        var failure: Error?
        for uid in uncountedSucceeded + uncountedFailed {
            guard let pod = byUID[uid], JobLogic.hasTrackingFinalizer(pod), !pending(key).contains(uid) else {
                released.insert(uid)
                continue
            }
            do {
                if try await removeFinalizer(pod, jobKey: key) { released.insert(uid) }
            } catch {
                failure = error
            }
        }
        // Count what was released.
        var status = job["status"]?.objectValue ?? [:]
        let movedSucceeded = uncountedSucceeded.filter(released.contains)
        let movedFailed = uncountedFailed.filter(released.contains)
        if !movedSucceeded.isEmpty || !movedFailed.isEmpty {
            if indexed {
                status["succeeded"] = completed.isEmpty ? nil : .int(Int64(completed.count))
            } else {
                status["succeeded"] = .int((status["succeeded"]?.intValue ?? 0) + Int64(movedSucceeded.count))
            }
            status["failed"] = .int((status["failed"]?.intValue ?? 0) + Int64(movedFailed.count))
            if status["succeeded"]?.intValue == 0 { status["succeeded"] = nil }
            if status["failed"]?.intValue == 0 { status["failed"] = nil }
            uncountedSucceeded.removeAll(where: released.contains)
            uncountedFailed.removeAll(where: released.contains)
            status["uncountedTerminatedPods"] = ["succeeded": .array(uncountedSucceeded.map { .string($0) }),
                                                 "failed": .array(uncountedFailed.map { .string($0) })]
            if uncountedSucceeded.isEmpty && uncountedFailed.isEmpty { status["uncountedTerminatedPods"] = .object([:]) }
            try await write(status)
        }
        if let failure { throw failure }
        return job
    }

    /// Removes the tracking finalizer of `pod` (a merge patch of its other finalizers, conditional on
    /// its resourceVersion). Answers true when the finalizer is gone (or the pod is).
    @discardableResult
    func removeFinalizer(_ pod: JSONValue, jobKey: String? = nil) async throws -> Bool {
        let rest = pod.finalizers.filter { $0 != JobLogic.trackingFinalizer }
        if let jobKey { pendingRemovals.withLock { _ = $0[jobKey, default: []].insert(pod.uid) } }
        let patch: JSONValue = ["metadata": ["finalizers": rest.isEmpty ? .null : .array(rest.map { .string($0) }),
                                             "resourceVersion": .string(pod.resourceVersion)]]
        do {
            if try await context.client.patchIfExists(.pods, namespace: pod.namespace, name: pod.name, format: .merge, body: patch) == nil,
               let jobKey {
                removalObserved(jobKey, uid: pod.uid)
            }
            return true
        } catch {
            if let jobKey { removalObserved(jobKey, uid: pod.uid) }
            throw error
        }
    }

    /// Creates missing pods and deletes extra ones; answers when to look again (replacement backoff).
    func manage(_ job: JSONValue, key: String, active: inout [JSONValue], terminating: [JSONValue], succeeded: Int64,
                succeededIndexes: Set<Int>, failedIndexes: Set<Int> = [], failureCounts: [Int: Int] = [:],
                indexed: Bool, suspended: Bool, now: Date) async throws -> (TimeInterval?, Int) {
        let spec = job["spec"] ?? .object([:])
        let parallelism = Int(spec["parallelism"]?.intValue ?? 1)
        let completions = spec["completions"]?.intValue.map(Int.init)
        var toDelete: [JSONValue] = []
        var toCreate: [Int?] = []
        if suspended {
            toDelete = active
        } else if indexed {
            let limit = completions ?? 0
            var seen: Set<Int> = []
            // Newest first loses: keep the oldest pod of an index.
            for pod in active.sorted(by: { ($0.creationTimestamp ?? "") < ($1.creationTimestamp ?? "") }) {
                guard let index = JobLogic.completionIndex(pod), index < limit, !succeededIndexes.contains(index), !failedIndexes.contains(index),
                      !seen.contains(index) else {
                    toDelete.append(pod)
                    continue
                }
                seen.insert(index)
            }
            if JobLogic.onlyReplacesFailedPods(job) {
                for pod in terminating { if let index = JobLogic.completionIndex(pod) { seen.insert(index) } }
            }
            let room = max(0, parallelism - (active.count - toDelete.count) - (JobLogic.onlyReplacesFailedPods(job) ? terminating.count : 0))
            toCreate = (0..<limit).filter { !succeededIndexes.contains($0) && !failedIndexes.contains($0) && !seen.contains($0) }
                .prefix(room).map { Optional($0) }
        } else {
            var want: Int
            if let completions {
                want = max(0, min(completions - Int(succeeded), parallelism))
            } else {
                // A work queue: once one pod succeeded, no more start; the others finish.
                want = succeeded > 0 ? min(active.count, parallelism) : parallelism
            }
            if active.count > want {
                // Not ready first, then newest first.
                let ordered = active.sorted { a, b in
                    let (ra, rb) = (PodStatus.isReady(a), PodStatus.isReady(b))
                    if ra != rb { return !ra }
                    return (a.creationTimestamp ?? "") > (b.creationTimestamp ?? "")
                }
                toDelete = Array(ordered.prefix(active.count - want))
            }
            var missing = want - active.count
            if JobLogic.onlyReplacesFailedPods(job) { missing -= terminating.count }
            if missing > 0 { toCreate = Array(repeating: nil, count: missing) }
        }

        // Replacement backoff after failures.
        var wait: TimeInterval?
        if !toCreate.isEmpty, let record = backoff.withLock({ $0[key] }) {
            let remaining = record.last.addingTimeInterval(JobLogic.podBackoff(failures: record.failures, base: podBackoffBase)).timeIntervalSince(now)
            if remaining > 0 {
                wait = remaining
                toCreate = []
            }
        }
        if !toDelete.isEmpty || !toCreate.isEmpty {
            expectations.expect(key, adds: toCreate.count, deletes: toDelete.count, deleteKeys: Set(toDelete.map { Indexer.key(of: $0) }))
        }

        if !toDelete.isEmpty {
            var failure: Error?
            for pod in toDelete {
                do {
                    _ = try await removeFinalizer(pod, jobKey: key)
                    _ = try await context.client.delete(.pods, namespace: job.namespace, name: pod.name)
                    await recorder.record(job, type: .normal, reason: "SuccessfulDelete", message: "Deleted pod: \(pod.name)")
                } catch {
                    expectations.deletionObserved(key, objectKey: Indexer.key(of: pod))
                    if (error as? StatusError)?.isNotFound != true { failure = error }
                }
            }
            let deleted = Set(toDelete.map(\.uid))
            active.removeAll { deleted.contains($0.uid) }
            if let failure { throw failure }
        }
        guard !toCreate.isEmpty else { return (wait, 0) }

        // Slow start: batches of 1, 2, 4, … until one fails.
        var remaining = toCreate[...]
        var batch = 1
        var failure: Error?
        var created = 0
        while !remaining.isEmpty {
            let chunk = remaining.prefix(batch)
            remaining = remaining.dropFirst(chunk.count)
            let results = await withTaskGroup(of: (String?, Error?).self) { group in
                for index in chunk {
                    group.addTask { [self] in
                        do {
                            let pod = JobLogic.pod(for: job, index: index, failureCount: index.flatMap { failureCounts[$0] } ?? 0)
                            let created = try await context.client.create(.pods, namespace: job.namespace, object: pod)
                            return (created.name, nil)
                        } catch {
                            return (nil, error)
                        }
                    }
                }
                var out: [(String?, Error?)] = []
                for await result in group { out.append(result) }
                return out
            }
            for (name, error) in results {
                if let name {
                    created += 1
                    await recorder.record(job, type: .normal, reason: "SuccessfulCreate", message: "Created pod: \(name)")
                } else if let error {
                    expectations.creationObserved(key)
                    failure = error
                    await recorder.record(job, type: .warning, reason: "FailedCreate", message: "Error creating: \((error as? StatusError)?.message ?? "\(error)")")
                }
            }
            if failure != nil {
                // The rest are not attempted: they are no longer expected.
                expectations.creationObserved(key, count: remaining.count)
                break
            }
            batch *= 2
        }
        if let failure { throw failure }
        return (nil, created)
    }
}
