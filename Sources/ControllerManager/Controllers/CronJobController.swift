import APIMachinery
import Client
import Controllers
import Foundation
import Logging

/// kube-controller-manager's CronJob controller (the "v2" one): at each activation of the schedule (in
/// spec.timeZone) it creates the Job `<cronjob>-<minutes since the epoch>` from the jobTemplate,
/// honouring concurrencyPolicy, startingDeadlineSeconds and suspend; it keeps status.active,
/// lastScheduleTime and lastSuccessfulTime, deletes finished Jobs beyond the history limits, and
/// requeues itself for the next activation. The Job name is deterministic, so an activation started
/// twice (a stale cache, a lost status write) collides instead of running twice.
public final class CronJobController: Controller, Sendable {
    public static let name = "cronjob"
    static let component = "cronjob-controller"
    static let jobsByCronJobUID = "cronjob-controller-uid"

    let context: ControllerContext
    let cronJobs: SharedInformer
    let jobs: SharedInformer
    let queue = WorkQueue<String>()
    let recorder: EventRecorder

    public init(context: ControllerContext) {
        self.context = context
        self.cronJobs = context.informers.informer(for: .cronJobs)
        self.jobs = context.informers.informer(for: .jobs, indexers: [Self.jobsByCronJobUID: { job in
            guard let ref = OwnerReferences.controllerRef(of: job), OwnerReferences.refers(ref, toKind: "CronJob", group: "batch"),
                  let uid = ref["uid"]?.stringValue else { return [] }
            return [uid]
        }])
        self.recorder = context.recorder(Self.component)
    }

    public func run(workers: Int) async {
        cronJobs.addHandler(enqueueingHandler(queue))
        let enqueueOwner: @Sendable (JSONValue) async -> Void = { [queue] job in
            if let key = OwnerReferences.controllerKey(of: job, kind: "CronJob", group: "batch") { await queue.add(key) }
        }
        jobs.addHandler(ResourceEventHandler(onAdd: enqueueOwner, onUpdate: { _, job in await enqueueOwner(job) }, onDelete: enqueueOwner))
        guard await cronJobs.waitForSync(), await jobs.waitForSync() else { return }
        await runWorkers(queue, count: workers, name: Self.name, logger: context.logger) { [self] key in
            try await sync(key)
        }
    }

    static func reference(to job: JSONValue) -> JSONValue {
        ["apiVersion": "batch/v1", "kind": "Job", "name": .string(job.name), "namespace": .string(job.namespace),
         "uid": .string(job.uid), "resourceVersion": .string(job.resourceVersion)]
    }

    /// The Job of an activation: the template's metadata and spec, the scheduled-timestamp annotation
    /// (RFC 3339 in the CronJob's time zone) and a controller reference to the CronJob.
    public static func job(for cronJob: JSONValue, scheduled: Date, timeZone: TimeZone) -> JSONValue {
        let template = cronJob["spec"]?["jobTemplate"] ?? .object([:])
        var metadata: [String: JSONValue] = [:]
        if let labels = template["metadata"]?["labels"], labels.objectValue != nil { metadata["labels"] = labels }
        var annotations = template["metadata"]?["annotations"]?.objectValue ?? [:]
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = timeZone
        formatter.formatOptions = [.withInternetDateTime]
        annotations[CronJobLogic.scheduledTimestampAnnotation] = .string(formatter.string(from: scheduled))
        metadata["annotations"] = .object(annotations)
        metadata["name"] = .string(CronJobLogic.jobName(cronJobName: cronJob.name, scheduled: scheduled))
        metadata["namespace"] = .string(cronJob.namespace)
        metadata["ownerReferences"] = [OwnerReferences.makeControllerRef(to: cronJob, apiVersion: "batch/v1", kind: "CronJob")]
        return ["apiVersion": "batch/v1", "kind": "Job", "metadata": .object(metadata), "spec": template["spec"] ?? .object([:])]
    }

