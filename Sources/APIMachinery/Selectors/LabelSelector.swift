/// A Kubernetes label selector: a conjunction of requirements on an object's labels, parsed from the
/// `labelSelector` query syntax or converted from a metav1.LabelSelector object.
public struct LabelSelector: Sendable, Hashable, CustomStringConvertible {
    /// The operator of one requirement.
    public enum Operator: String, Sendable, Hashable {
        case equals = "="
        case doubleEquals = "=="
        case notEquals = "!="
        case `in` = "in"
        case notIn = "notin"
        case exists = "exists"
        case doesNotExist = "!"
        case greaterThan = "gt"
        case lessThan = "lt"
    }

    /// One requirement: a key, an operator and the values it compares with (sorted, unique).
    public struct Requirement: Sendable, Hashable, CustomStringConvertible {
        public var key: String
        public var op: Operator
        public var values: [String]

        public init(key: String, op: Operator, values: [String] = []) {
            self.key = key
            self.op = op
            self.values = Array(Set(values)).sorted()
        }

        public func matches(_ labels: [String: String]) -> Bool {
            switch op {
            case .equals, .doubleEquals, .in:
                guard let value = labels[key] else { return false }
                return values.contains(value)
            case .notEquals, .notIn:
                guard let value = labels[key] else { return true }
                return !values.contains(value)
            case .exists:
                return labels[key] != nil
            case .doesNotExist:
                return labels[key] == nil
            case .greaterThan, .lessThan:
                guard let value = labels[key], let have = Int64(value), values.count == 1, let want = Int64(values[0]) else {
                    return false
                }
                return op == .greaterThan ? have > want : have < want
            }
        }

        /// The requirement in selector syntax, as Kubernetes renders it.
        public var description: String {
            switch op {
            case .exists: return key
            case .doesNotExist: return "!" + key
            case .equals, .doubleEquals, .notEquals: return key + op.rawValue + (values.first ?? "")
            case .in, .notIn: return key + " " + op.rawValue + " (" + values.joined(separator: ",") + ")"
            case .greaterThan: return key + ">" + (values.first ?? "")
            case .lessThan: return key + "<" + (values.first ?? "")
            }
        }
    }

    /// The requirements, sorted by key; all must match.
    public var requirements: [Requirement]

    public init(requirements: [Requirement] = []) {
        self.requirements = requirements.enumerated().sorted {
            $0.element.key == $1.element.key ? $0.offset < $1.offset : $0.element.key < $1.element.key
        }.map(\.element)
    }

    /// The selector that matches every object.
    public static let everything = LabelSelector()

    /// True when the selector has no requirements and so matches everything.
    public var isEverything: Bool { requirements.isEmpty }

    public func matches(_ labels: [String: String]) -> Bool {
        requirements.allSatisfy { $0.matches(labels) }
    }

    /// The selector in query syntax (`a=b,c in (d,e),!f`).
    public var string: String { requirements.map(\.description).joined(separator: ",") }
    public var description: String { string }

    /// Parses the `labelSelector` query syntax. Errors are 400 BadRequest.
    public static func parse(_ s: String) throws(StatusError) -> LabelSelector {
        var parser = LabelSelectorParser(s)
        do {
            return LabelSelector(requirements: try parser.parse())
        } catch {
            throw StatusError.badRequest(error.message)
        }
    }

    /// Converts a metav1.LabelSelector object (`matchLabels`, `matchExpressions`). A null selector
    /// matches everything here; callers that need "nothing" for null must check before converting.
    public init(fromJSON json: JSONValue) throws(StatusError) {
        if json.isNull {
            self.init()
            return
        }
        guard let object = json.objectValue else { throw .badRequest("invalid label selector: expected an object") }
        var requirements: [Requirement] = []
        if let matchLabels = object["matchLabels"], !matchLabels.isNull {
            guard let labels = matchLabels.objectValue else { throw .badRequest("invalid label selector: matchLabels must be an object") }
            for (key, value) in labels {
                guard let value = value.stringValue else { throw .badRequest("invalid label selector: matchLabels values must be strings") }
                try Self.validate(key: key, values: [value])
                requirements.append(Requirement(key: key, op: .equals, values: [value]))
            }
        }
        if let expressions = object["matchExpressions"], !expressions.isNull {
            guard let list = expressions.arrayValue else { throw .badRequest("invalid label selector: matchExpressions must be a list") }
            for expression in list {
                let key = expression["key"]?.stringValue ?? ""
                let op = expression["operator"]?.stringValue ?? ""
                let values = (expression["values"]?.arrayValue ?? []).compactMap(\.stringValue)
                let mapped: Operator
                switch op {
                case "In": mapped = .in
                case "NotIn": mapped = .notIn
                case "Exists": mapped = .exists
                case "DoesNotExist": mapped = .doesNotExist
                default: throw .badRequest("\"\(op)\" is not a valid label selector operator")
                }
                try Self.validate(key: key, values: values)
                switch mapped {
                case .in, .notIn:
                    if values.isEmpty { throw .badRequest("for 'in', 'notin' operators, values set can't be empty") }
                default:
                    if !values.isEmpty { throw .badRequest("values set must be empty for exists and does not exist") }
                }
                requirements.append(Requirement(key: key, op: mapped, values: values))
            }
        }
        self.init(requirements: requirements)
    }

    static func validate(key: String, values: [String]) throws(StatusError) {
        if let message = NameValidation.isQualifiedName(key).first {
            throw .badRequest("key: Invalid value: \"\(key)\": \(message)")
        }
        for value in values {
            if let message = NameValidation.isValidLabelValue(value).first {
                throw .badRequest("values[0][\(key)]: Invalid value: \"\(value)\": \(message)")
            }
        }
    }
}
