import APIMachinery

/// Builds the documents served at /openapi/v2 (Swagger 2.0) and /openapi/v3/<group-version>
/// (OpenAPI 3.0) from the served resources and the schema definitions: paths with the operations
/// kubectl inspects (`x-kubernetes-group-version-kind`, `x-kubernetes-action`, query parameters such as
/// `fieldValidation`, the patch content types) and every definition the resources refer to.
public struct OpenAPIDocumentBuilder: Sendable {
    public let schema: OpenAPISchema
    /// The `info.version` of the documents.
    public var apiVersion = "v1.32.0"

    public init(schema: OpenAPISchema = .kubernetes) {
        self.schema = schema
    }

    static let meta = "io.k8s.apimachinery.pkg.apis.meta.v1."
    static let status = meta + "Status"
    static let deleteOptions = meta + "DeleteOptions"
    static let patch = meta + "Patch"
    static let watchEvent = meta + "WatchEvent"
    static let objectMeta = meta + "ObjectMeta"
    static let listMeta = meta + "ListMeta"
    static let apiResourceList = meta + "APIResourceList"
    static let patchContentTypes = ["application/apply-patch+yaml", "application/json-patch+json",
                                    "application/merge-patch+json", "application/strategic-merge-patch+json"]
    static let responseContentTypes = ["application/json", "application/yaml", "application/vnd.kubernetes.protobuf"]

    // MARK: Documents

    /// The OpenAPI 3.0 document of one group-version: the operations of `resources` (all of that
    /// group-version) and, in components/schemas, every definition they refer to, transitively.
    public func v3Document(resources: [OpenAPIResource]) -> JSONValue {
        let (paths, schemas) = build(resources, .v3)
        return ["openapi": "3.0.0", "info": ["title": "Kubernetes", "version": .string(apiVersion)],
                "paths": .object(paths),
                "components": ["schemas": .object(schemas),
                               "securitySchemes": ["BearerToken": ["type": "apiKey", "name": "authorization", "in": "header"]]]]
    }

    /// The Swagger 2.0 document of every served resource.
    public func v2Document(resources: [OpenAPIResource]) -> JSONValue {
        let (paths, definitions) = build(resources, .v2)
        return ["swagger": "2.0", "info": ["title": "Kubernetes", "version": .string(apiVersion)],
                "paths": .object(paths), "definitions": .object(definitions),
                "securityDefinitions": ["BearerToken": ["type": "apiKey", "name": "authorization", "in": "header"]],
                "security": [["BearerToken": []]]]
    }

    private func build(_ resources: [OpenAPIResource], _ version: OpenAPIVersion)
        -> (paths: [String: JSONValue], schemas: [String: JSONValue])
    {
        var paths: [String: JSONValue] = [:]
        var roots: Set<String> = [Self.status, Self.apiResourceList]
        var synthesized: [String: SchemaNode] = [:]
        var groupVersions: [String: OpenAPIResource] = [:]
        for resource in resources where groupVersions[resource.groupVersionPath] == nil {
            groupVersions[resource.groupVersionPath] = resource
        }
        for (path, resource) in groupVersions {
            paths["/\(path)/"] = resourceListPathItem(resource, version)
        }
        for resource in resources {
            let names = definitionNames(resource, synthesized: &synthesized)
            roots.formUnion([names.kind, names.list, Self.watchEvent])
            for (path, item) in pathItems(resource, names: names, version) { paths[path] = item }
        }
        // Every definition an operation refers to (bodies, responses, subresource kinds such as Scale).
        for item in paths.values { Self.collectReferences(item, prefix: version.referencePrefix, into: &roots) }
        // Synthesized definitions refer to built-in ones (ObjectMeta, ListMeta) and to each other.
        for node in synthesized.values { node.forEachReference { roots.insert($0) } }
        var schemas: [String: JSONValue] = [:]
        for name in schema.closure(of: roots.filter { synthesized[$0] == nil }.sorted()) {
            schemas[name] = schema.definition(named: name)?.openAPIJSON(version)
        }
        for (name, node) in synthesized { schemas[name] = node.openAPIJSON(version) }
        return (paths, schemas)
    }

    static func collectReferences(_ value: JSONValue, prefix: String, into out: inout Set<String>) {
        switch value {
        case .object(let members):
            if let ref = members["$ref"]?.stringValue, ref.hasPrefix(prefix) { out.insert(String(ref.dropFirst(prefix.count))) }
            for member in members.values { collectReferences(member, prefix: prefix, into: &out) }
        case .array(let elements):
            for element in elements { collectReferences(element, prefix: prefix, into: &out) }
        default:
            break
        }
    }

    /// The definition names of a resource's kind and list; kinds the schema lacks (custom resources)
    /// get a free-form definition named as Kubernetes names them (`com.example.stable.v1.CronTab`).
    func definitionNames(_ r: OpenAPIResource, synthesized: inout [String: SchemaNode])
        -> (kind: String, list: String, builtIn: Bool)
    {
        if let kind = schema.definitionName(for: r.gvk) {
            var listGVK = r.gvk
            listGVK.kind += "List"
            let list = schema.definitionName(for: listGVK) ?? kind + "List"
            return (kind, list, true)
        }
        let prefix = r.group.isEmpty ? "" : r.group.split(separator: ".").reversed().joined(separator: ".") + "."
        let kind = "\(prefix)\(r.version).\(r.kind)"
        var object = SchemaNode(type: .object)
        object.properties = ["apiVersion": SchemaNode(type: .string), "kind": SchemaNode(type: .string),
                             "metadata": .reference(Self.objectMeta)]
        object.extensions.preserveUnknownFields = true
        object.extensions.groupVersionKinds = [r.gvk]
        var list = SchemaNode(type: .object)
        list.properties = ["apiVersion": SchemaNode(type: .string), "kind": SchemaNode(type: .string),
                           "metadata": .reference(Self.listMeta), "items": .array(of: .reference(kind))]
        list.required = ["items"]
        list.extensions.groupVersionKinds = [GroupVersionKind(group: r.group, version: r.version, kind: r.kind + "List")]
        synthesized[kind] = object
        synthesized[kind + "List"] = list
        return (kind, kind + "List", false)
    }
}
