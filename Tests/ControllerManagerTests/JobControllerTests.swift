import APIMachinery
import Client
import ControllerManager
import Foundation
import Testing

@Suite struct JobControllerTests {
    @Test func completionsWithParallelismCompleteOnce() async throws {
        let cluster = try await BatchCluster()
        let task = cluster.start(JobController(context: cluster.context, podBackoffBase: 0))
        defer { task.cancel() }
        _ = try await cluster.createJob(BatchCluster.jobObject("pi", completions: 3, parallelism: 2))
        // At most parallelism pods at once.
        #expect(try await eventually { try await cluster.pods(of: "pi").count == 2 })
        let pod = try #require(try await cluster.pods(of: "pi").first)
        #expect(pod.finalizers == ["batch.kubernetes.io/job-tracking"])
        #expect(pod.generateName == "pi-")
        #expect(OwnerReferences.controllerRef(of: pod)?["kind"]?.stringValue == "Job")
        #expect(pod.labels["batch.kubernetes.io/job-name"] == "pi" && pod.labels["controller-uid"] != nil)
        #expect(try await eventually { try await cluster.job("pi")["status"]?["active"]?.intValue == 2 })
        let started = try await cluster.job("pi")
        #expect(started["status"]?["startTime"]?.stringValue != nil)
        #expect(started["status"]?["ready"]?.intValue == 0)

        // Succeed pods as they come until the Job completes.
        let done = try await eventually(timeout: .seconds(15)) {
            try await cluster.finishPods(of: "pi", phase: "Succeeded")
            return conditionStatus(try await cluster.job("pi"), "Complete") == "True"
        }
        #expect(done)
        let job = try await cluster.job("pi")
        #expect(job["status"]?["succeeded"]?.intValue == 3)
        #expect(job["status"]?["failed"] == nil)
        #expect(job["status"]?["active"] == nil)
        #expect(job["status"]?["completionTime"]?.stringValue != nil)
        #expect(conditionStatus(job, "SuccessCriteriaMet") == "True")
        let complete = job["status"]?["conditions"]?.arrayValue?.first { $0["type"] == "Complete" }
        #expect(complete?["reason"] == "CompletionsReached")
        #expect(complete?["message"] == "Reached expected number of succeeded pods")
        #expect(job["status"]?["uncountedTerminatedPods"] == .object([:]))
        let pods = try await cluster.pods(of: "pi")
        #expect(pods.count == 3)
        // Every finalizer is released once counted.
        #expect(try await eventually { try await cluster.pods(of: "pi").allSatisfy { $0.finalizers.isEmpty } })
        let events = try await cluster.events(for: "pi")
        #expect(events.filter { $0["reason"] == "SuccessfulCreate" }.count == 3)
        #expect(events.contains { $0["reason"] == "SuccessfulCreate" && $0["message"]?.stringValue == "Created pod: \(pods[0].name)" }
            || events.contains { $0["reason"] == "SuccessfulCreate" && ($0["message"]?.stringValue ?? "").hasPrefix("Created pod: pi-") })
        #expect(events.contains { $0["reason"] == "Completed" && $0["message"] == "Job completed" && $0["source"]?["component"] == "job-controller" })
        // Nothing more is counted later.
        try await cluster.poke(.jobs, "pi")
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await cluster.job("pi")["status"]?["succeeded"]?.intValue == 3)
    }

    @Test func indexedJobGivesEachPodItsIndex() async throws {
        let cluster = try await BatchCluster()
        let task = cluster.start(JobController(context: cluster.context, podBackoffBase: 0))
        defer { task.cancel() }
        _ = try await cluster.createJob(BatchCluster.jobObject("idx", completions: 3, parallelism: 3, extra: ["completionMode": "Indexed"]))
        #expect(try await eventually { try await cluster.pods(of: "idx").count == 3 })
        let pods = try await cluster.pods(of: "idx")
        let indexes = pods.compactMap { $0.annotations["batch.kubernetes.io/job-completion-index"] }.sorted()
        #expect(indexes == ["0", "1", "2"])
        for pod in pods {
            let index = pod.annotations["batch.kubernetes.io/job-completion-index"] ?? ""
            #expect(pod.labels["batch.kubernetes.io/job-completion-index"] == index)
            #expect(pod["spec"]?["hostname"]?.stringValue == "idx-\(index)")
            #expect(pod.generateName == "idx-\(index)-")
            let env = pod["spec"]?["containers"]?.arrayValue?.first?["env"]?.arrayValue ?? []
            #expect(env.contains { $0["name"] == "JOB_COMPLETION_INDEX" })
        }
        // Index 1 fails once: it is replaced with the same index.
        let one = try #require(pods.first { $0.annotations["batch.kubernetes.io/job-completion-index"] == "1" })
        try await cluster.setPhase(one, "Failed")
        #expect(try await eventually {
            try await cluster.pods(of: "idx").filter { $0.annotations["batch.kubernetes.io/job-completion-index"] == "1" }.count == 2
        })
        for pod in try await cluster.pods(of: "idx") where pod.annotations["batch.kubernetes.io/job-completion-index"] != "1" {
            try await cluster.setPhase(pod, "Succeeded")
        }
        #expect(try await eventually { try await cluster.job("idx")["status"]?["completedIndexes"]?.stringValue == "0,2" })
        #expect(try await eventually {
            try await cluster.finishPods(of: "idx", phase: "Succeeded")
            return conditionStatus(try await cluster.job("idx"), "Complete") == "True"
        })
        let job = try await cluster.job("idx")
        #expect(job["status"]?["completedIndexes"]?.stringValue == "0-2")
        #expect(job["status"]?["succeeded"]?.intValue == 3)
        #expect(job["status"]?["failed"]?.intValue == 1)
    }

    @Test func backoffLimitFailsTheJob() async throws {
        let cluster = try await BatchCluster()
        let task = cluster.start(JobController(context: cluster.context, podBackoffBase: 0))
        defer { task.cancel() }
        _ = try await cluster.createJob(BatchCluster.jobObject("fail", extra: ["backoffLimit": 1]))
        let failed = try await eventually {
            try await cluster.finishPods(of: "fail", phase: "Failed")
            return conditionStatus(try await cluster.job("fail"), "Failed") == "True"
        }
        #expect(failed)
        let job = try await cluster.job("fail")
        #expect(job["status"]?["failed"]?.intValue == 2)
        #expect(conditionStatus(job, "FailureTarget") == "True")
        let condition = job["status"]?["conditions"]?.arrayValue?.first { $0["type"] == "Failed" }
        #expect(condition?["reason"] == "BackoffLimitExceeded")
        #expect(condition?["message"] == "Job has reached the specified backoff limit")
        #expect(job["status"]?["completionTime"] == nil)
        #expect(try await cluster.pods(of: "fail").count == 2)
        let events = try await cluster.events(for: "fail")
        #expect(events.contains { $0["reason"] == "BackoffLimitExceeded" && $0["type"] == "Warning" })
    }

    @Test func replacementWaitsForTheBackoff() async throws {
        let cluster = try await BatchCluster()
        let task = cluster.start(JobController(context: cluster.context, podBackoffBase: 0.5))
        defer { task.cancel() }
        _ = try await cluster.createJob(BatchCluster.jobObject("slow", extra: ["backoffLimit": 3]))
        #expect(try await eventually { try await cluster.pods(of: "slow").count == 1 })
        try await cluster.finishPods(of: "slow", phase: "Failed")
        // The failure is counted at the clock's time; the replacement waits 0.5 s of it.
        #expect(try await eventually { try await cluster.job("slow")["status"]?["failed"]?.intValue == 1 })
        try await Task.sleep(for: .milliseconds(200))
        #expect(try await cluster.pods(of: "slow").count == 1)
        cluster.clock.advance(1)
        try await cluster.poke(.jobs, "slow")
        #expect(try await eventually { try await cluster.pods(of: "slow").count == 2 })
    }

    @Test func activeDeadlineFailsAndStopsPods() async throws {
        let cluster = try await BatchCluster()
        let task = cluster.start(JobController(context: cluster.context, podBackoffBase: 0))
        defer { task.cancel() }
        _ = try await cluster.createJob(BatchCluster.jobObject("late", completions: 2, parallelism: 2, extra: ["activeDeadlineSeconds": 30]))
        #expect(try await eventually { try await cluster.pods(of: "late").count == 2 })
        #expect(try await eventually { try await cluster.job("late")["status"]?["startTime"] != nil })
        cluster.clock.advance(31)
        try await cluster.poke(.jobs, "late")
        #expect(try await eventually { conditionStatus(try await cluster.job("late"), "Failed") == "True" })
        let job = try await cluster.job("late")
        let condition = job["status"]?["conditions"]?.arrayValue?.first { $0["type"] == "Failed" }
        #expect(condition?["reason"] == "DeadlineExceeded")
        #expect(condition?["message"] == "Job was active longer than specified deadline")
        // Its running pods were deleted (and counted as failed).
        #expect(try await eventually { try await cluster.pods(of: "late").isEmpty })
        #expect(try await cluster.job("late")["status"]?["failed"]?.intValue == 2)
    }

    @Test func suspendAndResume() async throws {
        let cluster = try await BatchCluster()
        let task = cluster.start(JobController(context: cluster.context, podBackoffBase: 0))
        defer { task.cancel() }
        _ = try await cluster.createJob(BatchCluster.jobObject("sus", extra: ["suspend": true]))
        #expect(try await eventually { conditionStatus(try await cluster.job("sus"), "Suspended") == "True" })
        #expect(try await cluster.pods(of: "sus").isEmpty)
        #expect(try await cluster.job("sus")["status"]?["startTime"] == nil)
        _ = try await cluster.client.patch(.jobs, namespace: "default", name: "sus", format: .merge, body: ["spec": ["suspend": false]])
        #expect(try await eventually { try await cluster.pods(of: "sus").count == 1 })
        #expect(try await eventually { conditionStatus(try await cluster.job("sus"), "Suspended") == "False" })
        #expect(try await cluster.job("sus")["status"]?["startTime"]?.stringValue != nil)
        let reasons = try await cluster.reasons(for: "sus")
        #expect(reasons.contains("Suspended") && reasons.contains("Resumed"))
        // Suspending a running Job deletes its pods (not counted as failures); resuming starts anew.
        let first = try #require(try await cluster.pods(of: "sus").first)
        _ = try await cluster.client.patch(.jobs, namespace: "default", name: "sus", format: .merge, body: ["spec": ["suspend": true]])
        #expect(try await eventually { try await cluster.pods(of: "sus").isEmpty })
        #expect(try await eventually { conditionStatus(try await cluster.job("sus"), "Suspended") == "True" })
        _ = try await cluster.client.patch(.jobs, namespace: "default", name: "sus", format: .merge, body: ["spec": ["suspend": false]])
        #expect(try await eventually { try await cluster.pods(of: "sus").count == 1 })
        #expect(try await cluster.pods(of: "sus").first?.uid != first.uid)
        #expect(try await cluster.job("sus")["status"]?["failed"] == nil)
    }

    @Test func missedPodWatchEventCreatesNothingTwice() async throws {
        let cluster = try await BatchCluster()
        cluster.faulty.dropPodAdds.withLock { $0 = 1 }
        let task = cluster.start(JobController(context: cluster.context, podBackoffBase: 0))
        defer { task.cancel() }
        _ = try await cluster.createJob(BatchCluster.jobObject("once"))
        #expect(try await eventually { try await cluster.pods(of: "once").count == 1 })
        // The informer never saw the pod; further syncs must still not create another.
        for _ in 0..<3 {
            try await cluster.poke(.jobs, "once")
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(try await cluster.pods(of: "once").count == 1)
        #expect(cluster.faulty.dropPodAdds.withLock { $0 } == 0)
        try await cluster.finishPods(of: "once", phase: "Succeeded")
        #expect(try await eventually { conditionStatus(try await cluster.job("once"), "Complete") == "True" })
        #expect(try await cluster.pods(of: "once").count == 1)
        #expect(try await cluster.job("once")["status"]?["succeeded"]?.intValue == 1)
    }

    @Test func statusConflictsCountEachPodOnce() async throws {
        let cluster = try await BatchCluster()
        let task = cluster.start(JobController(context: cluster.context, podBackoffBase: 0))
        defer { task.cancel() }
        _ = try await cluster.createJob(BatchCluster.jobObject("conf", completions: 2, parallelism: 2))
        #expect(try await eventually { try await cluster.pods(of: "conf").count == 2 })
        #expect(try await eventually { try await cluster.job("conf")["status"]?["active"]?.intValue == 2 })
        cluster.faulty.conflicts.withLock { $0["jobs"] = 3 }
        try await cluster.finishPods(of: "conf", phase: "Succeeded")
        #expect(try await eventually { conditionStatus(try await cluster.job("conf"), "Complete") == "True" })
        #expect(cluster.faulty.conflictsServed.withLock { $0 } == 3)
        let job = try await cluster.job("conf")
        #expect(job["status"]?["succeeded"]?.intValue == 2)
        #expect(try await cluster.pods(of: "conf").count == 2)
    }

    @Test func orphanedPodsLoseTheirFinalizer() async throws {
        let cluster = try await BatchCluster()
        let task = cluster.start(JobController(context: cluster.context, podBackoffBase: 0))
        defer { task.cancel() }
        _ = try await cluster.createJob(BatchCluster.jobObject("gone"))
        #expect(try await eventually { try await cluster.pods(of: "gone").count == 1 })
        _ = try await cluster.client.delete(.jobs, namespace: "default", name: "gone", options: DeleteQuery(propagationPolicy: .orphan))
        #expect(try await eventually { try await cluster.pods(of: "gone").first?.finalizers.isEmpty == true })
    }

    @Test func workQueueJobWaitsForTheOthersAfterASuccess() async throws {
        let cluster = try await BatchCluster()
        let task = cluster.start(JobController(context: cluster.context, podBackoffBase: 0))
        defer { task.cancel() }
        _ = try await cluster.createJob(BatchCluster.jobObject("queue", completions: nil, parallelism: 3))
        #expect(try await eventually { try await cluster.pods(of: "queue").count == 3 })
        try await cluster.finishPods(of: "queue", phase: "Succeeded", limit: 1)
        #expect(try await eventually { try await cluster.job("queue")["status"]?["succeeded"]?.intValue == 1 })
        try await Task.sleep(for: .milliseconds(200))
        // The other two keep running; none is added or removed.
        #expect(try await cluster.pods(of: "queue").count == 3)
        #expect(try await cluster.job("queue")["status"]?["active"]?.intValue == 2)
        #expect(conditionStatus(try await cluster.job("queue"), "Complete") == nil)
        try await cluster.finishPods(of: "queue", phase: "Succeeded")
        #expect(try await eventually { conditionStatus(try await cluster.job("queue"), "Complete") == "True" })
        #expect(try await cluster.job("queue")["status"]?["succeeded"]?.intValue == 3)
    }

    @Test func podFailurePolicyIgnoresAndFailsTheJob() async throws {
        let cluster = try await BatchCluster()
        let task = cluster.start(JobController(context: cluster.context, podBackoffBase: 0))
        defer { task.cancel() }
        let policy: JSONValue = ["rules": [
            ["action": "FailJob", "onExitCodes": ["containerName": "main", "operator": "In", "values": [42]]],
            ["action": "Ignore", "onPodConditions": [["type": "DisruptionTarget"]]],
        ]]
        _ = try await cluster.createJob(BatchCluster.jobObject("policy", extra: ["backoffLimit": 1, "podFailurePolicy": policy]))
        #expect(try await eventually { try await cluster.pods(of: "policy").count == 1 })
        // A disrupted pod is ignored: replaced, not counted.
        var first = try #require(try await cluster.pods(of: "policy").first)
        first["status"] = ["phase": "Failed", "conditions": [["type": "DisruptionTarget", "status": "True", "reason": "DeletionByTaintManager"]]]
        _ = try await cluster.client.updateStatus(.pods, namespace: "default", object: first)
        #expect(try await eventually { try await cluster.pods(of: "policy").count == 2 })
        #expect(try await eventually { try await cluster.pods(of: "policy").first { $0.uid == first.uid }?.finalizers.isEmpty == true })
        #expect(try await cluster.job("policy")["status"]?["failed"] == nil)
        // Exit code 42 fails the Job at once, although backoffLimit would allow a retry.
        var second = try #require(try await cluster.pods(of: "policy").first { $0.uid != first.uid })
        second["status"] = ["phase": "Failed", "containerStatuses": [["name": "main", "image": "busybox", "imageID": "", "ready": false, "restartCount": 0,
                                                                      "state": ["terminated": ["exitCode": 42, "reason": "Error"]]]]]
        _ = try await cluster.client.updateStatus(.pods, namespace: "default", object: second)
        #expect(try await eventually { conditionStatus(try await cluster.job("policy"), "Failed") == "True" })
        let job = try await cluster.job("policy")
        let failed = job["status"]?["conditions"]?.arrayValue?.first { $0["type"] == "Failed" }
        #expect(failed?["reason"] == "PodFailurePolicy")
        #expect(failed?["message"]?.stringValue == "Container main for pod default/\(second.name) failed with exit code 42 matching FailJob rule at index 0")
        #expect(job["status"]?["failed"]?.intValue == 1)
        #expect(try await cluster.pods(of: "policy").count == 2)
    }

    @Test func successPolicyCompletesAnIndexedJobEarly() async throws {
        let cluster = try await BatchCluster()
        let task = cluster.start(JobController(context: cluster.context, podBackoffBase: 0))
        defer { task.cancel() }
        _ = try await cluster.createJob(BatchCluster.jobObject("leader", completions: 3, parallelism: 3, extra: [
            "completionMode": "Indexed", "successPolicy": ["rules": [["succeededIndexes": "0", "succeededCount": 1]]]]))
        #expect(try await eventually { try await cluster.pods(of: "leader").count == 3 })
        let zero = try #require(try await cluster.pods(of: "leader").first { $0.annotations["batch.kubernetes.io/job-completion-index"] == "0" })
        try await cluster.setPhase(zero, "Succeeded")
        #expect(try await eventually { conditionStatus(try await cluster.job("leader"), "Complete") == "True" })
        let job = try await cluster.job("leader")
        let complete = job["status"]?["conditions"]?.arrayValue?.first { $0["type"] == "Complete" }
        #expect(complete?["reason"] == "SuccessPolicy" && complete?["message"] == "Matched rules at index 0")
        #expect(conditionStatus(job, "SuccessCriteriaMet") == "True")
        #expect(job["status"]?["completedIndexes"] == "0" && job["status"]?["succeeded"]?.intValue == 1)
        // The lingering pods were removed.
        #expect(try await eventually { try await cluster.pods(of: "leader").map(\.uid) == [zero.uid] })
    }

    @Test func managedByAnotherControllerIsLeftAlone() async throws {
        let cluster = try await BatchCluster()
        let task = cluster.start(JobController(context: cluster.context, podBackoffBase: 0))
        defer { task.cancel() }
        _ = try await cluster.createJob(BatchCluster.jobObject("external", extra: ["managedBy": "example.com/queue"]))
        _ = try await cluster.createJob(BatchCluster.jobObject("ours"))
        #expect(try await eventually { try await cluster.pods(of: "ours").count == 1 })
        try await Task.sleep(for: .milliseconds(200))
        #expect(try await cluster.pods(of: "external").isEmpty)
        #expect(try await cluster.job("external")["status"]?["startTime"] == nil)
    }

    @Test func backoffLimitPerIndexFailsIndexesNotTheJob() async throws {
        let cluster = try await BatchCluster()
        let task = cluster.start(JobController(context: cluster.context, podBackoffBase: 0))
        defer { task.cancel() }
        _ = try await cluster.createJob(BatchCluster.jobObject("per", completions: 3, parallelism: 3, extra: [
            "completionMode": "Indexed", "backoffLimitPerIndex": 1]))
        #expect(try await eventually { try await cluster.pods(of: "per").count == 3 })
        func pods(_ index: String) async throws -> [JSONValue] {
            try await cluster.pods(of: "per").filter { $0.annotations["batch.kubernetes.io/job-completion-index"] == index }
        }
        #expect(try await pods("1").first?.annotations["batch.kubernetes.io/job-index-failure-count"] == "0")
        // Index 1 fails twice: its retry carries the count, then the index fails for good.
        try await cluster.setPhase(try #require(try await pods("1").first), "Failed")
        #expect(try await eventually { try await pods("1").count == 2 })
        let retry = try #require(try await pods("1").first { $0["status"]?["phase"] != "Failed" })
        #expect(retry.annotations["batch.kubernetes.io/job-index-failure-count"] == "1")
        try await cluster.setPhase(retry, "Failed")
        #expect(try await eventually { try await cluster.job("per")["status"]?["failedIndexes"] == "1" })
        try await Task.sleep(for: .milliseconds(200))
        #expect(try await pods("1").count == 2)
        #expect(conditionStatus(try await cluster.job("per"), "Failed") == nil)
        // The other indexes succeed: the Job fails with FailedIndexes.
        try await cluster.finishPods(of: "per", phase: "Succeeded")
        #expect(try await eventually { conditionStatus(try await cluster.job("per"), "Failed") == "True" })
        let job = try await cluster.job("per")
        let failed = job["status"]?["conditions"]?.arrayValue?.first { $0["type"] == "Failed" }
        #expect(failed?["reason"] == "FailedIndexes" && failed?["message"] == "Job has failed indexes")
        #expect(job["status"]?["completedIndexes"] == "0,2" && job["status"]?["failed"]?.intValue == 2)
    }

    @Test func indexesFormatAsRanges() {
        #expect(JobLogic.formatIndexes([1, 3, 4, 5, 7]) == "1,3-5,7")
        #expect(JobLogic.formatIndexes([0, 1]) == "0,1")
        #expect(JobLogic.parseIndexes("1,3-5,7", limit: 5) == [1, 3, 4])
        #expect(JobLogic.podBackoff(failures: 1) == 10)
        #expect(JobLogic.podBackoff(failures: 3) == 40)
        #expect(JobLogic.podBackoff(failures: 10) == 360)
    }
}
