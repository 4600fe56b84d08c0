import Foundation

/// The kubelet's restart back-off per container: 10 s after the first failure, doubling up to 5
/// minutes; forgotten once the container has run without failing for twice the cap (10 minutes).
public struct CrashLoopBackOff: Sendable {
    public static let initial: TimeInterval = 10
    public static let cap: TimeInterval = 300

    struct Entry: Sendable {
        var delay: TimeInterval
        var lastFailure: Date
    }
    private var entries: [String: Entry] = [:]

    public init() {}

    /// Records a failure of `key` at `now`; answers the delay before the next start.
    public mutating func failed(_ key: String, at now: Date) -> TimeInterval {
        if var entry = entries[key], now.timeIntervalSince(entry.lastFailure) < 2 * Self.cap {
            entry.delay = min(entry.delay * 2, Self.cap)
            entry.lastFailure = now
            entries[key] = entry
            return entry.delay
        }
        entries[key] = Entry(delay: Self.initial, lastFailure: now)
        return Self.initial
    }

    /// As the kubelet's back-off check: when a container that last finished at `finished` is still
    /// backing off at `now`, the time it may restart; nil when it may restart now.
    public func backingOff(_ key: String, finished: Date, now: Date) -> Date? {
        guard let entry = entries[key] else { return nil }
        let until = finished.addingTimeInterval(entry.delay)
        return until > now ? until : nil
    }

    /// When `key` may start again (nil: at once).
    public func restartAllowed(_ key: String) -> Date? {
        entries[key].map { $0.lastFailure.addingTimeInterval($0.delay) }
    }

    /// The current delay of `key` (0 when none).
    public func delay(_ key: String) -> TimeInterval { entries[key]?.delay ?? 0 }

    public mutating func forget(_ key: String) { entries[key] = nil }

    /// The waiting message kubectl shows, as the kubelet words it.
    public static func message(delay: TimeInterval, container: String, pod: String, namespace: String, uid: String) -> String {
        let seconds = Int(delay)
        let text = seconds >= 60 && seconds % 60 == 0 ? "\(seconds / 60)m0s" : seconds >= 60 ? "\(seconds / 60)m\(seconds % 60)s" : "\(seconds)s"
        return "back-off \(text) restarting failed container=\(container) pod=\(pod)_\(namespace)(\(uid))"
    }
}
