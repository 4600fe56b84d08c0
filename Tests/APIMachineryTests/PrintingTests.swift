import Foundation
import Testing
@testable import APIMachinery

@Suite struct HumanDurationTests {
    static let h: Double = 3600
    static let d: Double = 86400
    static let cases: [(Double, String)] = [
        (-5, "<invalid>"), (-2, "<invalid>"), (-1.9, "0s"), (-0.5, "0s"), (0, "0s"), (59, "59s"), (119.9, "119s"),
        (120, "2m"), (123, "2m3s"), (599, "9m59s"), (600, "10m"), (10_799, "179m"), (10_800, "3h"),
        (18_240, "5h4m"), (28_800, "8h"), (172_799, "47h"), (172_800, "2d"),
        (273_600, "3d4h"), (691_199, "7d23h"), (691_200, "8d"), (729 * d, "729d"),
        (730 * d, "2y"), (733 * d, "2y3d"), (2920 * d, "8y"), (7301 * d, "20y"),
        (.infinity, "<invalid>"), (.nan, "<invalid>"),
    ]

    @Test(arguments: cases)
    func durations(seconds: Double, expected: String) {
        #expect(humanDuration(seconds) == expected)
    }
}

@Suite struct RFC3339Tests {
    @Test(arguments: [
        ("2026-11-22T05:40:56Z", Int64(1_795_326_056), Int64(0)),
        ("1970-01-01T00:00:00Z", 0, 0),
        ("1969-12-31T23:59:59Z", -1, 0),
        ("2000-02-29T12:00:00Z", 951_825_600, 0),
        ("2026-11-22T07:40:56+02:00", 1_795_326_056, 0),
        ("2026-11-22T05:10:56-00:30", 1_795_326_056, 0),
        ("2026-11-22T05:40:56.5Z", 1_795_326_056, 500_000_000),
        ("2026-11-22T05:40:56.123456789123Z", 1_795_326_056, 123_456_789),
        ("2026-11-22t05:40:56z", 1_795_326_056, 0),
    ])
    func parses(text: String, seconds: Int64, nanos: Int64) {
        #expect(RFC3339.parseInstant(text) == RFC3339.Instant(seconds: seconds, nanoseconds: nanos))
    }

    @Test(arguments: ["", "2026-11-22", "2026-11-22T05:40:56", "2026-13-01T00:00:00Z", "2026-02-29T00:00:00Z",
                      "2026-11-22T24:00:00Z", "2026-11-22T05:60:00Z", "2026-11-22T05:40:60Z", "2026-11-22 05:40:56Z",
                      "2026-11-22T05:40:56.Z", "2026-11-22T05:40:56+0200", "2026-11-22T05:40:56Zx", "2026-1a-22T05:40:56Z"])
    func rejects(text: String) {
        #expect(RFC3339.parseInstant(text) == nil)
        #expect(RFC3339.parse(text) == nil)
    }

    @Test func formats() {
        #expect(RFC3339.format(RFC3339.Instant(seconds: 1_795_326_056, nanoseconds: 999_000_000)) == "2026-11-22T05:40:56Z")
        #expect(RFC3339.formatMicro(RFC3339.Instant(seconds: 1_795_326_056, nanoseconds: 123_456_000)) == "2026-11-22T05:40:56.123456Z")
        #expect(RFC3339.formatMicro(RFC3339.Instant(seconds: 0, nanoseconds: 5000)) == "1970-01-01T00:00:00.000005Z")
        #expect(RFC3339.format(RFC3339.Instant(seconds: -86400 * 365)) == "1969-01-01T00:00:00Z")
        #expect(RFC3339.format(Date(timeIntervalSince1970: 1_795_326_056.7)) == "2026-11-22T05:40:56Z")
    }

    @Test func roundTripsThroughDate() throws {
        for text in ["2026-11-22T05:40:56Z", "2000-02-29T23:59:59Z", "1999-12-31T00:00:00Z", "2400-02-29T01:02:03Z"] {
            let date = try #require(RFC3339.parse(text))
            #expect(RFC3339.format(date) == text)
        }
        for text in ["2026-11-22T05:40:56.123456Z", "2026-11-22T05:40:56.000001Z", "2038-01-19T03:14:07.999999Z"] {
            let date = try #require(RFC3339.parse(text))
            #expect(RFC3339.formatMicro(date) == text)
        }
    }

    @Test func civilConversionMatchesFoundationAcrossYears() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        var seconds: Int64 = -2_208_988_800  // 1900-01-01
        while seconds < 7_258_118_400 {  // 2200-01-01
            let date = Date(timeIntervalSince1970: Double(seconds))
            let c = calendar.dateComponents([.year, .month, .day], from: date)
            let expected = String(format: "%04d-%02d-%02dT00:00:00Z", c.year ?? 0, c.month ?? 0, c.day ?? 0)
            #expect(RFC3339.format(RFC3339.Instant(seconds: seconds)) == expected)
            seconds += 86400 * 37
        }
    }
}
