import APIMachinery
import Storage

/// Everything the API server needs to know to serve one resource: names for discovery, scope, the
/// per-kind strategy, and how it prints as a Table.
public struct ResourceDefinition: Sendable {
    public var group: String
    public var version: String
    /// Plural lower-case name used in URLs, e.g. `configmaps`.
    public var resource: String
    public var kind: String
    public var singular: String
    public var namespaced: Bool
    public var shortNames: [String]
    public var categories: [String]
    public var verbs: [String]
    /// Subresources served by the generic store (e.g. `status`).
    public var subresources: [String]
    public var strategy: any ResourceStrategy
    /// Set when the objects are those of another resource (another version or group): the group and
    /// resource whose storage this one shares. Nil: this resource's own.
    public var storageResource: GroupResource? = nil
    /// Converts between this resource's form and the stored form when they differ.
    public var converter: (any ObjectConverter)? = nil
    /// Where the `scale` subresource (autoscaling/v1 Scale) finds replicas and the selector, if served.
    public var scale: ScaleSubresource?
    /// Set for resources whose POST is answered, not stored (reviews, bindings): create is the only verb.
    public var answerer: (any CreateAnswerer)? = nil
    /// Set for resources computed on request (metrics.k8s.io): get and list read from it, nothing is stored.
    public var reader: (any ReadOnlySource)? = nil

    public static let allVerbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]

    public init(group: String, version: String, resource: String, kind: String, singular: String? = nil,
                namespaced: Bool, shortNames: [String] = [], categories: [String] = [],
                verbs: [String] = ResourceDefinition.allVerbs, subresources: [String] = [],
                strategy: any ResourceStrategy, scale: ScaleSubresource? = nil) {
        self.scale = scale
        self.group = group
        self.version = version
        self.resource = resource
        self.kind = kind
        self.singular = singular ?? kind.lowercased()
        self.namespaced = namespaced
        self.shortNames = shortNames
        self.categories = categories
        self.verbs = verbs
        self.subresources = subresources
        self.strategy = strategy
    }

    public var groupVersion: String { group.isEmpty ? version : "\(group)/\(version)" }
    public var groupResource: GroupResource { GroupResource(group: group, resource: resource) }
    public var listKind: String { kind + "List" }

    /// The storage key prefix for this resource: `/registry/<group>/<resource>/` (of the storage resource).
    public var keyPrefix: String {
        let stored = storageResource ?? groupResource
        return stored.group.isEmpty ? "/registry/\(stored.resource)/" : "/registry/\(stored.group)/\(stored.resource)/"
    }

    /// This definition serving the objects stored for `resource`, converted by `converter`.
    /// This definition answering its POSTs with `answerer` instead of storing them.
    public func answered(by answerer: any CreateAnswerer) -> ResourceDefinition {
        var copy = self
        copy.answerer = answerer
        copy.verbs = ["create"]
        return copy
    }

    public func sharingStorage(of resource: GroupResource, converter: any ObjectConverter) -> ResourceDefinition {
        var copy = self
        copy.storageResource = resource
        copy.converter = converter
        return copy
    }

    public func key(namespace: String, name: String) -> String {
        namespaced ? "\(keyPrefix)\(namespace)/\(name)" : "\(keyPrefix)\(name)"
    }

    public func prefix(namespace: String?) -> String {
        if namespaced, let namespace, !namespace.isEmpty { return "\(keyPrefix)\(namespace)/" }
        return keyPrefix
    }
}

/// Converts objects of one served version to and from the stored version (another version or group
/// of the same objects), as Kubernetes' conversion functions do. apiVersion and kind are set by the
/// store.
public protocol ObjectConverter: Sendable {
    /// The stored form of an object in the served form.
    func toStorage(_ object: JSONValue) -> JSONValue
    /// The served form of a stored object.
    func fromStorage(_ object: JSONValue) -> JSONValue
}

/// How a kind maps onto autoscaling/v1 Scale: the paths of the desired and observed replica counts and
/// of the selector (a metav1.LabelSelector, or a plain label map when `selectorIsMap`).
public struct ScaleSubresource: Sendable {
    public var specReplicas: [String]
    public var statusReplicas: [String]
    public var selector: [String]
    public var selectorIsMap: Bool
    public init(specReplicas: [String] = ["spec", "replicas"], statusReplicas: [String] = ["status", "replicas"],
                selector: [String] = ["spec", "selector"], selectorIsMap: Bool = false) {
        self.specReplicas = specReplicas
        self.statusReplicas = statusReplicas
        self.selector = selector
        self.selectorIsMap = selectorIsMap
    }
}

