/// How one field of an API type is patched: the type of its value (of its elements, for lists),
/// whether it is a list, its patch strategies (`merge`, `retainKeys`, `replace`) and its merge key;
/// for server-side apply, its OpenAPI list type (`atomic`, `set`, `map`) and list-map keys, and whether
/// it is a map of named fields (`structType`: "granular" or "atomic").
public struct PatchFieldInfo: Sendable, Hashable {
    public var childType: String?
    public var isList: Bool
    public var strategies: Set<String>
    public var mergeKey: String?
    /// `x-kubernetes-list-type` (nil when the schema does not say; then `atomic` for apply).
    public var listType: String?
    /// `x-kubernetes-list-map-keys` of a `map` list.
    public var mapKeys: [String]
    /// `x-kubernetes-map-type` of an object field (`atomic` or `granular`; nil when the schema does not say).
    public var mapType: String?

    public init(childType: String? = nil, isList: Bool = false, strategies: Set<String> = [], mergeKey: String? = nil,
                listType: String? = nil, mapKeys: [String] = [], mapType: String? = nil) {
        self.childType = childType
        self.isList = isList
        self.strategies = strategies
        self.mergeKey = mergeKey
        self.listType = listType
        self.mapKeys = mapKeys
        self.mapType = mapType
    }

    var isMerge: Bool { strategies.contains("merge") }
    var isReplace: Bool { strategies.contains("replace") }
}

/// The schema metadata a strategic merge patch needs; the API types layer supplies it.
public protocol PatchSchema: Sendable {
    /// The patch metadata of field `name` of type `type`, or nil when unknown.
    func field(_ name: String, ofType type: String) -> PatchFieldInfo?
}

/// A schema given as a table: type name → field name → info. Handy for tests and fixed type sets.
public struct StaticPatchSchema: PatchSchema {
    public var types: [String: [String: PatchFieldInfo]]

    public init(_ types: [String: [String: PatchFieldInfo]] = [:]) { self.types = types }

    public func field(_ name: String, ofType type: String) -> PatchFieldInfo? { types[type]?[name] }
}
