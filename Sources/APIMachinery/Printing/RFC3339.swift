import Foundation

/// RFC 3339 timestamps as Kubernetes writes them, without DateFormatter: metav1.Time is UTC with
/// second precision (`2026-11-22T05:40:56Z`), metav1.MicroTime has six fraction digits
/// (`2026-11-22T05:40:56.123456Z`). Parsing accepts any fraction and a `Z` or `±hh:mm` offset.
public enum RFC3339 {
    /// A parsed instant: whole seconds since the Unix epoch and nanoseconds within the second.
    public struct Instant: Sendable, Hashable, Comparable {
        public var seconds: Int64
        public var nanoseconds: Int64

        public init(seconds: Int64, nanoseconds: Int64 = 0) {
            self.seconds = seconds
            self.nanoseconds = nanoseconds
        }

        public init(_ date: Date) {
            let micros = (date.timeIntervalSince1970 * 1_000_000).rounded(.toNearestOrEven)
            let total = Int64(exactly: micros) ?? 0
            seconds = floorDiv(total, 1_000_000)
            nanoseconds = (total - seconds * 1_000_000) * 1000
        }

        public var date: Date {
            Date(timeIntervalSince1970: Double(seconds) + Double(nanoseconds) / 1e9)
        }

        public static func < (a: Instant, b: Instant) -> Bool {
            (a.seconds, a.nanoseconds) < (b.seconds, b.nanoseconds)
        }
    }

    /// `2026-11-22T05:40:56Z` (fractions are truncated, as Go's RFC3339 layout does).
    public static func format(_ date: Date) -> String { format(Instant(date)) }

    /// `2026-11-22T05:40:56.123456Z`
    public static func formatMicro(_ date: Date) -> String { formatMicro(Instant(date)) }

    public static func format(_ instant: Instant) -> String {
        String(decoding: civil(instant.seconds) + [UInt8(ascii: "Z")], as: UTF8.self)
    }

    public static func formatMicro(_ instant: Instant) -> String {
        var out = civil(instant.seconds)
        out.append(UInt8(ascii: "."))
        appendPadded(instant.nanoseconds / 1000, width: 6, to: &out)
        out.append(UInt8(ascii: "Z"))
        return String(decoding: out, as: UTF8.self)
    }

    public static func parse(_ string: String) -> Date? { parseInstant(string)?.date }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±hh:mm)`; nil when malformed or out of range.
    public static func parseInstant(_ string: String) -> Instant? {
        let b = Array(string.utf8)
        guard b.count >= 20 else { return nil }
        func number(_ start: Int, _ count: Int) -> Int64? {
            guard start + count <= b.count else { return nil }
            var v: Int64 = 0
            for c in b[start..<(start + count)] {
                guard c >= 0x30 && c <= 0x39 else { return nil }
                v = v * 10 + Int64(c - 0x30)
            }
            return v
        }
        guard let year = number(0, 4), b[4] == UInt8(ascii: "-"), let month = number(5, 2), b[7] == UInt8(ascii: "-"),
              let day = number(8, 2), b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t"),
              let hour = number(11, 2), b[13] == UInt8(ascii: ":"), let minute = number(14, 2), b[16] == UInt8(ascii: ":"),
              let second = number(17, 2)
        else { return nil }
        guard (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year),
              hour < 24, minute < 60, second < 60 else { return nil }
        var i = 19
        var nanos: Int64 = 0
        if b[i] == UInt8(ascii: ".") || b[i] == UInt8(ascii: ",") {
            i += 1
            var digits = 0
            while i < b.count, b[i] >= 0x30, b[i] <= 0x39 {
                if digits < 9 { nanos = nanos * 10 + Int64(b[i] - 0x30) }
                digits += 1
                i += 1
            }
            guard digits > 0 else { return nil }
            if digits < 9 { for _ in digits..<9 { nanos *= 10 } }
        }
        guard i < b.count else { return nil }
        var offset: Int64 = 0
        switch b[i] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            i += 1
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard let oh = number(i + 1, 2), i + 3 < b.count, b[i + 3] == UInt8(ascii: ":"), let om = number(i + 4, 2),
                  oh < 24, om < 60 else { return nil }
            offset = (oh * 3600 + om * 60) * (b[i] == UInt8(ascii: "-") ? -1 : 1)
            i += 6
        default:
            return nil
        }
        guard i == b.count else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        return Instant(seconds: days * 86400 + hour * 3600 + minute * 60 + second - offset, nanoseconds: nanos)
    }

    static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = floorDiv(y, 400)
        let yoe = y - era * 400
        let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// `YYYY-MM-DDTHH:MM:SS` for seconds since the epoch, in UTC.
    static func civil(_ seconds: Int64) -> [UInt8] {
        let days = floorDiv(seconds, 86400)
        let secondOfDay = seconds - days * 86400
        let z = days + 719_468
        let era = floorDiv(z, 146_097)
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        var out: [UInt8] = []
        out.reserveCapacity(32)
        appendPadded(year, width: 4, to: &out)
        out.append(UInt8(ascii: "-"))
        appendPadded(month, width: 2, to: &out)
        out.append(UInt8(ascii: "-"))
        appendPadded(day, width: 2, to: &out)
        out.append(UInt8(ascii: "T"))
        appendPadded(secondOfDay / 3600, width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        appendPadded(secondOfDay / 60 % 60, width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        appendPadded(secondOfDay % 60, width: 2, to: &out)
        return out
    }

    static func appendPadded(_ value: Int64, width: Int, to out: inout [UInt8]) {
        if value < 0 { out.append(UInt8(ascii: "-")) }
        let digits = Array(String(value.magnitude).utf8)
        if digits.count < width { out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: width - digits.count)) }
        out.append(contentsOf: digits)
    }
}

@inline(__always) func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
    let q = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
}
