/// The OpenAPI definitions of the Kubernetes API by name (`io.k8s.api.core.v1.Pod`), with lookup by
/// group/version/kind. The built-in v1.32 schema (`.kubernetes`) is parsed once, on first use.
public struct OpenAPISchema: Sendable {
    /// Definitions by name.
    public let definitions: [String: SchemaNode]
    private let byGVK: [GroupVersionKind: String]

    /// The Kubernetes v1.32 definitions (tools/gen_api_schema.py), without descriptions.
    public static let kubernetes = OpenAPISchema(compactText: OpenAPISchemaData.text)

    public init(definitions: [String: SchemaNode]) {
        self.definitions = definitions
        var index: [GroupVersionKind: String] = [:]
        for name in definitions.keys.sorted() {
            for gvk in definitions[name]?.extensions.groupVersionKinds ?? [] where index[gvk] == nil {
                index[gvk] = name
            }
        }
        byGVK = index
    }

    /// All definition names, sorted.
    public var definitionNames: [String] { definitions.keys.sorted() }

    /// The definition with this name.
    public func definition(named name: String) -> SchemaNode? { definitions[name] }

    /// The name of the definition of a group/version/kind (the core group is "").
    public func definitionName(for gvk: GroupVersionKind) -> String? { byGVK[gvk] }

    /// The name of the definition of an (apiVersion, kind) pair: ("apps/v1", "Deployment").
    public func definitionName(apiVersion: String, kind: String) -> String? {
        let group: Substring
        let version: Substring
        if let slash = apiVersion.firstIndex(of: "/") {
            group = apiVersion[..<slash]
            version = apiVersion[apiVersion.index(after: slash)...]
        } else {
            group = ""
            version = Substring(apiVersion)
        }
        return byGVK[GroupVersionKind(group: String(group), version: String(version), kind: kind)]
    }

    /// The definition of a group/version/kind.
    public func definition(for gvk: GroupVersionKind) -> SchemaNode? {
        definitionName(for: gvk).flatMap { definitions[$0] }
    }

    /// Follows references until a schema that is not one (at most a few hops; nil if a name is unknown).
    public func resolve(_ node: SchemaNode) -> SchemaNode? {
        var current = node
        var hops = 0
        while let ref = current.ref {
            guard hops < 8, let next = definitions[ref] else { return nil }
            current = next
            hops += 1
        }
        return current
    }

    /// The definitions `roots` refer to, directly or transitively, including the roots; sorted.
    public func closure(of roots: [String]) -> [String] {
        var seen: Set<String> = []
        var stack = roots
        while let name = stack.popLast() {
            guard !seen.contains(name), let node = definitions[name] else { continue }
            seen.insert(name)
            node.forEachReference { stack.append($0) }
        }
        return seen.sorted()
    }
}

extension SchemaNode {
    /// Calls `body` with every definition name this schema refers to (not following the references).
    public func forEachReference(_ body: (String) -> Void) {
        if let ref { body(ref) }
        for name in properties.keys.sorted() { properties[name]?.forEachReference(body) }
        items?.forEachReference(body)
        additionalProperties?.forEachReference(body)
    }
}