    func sync(_ key: String) async throws {
        let (namespace, name) = Indexer.split(key)
        guard var cronJob = cronJobs.lister.get(namespace: namespace, name: name) else { return }
        let now = context.now()
        let children = jobs.indexer.byIndex(Self.jobsByCronJobUID, cronJob.uid).filter { $0.namespace == namespace }
        var status = cronJob["status"]?.objectValue ?? [:]
        let original = JSONValue.object(status)
        var active = status["active"]?.arrayValue ?? []
        func isActive(_ uid: String) -> Bool { active.contains { $0["uid"]?.stringValue == uid } }
        func setLastSuccessful(_ job: JSONValue) {
            guard CronJobLogic.finishedState(job) == "Complete",
                  let done = job["status"]?["completionTime"]?.stringValue, let doneDate = RFC3339.parse(done) else { return }
            if let last = status["lastSuccessfulTime"]?.stringValue.flatMap(RFC3339.parse), last >= doneDate { return }
            status["lastSuccessfulTime"] = .string(done)
        }

        // 1. Reconcile status.active with the Jobs that exist.
        for job in children {
            let state = CronJobLogic.finishedState(job)
            if isActive(job.uid), let state {
                active.removeAll { $0["uid"]?.stringValue == job.uid }
                await recorder.record(cronJob, type: .normal, reason: "SawCompletedJob", message: "Saw completed job: \(job.name), status: \(state)")
            } else if !isActive(job.uid), state == nil,
                      (try? await context.client.get(.cronJobs, namespace: namespace, name: name))?["status"]?["active"]?.arrayValue?
                          .contains(where: { $0["uid"]?.stringValue == job.uid }) != true {
                // Not in the cached status nor in the live one.
                await recorder.record(cronJob, type: .warning, reason: "UnexpectedJob",
                                      message: "Saw a job that the controller did not create or forgot: \(job.name)")
            }
            setLastSuccessful(job)
        }
        let childUIDs = Set(children.map(\.uid))
        for ref in active where !childUIDs.contains(ref["uid"]?.stringValue ?? "") {
            // The cache may lag behind: ask the API before calling it missing.
            let jobName = ref["name"]?.stringValue ?? ""
            if let live = try await context.client.getIfExists(.jobs, namespace: namespace, name: jobName) {
                if let state = CronJobLogic.finishedState(live) {
                    active.removeAll { $0["uid"] == ref["uid"] }
                    await recorder.record(cronJob, type: .normal, reason: "SawCompletedJob", message: "Saw completed job: \(jobName), status: \(state)")
                    setLastSuccessful(live)
                }
            } else {
                active.removeAll { $0["uid"] == ref["uid"] }
                await recorder.record(cronJob, type: .normal, reason: "MissingJob", message: "Active job went missing: \(jobName)")
            }
        }

        // 2. History limits.
        for jobName in CronJobLogic.jobsToDelete(cronJob: cronJob, jobs: children) {
            if try await deleteJob(cronJob, name: jobName) { active.removeAll { $0["name"]?.stringValue == jobName } }
        }

        func writeStatus() async throws {
            status["active"] = active.isEmpty ? nil : .array(active)
            guard JSONValue.object(status) != original else { return }
            cronJob["status"] = .object(status)
            cronJob = try await context.client.updateStatus(.cronJobs, namespace: namespace, object: cronJob)
        }

        if cronJob.deletionTimestamp != nil || cronJob["spec"]?["suspend"]?.boolValue == true {
            return try await writeStatus()
        }

        // 3. The schedule.
        let schedule: CronJobSchedule
        do {
            schedule = try CronJobSchedule(cronJob: cronJob)
        } catch {
            switch error {
            case .unparseableSchedule(let message):
                await recorder.record(cronJob, type: .warning, reason: "UnparseableSchedule",
                                      message: "unparseable schedule: \"\(cronJob["spec"]?["schedule"]?.stringValue ?? "")\" : \(message)")
            case .unknownTimeZone(let zone):
                await recorder.record(cronJob, type: .warning, reason: "UnknownTimeZone", message: "invalid timeZone: \"\(zone)\": unknown time zone \(zone)")
            }
            return try await writeStatus()
        }
        let deadline = cronJob["spec"]?["startingDeadlineSeconds"]?.intValue
        let lastSchedule = status["lastScheduleTime"]?.stringValue.flatMap(RFC3339.parse)
        let created = cronJob.creationTimestamp.flatMap(RFC3339.parse) ?? now
        let missed = schedule.mostRecentMissed(lastScheduleTime: lastSchedule, creationTime: created, now: now, startingDeadlineSeconds: deadline)
        if missed.tooMany {
            await recorder.record(cronJob, type: .warning, reason: "TooManyMissedTimes", message: CronJobSchedule.tooManyMissedMessage(count: missed.count))
        }
        if let scheduled = missed.mostRecent {
            try await start(&cronJob, scheduled: scheduled, schedule: schedule, now: now, deadline: deadline, active: &active, status: &status)
        }
        try await writeStatus()
        if let delay = schedule.requeueAfter(now: now) {
            await queue.addAfter(key, delay: .milliseconds(Int64(delay * 1000)))
        }
    }

