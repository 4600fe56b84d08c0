// APIModels: typed Codable models of the Kubernetes 1.32 API for components that act on objects
// (controllers, scheduler, kubelet). The API server itself works on dynamic JSON and does not use them.
//
// Generated/<GroupVersion>.swift comes from tools/gen_api_models.py (do not edit; re-run the script).
// Every property is optional: decoding never fails on a missing field and nil is omitted on encoding,
// so decoding a manifest and encoding it again gives back the same JSON. What is not kept:
// - keys the schema does not define (a typo'd field, a field from a newer Kubernetes) are dropped;
// - an explicit JSON null in an object field reads as unset and is omitted (nulls inside JSONAny
//   values, e.g. a CRD schema's enum list, are kept);
// - a Quantity written as a JSON number is re-encoded as its string ("cpu": 1 becomes "cpu": "1"),
//   as the API server does.
// Free-form values (RawExtension, FieldsV1, apiextensions JSON) are JSONAny and kept verbatim.

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
