import APIMachinery
import Foundation

/// When a CronJob should run: its parsed schedule in its time zone, the most recent missed activation
/// and the next one.
public struct CronJobSchedule: Sendable {
    public var schedule: CronSchedule
    public var timeZone: TimeZone

    /// The Warning event (reason TooManyMissedTimes) when more than 100 activations were missed; the
    /// controller still starts the most recent one.
    public static func tooManyMissedMessage(count: Int) -> String {
        "too many missed start times: \(count). Set or decrease .spec.startingDeadlineSeconds or check clock skew"
    }
    public static let maxMissed = 100

    public enum ResolveError: Error, Sendable, Equatable {
        case unparseableSchedule(String)
        case unknownTimeZone(String)
    }

    public init(schedule: CronSchedule, timeZone: TimeZone) {
        self.schedule = schedule
        self.timeZone = timeZone
    }

    /// From a schedule string and spec.timeZone: the field wins, then a TZ=/CRON_TZ= prefix, then UTC
    /// (the controller manager's zone here).
    public init(schedule text: String, timeZone zoneName: String?) throws(ResolveError) {
        let parsed: CronSchedule
        do {
            parsed = try CronSchedule.parse(text)
        } catch {
            throw .unparseableSchedule(error.message)
        }
        var zone = TimeZone(identifier: "UTC")!
        if let name = zoneName ?? parsed.zoneName {
            guard let z = TimeZone(identifier: name) else { throw .unknownTimeZone(name) }
            zone = z
        }
        var schedule = parsed
        schedule.zoneName = nil
        self.init(schedule: schedule, timeZone: zone)
    }

    /// From a CronJob object (spec.schedule, spec.timeZone).
    public init(cronJob: JSONValue) throws(ResolveError) {
        try self.init(schedule: cronJob["spec"]?["schedule"]?.stringValue ?? "", timeZone: cronJob["spec"]?["timeZone"]?.stringValue)
    }

    public func next(after date: Date) -> Date? {
        schedule.next(after: date, in: timeZone)
    }

    public struct Missed: Sendable, Equatable {
        /// The latest activation in (earliest, now], or nil when none is due.
        public var mostRecent: Date?
        /// How many activations were missed: exact up to 100, beyond that estimated from the interval
        /// between the first two (exact for regular schedules such as `*/5 * * * *`).
        public var count: Int
        /// More than 100 missed: Kubernetes warns (TooManyMissedTimes) but still starts the most recent.
        public var tooMany: Bool { count > CronJobSchedule.maxMissed }
    }

    /// The most recent activation between the last scheduled time (or, for a CronJob that never ran, its
    /// creation time) and now. With startingDeadlineSeconds, activations older than now minus the
    /// deadline are not considered (nor counted).
    public func mostRecentMissed(lastScheduleTime: Date?, creationTime: Date, now: Date, startingDeadlineSeconds: Int64? = nil) -> Missed {
        var earliest = lastScheduleTime ?? creationTime
        if let deadline = startingDeadlineSeconds {
            let windowStart = now.addingTimeInterval(-Double(deadline))
            if windowStart > earliest { earliest = windowStart }
        }
        if earliest > now { return Missed(mostRecent: nil, count: 0) }
        var count = 0
        var latest: Date?
        var firstTwo: [Date] = []
        var t = earliest
        while let n = next(after: t), n <= now {
            count += 1
            latest = n
            t = n
            if firstTwo.count < 2 { firstTwo.append(n) }
            if count > Self.maxMissed { break }
        }
        if count <= Self.maxMissed { return Missed(mostRecent: latest, count: count) }
        let interval = firstTwo[1].timeIntervalSince(firstTwo[0])
        if interval > 0 { count = max(count, Int(now.timeIntervalSince(firstTwo[0]) / interval) + 1) }
        // Too many: find the latest activation by looking back from now over a widening window.
        var window = max(2.0, 2 * (latest ?? now).timeIntervalSince(earliest) / Double(count))
        while true {
            let from = max(earliest, now.addingTimeInterval(-window))
            var candidate: Date?
            var cursor = from
            var steps = 0
            while let n = next(after: cursor), n <= now, steps < 10_000 {
                candidate = n
                cursor = n
                steps += 1
            }
            if steps >= 10_000 {
                window /= 2
                continue
            }
            if let candidate { return Missed(mostRecent: candidate, count: count) }
            if from == earliest { return Missed(mostRecent: latest, count: count) }
            window *= 4
        }
    }

    /// Whether an activation is past its starting deadline (the controller then records a miss and
    /// does not start it).
    public static func isTooLate(scheduled: Date, now: Date, startingDeadlineSeconds: Int64?) -> Bool {
        guard let deadline = startingDeadlineSeconds else { return false }
        return scheduled.addingTimeInterval(Double(deadline)) < now
    }

    /// How long until the controller should look again: the next activation after `now` (plus a small
    /// delay Kubernetes adds so the clock has surely passed it).
    public func requeueAfter(now: Date, slack: TimeInterval = 0.1) -> TimeInterval? {
        guard let n = next(after: now) else { return nil }
        return n.timeIntervalSince(now) + slack
    }
}
