/// The JSON type an OpenAPI schema declares.
public enum SchemaType: String, Sendable, Hashable, CaseIterable {
    case object, array, string, integer, number, boolean
}

/// One entry of `x-kubernetes-group-version-kind`.
public struct GroupVersionKind: Sendable, Hashable, CustomStringConvertible {
    public var group: String
    public var version: String
    public var kind: String

    public init(group: String, version: String, kind: String) {
        self.group = group
        self.version = version
        self.kind = kind
    }

    /// `v1` for the core group, `apps/v1` otherwise.
    public var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }
    public var description: String { "\(apiVersion), Kind=\(kind)" }
}

/// One entry of `x-kubernetes-unions`: a discriminated union of optional fields.
public struct SchemaUnion: Sendable, Hashable {
    /// The field naming the member that is set (may be empty when the union has no discriminator).
    public var discriminator: String
    /// Member field → discriminator value.
    public var fieldsToDiscriminateBy: [String: String]

    public init(discriminator: String, fieldsToDiscriminateBy: [String: String]) {
        self.discriminator = discriminator
        self.fieldsToDiscriminateBy = fieldsToDiscriminateBy
    }
}

/// The Kubernetes vendor extensions of a schema (`x-kubernetes-*`).
public struct KubernetesExtensions: Sendable, Hashable {
    /// `x-kubernetes-list-type`: `atomic`, `set` or `map`.
    public var listType: String?
    /// `x-kubernetes-list-map-keys`, in order.
    public var listMapKeys: [String] = []
    /// `x-kubernetes-patch-strategy`, split at commas (`merge`, `retainKeys`, `replace`).
    public var patchStrategies: [String] = []
    /// `x-kubernetes-patch-merge-key`.
    public var patchMergeKey: String?
    /// `x-kubernetes-map-type`: `atomic` or `granular`.
    public var mapType: String?
    /// `x-kubernetes-int-or-string`.
    public var intOrString = false
    /// `x-kubernetes-preserve-unknown-fields`: nothing below is unknown.
    public var preserveUnknownFields = false
    /// `x-kubernetes-embedded-resource`: an object with apiVersion, kind and metadata.
    public var embeddedResource = false
    /// `x-kubernetes-group-version-kind`.
    public var groupVersionKinds: [GroupVersionKind] = []
    /// `x-kubernetes-unions`.
    public var unions: [SchemaUnion] = []

    public init() {}

    public var isEmpty: Bool { self == KubernetesExtensions() }
}

/// One OpenAPI schema of the Kubernetes API: a reference to a named definition, or a type with its
/// properties, items or additional properties, and the Kubernetes extensions. Descriptions are not kept.
public struct SchemaNode: Sendable, Hashable {
    /// The definition this schema refers to (`io.k8s.api.core.v1.Container`); the other members are empty.
    public var ref: String?
    /// The declared type; nil for a schema that takes any value (or only refers, or is a `oneOf`).
    public var type: SchemaType?
    public var format: String?
    /// A `oneOf` of scalar types (`IntOrString`: string or integer; `Quantity`: string or number).
    public var oneOfTypes: [SchemaType] = []
    public var properties: [String: SchemaNode] = [:]
    public var required: [String] = []
    /// String enum values (only strings occur in the Kubernetes schema).
    public var enumValues: [String] = []
    public var extensions = KubernetesExtensions()
    // Held in arrays of zero or one element: a struct can not contain itself directly.
    private var itemsStorage: [SchemaNode] = []
    private var additionalStorage: [SchemaNode] = []

    public init(ref: String? = nil, type: SchemaType? = nil, format: String? = nil) {
        self.ref = ref
        self.type = type
        self.format = format
    }

    public static func reference(_ name: String) -> SchemaNode { SchemaNode(ref: name) }

    /// The schema of the elements of an array.
    public var items: SchemaNode? {
        get { itemsStorage.first }
        set { itemsStorage = newValue.map { [$0] } ?? [] }
    }

    /// The schema of the values of a map (`additionalProperties`).
    public var additionalProperties: SchemaNode? {
        get { additionalStorage.first }
        set { additionalStorage = newValue.map { [$0] } ?? [] }
    }

    /// An array of `items`.
    public static func array(of items: SchemaNode) -> SchemaNode {
        var n = SchemaNode(type: .array)
        n.items = items
        return n
    }

    /// A map whose values are `values`.
    public static func map(of values: SchemaNode) -> SchemaNode {
        var n = SchemaNode(type: .object)
        n.additionalProperties = values
        return n
    }

    /// True when the schema is a map with arbitrary keys.
    public var isMap: Bool { additionalProperties != nil }

    /// True when the schema is a string that may also be an integer (`IntOrString`).
    public var isIntOrString: Bool {
        extensions.intOrString || Set(oneOfTypes) == [.integer, .string]
    }

    /// True when any JSON below this schema is accepted as known: preserve-unknown-fields, a schema
    /// without type, or an object without properties and without additionalProperties (RawExtension,
    /// FieldsV1).
    public var isFreeForm: Bool {
        if extensions.preserveUnknownFields { return true }
        guard ref == nil, oneOfTypes.isEmpty else { return false }
        switch type {
        case nil: return true
        case .object: return properties.isEmpty && additionalProperties == nil
        default: return false
        }
    }
}
