import APIMachinery
import Controllers
import Foundation

/// The Job controller's arithmetic that needs no API: completion indexes and their text form, which
/// pods count as succeeded or failed, the pods a Job creates, its conditions.
public enum JobLogic {
    public static let trackingFinalizer = "batch.kubernetes.io/job-tracking"
    public static let completionIndexAnnotation = "batch.kubernetes.io/job-completion-index"
    public static let completionIndexEnv = "JOB_COMPLETION_INDEX"
    public static let indexFailureCountAnnotation = "batch.kubernetes.io/job-index-failure-count"
    /// Kubernetes' default backoff before a failed pod is replaced (doubling up to 6 minutes).
    public static let defaultPodBackoff: TimeInterval = 10
    public static let maxPodBackoff: TimeInterval = 360

    // MARK: Conditions

    public static let backoffLimitExceededMessage = "Job has reached the specified backoff limit"
    public static let deadlineExceededMessage = "Job was active longer than specified deadline"
    public static let completionsReachedMessage = "Reached expected number of succeeded pods"

    /// The condition of `type` with status True, if any.
    public static func trueCondition(_ job: JSONValue, _ type: String) -> JSONValue? {
        (job["status"]?["conditions"]?.arrayValue ?? []).first {
            $0["type"]?.stringValue == type && $0["status"]?.stringValue == "True"
        }
    }

    /// Complete or Failed is True.
    public static func isFinished(_ job: JSONValue) -> Bool {
        trueCondition(job, "Complete") != nil || trueCondition(job, "Failed") != nil
    }

    /// When a finished Job finished: completionTime, else the lastTransitionTime of its final condition.
    public static func finishTime(_ job: JSONValue) -> Date? {
        if trueCondition(job, "Complete") != nil, let t = job["status"]?["completionTime"]?.stringValue.flatMap(RFC3339.parse) { return t }
        for type in ["Complete", "Failed"] {
            if let c = trueCondition(job, type) { return c["lastTransitionTime"]?.stringValue.flatMap(RFC3339.parse) }
        }
        return nil
    }

    public static func condition(_ type: String, status: String = "True", reason: String, message: String, now: Date) -> JSONValue {
        let time = JSONValue.string(RFC3339.format(now))
        return ["type": .string(type), "status": .string(status), "reason": .string(reason), "message": .string(message),
                "lastProbeTime": time, "lastTransitionTime": time]
    }

    /// Sets a condition in `conditions`: a new type is appended; an existing one keeps its
    /// lastTransitionTime unless its status changes. Answers whether anything changed.
    @discardableResult
    public static func setCondition(_ conditions: inout [JSONValue], _ condition: JSONValue) -> Bool {
        guard let type = condition["type"]?.stringValue else { return false }
        if let i = conditions.firstIndex(where: { $0["type"]?.stringValue == type }) {
            let old = conditions[i]
            if old["status"] == condition["status"], old["reason"] == condition["reason"], old["message"] == condition["message"] {
                return false
            }
            var updated = condition
            if old["status"] == condition["status"] { updated["lastTransitionTime"] = old["lastTransitionTime"] }
            conditions[i] = updated
            return true
        }
        conditions.append(condition)
        return true
    }

    // MARK: Pods

    /// The completion index of a pod (annotation, then label), nil when absent or malformed.
    public static func completionIndex(_ pod: JSONValue) -> Int? {
        guard let text = pod.annotations[completionIndexAnnotation] ?? pod.labels[completionIndexAnnotation],
              let index = Int(text), index >= 0 else { return nil }
        return index
    }

    public static func isSucceeded(_ pod: JSONValue) -> Bool { pod["status"]?["phase"]?.stringValue == "Succeeded" }

    /// Whether a pod counts as failed: phase Failed; or, unless the Job only replaces Failed pods, being
    /// deleted before it succeeded (an orphan or evicted pod never reaches Failed).
    public static func isFailed(_ pod: JSONValue, job: JSONValue) -> Bool {
        let phase = pod["status"]?["phase"]?.stringValue
        if phase == "Failed" { return true }
        if onlyReplacesFailedPods(job) { return false }
        return pod.deletionTimestamp != nil && phase != "Succeeded"
    }

    /// podReplacementPolicy Failed (or a podFailurePolicy): terminating pods are replaced only once Failed.
    public static func onlyReplacesFailedPods(_ job: JSONValue) -> Bool {
        job["spec"]?["podReplacementPolicy"]?.stringValue == "Failed"
            || (job["spec"]?["podFailurePolicy"].map { !$0.isNull } ?? false)
    }

