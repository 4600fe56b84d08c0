/// JSON renderings of the Kubernetes time types, matching Go's `time` package.
enum ProtoTimeFormat {
    /// Seconds of 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z (Go refuses to marshal years outside 0…9999).
    static let minSeconds: Int64 = -62_135_596_800
    static let maxSeconds: Int64 = 253_402_300_799

    /// RFC 3339 in UTC: `2026-11-22T05:40:56Z`, or with `micro` `2026-11-22T05:40:56.123456Z`.
    /// Nil when the instant is outside years 1…9999 or nanos is outside 0..<1e9.
    static func rfc3339(seconds: Int64, nanos: Int64, micro: Bool) -> String? {
        guard seconds >= minSeconds, seconds <= maxSeconds, nanos >= 0, nanos < 1_000_000_000 else { return nil }
        let days = floorDiv(seconds, 86_400)
        let secOfDay = seconds - days * 86_400
        let (y, m, d) = civil(days: days)
        var s = pad(y, 4) + "-" + pad(m, 2) + "-" + pad(d, 2) + "T"
        s += pad(secOfDay / 3600, 2) + ":" + pad(secOfDay % 3600 / 60, 2) + ":" + pad(secOfDay % 60, 2)
        if micro { s += "." + pad(nanos / 1000, 6) }
        return s + "Z"
    }

    /// Go's `time.Duration.String()`: `1h0m0s`, `30s`, `1.5s`, `2ms`, `0s`.
    static func goDuration(nanoseconds d: Int64) -> String {
        if d == 0 { return "0s" }
        let neg = d < 0
        var u = d.magnitude
        var out: String
        if u < 1_000_000_000 {
            let unit: String
            let prec: Int
            if u < 1000 { unit = "ns"; prec = 0 } else if u < 1_000_000 { unit = "µs"; prec = 3 } else { unit = "ms"; prec = 6 }
            let (frac, whole) = fraction(u, prec)
            out = String(whole) + frac + unit
        } else {
            let (frac, whole) = fraction(u, 9)
            u = whole
            out = String(u % 60) + frac + "s"
            u /= 60
            if u > 0 {
                out = String(u % 60) + "m" + out
                u /= 60
                if u > 0 { out = String(u) + "h" + out }
            }
        }
        return neg ? "-" + out : out
    }

    /// The fraction v / 10^prec as ".ddd" without trailing zeros (empty when zero), and the integer part.
    private static func fraction(_ v: UInt64, _ prec: Int) -> (String, UInt64) {
        var p: UInt64 = 1
        for _ in 0..<prec { p *= 10 }
        var rem = v % p
        guard rem != 0 else { return ("", v / p) }
        var digits = prec
        while rem % 10 == 0 { rem /= 10; digits -= 1 }
        var s = String(rem)
        while s.count < digits { s = "0" + s }
        return ("." + s, v / p)
    }

    private static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    /// Days since 1970-01-01 → (year, month, day) in the proleptic Gregorian calendar (H. Hinnant).
    private static func civil(days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        return (y, m, d)
    }

    private static func pad(_ v: Int64, _ width: Int) -> String {
        var s = String(v)
        while s.count < width { s = "0" + s }
        return s
    }
}
