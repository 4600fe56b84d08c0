import APIMachinery
import Yams

/// Converts YAML documents to JSON values, as Kubernetes reads YAML request bodies.
enum YAMLConversion {
    /// Parses exactly one YAML document.
    static func parse(_ text: String) throws(StatusError) -> JSONValue {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            throw StatusError.badRequest("error converting YAML to JSON: \(error)")
        }
        guard let node else { throw StatusError.badRequest("error converting YAML to JSON: empty document") }
        var budget = maximumValues
        return try convert(node, depth: 0, budget: &budget)
    }

    /// The most values one document may expand to: anchors and aliases can make a small document
    /// expand exponentially ("billion laughs"), so expansion stops here.
    static let maximumValues = 1_000_000

    static func convert(_ node: Node, depth: Int, budget: inout Int) throws(StatusError) -> JSONValue {
        guard depth < JSONValue.maximumDepth else { throw StatusError.badRequest("error converting YAML to JSON: exceeded max depth") }
        budget -= 1
        guard budget >= 0 else {
            throw StatusError.badRequest("error converting YAML to JSON: the document expands to more than \(maximumValues) values")
        }
        switch node {
        case .scalar(let scalar):
            switch Tag.Name(rawValue: scalar.tag.rawValue) {
            case .null: return .null
            case .bool: return node.bool.map { .bool($0) } ?? .string(scalar.string)
            case .int:
                if let i = Int64(scalar.string) { return .int(i) }
                if let i = node.int { return .int(Int64(i)) }
                return node.float.map { .double($0) } ?? .string(scalar.string)
            case .float:
                guard let d = node.float, d.isFinite else { return .string(scalar.string) }
                return .double(d)
            default: return .string(scalar.string)
            }
        case .mapping(let mapping):
            var object: [String: JSONValue] = [:]
            for (key, value) in mapping {
                guard case .scalar(let k) = key else {
                    throw StatusError.badRequest("error converting YAML to JSON: mapping keys must be scalars")
                }
                object[k.string] = try convert(value, depth: depth + 1, budget: &budget)
            }
            return .object(object)
        case .sequence(let sequence):
            var array: [JSONValue] = []
            for item in sequence { array.append(try convert(item, depth: depth + 1, budget: &budget)) }
            return .array(array)
        case .alias:
            throw StatusError.badRequest("error converting YAML to JSON: aliases are not supported")
        }
    }
}
