import APIMachinery
import Registry

/// The OpenAPI v3 documents kubectl reads before apply, create -f, replace and edit: an index and one
/// document per group-version whose PATCH operations declare the `fieldValidation` parameter.
struct OpenAPIDocuments {
    let index: JSONValue
    let documents: [String: JSONValue]

    init(discovery: Discovery) {
        var documents: [String: JSONValue] = [:]
        var paths: [String: JSONValue] = [:]
        for entry in discovery.groupVersions {
            for version in entry.versions {
                let key = entry.group.isEmpty ? "api/\(version)" : "apis/\(entry.group)/\(version)"
                let doc = Self.document(discovery.resources(group: entry.group, version: version))
                documents[key] = doc
                paths[key] = ["serverRelativeURL": .string("/openapi/v3/\(key)?hash=\(Self.hash(doc.serialized()))")]
            }
        }
        self.documents = documents
        self.index = ["paths": .object(paths)]
    }

    static func hash(_ bytes: [UInt8]) -> String {
        var h: UInt64 = 0xcbf29ce484222325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x100000001b3 }
        let hex = String(h, radix: 16, uppercase: true)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    static func schemaName(_ d: ResourceDefinition) -> String {
        let group = d.group.isEmpty ? "core" : (d.group.split(separator: ".").first.map(String.init) ?? d.group)
        return "io.k8s.api.\(group).\(d.version).\(d.kind)"
    }

    static func document(_ definitions: [ResourceDefinition]) -> JSONValue {
        var paths: [String: JSONValue] = [:]
        var schemas: [String: JSONValue] = [:]
        for d in definitions {
            let gvk: JSONValue = ["group": .string(d.group), "version": .string(d.version), "kind": .string(d.kind)]
            let base = d.group.isEmpty ? "/api/\(d.version)" : "/apis/\(d.group)/\(d.version)"
            let collection = d.namespaced ? "\(base)/namespaces/{namespace}/\(d.resource)" : "\(base)/\(d.resource)"
            let ref: JSONValue = ["$ref": .string("#/components/schemas/\(schemaName(d))")]
            func operation(_ id: String, _ action: String, params: [String]) -> JSONValue {
                ["operationId": .string(id), "x-kubernetes-action": .string(action), "x-kubernetes-group-version-kind": gvk,
                 "parameters": .array(params.map { ["name": .string($0), "in": "query", "schema": ["type": "string"]] }),
                 "responses": ["200": ["description": "OK", "content": ["application/json": ["schema": ref]]]]]
            }
            let writeParams = ["dryRun", "fieldManager", "fieldValidation"]
            paths[collection] = ["get": operation("list\(d.kind)", "list", params: ["labelSelector", "fieldSelector", "limit", "continue", "watch"]),
                                 "post": operation("create\(d.kind)", "post", params: writeParams)]
            paths["\(collection)/{name}"] = ["get": operation("read\(d.kind)", "get", params: []),
                                            "put": operation("replace\(d.kind)", "put", params: writeParams),
                                            "patch": operation("patch\(d.kind)", "patch", params: writeParams + ["force"]),
                                            "delete": operation("delete\(d.kind)", "delete", params: ["dryRun", "gracePeriodSeconds", "propagationPolicy"])]
            schemas[schemaName(d)] = [
                "type": "object",
                "x-kubernetes-group-version-kind": [gvk],
                "properties": ["apiVersion": ["type": "string"], "kind": ["type": "string"], "metadata": ["type": "object"]],
            ]
        }
        return ["openapi": "3.0.0", "info": ["title": "Kubernetes", "version": "v1.32.0"],
                "paths": .object(paths), "components": ["schemas": .object(schemas)]]
    }
}
