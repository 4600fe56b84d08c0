/// Kubernetes' duration.HumanDuration as `kubectl get` prints ages: `45s`, `2m3s`, `15m`, `5h4m`,
/// `20h`, `3d4h`, `45d`, `2y3d`, `10y`. Negative durations within a second print `0s`; more
/// negative ones `<invalid>`.
public func humanDuration(_ seconds: Double) -> String {
    guard seconds.isFinite, seconds > -9.0e15 else { return "<invalid>" }
    if seconds >= 9.0e15 { return "\(Int64(min(seconds / 31_536_000, 9.0e18)))y" }
    let totalSeconds = Int64(seconds)  // truncates toward zero, as Go's int(d.Seconds())
    if totalSeconds < -1 { return "<invalid>" }
    if totalSeconds < 0 { return "0s" }
    if totalSeconds < 60 * 2 { return "\(totalSeconds)s" }
    let minutes = totalSeconds / 60
    if minutes < 10 {
        let s = totalSeconds % 60
        return s == 0 ? "\(minutes)m" : "\(minutes)m\(s)s"
    }
    if minutes < 60 * 3 { return "\(minutes)m" }
    let hours = totalSeconds / 3600
    if hours < 8 {
        let m = minutes % 60
        return m == 0 ? "\(hours)h" : "\(hours)h\(m)m"
    }
    if hours < 48 { return "\(hours)h" }
    if hours < 24 * 8 {
        let h = hours % 24
        return h == 0 ? "\(hours / 24)d" : "\(hours / 24)d\(h)h"
    }
    if hours < 24 * 365 * 2 { return "\(hours / 24)d" }
    if hours < 24 * 365 * 8 {
        let days = (hours / 24) % 365
        return days == 0 ? "\(hours / 24 / 365)y" : "\(hours / 24 / 365)y\(days)d"
    }
    return "\(hours / 24 / 365)y"
}
