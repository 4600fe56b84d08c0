import APIMachinery
import Client
import ControllerManager
import Controllers
import Foundation
import Testing

@Suite struct CronJobControllerTests {
    static func cronJob(_ name: String, schedule: String = "*/1 * * * *", extra: [String: JSONValue] = [:]) -> JSONValue {
        var spec: [String: JSONValue] = [
            "schedule": .string(schedule),
            "jobTemplate": ["metadata": ["labels": ["app": "cron"]],
                            "spec": ["template": ["spec": ["restartPolicy": "OnFailure", "containers": [["name": "c", "image": "busybox"]]]]]],
        ]
        for (k, v) in extra { spec[k] = v }
        return ["apiVersion": "batch/v1", "kind": "CronJob", "metadata": ["name": .string(name), "namespace": "default"], "spec": .object(spec)]
    }

    func jobs(_ cluster: BatchCluster) async throws -> [JSONValue] {
        try await cluster.client.list(.jobs, namespace: "default").items
    }

    func markJob(_ cluster: BatchCluster, _ name: String, _ type: String, at date: Date) async throws {
        var job = try await cluster.job(name)
        let time = JSONValue.string(RFC3339.format(date))
        var status: [String: JSONValue] = ["startTime": time,
                                            "conditions": [["type": .string(type), "status": "True", "lastTransitionTime": time, "lastProbeTime": time]]]
        if type == "Complete" {
            status["completionTime"] = time
            status["succeeded"] = 1
            status["conditions"] = [["type": "SuccessCriteriaMet", "status": "True", "lastTransitionTime": time, "lastProbeTime": time],
                                    ["type": "Complete", "status": "True", "lastTransitionTime": time, "lastProbeTime": time]]
        } else {
            status["failed"] = 1
            status["conditions"] = [["type": "FailureTarget", "status": "True", "lastTransitionTime": time, "lastProbeTime": time],
                                    ["type": "Failed", "status": "True", "lastTransitionTime": time, "lastProbeTime": time]]
        }
        job["status"] = .object(status)
        _ = try await cluster.client.updateStatus(.jobs, namespace: "default", object: job)
    }

