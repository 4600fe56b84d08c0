import APIMachinery
import Foundation
import Testing
@testable import Controllers

@Suite struct DeploymentLogicTests {
    func deployment(replicas: Int64 = 3, generation: Int64 = 1, status: JSONValue = [:], paused: Bool = false,
                    deadline: Int64? = 600, historyLimit: Int64? = nil) -> JSONValue {
        var spec: JSONValue = ["replicas": .int(replicas), "paused": .bool(paused)]
        if let deadline { spec["progressDeadlineSeconds"] = .int(deadline) }
        if let historyLimit { spec["revisionHistoryLimit"] = .int(historyLimit) }
        return ["metadata": ["name": "web", "generation": .int(generation)], "spec": spec, "status": status]
    }

    func progressing(_ status: JSONValue) -> JSONValue? {
        status["conditions"]?.arrayValue?.first { $0["type"] == "Progressing" }
    }
    func available(_ status: JSONValue) -> JSONValue? {
        status["conditions"]?.arrayValue?.first { $0["type"] == "Available" }
    }

    @Test func counts() {
        let new = replicaSet("web-new", specReplicas: 2, replicas: 2, ready: 2, available: 1)
        let old = replicaSet("web-old", specReplicas: 2, replicas: 2, ready: 2, available: 2)
        let c = DeploymentLogic.counts(deployment: deployment(replicas: 3), newReplicaSet: new, oldReplicaSets: [old])
        #expect(c.replicas == 4 && c.updatedReplicas == 2 && c.readyReplicas == 4 && c.availableReplicas == 3 && c.unavailableReplicas == 0)
        let none = DeploymentLogic.counts(deployment: deployment(replicas: 3), newReplicaSet: nil, oldReplicaSets: [])
        #expect(none.unavailableReplicas == 3 && none.updatedReplicas == 0)
    }

    @Test func availableCondition() {
        let now = date("2026-01-01T00:00:00Z")
        let yes = DeploymentLogic.availableCondition(availableReplicas: 2, desiredReplicas: 3, maxUnavailable: 1, now: now)
        #expect(yes["status"] == "True" && yes["reason"] == "MinimumReplicasAvailable" && yes["message"] == "Deployment has minimum availability.")
        let no = DeploymentLogic.availableCondition(availableReplicas: 1, desiredReplicas: 3, maxUnavailable: 1, now: now)
        #expect(no["status"] == "False" && no["reason"] == "MinimumReplicasUnavailable" && no["message"] == "Deployment does not have minimum availability.")
        #expect(no["lastTransitionTime"] == "2026-01-01T00:00:00Z")
    }

    @Test func setConditionKeepsTransitionTime() {
        let t0 = date("2026-01-01T00:00:00Z"), t1 = date("2026-01-01T01:00:00Z")
        let initial = [DeploymentLogic.Progress.newReplicaSetCreated("web-1", now: t0)]
        // Same status and reason: unchanged.
        #expect(DeploymentLogic.setCondition(initial, DeploymentLogic.Progress.newReplicaSetCreated("web-1", now: t1)) == initial)
        // Same status, new reason: replaced, transition time kept.
        let updated = DeploymentLogic.setCondition(initial, DeploymentLogic.Progress.foundNewReplicaSet("web-1", now: t1))
        #expect(updated.count == 1)
        #expect(updated[0]["reason"] == "FoundNewReplicaSet" && updated[0]["message"] == "Found new replica set \"web-1\"")
        #expect(updated[0]["lastTransitionTime"] == "2026-01-01T00:00:00Z" && updated[0]["lastUpdateTime"] == "2026-01-01T01:00:00Z")
        // New status: new transition time.
        let failed = DeploymentLogic.setCondition(updated, DeploymentLogic.Progress.progressDeadlineExceeded("web-1", now: t1))
        #expect(failed[0]["status"] == "False" && failed[0]["lastTransitionTime"] == "2026-01-01T01:00:00Z")
        #expect(failed[0]["message"] == "ReplicaSet \"web-1\" has timed out progressing.")
    }

