/// The group, version and kind that identify a Kubernetes object type.
public struct GroupVersionKind: Sendable, Hashable, CustomStringConvertible {
    public var group: String
    public var version: String
    public var kind: String

    public init(group: String, version: String, kind: String) {
        self.group = group
        self.version = version
        self.kind = kind
    }

    /// The `apiVersion` field value: `version` for the core group, `group/version` otherwise.
    public var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }

    public var description: String { "\(apiVersion), Kind=\(kind)" }
}

/// A typed model that is a top-level kind: it carries `apiVersion` and `kind` and has one GVK.
public protocol APIKind: Codable, Sendable, Hashable {
    static var gvk: GroupVersionKind { get }
    var apiVersion: String? { get set }
    var kind: String? { get set }
}

/// A kind with object metadata (namespace, name, labels, ...).
public protocol APIObject: APIKind {
    var metadata: MetaV1.ObjectMeta? { get set }
}

/// A list kind: list metadata and the items.
public protocol APIList: APIKind {
    associatedtype Item: Codable & Sendable & Hashable
    var metadata: MetaV1.ListMeta? { get set }
    var items: [Item]? { get set }
}
