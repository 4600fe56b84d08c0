import APIMachinery
import Foundation

/// What one probe (liveness, readiness or startup) of one container has concluded, from its
/// settings and the results of its runs, as the kubelet's prober workers count them: a result only
/// changes after `successThreshold` successes or `failureThreshold` failures in a row; readiness
/// starts as failure, liveness and startup as success... until their first runs.
public struct ProbeTracker: Sendable, Equatable {
    public enum Kind: String, Sendable { case liveness, readiness, startup }
    public enum Result: String, Sendable { case success, failure, unknown }

    public let kind: Kind
    public let initialDelay: TimeInterval
    public let period: TimeInterval
    public let timeout: TimeInterval
    public let successThreshold: Int
    public let failureThreshold: Int
    /// Seconds the container gets between a liveness/startup failure and being killed (probe-level
    /// terminationGracePeriodSeconds), when set.
    public let terminationGracePeriod: Int64?

    public private(set) var result: Result
    private var streak: (result: Result, count: Int) = (.unknown, 0)

    /// `probe` is the container's probe object (`livenessProbe` and so on), with the API's defaults.
    public init(kind: Kind, probe: JSONValue) {
        self.kind = kind
        initialDelay = TimeInterval(probe["initialDelaySeconds"]?.intValue ?? 0)
        period = TimeInterval(max(1, probe["periodSeconds"]?.intValue ?? 10))
        timeout = TimeInterval(max(1, probe["timeoutSeconds"]?.intValue ?? 1))
        successThreshold = Int(max(1, probe["successThreshold"]?.intValue ?? 1))
        failureThreshold = Int(max(1, probe["failureThreshold"]?.intValue ?? 3))
        terminationGracePeriod = probe["terminationGracePeriodSeconds"]?.intValue
        result = kind == .readiness ? .failure : .success
    }

    /// Whether the probe runs at `now` for a container started at `started` (after the initial delay).
    public func due(started: Date, now: Date) -> Bool {
        now.timeIntervalSince(started) >= initialDelay
    }

    /// Counts one run; answers whether the concluded result changed.
    @discardableResult
    public mutating func record(_ outcome: Result) -> Bool {
        guard outcome != .unknown else { return false }
        if streak.result == outcome {
            streak.count += 1
        } else {
            streak = (outcome, 1)
        }
        let needed = outcome == .success ? successThreshold : failureThreshold
        guard streak.count >= needed, result != outcome else { return false }
        result = outcome
        return true
    }

    /// After a restart of the container: back to the initial result, with no streak.
    public mutating func reset() {
        result = kind == .readiness ? .failure : .success
        streak = (.unknown, 0)
    }

    public static func == (a: ProbeTracker, b: ProbeTracker) -> Bool {
        a.kind == b.kind && a.result == b.result && a.streak.result == b.streak.result && a.streak.count == b.streak.count
    }

    /// An httpGet probe's verdict on a status code: 200–399 succeed.
    public static func httpSucceeded(status: Int) -> Bool { (200..<400).contains(status) }

    /// The User-Agent header the kubelet's HTTP probes send.
    public static let userAgent = "kube-probe/1.32"

    /// The event message of a failed probe, as the kubelet words it ("Liveness probe failed: …").
    public static func failureMessage(_ kind: Kind, detail: String) -> String {
        "\(kind.rawValue.prefix(1).uppercased() + kind.rawValue.dropFirst()) probe failed: \(detail)"
    }
}