    /// Starts the activation at `scheduled` unless it is too late, already started, or forbidden.
    func start(_ cronJob: inout JSONValue, scheduled: Date, schedule: CronJobSchedule, now: Date, deadline: Int64?,
               active: inout [JSONValue], status: inout [String: JSONValue]) async throws {
        if CronJobSchedule.isTooLate(scheduled: scheduled, now: now, startingDeadlineSeconds: deadline) {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "UTC")
            formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
            await recorder.record(cronJob, type: .warning, reason: "MissSchedule",
                                  message: "Missed scheduled time to start a job: \(formatter.string(from: scheduled))")
            return
        }
        let jobName = CronJobLogic.jobName(cronJobName: cronJob.name, scheduled: scheduled)
        let lastSchedule = status["lastScheduleTime"]?.stringValue.flatMap(RFC3339.parse)
        if active.contains(where: { $0["name"]?.stringValue == jobName }) || lastSchedule.map({ abs($0.timeIntervalSince(scheduled)) < 1 }) == true {
            return
        }
        let activeNames = active.compactMap { $0["name"]?.stringValue }
        switch CronJobLogic.decide(concurrencyPolicy: cronJob["spec"]?["concurrencyPolicy"]?.stringValue, activeJobs: activeNames) {
        case .skip:
            await recorder.record(cronJob, type: .normal, reason: "JobAlreadyActive",
                                  message: "Not starting job because prior execution is running and concurrency policy is Forbid")
            return
        case .replace(let names):
            for name in names {
                if try await deleteJob(cronJob, name: name) { active.removeAll { $0["name"]?.stringValue == name } }
            }
        case .start:
            break
        }
        let request = Self.job(for: cronJob, scheduled: scheduled, timeZone: schedule.timeZone)
        let job: JSONValue
        let created: JSONValue?
        do {
            created = try await context.client.createUnlessExists(.jobs, namespace: cronJob.namespace, object: request)
        } catch {
            await recorder.record(cronJob, type: .warning, reason: "FailedCreate", message: "Error creating job: \(error.message)")
            throw error
        }
        if let created {
            job = created
            await recorder.record(cronJob, type: .normal, reason: "SuccessfulCreate", message: "Created job \(job.name)")
        } else {
            // Started before (a status write was lost): adopt it if it is ours.
            guard let existing = try await context.client.getIfExists(.jobs, namespace: cronJob.namespace, name: jobName),
                  OwnerReferences.controllerRef(of: existing)?["uid"]?.stringValue == cronJob.uid else {
                throw StatusError(code: 409, reason: "AlreadyExists", message: "jobs.batch \"\(jobName)\" already exists")
            }
            job = existing
        }
        if !active.contains(where: { $0["uid"]?.stringValue == job.uid }) && CronJobLogic.finishedState(job) == nil {
            active.append(Self.reference(to: job))
        }
        status["lastScheduleTime"] = .string(RFC3339.format(scheduled))
    }

    /// Deletes a Job (Background propagation); answers whether it is gone.
    func deleteJob(_ cronJob: JSONValue, name: String) async throws -> Bool {
        do {
            if try await context.client.deleteIfExists(.jobs, namespace: cronJob.namespace, name: name,
                                                       options: DeleteQuery(propagationPolicy: .background)) {
                await recorder.record(cronJob, type: .normal, reason: "SuccessfulDelete", message: "Deleted job \(name)")
            }
            return true
        } catch {
            await recorder.record(cronJob, type: .warning, reason: "FailedDelete", message: "Deleted job: \(error.message)")
            throw error
        }
    }
}
