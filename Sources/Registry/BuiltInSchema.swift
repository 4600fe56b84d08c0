import APIMachinery
import APITypes

/// The schema of the built-in kinds, from the Kubernetes v1.32 OpenAPI definitions: unknown-field
/// detection and pruning, and the strategic merge patch / apply metadata. (Protobuf request bodies are
/// decoded with the separate protobuf field tables.)
public struct BuiltInSchema: SchemaProvider {
    private let custom: OpenAPISchema?

    /// The given schema, or (nil) the embedded Kubernetes v1.32 one, parsed on first use so that
    /// starting the server does not pay for it.
    public init(schema: OpenAPISchema? = nil) {
        custom = schema
    }

    var schema: OpenAPISchema { custom ?? .kubernetes }

    public func unknownFields(in object: JSONValue, apiVersion: String, kind: String) -> [String] {
        guard let name = schema.definitionName(apiVersion: apiVersion, kind: kind) else { return [] }
        return schema.unknownFields(in: object, definition: name)
    }

    public func pruneUnknownFields(_ object: inout JSONValue, apiVersion: String, kind: String) {
        guard let name = schema.definitionName(apiVersion: apiVersion, kind: kind) else { return }
        schema.pruneUnknownFields(&object, definition: name)
    }

    public func patchSchema(apiVersion: String, kind: String) -> (schema: any PatchSchema, type: String)? {
        guard let name = schema.definitionName(apiVersion: apiVersion, kind: kind) else { return nil }
        return (OpenAPIPatchSchema(schema: schema), name)
    }
}

/// Strategic merge patch metadata read from the OpenAPI extensions (`x-kubernetes-patch-strategy`,
/// `x-kubernetes-patch-merge-key`, `x-kubernetes-list-type`, `x-kubernetes-list-map-keys`,
/// `x-kubernetes-map-type`).
struct OpenAPIPatchSchema: PatchSchema {
    let schema: OpenAPISchema

    func field(_ name: String, ofType type: String) -> PatchFieldInfo? {
        schema.patchFieldInfo(name, ofType: type)
    }
}

extension ResourceDefinition {
    /// What the OpenAPI documents need of this resource.
    public var openAPIResource: OpenAPIResource {
        // kubectl looks for a PATCH operation of a kind to learn whether the server validates fields
        // (`fieldValidation`), and without one falls back to the protobuf /openapi/v2, which is not
        // served: answered kinds (reviews, bindings) list one so `kubectl create -f` works for them.
        let documented = answerer == nil ? verbs : verbs + ["patch"]
        return OpenAPIResource(group: group, version: version, resource: resource, kind: kind, namespaced: namespaced,
                               verbs: documented, subresources: subresources, returnsDeletedObject: strategy.returnsDeletedObject)
    }
}
