import APIMachinery

/// JSON renderings of the Kubernetes time types, matching Go's `time` package.
enum ProtoTimeFormat {
    /// Seconds of 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z (Go refuses to marshal years outside 0…9999).
    static let minSeconds: Int64 = -62_135_596_800
    static let maxSeconds: Int64 = 253_402_300_799

    /// RFC 3339 in UTC: `2026-11-22T05:40:56Z`, or with `micro` `2026-11-22T05:40:56.123456Z`.
    /// Nil when the instant is outside years 1…9999 or nanos is outside 0..<1e9.
    static func rfc3339(seconds: Int64, nanos: Int64, micro: Bool) -> String? {
        guard seconds >= minSeconds, seconds <= maxSeconds, nanos >= 0, nanos < 1_000_000_000 else { return nil }
        let instant = RFC3339.Instant(seconds: seconds, nanoseconds: nanos)
        return micro ? RFC3339.formatMicro(instant) : RFC3339.format(instant)
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



}
