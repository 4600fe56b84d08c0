import APIMachinery
import Foundation

/// The Deployment controller's bookkeeping: status counts, the Available and Progressing conditions,
/// revision annotations and the cleanup of old ReplicaSets.
public enum DeploymentLogic {
    public static let revisionAnnotation = "deployment.kubernetes.io/revision"
    public static let revisionHistoryAnnotation = "deployment.kubernetes.io/revision-history"
    public static let desiredReplicasAnnotation = "deployment.kubernetes.io/desired-replicas"
    public static let maxReplicasAnnotation = "deployment.kubernetes.io/max-replicas"
    /// The revision-history annotation is trimmed (oldest first) to stay within this many characters.
    public static let revisionHistoryLimitInChars = 2000

    // MARK: Status

    public struct Counts: Sendable, Equatable {
        public var replicas: Int64 = 0
        public var updatedReplicas: Int64 = 0
        public var readyReplicas: Int64 = 0
        public var availableReplicas: Int64 = 0
        public var unavailableReplicas: Int64 = 0
        public init() {}
    }

    static func statusInt(_ rs: JSONValue, _ key: String) -> Int64 { rs["status"]?[key]?.intValue ?? 0 }
    static func desired(_ deployment: JSONValue) -> Int64 { deployment["spec"]?["replicas"]?.intValue ?? 1 }

    /// Counts over the ReplicaSets' statuses: replicas, ready and available summed over all of them,
    /// updated from the new one, unavailable = desired − available (never negative).
    public static func counts(deployment: JSONValue, newReplicaSet: JSONValue?, oldReplicaSets: [JSONValue]) -> Counts {
        let all = (newReplicaSet.map { [$0] } ?? []) + oldReplicaSets
        var c = Counts()
        c.replicas = all.reduce(0) { $0 + statusInt($1, "replicas") }
        c.updatedReplicas = newReplicaSet.map { statusInt($0, "replicas") } ?? 0
        c.readyReplicas = all.reduce(0) { $0 + statusInt($1, "readyReplicas") }
        c.availableReplicas = all.reduce(0) { $0 + statusInt($1, "availableReplicas") }
        c.unavailableReplicas = max(0, desired(deployment) - c.availableReplicas)
        return c
    }

    /// A deployment condition object.
    public static func condition(type: String, status: String, reason: String, message: String, now: Date) -> JSONValue {
        let t = JSONValue.string(RFC3339.format(now))
        return ["type": .string(type), "status": .string(status), "reason": .string(reason), "message": .string(message),
                "lastUpdateTime": t, "lastTransitionTime": t]
    }

    /// Sets `condition` in `conditions` as Kubernetes does: no change when one of the same type already
    /// has the same status and reason; otherwise replaced, keeping lastTransitionTime when the status
    /// is unchanged.
    public static func setCondition(_ conditions: [JSONValue], _ condition: JSONValue) -> [JSONValue] {
        let type = condition["type"]?.stringValue
        var new = condition
        if let current = conditions.first(where: { $0["type"]?.stringValue == type }) {
            if current["status"] == condition["status"] && current["reason"] == condition["reason"] { return conditions }
            if current["status"] == condition["status"] { new["lastTransitionTime"] = current["lastTransitionTime"] }
        }
        return conditions.filter { $0["type"]?.stringValue != type } + [new]
    }

    /// The Available condition: True (MinimumReplicasAvailable) when at least desired − maxUnavailable
    /// replicas are available.
    public static func availableCondition(availableReplicas: Int64, desiredReplicas: Int64, maxUnavailable: Int64, now: Date) -> JSONValue {
        if availableReplicas >= desiredReplicas - maxUnavailable {
            return condition(type: "Available", status: "True", reason: "MinimumReplicasAvailable",
                             message: "Deployment has minimum availability.", now: now)
        }
        return condition(type: "Available", status: "False", reason: "MinimumReplicasUnavailable",
                         message: "Deployment does not have minimum availability.", now: now)
    }

