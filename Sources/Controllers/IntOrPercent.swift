import APIMachinery

/// An IntOrString field holding a count or a percentage (maxSurge, maxUnavailable, a PDB's
/// minAvailable/maxUnavailable, a StatefulSet's maxUnavailable).
public enum IntOrPercent: Sendable, Hashable {
    case int(Int64)
    case percent(Int64)

    /// The message Kubernetes gives for a string that is not `[0-9]+%`.
    public static let percentFormatMessage =
        "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')"

    public enum ParseError: Error, Sendable, Equatable {
        /// A string that is not a percentage, e.g. "25" or "abc%".
        case invalidPercent(String)
        /// Neither a number nor a string.
        case invalidType(String)
    }

    /// Reads an IntOrString value; strings must match `[0-9]+%`.
    public static func parse(_ value: JSONValue) throws(ParseError) -> IntOrPercent {
        if let i = value.intValue { return .int(i) }
        guard let s = value.stringValue else { throw .invalidType(value.typeName) }
        guard s.hasSuffix("%"), s.count > 1, s.dropLast().allSatisfy({ $0.isASCII && $0.isNumber }), let p = Int64(s.dropLast()) else {
            throw .invalidPercent(s)
        }
        return .percent(p)
    }

    /// The value scaled against `total`; percentages round up or down as asked.
    public func scaled(total: Int64, roundUp: Bool) -> Int64 {
        switch self {
        case .int(let i): return i
        case .percent(let p):
            let product = p * total
            if roundUp { return (product + 99) / 100 }
            return product / 100
        }
    }

    /// Validation of a field as Kubernetes words it: `[0-9]+%` for strings, non-negative, at most 100%
    /// when `percentAtMost100`.
    public static func validate(_ value: JSONValue?, field: String, percentAtMost100: Bool = true) -> [FieldError] {
        guard let value, !value.isNull else { return [] }
        do {
            switch try parse(value) {
            case .int(let i):
                return i < 0 ? [.invalid(field, value, "must be greater than or equal to 0")] : []
            case .percent(let p):
                return percentAtMost100 && p > 100 ? [.invalid(field, value, "must not be greater than 100%")] : []
            }
        } catch {
            switch error {
            case .invalidPercent: return [.invalid(field, value, percentFormatMessage)]
            case .invalidType: return [.invalid(field, value, "must be an integer or percentage (e.g '5%')")]
            }
        }
    }
}

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