    @Test func completeRollout() {
        let now = date("2026-01-01T00:05:00Z")
        let new = replicaSet("web-5d4f8c9b7", specReplicas: 3, replicas: 3, ready: 3, available: 3)
        let status = DeploymentLogic.status(deployment: deployment(), newReplicaSet: new, oldReplicaSets: [], maxUnavailable: 0, now: now)
        #expect(status["replicas"] == 3 && status["updatedReplicas"] == 3 && status["availableReplicas"] == 3 && status["unavailableReplicas"] == nil)
        #expect(status["observedGeneration"] == 1)
        #expect(progressing(status)?["reason"] == "NewReplicaSetAvailable")
        #expect(progressing(status)?["message"] == "ReplicaSet \"web-5d4f8c9b7\" has successfully progressed.")
        #expect(available(status)?["status"] == "True")
    }

    @Test func progressingRolloutRefreshesUpdateTime() {
        let t0 = "2026-01-01T00:00:00Z"
        let oldCondition: JSONValue = ["type": "Progressing", "status": "True", "reason": "NewReplicaSetCreated",
                                       "message": "Created new replica set \"web-2\"", "lastUpdateTime": .string(t0), "lastTransitionTime": .string(t0)]
        let before: JSONValue = ["replicas": 3, "updatedReplicas": 1, "readyReplicas": 3, "availableReplicas": 3, "conditions": [oldCondition]]
        let new = replicaSet("web-2", specReplicas: 2, replicas: 2, ready: 2, available: 2)
        let old = replicaSet("web-1", specReplicas: 1, replicas: 1, ready: 1, available: 1)
        let status = DeploymentLogic.status(deployment: deployment(status: before), newReplicaSet: new, oldReplicaSets: [old], maxUnavailable: 0,
                                            now: date("2026-01-01T00:01:00Z"))
        let p = progressing(status)
        #expect(p?["reason"] == "ReplicaSetUpdated" && p?["message"] == "ReplicaSet \"web-2\" is progressing.")
        #expect(p?["lastTransitionTime"] == .string(t0) && p?["lastUpdateTime"] == "2026-01-01T00:01:00Z")
    }

    @Test func deadlineExceeded() {
        let t0 = "2026-01-01T00:00:00Z"
        let cond: JSONValue = ["type": "Progressing", "status": "True", "reason": "ReplicaSetUpdated",
                               "message": "ReplicaSet \"web-2\" is progressing.", "lastUpdateTime": .string(t0), "lastTransitionTime": .string(t0)]
        let before: JSONValue = ["replicas": 4, "updatedReplicas": 1, "readyReplicas": 3, "availableReplicas": 3, "conditions": [cond]]
        let new = replicaSet("web-2", specReplicas: 1, replicas: 1, ready: 0, available: 0)
        let old = replicaSet("web-1", specReplicas: 3, replicas: 3, ready: 3, available: 3)
        let d = deployment(status: before, deadline: 600)
        let early = DeploymentLogic.status(deployment: d, newReplicaSet: new, oldReplicaSets: [old], maxUnavailable: 0, now: date("2026-01-01T00:09:00Z"))
        #expect(progressing(early)?["reason"] == "ReplicaSetUpdated")
        let late = DeploymentLogic.status(deployment: d, newReplicaSet: new, oldReplicaSets: [old], maxUnavailable: 0, now: date("2026-01-01T00:10:01Z"))
        #expect(progressing(late)?["status"] == "False" && progressing(late)?["reason"] == "ProgressDeadlineExceeded")
        #expect(progressing(late)?["message"] == "ReplicaSet \"web-2\" has timed out progressing.")
        #expect(late["unavailableReplicas"] == 0 || late["unavailableReplicas"] == nil)
        // Without a progress deadline there is no Progressing verdict at all.
        let noDeadline = DeploymentLogic.status(deployment: deployment(deadline: nil), newReplicaSet: new, oldReplicaSets: [old], maxUnavailable: 0,
                                                now: date("2026-01-01T00:10:01Z"))
        #expect(progressing(noDeadline) == nil)
    }

