import APIMachinery
import Testing
@testable import Controllers

@Suite struct CronJobLogicTests {
    @Test func jobNamesAreMinutesSinceTheEpoch() {
        #expect(CronJobLogic.jobName(cronJobName: "hello", scheduled: date("2022-12-09T10:35:00Z")) == "hello-27843035")
        #expect(CronJobLogic.jobName(cronJobName: "hello", scheduled: date("1970-01-01T01:00:00Z")) == "hello-60")
    }

    @Test func concurrencyPolicy() {
        #expect(CronJobLogic.decide(concurrencyPolicy: "Forbid", activeJobs: []) == .start)
        #expect(CronJobLogic.decide(concurrencyPolicy: "Forbid", activeJobs: ["a"]) == .skip)
        #expect(CronJobLogic.decide(concurrencyPolicy: "Replace", activeJobs: ["a", "b"]) == .replace(deleting: ["a", "b"]))
        #expect(CronJobLogic.decide(concurrencyPolicy: "Allow", activeJobs: ["a"]) == .start)
        #expect(CronJobLogic.decide(concurrencyPolicy: nil, activeJobs: ["a"]) == .start)
    }

    func job(_ name: String, _ state: String?, started: String) -> JSONValue {
        var status: JSONValue = ["startTime": .string(started)]
        if let state { status["conditions"] = [["type": .string(state), "status": "True"]] }
        return ["metadata": ["name": .string(name)], "status": status]
    }

    @Test func historyLimits() {
        let jobs = [job("s1", "Complete", started: "2026-01-01T00:01:00Z"), job("s4", "Complete", started: "2026-01-01T00:04:00Z"),
                    job("s2", "Complete", started: "2026-01-01T00:02:00Z"), job("s3", "Complete", started: "2026-01-01T00:03:00Z"),
                    job("f1", "Failed", started: "2026-01-01T00:01:00Z"), job("f2", "Failed", started: "2026-01-01T00:02:00Z"),
                    job("run", nil, started: "2026-01-01T00:00:00Z")]
        #expect(CronJobLogic.jobsToDelete(cronJob: ["spec": [:]], jobs: jobs) == ["s1", "f1"])
        #expect(CronJobLogic.jobsToDelete(cronJob: ["spec": ["successfulJobsHistoryLimit": 1, "failedJobsHistoryLimit": 0]], jobs: jobs) ==
                ["s1", "s2", "s3", "f1", "f2"])
        #expect(CronJobLogic.finishedState(job("x", nil, started: "2026-01-01T00:00:00Z")) == nil)
    }
}