    /// Progressing conditions with Kubernetes' reasons and messages.
    public enum Progress {
        public static func newReplicaSetCreated(_ rs: String, now: Date) -> JSONValue {
            condition(type: "Progressing", status: "True", reason: "NewReplicaSetCreated", message: "Created new replica set \"\(rs)\"", now: now)
        }
        public static func foundNewReplicaSet(_ rs: String, now: Date) -> JSONValue {
            condition(type: "Progressing", status: "True", reason: "FoundNewReplicaSet", message: "Found new replica set \"\(rs)\"", now: now)
        }
        public static func replicaSetUpdated(_ rs: String, now: Date) -> JSONValue {
            condition(type: "Progressing", status: "True", reason: "ReplicaSetUpdated", message: "ReplicaSet \"\(rs)\" is progressing.", now: now)
        }
        public static func newReplicaSetAvailable(_ rs: String, now: Date) -> JSONValue {
            condition(type: "Progressing", status: "True", reason: "NewReplicaSetAvailable", message: "ReplicaSet \"\(rs)\" has successfully progressed.", now: now)
        }
        public static func progressDeadlineExceeded(_ rs: String, now: Date) -> JSONValue {
            condition(type: "Progressing", status: "False", reason: "ProgressDeadlineExceeded", message: "ReplicaSet \"\(rs)\" has timed out progressing.", now: now)
        }
        public static func paused(now: Date) -> JSONValue {
            condition(type: "Progressing", status: "Unknown", reason: "DeploymentPaused", message: "Deployment is paused", now: now)
        }
        public static func resumed(now: Date) -> JSONValue {
            condition(type: "Progressing", status: "Unknown", reason: "DeploymentResumed", message: "Deployment is resumed", now: now)
        }
    }

    /// Complete: every desired replica updated and available, none left over, and the generation observed.
    public static func isComplete(deployment: JSONValue, counts: Counts, observedGeneration: Int64) -> Bool {
        let d = desired(deployment)
        return counts.updatedReplicas == d && counts.replicas == d && counts.availableReplicas == d
            && observedGeneration >= deployment.generation
    }

    /// Progress since the last status: more updated, ready or available replicas, or fewer old ones.
    public static func isProgressing(oldStatus: JSONValue?, counts: Counts) -> Bool {
        let old = oldStatus ?? .object([:])
        func v(_ k: String) -> Int64 { old[k]?.intValue ?? 0 }
        let oldOld = v("replicas") - v("updatedReplicas"), newOld = counts.replicas - counts.updatedReplicas
        return counts.updatedReplicas > v("updatedReplicas") || counts.readyReplicas > v("readyReplicas")
            || counts.availableReplicas > v("availableReplicas") || newOld < oldOld
    }

    /// Timed out: the Progressing condition has not been updated for progressDeadlineSeconds.
    public static func hasTimedOut(progressing: JSONValue?, progressDeadlineSeconds: Int64, now: Date) -> Bool {
        guard let progressing, progressing["reason"]?.stringValue != "NewReplicaSetAvailable",
              progressing["reason"]?.stringValue != "ProgressDeadlineExceeded",
              let updated = progressing["lastUpdateTime"]?.stringValue.flatMap(RFC3339.parse) else { return false }
        return updated.addingTimeInterval(Double(progressDeadlineSeconds)) < now
    }

    /// The deployment's new status: counts, observedGeneration, Available and (unless paused or without
    /// a progress deadline) Progressing, from the ReplicaSets and the current status.
    public static func status(deployment: JSONValue, newReplicaSet: JSONValue?, oldReplicaSets: [JSONValue], maxUnavailable: Int64, now: Date) -> JSONValue {
        let oldStatus = deployment["status"]
        let c = counts(deployment: deployment, newReplicaSet: newReplicaSet, oldReplicaSets: oldReplicaSets)
        var conditions = oldStatus?["conditions"]?.arrayValue ?? []
        conditions = setCondition(conditions, availableCondition(availableReplicas: c.availableReplicas, desiredReplicas: desired(deployment),
                                                                 maxUnavailable: maxUnavailable, now: now))
        let paused = deployment["spec"]?["paused"]?.boolValue ?? false
        let deadline = deployment["spec"]?["progressDeadlineSeconds"]?.intValue
        if !paused, conditions.first(where: { $0["type"]?.stringValue == "Progressing" })?["reason"]?.stringValue == "DeploymentPaused" {
            // Resuming restarts the progress deadline from now.
            conditions = setCondition(conditions, Progress.resumed(now: now))
        }
        let current = conditions.first { $0["type"]?.stringValue == "Progressing" }
        if paused {
            if current?["reason"]?.stringValue != "DeploymentPaused" { conditions = setCondition(conditions, Progress.paused(now: now)) }
        } else if let deadline, let rsName = newReplicaSet?.name {
            if isComplete(deployment: deployment, counts: c, observedGeneration: deployment.generation) {
                conditions = setCondition(conditions, Progress.newReplicaSetAvailable(rsName, now: now))
            } else if isProgressing(oldStatus: oldStatus, counts: c) {
                var updated = Progress.replicaSetUpdated(rsName, now: now)
                if let current, current["status"]?.stringValue == "True" { updated["lastTransitionTime"] = current["lastTransitionTime"] }
                conditions = conditions.filter { $0["type"]?.stringValue != "Progressing" } + [updated]
            } else if hasTimedOut(progressing: current, progressDeadlineSeconds: deadline, now: now) {
                conditions = setCondition(conditions, Progress.progressDeadlineExceeded(rsName, now: now))
            }
        }
        var status: JSONValue = ["observedGeneration": .int(deployment.generation), "replicas": .int(c.replicas),
                                 "updatedReplicas": .int(c.updatedReplicas), "readyReplicas": .int(c.readyReplicas),
                                 "availableReplicas": .int(c.availableReplicas), "conditions": .array(conditions)]
        if c.unavailableReplicas > 0 { status["unavailableReplicas"] = .int(c.unavailableReplicas) }
        if let collisions = oldStatus?["collisionCount"] { status["collisionCount"] = collisions }
        return status
    }