    @Test func createsTheJobOfEachActivation() async throws {
        let cluster = try await BatchCluster()
        let task = cluster.start(CronJobController(context: cluster.context))
        defer { task.cancel() }
        let cronJob = try await cluster.client.create(.cronJobs, namespace: "default", object: Self.cronJob("tick"))
        try await Task.sleep(for: .milliseconds(200))
        #expect(try await jobs(cluster).isEmpty)
        let first = cluster.clock.nextMinute
        cluster.clock.set(first.addingTimeInterval(5))
        try await cluster.poke(.cronJobs, "tick")
        let name = "tick-\(Int(first.timeIntervalSince1970 / 60))"
        #expect(try await eventually { try await jobs(cluster).map(\.name) == [name] })
        let job = try await cluster.job(name)
        #expect(job.annotations["batch.kubernetes.io/cronjob-scheduled-timestamp"] == RFC3339.format(first))
        #expect(job.labels["app"] == "cron")
        let ref = OwnerReferences.controllerRef(of: job)
        #expect(ref?["kind"] == "CronJob" && ref?["uid"]?.stringValue == cronJob.uid && ref?["blockOwnerDeletion"] == true)
        #expect(try await eventually {
            let status = try await cluster.client.get(.cronJobs, namespace: "default", name: "tick")["status"]
            return status?["active"]?.arrayValue?.first?["name"]?.stringValue == name
                && status?["lastScheduleTime"]?.stringValue == RFC3339.format(first)
        })
        #expect(try await cluster.events(for: "tick").contains {
            $0["reason"] == "SuccessfulCreate" && $0["message"]?.stringValue == "Created job \(name)" && $0["source"]?["component"] == "cronjob-controller"
        })
        // The Job completes: it leaves active, lastSuccessfulTime follows.
        try await markJob(cluster, name, "Complete", at: first.addingTimeInterval(20))
        #expect(try await eventually {
            let status = try await cluster.client.get(.cronJobs, namespace: "default", name: "tick")["status"]
            return status?["active"] == nil && status?["lastSuccessfulTime"]?.stringValue == RFC3339.format(first.addingTimeInterval(20))
        })
        #expect(try await cluster.reasons(for: "tick").contains("SawCompletedJob"))
        // The next minute starts another.
        cluster.clock.set(first.addingTimeInterval(65))
        try await cluster.poke(.cronJobs, "tick")
        #expect(try await eventually { try await jobs(cluster).count == 2 })
    }

    @Test func forbidSkipsAndReplaceReplaces() async throws {
        let cluster = try await BatchCluster()
        let task = cluster.start(CronJobController(context: cluster.context))
        defer { task.cancel() }
        _ = try await cluster.client.create(.cronJobs, namespace: "default", object: Self.cronJob("forbid", extra: ["concurrencyPolicy": "Forbid"]))
        let first = cluster.clock.nextMinute
        cluster.clock.set(first.addingTimeInterval(1))
        try await cluster.poke(.cronJobs, "forbid")
        #expect(try await eventually { try await jobs(cluster).count == 1 })
        #expect(try await eventually {
            try await cluster.client.get(.cronJobs, namespace: "default", name: "forbid")["status"]?["active"]?.arrayValue?.count == 1
        })
        cluster.clock.set(first.addingTimeInterval(61))
        try await cluster.poke(.cronJobs, "forbid")
        #expect(try await eventually { try await cluster.reasons(for: "forbid").contains("JobAlreadyActive") })
        #expect(try await jobs(cluster).count == 1)

        // Replace deletes the running Job and starts the new activation.
        _ = try await cluster.client.patch(.cronJobs, namespace: "default", name: "forbid", format: .merge, body: ["spec": ["concurrencyPolicy": "Replace"]])
        let second = "forbid-\(Int(first.timeIntervalSince1970 / 60) + 1)"
        #expect(try await eventually { try await jobs(cluster).map(\.name) == [second] })
        #expect(try await cluster.reasons(for: "forbid").contains("SuccessfulDelete"))
    }

    @Test func historyLimitsDeleteOldFinishedJobs() async throws {
        let cluster = try await BatchCluster()
        let task = cluster.start(CronJobController(context: cluster.context))
        defer { task.cancel() }
        _ = try await cluster.client.create(.cronJobs, namespace: "default", object: Self.cronJob("hist", extra: ["successfulJobsHistoryLimit": 1]))
        let first = cluster.clock.nextMinute
        for minute in 0..<3 {
            cluster.clock.set(first.addingTimeInterval(Double(minute * 60 + 1)))
            try await cluster.poke(.cronJobs, "hist")
            #expect(try await eventually { try await jobs(cluster).contains { $0.name == "hist-\(Int(first.timeIntervalSince1970 / 60) + minute)" } })
            try await markJob(cluster, "hist-\(Int(first.timeIntervalSince1970 / 60) + minute)", "Complete", at: first.addingTimeInterval(Double(minute * 60 + 2)))
        }
        let last = "hist-\(Int(first.timeIntervalSince1970 / 60) + 2)"
        #expect(try await eventually { try await jobs(cluster).map(\.name) == [last] })
    }

    @Test func startingDeadlineSkipsLateActivations() async throws {
        let cluster = try await BatchCluster()
        let task = cluster.start(CronJobController(context: cluster.context))
        defer { task.cancel() }
        _ = try await cluster.client.create(.cronJobs, namespace: "default", object: Self.cronJob("dl", extra: ["startingDeadlineSeconds": 10]))
        let first = cluster.clock.nextMinute
        cluster.clock.set(first.addingTimeInterval(30))
        try await cluster.poke(.cronJobs, "dl")
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await jobs(cluster).isEmpty)
        cluster.clock.set(first.addingTimeInterval(65))
        try await cluster.poke(.cronJobs, "dl")
        #expect(try await eventually { try await jobs(cluster).map(\.name) == ["dl-\(Int(first.timeIntervalSince1970 / 60) + 1)"] })
    }

    @Test func suspendedCronJobStartsNothing() async throws {
        let cluster = try await BatchCluster()
        let task = cluster.start(CronJobController(context: cluster.context))
        defer { task.cancel() }
        _ = try await cluster.client.create(.cronJobs, namespace: "default", object: Self.cronJob("off", extra: ["suspend": true]))
        cluster.clock.set(cluster.clock.nextMinute.addingTimeInterval(1))
        try await cluster.poke(.cronJobs, "off")
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await jobs(cluster).isEmpty)
    }

    @Test func lostStatusWriteDoesNotStartTwice() async throws {
        let cluster = try await BatchCluster()
        cluster.faulty.conflicts.withLock { $0["cronjobs"] = 2 }
        let task = cluster.start(CronJobController(context: cluster.context))
        defer { task.cancel() }
        _ = try await cluster.client.create(.cronJobs, namespace: "default", object: Self.cronJob("twice"))
        let first = cluster.clock.nextMinute
        cluster.clock.set(first.addingTimeInterval(3))
        try await cluster.poke(.cronJobs, "twice")
        let name = "twice-\(Int(first.timeIntervalSince1970 / 60))"
        #expect(try await eventually {
            try await cluster.client.get(.cronJobs, namespace: "default", name: "twice")["status"]?["active"]?.arrayValue?.first?["name"]?.stringValue == name
        })
        #expect(cluster.faulty.conflictsServed.withLock { $0 } == 2)
        #expect(try await jobs(cluster).map(\.name) == [name])
        #expect(try await cluster.events(for: "twice").filter { $0["reason"] == "SuccessfulCreate" }.count == 1)
    }

    @Test func missedJobWatchEventNeitherLosesNorRepeatsTheJob() async throws {
        let cluster = try await BatchCluster()
        cluster.faulty.dropJobAdds.withLock { $0 = 1 }
        let task = cluster.start(CronJobController(context: cluster.context))
        defer { task.cancel() }
        _ = try await cluster.client.create(.cronJobs, namespace: "default", object: Self.cronJob("blind"))
        let first = cluster.clock.nextMinute
        cluster.clock.set(first.addingTimeInterval(2))
        try await cluster.poke(.cronJobs, "blind")
        let name = "blind-\(Int(first.timeIntervalSince1970 / 60))"
        #expect(try await eventually { try await jobs(cluster).map(\.name) == [name] })
        for _ in 0..<3 {
            try await cluster.poke(.cronJobs, "blind")
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(cluster.faulty.dropJobAdds.withLock { $0 } == 0)
        #expect(try await jobs(cluster).map(\.name) == [name])
        let status = try await cluster.client.get(.cronJobs, namespace: "default", name: "blind")["status"]
        #expect(status?["active"]?.arrayValue?.map { $0["name"]?.stringValue } == [name])
        #expect(!(try await cluster.reasons(for: "blind").contains("MissingJob")))
    }

    @Test func timeZoneAnnotation() {
        let cronJob = Self.cronJob("tz", extra: ["timeZone": "Europe/Paris"])
        let scheduled = Date(timeIntervalSince1970: 1_700_000_040)  // 2023-11-14T22:14:00Z
        let job = CronJobController.job(for: cronJob, scheduled: scheduled, timeZone: TimeZone(identifier: "Europe/Paris")!)
        #expect(job.annotations["batch.kubernetes.io/cronjob-scheduled-timestamp"] == "2023-11-14T23:14:00+01:00")
        #expect(job.name == "tz-28333334")
    }
}