    /// Terminating: being deleted and not yet in a terminal phase.
    public static func isTerminating(_ pod: JSONValue) -> Bool {
        let phase = pod["status"]?["phase"]?.stringValue
        return pod.deletionTimestamp != nil && phase != "Succeeded" && phase != "Failed"
    }

    public static func hasTrackingFinalizer(_ pod: JSONValue) -> Bool { pod.finalizers.contains(trackingFinalizer) }

    /// The backoff before replacing a failed pod after `failures` consecutive failures: 10 s doubling,
    /// at most 6 minutes (`base` scales it; 0 disables it).
    public static func podBackoff(failures: Int, base: TimeInterval = defaultPodBackoff, max maximum: TimeInterval = maxPodBackoff) -> TimeInterval {
        guard failures > 0, base > 0 else { return 0 }
        return min(maximum, base * pow(2, Double(min(failures - 1, 30))))
    }

    /// The pod a Job creates: its template with the Job's labels, the tracking finalizer, a controller
    /// reference and, for Indexed Jobs, the completion index (annotation, label, hostname, env).
    public static func pod(for job: JSONValue, index: Int?, failureCount: Int = 0) -> JSONValue {
        let template = job["spec"]?["template"] ?? .object([:])
        var metadata = template["metadata"]?.objectValue ?? [:]
        metadata["creationTimestamp"] = nil
        metadata["name"] = nil
        metadata["generateName"] = .string(index.map { "\(job.name)-\($0)-" } ?? "\(job.name)-")
        metadata["namespace"] = .string(job.namespace)
        metadata["finalizers"] = [.string(trackingFinalizer)]
        metadata["ownerReferences"] = [["apiVersion": "batch/v1", "kind": "Job", "name": .string(job.name), "uid": .string(job.uid),
                                        "controller": true, "blockOwnerDeletion": true]]
        var spec = template["spec"] ?? .object([:])
        if let index {
            var annotations = metadata["annotations"]?.objectValue ?? [:]
            annotations[completionIndexAnnotation] = .string(String(index))
            if perIndexBackoffLimit(job) != nil { annotations[indexFailureCountAnnotation] = .string(String(failureCount)) }
            metadata["annotations"] = .object(annotations)
            var labels = metadata["labels"]?.objectValue ?? [:]
            labels[completionIndexAnnotation] = .string(String(index))
            metadata["labels"] = .object(labels)
            if (spec["hostname"]?.stringValue ?? "").isEmpty { spec["hostname"] = .string("\(job.name)-\(index)") }
            for field in ["initContainers", "containers"] {
                guard var containers = spec[field]?.arrayValue else { continue }
                for i in containers.indices {
                    var env = containers[i]["env"]?.arrayValue ?? []
                    if env.contains(where: { $0["name"]?.stringValue == completionIndexEnv }) { continue }
                    env.append(["name": .string(completionIndexEnv),
                                "valueFrom": ["fieldRef": ["fieldPath": .string("metadata.labels['\(completionIndexAnnotation)']")]]])
                    containers[i]["env"] = .array(env)
                }
                spec[field] = .array(containers)
            }
        }
        return ["apiVersion": "v1", "kind": "Pod", "metadata": .object(metadata), "spec": spec]
    }

    // MARK: Pod failure policy

    public enum FailurePolicyAction: Sendable, Equatable {
        /// Fail the Job at once (FailureTarget, then Failed, reason PodFailurePolicy) with this message.
        case failJob(message: String)
        /// Do not count the failure towards backoffLimit; replace the pod.
        case ignore
        /// Count it (as when no rule matches).
        case count
        /// Fail the pod's index at once (backoffLimitPerIndex).
        case failIndex
    }

    /// The action of the first spec.podFailurePolicy rule a Failed pod matches (onExitCodes: a container
    /// that ended with a listed code (In) or a non-zero unlisted one (NotIn); onPodConditions: a condition
    /// with that type and status); nil when the Job has no policy or no rule matches.
    public static func failurePolicyAction(job: JSONValue, pod: JSONValue) -> FailurePolicyAction? {
        guard let rules = job["spec"]?["podFailurePolicy"]?["rules"]?.arrayValue else { return nil }
        let statuses = (pod["status"]?["initContainerStatuses"]?.arrayValue ?? []) + (pod["status"]?["containerStatuses"]?.arrayValue ?? [])
        for (index, rule) in rules.enumerated() {
            let action = rule["action"]?.stringValue ?? ""
            var message: String?
            if let onExit = rule["onExitCodes"], onExit.objectValue != nil {
                let container = onExit["containerName"]?.stringValue
                let values = Set((onExit["values"]?.arrayValue ?? []).compactMap(\.intValue))
                let notIn = onExit["operator"]?.stringValue == "NotIn"
                for status in statuses where container == nil || status["name"]?.stringValue == container {
                    guard let code = status["state"]?["terminated"]?["exitCode"]?.intValue else { continue }
                    if notIn ? (code != 0 && !values.contains(code)) : values.contains(code) {
                        message = "Container \(status["name"]?.stringValue ?? "") for pod \(pod.namespace)/\(pod.name) failed with exit code \(code) matching \(action) rule at index \(index)"
                        break
                    }
                }
            } else if let patterns = rule["onPodConditions"]?.arrayValue {
                for pattern in patterns {
                    let type = pattern["type"]?.stringValue ?? ""
                    let wanted = pattern["status"]?.stringValue ?? "True"
                    if PodStatus.condition(pod, type)?["status"]?.stringValue == wanted {
                        message = "Pod \(pod.namespace)/\(pod.name) has condition \(type) matching \(action) rule at index \(index)"
                        break
                    }
                }
            }
            guard let message else { continue }
            switch action {
            case "FailJob": return .failJob(message: message)
            case "Ignore": return .ignore
            case "FailIndex": return .failIndex
            default: return .count
            }
        }
        return nil
    }

