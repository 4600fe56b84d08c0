import APIMachinery

/// A Deployment's rolling-update fenceposts.
public struct RollingUpdateBounds: Sendable, Hashable {
    public var maxSurge: Int64
    public var maxUnavailable: Int64

    /// maxSurge rounds up, maxUnavailable rounds down; when both come to zero maxUnavailable is 1 so that
    /// a rollout can proceed. Defaults are 25% each; a malformed value resolves as in `parse` (throws).
    public static func resolve(maxSurge: JSONValue?, maxUnavailable: JSONValue?, replicas: Int64) throws(IntOrPercent.ParseError) -> RollingUpdateBounds {
        let surge = try IntOrPercent.parse(maxSurge ?? "25%").scaled(total: replicas, roundUp: true)
        var unavailable = try IntOrPercent.parse(maxUnavailable ?? "25%").scaled(total: replicas, roundUp: false)
        if surge == 0 && unavailable == 0 { unavailable = 1 }
        return RollingUpdateBounds(maxSurge: surge, maxUnavailable: unavailable)
    }

    /// From a Deployment object: spec.replicas (default 1) and spec.strategy.rollingUpdate (for the
    /// RollingUpdate strategy).
    public static func resolve(deployment: JSONValue) throws(IntOrPercent.ParseError) -> RollingUpdateBounds {
        let spec = deployment["spec"]
        let replicas = spec?["replicas"]?.intValue ?? 1
        let rolling = spec?["strategy"]?["rollingUpdate"]
        return try resolve(maxSurge: rolling?["maxSurge"], maxUnavailable: rolling?["maxUnavailable"], replicas: replicas)
    }
}

/// PodDisruptionBudget arithmetic: minAvailable / maxUnavailable percentages round up against the
/// expected pod count.
public enum DisruptionBudget {
    /// desiredHealthy for a PDB given the number of expected pods.
    public static func desiredHealthy(minAvailable: JSONValue?, maxUnavailable: JSONValue?, expectedCount: Int64) throws(IntOrPercent.ParseError) -> Int64 {
        if let maxUnavailable, !maxUnavailable.isNull {
            let unavailable = try IntOrPercent.parse(maxUnavailable).scaled(total: expectedCount, roundUp: true)
            return max(0, expectedCount - unavailable)
        }
        if let minAvailable, !minAvailable.isNull {
            return try IntOrPercent.parse(minAvailable).scaled(total: expectedCount, roundUp: true)
        }
        return 0 // neither set: the budget requires no healthy pods
    }

    /// status.disruptionsAllowed.
    public static func disruptionsAllowed(currentHealthy: Int64, desiredHealthy: Int64) -> Int64 {
        max(0, currentHealthy - desiredHealthy)
    }
}
