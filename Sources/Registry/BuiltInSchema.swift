import APIMachinery
import APITypes

/// The schema of the built-in kinds, from the Kubernetes v1.32 protobuf field tables: unknown-field
/// detection and pruning, and the strategic merge patch metadata.
public struct BuiltInSchema: SchemaProvider {
    let schema: ProtoSchema

    public init(schema: ProtoSchema = .kubernetes) {
        self.schema = schema
    }

    public func unknownFields(in object: JSONValue, apiVersion: String, kind: String) -> [String] {
        guard let message = schema.messageName(apiVersion: apiVersion, kind: kind) else { return [] }
        return schema.unknownFields(in: object, message: message)
    }

    public func pruneUnknownFields(_ object: inout JSONValue, apiVersion: String, kind: String) {
        guard let message = schema.messageName(apiVersion: apiVersion, kind: kind) else { return }
        schema.pruneUnknownFields(&object, message: message)
    }

    public func patchSchema(apiVersion: String, kind: String) -> (schema: any PatchSchema, type: String)? {
        guard let message = schema.messageName(apiVersion: apiVersion, kind: kind) else { return nil }
        return (ProtoPatchSchema(schema: schema), message)
    }
}

/// Strategic merge patch metadata read from the protobuf schema and the merge-key table.
struct ProtoPatchSchema: PatchSchema {
    let schema: ProtoSchema

    func field(_ name: String, ofType type: String) -> PatchFieldInfo? {
        guard let info = schema.patchInfo(field: name, ofType: type) else { return nil }
        return PatchFieldInfo(childType: info.childType, isList: info.isList, strategies: info.strategies, mergeKey: info.mergeKey)
    }
}