    // MARK: Backoff limit per index

    /// spec.backoffLimitPerIndex of an Indexed Job, if set.
    public static func perIndexBackoffLimit(_ job: JSONValue) -> Int64? {
        guard job["spec"]?["completionMode"]?.stringValue == "Indexed" else { return nil }
        return job["spec"]?["backoffLimitPerIndex"]?.intValue
    }

    /// Failures of a pod's index before this pod (the index-failure-count annotation).
    public static func indexFailureCount(_ pod: JSONValue) -> Int {
        Int(pod.annotations[indexFailureCountAnnotation] ?? "") ?? 0
    }

    /// Failures so far per index, from the pods still there: a pod's count, plus one if it failed.
    public static func indexFailureCounts(_ pods: [JSONValue], job: JSONValue) -> [Int: Int] {
        var counts: [Int: Int] = [:]
        for pod in pods {
            guard let index = completionIndex(pod) else { continue }
            let count = indexFailureCount(pod) + (isFailed(pod, job: job) ? 1 : 0)
            counts[index] = max(counts[index] ?? 0, count)
        }
        return counts
    }

    // MARK: Success policy

    public static let managedByJobController = "kubernetes.io/job-controller"

    /// The index of the first spec.successPolicy rule an Indexed Job's succeeded indexes satisfy:
    /// succeededIndexes alone (all of them succeeded), succeededCount alone (that many succeeded),
    /// or both (that many of those succeeded).
    public static func matchedSuccessRule(_ job: JSONValue, succeededIndexes: Set<Int>) -> Int? {
        guard let rules = job["spec"]?["successPolicy"]?["rules"]?.arrayValue else { return nil }
        let limit = Int(job["spec"]?["completions"]?.intValue ?? 0)
        for (index, rule) in rules.enumerated() {
            let count = rule["succeededCount"]?.intValue
            if let text = rule["succeededIndexes"]?.stringValue {
                let wanted = parseIndexes(text, limit: limit)
                let done = wanted.intersection(succeededIndexes).count
                if let count { if done >= count { return index } } else if !wanted.isEmpty, done == wanted.count { return index }
            } else if let count, succeededIndexes.count >= count {
                return index
            }
        }
        return nil
    }

    // MARK: Completed indexes

    /// Parses "1,3-5,7" (ignoring malformed parts and indexes at or above `limit`).
    public static func parseIndexes(_ text: String?, limit: Int) -> Set<Int> {
        var out: Set<Int> = []
        for part in (text ?? "").split(separator: ",") {
            let bounds = part.split(separator: "-", maxSplits: 1).map { Int($0.trimmingCharacters(in: .whitespaces)) }
            if bounds.count == 1, let a = bounds[0], a >= 0, a < limit {
                out.insert(a)
            } else if bounds.count == 2, let a = bounds[0], let b = bounds[1], a >= 0, a <= b {
                for i in a...min(b, limit - 1) where i < limit { out.insert(i) }
            }
        }
        return out
    }

    /// The text form of indexes: increasing, runs of three or more as "first-last" ("1,3-5,7").
    public static func formatIndexes(_ indexes: Set<Int>) -> String {
        let sorted = indexes.sorted()
        var parts: [String] = []
        var i = 0
        while i < sorted.count {
            var j = i
            while j + 1 < sorted.count && sorted[j + 1] == sorted[j] + 1 { j += 1 }
            if j - i >= 2 {
                parts.append("\(sorted[i])-\(sorted[j])")
            } else {
                for k in i...j { parts.append(String(sorted[k])) }
            }
            i = j + 1
        }
        return parts.joined(separator: ",")
    }
}
