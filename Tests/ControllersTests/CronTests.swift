import APIMachinery
import Foundation
import Testing
@testable import Controllers

private let utc = TimeZone(identifier: "UTC")!

private func next(_ spec: String, after: String, zone: TimeZone = utc) throws -> String? {
    try CronSchedule.parse(spec).next(after: date(after), in: zone).map { RFC3339.format($0) }
}

@Suite struct CronNextTests {
    @Test func fieldsRangesStepsLists() throws {
        #expect(try next("*/15 * * * *", after: "2026-01-01T10:07:30Z") == "2026-01-01T10:15:00Z")
        #expect(try next("*/15 * * * *", after: "2026-01-01T10:15:00Z") == "2026-01-01T10:30:00Z") // strictly after
        #expect(try next("* * * * *", after: "2026-01-01T23:59:59Z") == "2026-01-02T00:00:00Z")
        #expect(try next("5,10-12 3 * * *", after: "2026-01-01T03:10:00Z") == "2026-01-01T03:11:00Z")
        #expect(try next("5,10-12 3 * * *", after: "2026-01-01T03:12:00Z") == "2026-01-02T03:05:00Z")
        #expect(try next("0 9-17/4 * * *", after: "2026-01-01T09:00:00Z") == "2026-01-01T13:00:00Z")
        #expect(try next("0 9-17/4 * * *", after: "2026-01-01T17:00:00Z") == "2026-01-02T09:00:00Z")
        #expect(try next("30 4/6 * * *", after: "2026-01-01T00:00:00Z") == "2026-01-01T04:30:00Z")
    }

    @Test func names() throws {
        // 2026-01-01 is a Thursday.
        #expect(try next("0 9 * * MON-FRI", after: "2026-01-02T10:00:00Z") == "2026-01-05T09:00:00Z")
        #expect(try next("0 0 1 JAN,jul *", after: "2026-02-01T00:00:00Z") == "2026-07-01T00:00:00Z")
        #expect(try next("0 12 ? * SUN", after: "2026-01-01T00:00:00Z") == "2026-01-04T12:00:00Z")
    }

    @Test func dayOfMonthOrDayOfWeek() throws {
        // Both restricted: either matches (Friday the 2nd comes before the 13th).
        #expect(try next("0 0 13 * FRI", after: "2026-01-01T00:00:00Z") == "2026-01-02T00:00:00Z")
        #expect(try next("0 0 13 * *", after: "2026-01-01T00:00:00Z") == "2026-01-13T00:00:00Z")
        #expect(try next("0 0 * * FRI", after: "2026-01-01T00:00:00Z") == "2026-01-02T00:00:00Z")
        // A star (or ?) in one of them: both must match.
        #expect(try next("0 0 ? * 1", after: "2026-01-01T00:00:00Z") == "2026-01-05T00:00:00Z")
        // */2 is not a star: odd days OR Fridays.
        #expect(try next("0 0 */2 * 5", after: "2026-01-01T00:00:00Z") == "2026-01-02T00:00:00Z")
        #expect(try next("0 0 */2 * *", after: "2026-01-01T00:00:00Z") == "2026-01-03T00:00:00Z")
        // Day of month and month restricted, weekday a star.
        #expect(try next("0 0 13 2 *", after: "2026-01-01T00:00:00Z") == "2026-02-13T00:00:00Z")
    }

    @Test func macros() throws {
        #expect(try next("@hourly", after: "2026-01-01T10:07:00Z") == "2026-01-01T11:00:00Z")
        #expect(try next("@daily", after: "2026-01-01T10:07:00Z") == "2026-01-02T00:00:00Z")
        #expect(try next("@midnight", after: "2026-01-01T10:07:00Z") == "2026-01-02T00:00:00Z")
        #expect(try next("@weekly", after: "2026-01-01T10:07:00Z") == "2026-01-04T00:00:00Z")
        #expect(try next("@monthly", after: "2026-01-15T10:07:00Z") == "2026-02-01T00:00:00Z")
        #expect(try next("@yearly", after: "2026-01-15T10:07:00Z") == "2027-01-01T00:00:00Z")
        #expect(try next("@annually", after: "2026-01-01T00:00:00Z") == "2027-01-01T00:00:00Z")
        #expect(try next("@every 90m", after: "2026-01-01T10:07:30Z") == "2026-01-01T11:37:30Z")
        #expect(try next("@every 1h30m", after: "2026-01-01T10:07:30Z") == "2026-01-01T11:37:30Z")
        let fractional = try CronSchedule.parse("@every 1m").next(after: date("2026-01-01T10:07:30.750Z"), in: utc)
        #expect(fractional == date("2026-01-01T10:08:30Z"))
        #expect(try CronSchedule.parse("@every 10ms").kind == .every(seconds: 1))
    }

