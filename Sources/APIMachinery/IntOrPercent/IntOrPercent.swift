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
