import APIMachinery

/// The OpenAPI dialect a schema is written in.
public enum OpenAPIVersion: Sendable, Hashable {
    /// Swagger 2.0 (`/openapi/v2`): references under `#/definitions/`, no `oneOf`.
    case v2
    /// OpenAPI 3.0 (`/openapi/v3/...`): references under `#/components/schemas/`, property references
    /// wrapped in `allOf` so that extensions beside them are kept.
    case v3

    /// The prefix of a reference to a named definition.
    public var referencePrefix: String {
        switch self {
        case .v2: "#/definitions/"
        case .v3: "#/components/schemas/"
        }
    }

    public func reference(_ name: String) -> JSONValue {
        ["$ref": .string(referencePrefix + name)]
    }
}

extension SchemaNode {
    /// This schema as an OpenAPI JSON document fragment (Kubernetes' layout: sorted properties,
    /// `x-kubernetes-*` extensions beside the type).
    public func openAPIJSON(_ version: OpenAPIVersion, isProperty: Bool = false) -> JSONValue {
        var out: [String: JSONValue] = [:]
        if let ref {
            if version == .v3, isProperty, !extensions.isEmpty {
                out["allOf"] = [version.reference(ref)]
            } else if extensions.isEmpty {
                return version.reference(ref)
            } else {
                out["$ref"] = .string(version.referencePrefix + ref)
            }
        }
        if !oneOfTypes.isEmpty {
            switch version {
            case .v2: out["type"] = "string"
            case .v3: out["oneOf"] = .array(oneOfTypes.map { ["type": .string($0.rawValue)] })
            }
            if isIntOrString { out["format"] = "int-or-string" }
        }
        if let type { out["type"] = .string(type.rawValue) }
        if let format { out["format"] = .string(format) }
        if !properties.isEmpty {
            var props: [String: JSONValue] = [:]
            for (name, node) in properties { props[name] = node.openAPIJSON(version, isProperty: true) }
            out["properties"] = .object(props)
        }
        if !required.isEmpty { out["required"] = .array(required.map(JSONValue.string)) }
        if let items { out["items"] = items.openAPIJSON(version) }
        if let additionalProperties { out["additionalProperties"] = additionalProperties.openAPIJSON(version) }
        if !enumValues.isEmpty { out["enum"] = .array(enumValues.map(JSONValue.string)) }
        extensions.write(into: &out)
        return .object(out)
    }
}

extension KubernetesExtensions {
    /// Writes the `x-kubernetes-*` members that are set.
    func write(into out: inout [String: JSONValue]) {
        if let listType { out["x-kubernetes-list-type"] = .string(listType) }
        if !listMapKeys.isEmpty { out["x-kubernetes-list-map-keys"] = .array(listMapKeys.map(JSONValue.string)) }
        if !patchStrategies.isEmpty { out["x-kubernetes-patch-strategy"] = .string(patchStrategies.joined(separator: ",")) }
        if let patchMergeKey { out["x-kubernetes-patch-merge-key"] = .string(patchMergeKey) }
        if let mapType { out["x-kubernetes-map-type"] = .string(mapType) }
        if intOrString { out["x-kubernetes-int-or-string"] = true }
        if preserveUnknownFields { out["x-kubernetes-preserve-unknown-fields"] = true }
        if embeddedResource { out["x-kubernetes-embedded-resource"] = true }
        if !groupVersionKinds.isEmpty {
            out["x-kubernetes-group-version-kind"] = .array(groupVersionKinds.map {
                ["group": .string($0.group), "version": .string($0.version), "kind": .string($0.kind)]
            })
        }
        if !unions.isEmpty {
            out["x-kubernetes-unions"] = .array(unions.map { union in
                var entry: [String: JSONValue] = [:]
                if !union.discriminator.isEmpty { entry["discriminator"] = .string(union.discriminator) }
                entry["fields-to-discriminateBy"] = .object(union.fieldsToDiscriminateBy.mapValues(JSONValue.string))
                return .object(entry)
            })
        }
    }
}
