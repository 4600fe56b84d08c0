import APIMachinery
import Registry

/// Server-side printing: meta.k8s.io/v1 Table objects with the kind's columns.
enum TableRendering {
    enum IncludeObject: String { case none = "None", metadata = "Metadata", object = "Object" }

    /// True when the Accept header asks for a Table.
    static func wantsTable(_ accept: String?) -> Bool {
        guard let accept else { return false }
        for part in accept.split(separator: ",") {
            let params = part.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            if params.contains("as=Table") && (params.contains("g=meta.k8s.io") || !params.contains { $0.hasPrefix("g=") }) {
                return true
            }
        }
        return false
    }

    static func includeObject(_ query: Query) throws(StatusError) -> IncludeObject {
        guard let v = query["includeObject"], !v.isEmpty else { return .metadata }
        guard let mode = IncludeObject(rawValue: v) else {
            throw StatusError.badRequest("includeObject: Unsupported value: \"\(v)\": supported values: \"None\", \"Metadata\", \"Object\"")
        }
        return mode
    }

    static func columns(_ definition: ResourceDefinition) -> JSONValue {
        .array(definition.strategy.tableColumns.map { c in
            ["name": .string(c.name), "type": .string(c.type), "format": .string(c.format),
             "description": .string(c.description), "priority": .int(Int64(c.priority))]
        })
    }

    static func row(_ object: JSONValue, definition: ResourceDefinition, include: IncludeObject, now: Double) -> JSONValue {
        var row: [String: JSONValue] = ["cells": .array(definition.strategy.tableCells(object, now: now))]
        switch include {
        case .none: break
        case .object: row["object"] = object
        case .metadata:
            row["object"] = ["kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": object.metadata]
        }
        return .object(row)
    }

    static func table(_ objects: [JSONValue], definition: ResourceDefinition, metadata: JSONValue, include: IncludeObject,
                      now: Double, headers: Bool = true) -> JSONValue {
        [
            "kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": metadata,
            "columnDefinitions": headers ? columns(definition) : .array([]),
            "rows": .array(objects.map { row($0, definition: definition, include: include, now: now) }),
        ]
    }
}