/// The per-kind behaviour of a resource on write and read, as Kubernetes' registry strategies define it.
/// Objects are API objects in JSON form.
public protocol ResourceStrategy: Sendable {
    /// True if the kind has a `status` subresource: writes to the main resource keep the stored status,
    /// writes to `/status` keep everything but the status.
    var hasStatusSubresource: Bool { get }
    /// With a status subresource: a create keeps the status sent (Nodes, which the kubelet registers
    /// with their status) instead of clearing it.
    var keepsStatusOnCreate: Bool { get }
    /// With a status subresource: the metadata fields a `/status` write may change besides the status
    /// (none by default; a Deployment's annotations, as its controller writes its revision annotation
    /// with UpdateStatus).
    var statusUpdateMetadataFields: [String] { get }
    /// Delete answers with the deleted object instead of a Status.
    var returnsDeletedObject: Bool { get }
    /// The kind keeps metadata.generation: 1 on create, bumped by every change outside metadata and status.
    var tracksGeneration: Bool { get }
    /// Field selector labels beyond metadata.name and metadata.namespace.
    var fieldSelectorLabels: [String] { get }
    /// Messages for an invalid `metadata.name` (or generateName prefix when `prefix`): a DNS-1123
    /// subdomain for most kinds.
    func validateName(_ name: String, prefix: Bool) -> [String]

    /// Sets defaults and clears fields a client may not set on create.
    func prepareForCreate(_ object: inout JSONValue)
    /// Sets defaults on update; `old` is the stored object.
    func prepareForUpdate(_ object: inout JSONValue, old: JSONValue)
    /// Every field error of a new object (object metadata is validated by the store).
    func validate(_ object: JSONValue) -> [FieldError]
    /// Every field error of an update (immutability and transitions), after `validate`.
    func validateUpdate(_ object: JSONValue, old: JSONValue) -> [FieldError]
    /// Called when a DELETE reaches an object without metadata.finalizers: returns true (after
    /// marking the object) if the object must stay until something finalizes it.
    func beginDeletion(_ object: inout JSONValue) -> Bool
    /// Seconds a DELETE leaves the object terminating (deletionTimestamp in the future) before it goes,
    /// given the client's `gracePeriodSeconds`; 0 deletes at once (the default: only pods on a node
    /// terminate gracefully).
    func deletionGracePeriod(_ object: JSONValue, requested: Int64?) -> Int64
    /// An error if this object may not be deleted at all (e.g. the `default` namespace).
    func checkDeletion(_ object: JSONValue) -> StatusError?
    /// True when nothing holds a deleted object any more.
    func isFinalized(_ object: JSONValue) -> Bool
    /// Values of the field selector labels of an object.
    func selectableFields(_ object: JSONValue) -> [String: String]
    /// The Table columns and, for one object, its cells.
    var tableColumns: [TableColumn] { get }
    func tableCells(_ object: JSONValue, now: Double) -> [JSONValue]
    /// Serializes `allocate` with the storage write that follows it (nil: no allocations).
    var allocationLock: AsyncLock? { get }
    /// Async work with the storage before a validated create (`old` nil) or update of the main
    /// resource is stored (also on dry runs), under `allocationLock`: e.g. assigning addresses not used
    /// by any stored object. Throws to refuse the write.
    func allocate(_ object: inout JSONValue, old: JSONValue?, storage: any Storage) async throws(StatusError)
}

/// One column of a server-side Table (meta.k8s.io/v1 TableColumnDefinition).
public struct TableColumn: Sendable, Hashable {
    public var name: String
    public var type: String
    public var format: String
    public var description: String
    public var priority: Int
    public init(_ name: String, type: String = "string", format: String = "", priority: Int = 0, description: String = "") {
        self.name = name
        self.type = type
        self.format = format
        self.priority = priority
        self.description = description
    }
    public static let name = TableColumn("Name", format: "name", description: "Name must be unique within a namespace.")
    public static let age = TableColumn("Age", description: "CreationTimestamp is a timestamp representing the server time when this object was created.")
}

extension ResourceStrategy {
    public var hasStatusSubresource: Bool { false }
    public var keepsStatusOnCreate: Bool { false }
    public var statusUpdateMetadataFields: [String] { [] }
    public var returnsDeletedObject: Bool { false }
    public var tracksGeneration: Bool { false }
    public var fieldSelectorLabels: [String] { [] }
    public func validateName(_ name: String, prefix: Bool) -> [String] {
        NameValidation.nameIsDNSSubdomain(name, prefix: prefix)
    }
    public func prepareForCreate(_ object: inout JSONValue) {}
    public func prepareForUpdate(_ object: inout JSONValue, old: JSONValue) {}
    public func validate(_ object: JSONValue) -> [FieldError] { [] }
    public func validateUpdate(_ object: JSONValue, old: JSONValue) -> [FieldError] { [] }
    public func selectableFields(_ object: JSONValue) -> [String: String] { [:] }
    public func beginDeletion(_ object: inout JSONValue) -> Bool { false }
    public func deletionGracePeriod(_ object: JSONValue, requested: Int64?) -> Int64 { 0 }
    public func checkDeletion(_ object: JSONValue) -> StatusError? { nil }
    public func isFinalized(_ object: JSONValue) -> Bool { object.finalizers.isEmpty }
    public var allocationLock: AsyncLock? { nil }
    public func allocate(_ object: inout JSONValue, old: JSONValue?, storage: any Storage) async throws(StatusError) {}
    public var tableColumns: [TableColumn] {
        [.name, TableColumn("Created At", type: "date", description: "CreationTimestamp")]
    }
    public func tableCells(_ object: JSONValue, now: Double) -> [JSONValue] {
        [.string(object.name), object["metadata"]?["creationTimestamp"] ?? .null]
    }
}
