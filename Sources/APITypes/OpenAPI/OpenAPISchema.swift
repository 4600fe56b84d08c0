/// The OpenAPI definitions of the Kubernetes API by name (`io.k8s.api.core.v1.Pod`), with lookup by
/// group/version/kind. The built-in v1.32 schema (`.kubernetes`) is indexed on first use and each
/// definition parsed when first asked for, so that a request touching a few kinds parses only those.
public struct OpenAPISchema: Sendable {
    private let source: DefinitionSource
    private let byGVK: [GroupVersionKind: String]
    /// All definition names, sorted.
    public let definitionNames: [String]

    /// The Kubernetes v1.32 definitions (tools/gen_api_schema.py), without descriptions.
    public static let kubernetes = OpenAPISchema(compactText: OpenAPISchemaData.text)

    public init(definitions: [String: SchemaNode]) {
        var index: [GroupVersionKind: String] = [:]
        for name in definitions.keys.sorted() {
            for gvk in definitions[name]?.extensions.groupVersionKinds ?? [] where index[gvk] == nil {
                index[gvk] = name
            }
        }
        self.init(source: DefinitionSource(parsed: definitions), byGVK: index, names: definitions.keys.sorted())
    }

    init(source: DefinitionSource, byGVK: [GroupVersionKind: String], names: [String]) {
        self.source = source
        self.byGVK = byGVK
        definitionNames = names
    }

    /// Every definition by name (parses all of them).
    public var definitions: [String: SchemaNode] {
        var out: [String: SchemaNode] = [:]
        for name in definitionNames { out[name] = source.definition(name) }
        return out
    }

    /// The definition with this name.
    public func definition(named name: String) -> SchemaNode? { source.definition(name) }

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
        definitionName(for: gvk).flatMap { source.definition($0) }
    }

    /// Follows references until a schema that is not one (at most a few hops; nil if a name is unknown).
    public func resolve(_ node: SchemaNode) -> SchemaNode? {
        var current = node
        var hops = 0
        while let ref = current.ref {
            guard hops < 8, let next = source.definition(ref) else { return nil }
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
            guard !seen.contains(name), let node = source.definition(name) else { continue }
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