    @Test func paused() {
        let new = replicaSet("web-2", specReplicas: 1, replicas: 1, ready: 0, available: 0)
        let status = DeploymentLogic.status(deployment: deployment(paused: true), newReplicaSet: new, oldReplicaSets: [], maxUnavailable: 0,
                                            now: date("2026-01-01T00:00:00Z"))
        #expect(progressing(status)?["status"] == "Unknown" && progressing(status)?["reason"] == "DeploymentPaused")
        #expect(progressing(status)?["message"] == "Deployment is paused")
        #expect(status["unavailableReplicas"] == 3)
        #expect(available(status)?["reason"] == "MinimumReplicasUnavailable")
    }

    @Test func resumedRestartsTheDeadline() {
        let t0 = "2026-01-01T00:00:00Z"
        let pausedCond: JSONValue = ["type": "Progressing", "status": "Unknown", "reason": "DeploymentPaused", "message": "Deployment is paused",
                                     "lastUpdateTime": .string(t0), "lastTransitionTime": .string(t0)]
        let before: JSONValue = ["replicas": 1, "updatedReplicas": 1, "readyReplicas": 0, "availableReplicas": 0, "conditions": [pausedCond]]
        let new = replicaSet("web-2", specReplicas: 1, replicas: 1, ready: 0, available: 0)
        // An hour after the pause, far past the 600 s deadline: resumed, not timed out.
        let status = DeploymentLogic.status(deployment: deployment(status: before), newReplicaSet: new, oldReplicaSets: [], maxUnavailable: 0,
                                            now: date("2026-01-01T01:00:00Z"))
        #expect(progressing(status)?["reason"] == "DeploymentResumed" && progressing(status)?["message"] == "Deployment is resumed")
        #expect(progressing(status)?["lastUpdateTime"] == "2026-01-01T01:00:00Z")
    }

    @Test func revisions() {
        let olds = [replicaSet("a", revision: 1), replicaSet("b", revision: 2)]
        let fresh = DeploymentLogic.newReplicaSetAnnotations(replicaSet("c"), oldReplicaSets: olds)
        #expect(fresh["deployment.kubernetes.io/revision"] == "3" && fresh["deployment.kubernetes.io/revision-history"] == nil)
        // Steady state: the new RS already has max+1.
        #expect(DeploymentLogic.newReplicaSetAnnotations(replicaSet("c", revision: 3), oldReplicaSets: olds)["deployment.kubernetes.io/revision"] == "3")
        // Rollback to the template of revision 1.
        let back = DeploymentLogic.newReplicaSetAnnotations(replicaSet("a", revision: 1), oldReplicaSets: [replicaSet("b", revision: 2), replicaSet("c", revision: 3)])
        #expect(back["deployment.kubernetes.io/revision"] == "4" && back["deployment.kubernetes.io/revision-history"] == "1")
        let again = DeploymentLogic.newReplicaSetAnnotations(replicaSet("a", revision: 4, history: "1"), oldReplicaSets: [replicaSet("c", revision: 5)])
        #expect(again["deployment.kubernetes.io/revision"] == "6" && again["deployment.kubernetes.io/revision-history"] == "1,4")
        #expect(DeploymentLogic.revisions(replicaSet("a", revision: 6, history: "1,4")) == [1, 4, 6])
        #expect(DeploymentLogic.maxRevision([]) == 0)
    }

    @Test func cleanupBeyondHistoryLimit() {
        var olds = (1...5).map { replicaSet("r\($0)", revision: Int64($0)) }
        olds.append(replicaSet("scaled", revision: 0, specReplicas: 1, replicas: 1))
        var deleting = replicaSet("deleting", revision: 0)
        deleting.set(path: ["metadata", "deletionTimestamp"], to: "2026-01-01T00:00:00Z")
        olds.append(deleting)
        #expect(DeploymentLogic.replicaSetsToCleanUp(deployment: deployment(historyLimit: 2), oldReplicaSets: olds.shuffled()) == ["r1", "r2", "r3"])
        #expect(DeploymentLogic.replicaSetsToCleanUp(deployment: deployment(historyLimit: 0), oldReplicaSets: olds).count == 5)
        #expect(DeploymentLogic.replicaSetsToCleanUp(deployment: deployment(), oldReplicaSets: olds) == [])
    }
}
