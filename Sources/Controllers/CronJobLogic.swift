import APIMachinery
import Foundation

/// The CronJob controller's decisions that need no API: the Job's name, what concurrencyPolicy says
/// about an activation, and which finished Jobs fall outside the history limits.
public enum CronJobLogic {
    public static let scheduledTimestampAnnotation = "batch.kubernetes.io/cronjob-scheduled-timestamp"

    /// The Job name for an activation: `<cronjob>-<minutes since the epoch>` (deterministic, so a
    /// second start of the same activation collides instead of running twice).
    public static func jobName(cronJobName: String, scheduled: Date) -> String {
        "\(cronJobName)-\(Int64((scheduled.timeIntervalSince1970 / 60).rounded(.down)))"
    }

    public enum Decision: Sendable, Equatable {
        case start
        /// Forbid with a Job still active: the activation is skipped (and retried on the next sync).
        case skip
        /// Replace: delete these active Jobs, then start.
        case replace(deleting: [String])
    }

    public static func decide(concurrencyPolicy: String?, activeJobs: [String]) -> Decision {
        if activeJobs.isEmpty { return .start }
        switch concurrencyPolicy ?? "Allow" {
        case "Forbid": return .skip
        case "Replace": return .replace(deleting: activeJobs)
        default: return .start
        }
    }

    /// A Job's finished state from its conditions: "Complete", "Failed", or nil while it runs.
    public static func finishedState(_ job: JSONValue) -> String? {
        for c in job["status"]?["conditions"]?.arrayValue ?? [] where c["status"]?.stringValue == "True" {
            if let t = c["type"]?.stringValue, t == "Complete" || t == "Failed" { return t }
        }
        return nil
    }

    /// Names of finished Jobs to delete: beyond successfulJobsHistoryLimit (default 3) successful ones
    /// and failedJobsHistoryLimit (default 1) failed ones, oldest start time first.
    public static func jobsToDelete(cronJob: JSONValue, jobs: [JSONValue]) -> [String] {
        let spec = cronJob["spec"]
        let successLimit = Int(spec?["successfulJobsHistoryLimit"]?.intValue ?? 3)
        let failedLimit = Int(spec?["failedJobsHistoryLimit"]?.intValue ?? 1)
        func oldest(_ state: String, keep: Int) -> [String] {
            let finished = jobs.filter { finishedState($0) == state }.sorted {
                let (a, b) = ($0["status"]?["startTime"]?.stringValue.flatMap(RFC3339.parse), $1["status"]?["startTime"]?.stringValue.flatMap(RFC3339.parse))
                switch (a, b) {
                case let (a?, b?) where a != b: return a < b
                case (nil, _?): return true
                case (_?, nil): return false
                default: return $0.name < $1.name
                }
            }
            return finished.prefix(max(0, finished.count - max(0, keep))).map(\.name)
        }
        return oldest("Complete", keep: successLimit) + oldest("Failed", keep: failedLimit)
    }
}
