/// How one field of an API type is patched: the type of its value (of its elements, for lists),
/// whether it is a list, its patch strategies (`merge`, `retainKeys`, `replace`) and its merge key.
public struct PatchFieldInfo: Sendable, Hashable {
    public var childType: String?
    public var isList: Bool
    public var strategies: Set<String>
    public var mergeKey: String?

    public init(childType: String? = nil, isList: Bool = false, strategies: Set<String> = [], mergeKey: String? = nil) {
        self.childType = childType
        self.isList = isList
        self.strategies = strategies
        self.mergeKey = mergeKey
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
