/// What the OpenAPI documents need to know of one served resource (the API server derives it from a
/// resource definition).
public struct OpenAPIResource: Sendable, Hashable {
    public var group: String
    public var version: String
    /// Plural, as in the URL: `configmaps`.
    public var resource: String
    public var kind: String
    public var namespaced: Bool
    /// Kubernetes verbs: create, delete, deletecollection, get, list, patch, update, watch.
    public var verbs: [String]
    /// Subresources (`status`, `finalize`, `scale`...).
    public var subresources: [String]
    /// DELETE answers with the object rather than a Status.
    public var returnsDeletedObject: Bool

    public init(group: String, version: String, resource: String, kind: String, namespaced: Bool,
                verbs: [String], subresources: [String] = [], returnsDeletedObject: Bool = false) {
        self.group = group
        self.version = version
        self.resource = resource
        self.kind = kind
        self.namespaced = namespaced
        self.verbs = verbs
        self.subresources = subresources
        self.returnsDeletedObject = returnsDeletedObject
    }

    public var gvk: GroupVersionKind { GroupVersionKind(group: group, version: version, kind: kind) }

    /// `api/v1` or `apis/apps/v1`: the key of the group-version's OpenAPI v3 document.
    public var groupVersionPath: String { group.isEmpty ? "api/\(version)" : "apis/\(group)/\(version)" }

    /// The operation id infix: `CoreV1`, `AppsV1`, `RbacAuthorizationV1`, `FlowcontrolApiserverV1beta3`.
    public var operationGroupVersion: String {
        let name = group.isEmpty ? "core" : (group.hasSuffix(".k8s.io") ? String(group.dropLast(7)) : group)
        return name.split(separator: ".").map(\.capitalizedFirst).joined() + version.capitalizedFirst
    }

    /// The tag of the operations: `core_v1`, `apps_v1`, `rbacAuthorization_v1`.
    public var tag: String {
        let name = group.isEmpty ? "core" : (group.hasSuffix(".k8s.io") ? String(group.dropLast(7)) : group)
        let parts = name.split(separator: ".")
        let joined = (parts.first.map(String.init) ?? "") + parts.dropFirst().map(\.capitalizedFirst).joined()
        return "\(joined)_\(version)"
    }
}

extension StringProtocol {
    var capitalizedFirst: String {
        guard let first else { return "" }
        return first.uppercased() + dropFirst()
    }
}