    // MARK: Revisions

    /// A ReplicaSet's revision annotation as a number (0 when absent or malformed).
    public static func revision(_ rs: JSONValue) -> Int64 {
        rs.annotations[revisionAnnotation].flatMap { Int64($0) } ?? 0
    }

    public static func maxRevision(_ replicaSets: [JSONValue]) -> Int64 {
        replicaSets.map(revision).max() ?? 0
    }

    /// The annotations a ReplicaSet gets when it becomes the new one: revision max(old)+1; when it
    /// already had a (different) revision — an old template coming back — that revision is appended to
    /// revision-history (trimmed from the oldest end to 2000 characters).
    public static func newReplicaSetAnnotations(_ rs: JSONValue, oldReplicaSets: [JSONValue]) -> [String: String] {
        var annotations = rs.annotations
        let newRevision = String(maxRevision(oldReplicaSets) + 1)
        let previous = annotations[revisionAnnotation]
        if let previous, !previous.isEmpty, previous != newRevision, (Int64(previous) ?? 0) < (Int64(newRevision) ?? 0) {
            var history = annotations[revisionHistoryAnnotation].map { $0.split(separator: ",").map(String.init) } ?? []
            history.append(previous)
            while history.joined(separator: ",").count > revisionHistoryLimitInChars && history.count > 1 { history.removeFirst() }
            annotations[revisionHistoryAnnotation] = history.joined(separator: ",")
        }
        if (Int64(previous ?? "") ?? 0) < (Int64(newRevision) ?? 0) { annotations[revisionAnnotation] = newRevision }
        return annotations
    }

    /// The revisions a ReplicaSet has stood for (`kubectl rollout history`): its history then its revision.
    public static func revisions(_ rs: JSONValue) -> [Int64] {
        let history = rs.annotations[revisionHistoryAnnotation].map { $0.split(separator: ",").compactMap { Int64($0) } } ?? []
        return history + [revision(rs)]
    }

    /// Names of the old ReplicaSets to delete beyond revisionHistoryLimit (default 10): those scaled to
    /// zero with no pods, fully observed and not being deleted, oldest revision first.
    public static func replicaSetsToCleanUp(deployment: JSONValue, oldReplicaSets: [JSONValue]) -> [String] {
        let limit = deployment["spec"]?["revisionHistoryLimit"]?.intValue ?? 10
        let cleanable = oldReplicaSets.filter { rs in
            rs.deletionTimestamp == nil && (rs["spec"]?["replicas"]?.intValue ?? 1) == 0 && statusInt(rs, "replicas") == 0
                && statusInt(rs, "observedGeneration") >= rs.generation
        }
        let excess = cleanable.count - Int(max(0, limit))
        if excess <= 0 { return [] }
        let ordered = cleanable.sorted {
            let (ra, rb) = (revision($0), revision($1))
            if ra != rb { return ra < rb }
            return ($0.creationTimestamp ?? "", $0.name) < ($1.creationTimestamp ?? "", $1.name)
        }
        return ordered.prefix(excess).map(\.name)
    }
}