    @Test func impossibleSchedulesHaveNoNext() throws {
        #expect(try next("0 0 30 2 *", after: "2026-01-01T00:00:00Z") == nil)
        #expect(try next("0 0 29 2 *", after: "2026-03-01T00:00:00Z") == "2028-02-29T00:00:00Z")
    }

    @Test func timeZones() throws {
        let newYork = TimeZone(identifier: "America/New_York")!
        #expect(try next("0 9 * * *", after: "2026-01-01T00:00:00Z", zone: newYork) == "2026-01-01T14:00:00Z")
        #expect(try next("0 9 * * *", after: "2026-07-01T00:00:00Z", zone: newYork) == "2026-07-01T13:00:00Z")
        // A prefix in the schedule wins over the zone given.
        #expect(try next("CRON_TZ=Asia/Tokyo 0 9 * * *", after: "2026-01-01T01:00:00Z", zone: newYork) == "2026-01-02T00:00:00Z")
        #expect(try next("TZ=Asia/Tokyo 0 9 * * *", after: "2026-01-01T00:00:00Z") == "2026-01-02T00:00:00Z")
        // 02:30 does not exist on 2026-03-08 in New York (clocks jump from 02:00 to 03:00): skipped.
        #expect(try next("30 2 * * *", after: "2026-03-07T08:00:00Z", zone: newYork) == "2026-03-09T06:30:00Z")
        // Daily at 01:30 across the end of DST (01:30 happens twice on 2026-11-01): once.
        let first = try #require(try CronSchedule.parse("30 1 * * *").next(after: date("2026-11-01T04:00:00Z"), in: newYork))
        let second = try #require(try CronSchedule.parse("30 1 * * *").next(after: first, in: newYork))
        #expect(second.timeIntervalSince(first) >= 23 * 3600)
    }

    @Test func parserErrors() {
        #expect(CronSchedule.validate("*/1 * * * *") == nil)
        #expect(CronSchedule.validate("@often") == "unrecognized descriptor: @often")
        #expect(CronSchedule.validate("* * * * 7") == "end of range (7) above maximum (6): 7")
        #expect(CronSchedule.validate("1-2-3 * * * *") == "too many hyphens: 1-2-3")
        #expect(CronSchedule.validate("*/2/3 * * * *") == "too many slashes: */2/3")
        #expect(CronSchedule.validate("TZ=Mars/Base * * * * *") == "provided bad location Mars/Base: unknown time zone Mars/Base")
        #expect(CronSchedule.validate("@every 1x") == "failed to parse duration @every 1x: time: invalid duration \"1x\"")
        #expect(CronSchedule.goDuration("1h30m") == 5400)
        #expect(CronSchedule.goDuration("1.5s") == 1.5)
        #expect(CronSchedule.goDuration("h") == nil)
    }
}

@Suite struct CronJobScheduleTests {
    @Test func zoneFromFieldPrefixOrUTC() throws {
        let paris = try CronJobSchedule(schedule: "0 9 * * *", timeZone: "Europe/Paris")
        #expect(paris.next(after: date("2026-01-01T00:00:00Z")) == date("2026-01-01T08:00:00Z"))
        let prefixed = try CronJobSchedule(schedule: "TZ=Europe/Paris 0 9 * * *", timeZone: nil)
        #expect(prefixed.timeZone.identifier == "Europe/Paris")
        let plain = try CronJobSchedule(cronJob: ["spec": ["schedule": "0 9 * * *"]])
        #expect(plain.next(after: date("2026-01-01T00:00:00Z")) == date("2026-01-01T09:00:00Z"))
        #expect(throws: CronJobSchedule.ResolveError.unknownTimeZone("Mars/Base")) { try CronJobSchedule(schedule: "* * * * *", timeZone: "Mars/Base") }
        #expect(throws: CronJobSchedule.ResolveError.unparseableSchedule("empty spec string")) { try CronJobSchedule(schedule: "", timeZone: nil) }
    }

