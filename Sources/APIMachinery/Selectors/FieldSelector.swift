/// A Kubernetes field selector (`metadata.name=foo,status.phase!=Running`): a conjunction of equality
/// and inequality terms on selectable fields, parsed as k8s.io/apimachinery/pkg/fields does.
public struct FieldSelector: Sendable, Hashable, CustomStringConvertible {
    /// The operator of one term; `==` parses as `.equals`.
    public enum Operator: String, Sendable, Hashable {
        case equals = "="
        case notEquals = "!="
    }

    /// One term: a field path, an operator and the unescaped value.
    public struct Requirement: Sendable, Hashable {
        public var field: String
        public var op: Operator
        public var value: String
        public init(field: String, op: Operator, value: String) {
            self.field = field
            self.op = op
            self.value = value
        }
    }

    /// The terms, in the order Kubernetes sorts them (by their text); all must match.
    public var requirements: [Requirement]

    public init(requirements: [Requirement] = []) { self.requirements = requirements }

    public static let everything = FieldSelector()

    public var isEverything: Bool { requirements.isEmpty }

    /// The fields the selector refers to, without duplicates, in order.
    public var fieldNames: [String] {
        var seen = Set<String>()
        return requirements.map(\.field).filter { seen.insert($0).inserted }
    }

    /// Whether the object's selectable fields satisfy every term; a missing field is the empty string.
    public func matches(_ fields: [String: String]) -> Bool {
        requirements.allSatisfy { r in
            let have = fields[r.field] ?? ""
            return r.op == .equals ? have == r.value : have != r.value
        }
    }

    /// The value of the first `=` term on `field`, as Kubernetes' RequiresExactMatch.
    public func exactMatch(_ field: String) -> String? {
        requirements.first { $0.field == field && $0.op == .equals }?.value
    }

    /// The selector in query syntax with values escaped.
    public var string: String {
        requirements.map { $0.field + $0.op.rawValue + Self.escape($0.value) }.joined(separator: ",")
    }
    public var description: String { string }

    /// Checks every field against `supported`, throwing 400 `field label not supported: <name>`.
    public func validateFields(_ supported: Set<String>) throws(StatusError) {
        for name in fieldNames where !supported.contains(name) {
            throw .badRequest("field label not supported: \(name)")
        }
    }

    /// Parses a field selector. Errors are 400 BadRequest with Kubernetes' messages.
    public static func parse(_ selector: String) throws(StatusError) -> FieldSelector {
        var requirements: [Requirement] = []
        for term in splitTerms(selector).sorted() where !term.isEmpty {
            guard let (field, op, rawValue) = splitTerm(term) else {
                throw .badRequest("invalid selector: '\(selector)'; can't understand '\(term)'")
            }
            requirements.append(Requirement(field: field, op: op, value: try unescape(rawValue)))
        }
        return FieldSelector(requirements: requirements)
    }

    /// Splits on commas not preceded by a backslash escape.
    static func splitTerms(_ selector: String) -> [String] {
        if selector.isEmpty { return [] }
        var terms: [String] = []
        var current = ""
        var inSlash = false
        for c in selector.unicodeScalars {
            if inSlash {
                inSlash = false
            } else if c == "\\" {
                inSlash = true
            } else if c == "," {
                terms.append(current)
                current = ""
                continue
            }
            current.unicodeScalars.append(c)
        }
        terms.append(current)
        return terms
    }

    /// Finds the first operator (`!=`, `==`, `=`, tried in that order at each position).
    static func splitTerm(_ term: String) -> (String, Operator, String)? {
        let scalars = Array(term.unicodeScalars)
        for i in scalars.indices {
            let next: Unicode.Scalar? = i + 1 < scalars.count ? scalars[i + 1] : nil
            let found: (Operator, Int)?
            switch (scalars[i], next) {
            case ("!", "="): found = (.notEquals, 2)
            case ("=", "="): found = (.equals, 2)
            case ("=", _): found = (.equals, 1)
            default: found = nil
            }
            if let (op, length) = found {
                var lhs = String.UnicodeScalarView()
                lhs.append(contentsOf: scalars[..<i])
                var rhs = String.UnicodeScalarView()
                rhs.append(contentsOf: scalars[(i + length)...])
                return (String(lhs), op, String(rhs))
            }
        }
        return nil
    }

    /// Reverses ``escape(_:)``; an unescaped `,` or `=` or an unknown escape is an error.
    public static func unescape(_ value: String) throws(StatusError) -> String {
        var out = String.UnicodeScalarView()
        var inSlash = false
        for c in value.unicodeScalars {
            if inSlash {
                guard c == "\\" || c == "," || c == "=" else {
                    throw .badRequest("invalid field selector: invalid escape sequence: \\\(c)")
                }
                out.append(c)
                inSlash = false
                continue
            }
            switch c {
            case "\\": inSlash = true
            case ",", "=": throw .badRequest("invalid field selector: unescaped character in value: \(c)")
            default: out.append(c)
            }
        }
        if inSlash { throw .badRequest("invalid field selector: invalid escape sequence: \\") }
        return String(out)
    }

    /// Escapes `\`, `,` and `=` in a value with a backslash.
    public static func escape(_ value: String) -> String {
        var out = String.UnicodeScalarView()
        for c in value.unicodeScalars {
            if c == "\\" || c == "," || c == "=" { out.append("\\") }
            out.append(c)
        }
        return String(out)
    }
}
