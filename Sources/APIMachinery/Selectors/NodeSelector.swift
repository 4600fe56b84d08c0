import Foundation

/// A node selector requirement (`key`, `operator`, `values`) of node affinity.
public struct NodeSelectorRequirement: Sendable, Hashable {
    public var key: String
    public var op: String
    public var values: [String]

    public init(json: JSONValue) {
        key = json["key"]?.stringValue ?? ""
        op = json["operator"]?.stringValue ?? ""
        values = (json["values"]?.arrayValue ?? []).compactMap(\.stringValue)
    }

    public func matches(_ value: String?) -> Bool {
        switch op {
        case "In": return value.map(values.contains) ?? false
        case "NotIn": return value.map { !values.contains($0) } ?? true
        case "Exists": return value != nil
        case "DoesNotExist": return value == nil
        case "Gt", "Lt":
            guard let value, let actual = Int64(value), values.count == 1, let bound = Int64(values[0]) else { return false }
            return op == "Gt" ? actual > bound : actual < bound
        default: return false
        }
    }
}

/// A node selector term: every expression (on labels) and every field requirement (on
/// `metadata.name`) must match; a term with neither matches no node.
public struct NodeSelectorTerm: Sendable, Hashable {
    public var expressions: [NodeSelectorRequirement]
    public var fields: [NodeSelectorRequirement]

    public init(json: JSONValue) {
        expressions = (json["matchExpressions"]?.arrayValue ?? []).map(NodeSelectorRequirement.init(json:))
        fields = (json["matchFields"]?.arrayValue ?? []).map(NodeSelectorRequirement.init(json:))
    }

    public func matches(labels: [String: String], name: String) -> Bool {
        if expressions.isEmpty && fields.isEmpty { return false }
        for e in expressions where !e.matches(labels[e.key]) { return false }
        for f in fields {
            guard f.key == "metadata.name", f.op == "In" || f.op == "NotIn" else { return false }
            if !f.matches(name) { return false }
        }
        return true
    }
}

/// A required node selector (`nodeSelectorTerms`, ORed), as in node affinity and in a
/// PersistentVolume's `spec.nodeAffinity.required`.
public struct NodeSelector: Sendable, Hashable {
    public var terms: [NodeSelectorTerm]

    public init(json: JSONValue) {
        terms = (json["nodeSelectorTerms"]?.arrayValue ?? []).map(NodeSelectorTerm.init(json:))
    }

    /// Whether a node with these labels and this name is selected (no terms select no node).
    public func matches(labels: [String: String], name: String) -> Bool {
        terms.contains { $0.matches(labels: labels, name: name) }
    }

    /// Whether `volume`'s required node affinity (if it has one, with terms) admits the node.
    public static func volume(_ volume: JSONValue, admits labels: [String: String], name: String) -> Bool {
        guard let required = volume["spec"]?["nodeAffinity"]?["required"] else { return true }
        let selector = NodeSelector(json: required)
        return selector.terms.isEmpty || selector.matches(labels: labels, name: name)
    }
}