    @Test func mostRecentMissed() throws {
        let everyMinute = try CronJobSchedule(schedule: "*/1 * * * *", timeZone: nil)
        let created = date("2026-01-01T10:00:00Z")
        let missed = everyMinute.mostRecentMissed(lastScheduleTime: nil, creationTime: created, now: date("2026-01-01T10:05:30Z"))
        #expect(missed == CronJobSchedule.Missed(mostRecent: date("2026-01-01T10:05:00Z"), count: 5))
        #expect(!missed.tooMany)
        #expect(everyMinute.mostRecentMissed(lastScheduleTime: nil, creationTime: created, now: date("2026-01-01T10:00:30Z")) ==
                CronJobSchedule.Missed(mostRecent: nil, count: 0))
        #expect(everyMinute.mostRecentMissed(lastScheduleTime: date("2026-01-01T10:05:00Z"), creationTime: created,
                                             now: date("2026-01-01T10:05:59Z")).mostRecent == nil)
        #expect(everyMinute.mostRecentMissed(lastScheduleTime: date("2026-01-01T10:05:00Z"), creationTime: created,
                                             now: date("2026-01-01T10:06:00Z")).mostRecent == date("2026-01-01T10:06:00Z"))
    }

    @Test func tooManyMissed() throws {
        let everyMinute = try CronJobSchedule(schedule: "* * * * *", timeZone: nil)
        let day = everyMinute.mostRecentMissed(lastScheduleTime: nil, creationTime: date("2026-01-01T00:00:00Z"), now: date("2026-01-02T00:00:30Z"))
        #expect(day.tooMany)
        #expect(day.mostRecent == date("2026-01-02T00:00:00Z"))
        #expect(day.count == 1440)
        #expect(CronJobSchedule.tooManyMissedMessage(count: day.count) ==
                "too many missed start times: 1440. Set or decrease .spec.startingDeadlineSeconds or check clock skew")
        // Irregular: weekdays at 09:00 over a year; now is a Saturday.
        let weekdays = try CronJobSchedule(schedule: "0 9 * * MON-FRI", timeZone: nil)
        let year = weekdays.mostRecentMissed(lastScheduleTime: nil, creationTime: date("2025-01-01T00:00:00Z"), now: date("2026-01-03T12:00:00Z"))
        #expect(year.tooMany)
        #expect(year.mostRecent == date("2026-01-02T09:00:00Z"))
        // Exactly 100 missed is not too many.
        let hundred = everyMinute.mostRecentMissed(lastScheduleTime: date("2026-01-01T00:00:00Z"), creationTime: date("2026-01-01T00:00:00Z"),
                                                   now: date("2026-01-01T01:40:00Z"))
        #expect(hundred.count == 100 && !hundred.tooMany)
    }

    @Test func startingDeadline() throws {
        let everyMinute = try CronJobSchedule(schedule: "* * * * *", timeZone: nil)
        let missed = everyMinute.mostRecentMissed(lastScheduleTime: date("2026-01-01T00:00:00Z"), creationTime: date("2026-01-01T00:00:00Z"),
                                                  now: date("2026-01-02T00:00:30Z"), startingDeadlineSeconds: 200)
        #expect(missed == CronJobSchedule.Missed(mostRecent: date("2026-01-02T00:00:00Z"), count: 3))
        #expect(!missed.tooMany)
        #expect(CronJobSchedule.isTooLate(scheduled: date("2026-01-01T00:00:00Z"), now: date("2026-01-01T00:01:00Z"), startingDeadlineSeconds: 30))
        #expect(!CronJobSchedule.isTooLate(scheduled: date("2026-01-01T00:00:00Z"), now: date("2026-01-01T00:00:20Z"), startingDeadlineSeconds: 30))
        #expect(!CronJobSchedule.isTooLate(scheduled: date("2026-01-01T00:00:00Z"), now: date("2027-01-01T00:00:00Z"), startingDeadlineSeconds: nil))
        let requeue = try #require(everyMinute.requeueAfter(now: date("2026-01-01T00:00:30Z")))
        #expect(abs(requeue - 30.1) < 0.001)
    }
}
