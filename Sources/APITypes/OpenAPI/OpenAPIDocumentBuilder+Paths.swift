import APIMachinery

/// One operation of a path, before it is written in either OpenAPI dialect.
struct OpenAPIOperation {
    var method: String
    var id: String
    var action: String
    var query: [String]
    /// The request body's definition (nil: no body).
    var body: String?
    var bodyRequired = true
    var bodyContentTypes = ["*/*"]
    /// Status code → response definition.
    var responses: [(code: String, schema: String)]
}

extension OpenAPIDocumentBuilder {
    static let listQuery = ["allowWatchBookmarks", "continue", "fieldSelector", "labelSelector", "limit",
                            "resourceVersion", "resourceVersionMatch", "sendInitialEvents", "timeoutSeconds", "watch"]
    static let writeQuery = ["dryRun", "fieldManager", "fieldValidation"]
    static let deleteQuery = ["dryRun", "gracePeriodSeconds", "orphanDependents", "propagationPolicy"]
    static let queryTypes: [String: String] = [
        "allowWatchBookmarks": "boolean", "force": "boolean", "orphanDependents": "boolean", "sendInitialEvents": "boolean",
        "watch": "boolean", "gracePeriodSeconds": "integer", "limit": "integer", "timeoutSeconds": "integer",
    ]

    /// The path items of one resource: collection, object, all-namespaces list and subresources.
    func pathItems(_ r: OpenAPIResource, names: (kind: String, list: String, builtIn: Bool),
                   _ version: OpenAPIVersion) -> [(String, JSONValue)] {
        let verbs = Set(r.verbs)
        let gv = r.operationGroupVersion
        let scope = r.namespaced ? "Namespaced" : ""
        let base = "/" + r.groupVersionPath
        let collection = r.namespaced ? "\(base)/namespaces/{namespace}/\(r.resource)" : "\(base)/\(r.resource)"
        let patchTypes = names.builtIn ? Self.patchContentTypes
                                       : Self.patchContentTypes.filter { $0 != "application/strategic-merge-patch+json" }
        let deleted = r.returnsDeletedObject ? names.kind : Self.status
        var out: [(String, JSONValue)] = []

        var collectionOps: [OpenAPIOperation] = []
        if verbs.contains("list") {
            collectionOps.append(OpenAPIOperation(method: "get", id: "list\(gv)\(scope)\(r.kind)", action: "list",
                                                  query: Self.listQuery, responses: [("200", names.list)]))
        }
        if verbs.contains("create") {
            collectionOps.append(OpenAPIOperation(method: "post", id: "create\(gv)\(scope)\(r.kind)", action: "post",
                                                  query: Self.writeQuery, body: names.kind,
                                                  responses: [("200", names.kind), ("201", names.kind), ("202", names.kind)]))
        }
        if verbs.contains("deletecollection") {
            collectionOps.append(OpenAPIOperation(method: "delete", id: "delete\(gv)Collection\(scope)\(r.kind)",
                                                  action: "deletecollection", query: (Self.listQuery + Self.deleteQuery).uniqueSorted,
                                                  body: Self.deleteOptions, bodyRequired: false, responses: [("200", Self.status)]))
        }
        if !collectionOps.isEmpty {
            out.append((collection, pathItem(collectionOps, pathParameters: r.namespaced ? ["namespace"] : [], r, version)))
        }

        var objectOps: [OpenAPIOperation] = []
        if verbs.contains("get") {
            objectOps.append(OpenAPIOperation(method: "get", id: "read\(gv)\(scope)\(r.kind)", action: "get", query: [],
                                              responses: [("200", names.kind)]))
        }
        if verbs.contains("update") {
            objectOps.append(OpenAPIOperation(method: "put", id: "replace\(gv)\(scope)\(r.kind)", action: "put",
                                              query: Self.writeQuery, body: names.kind,
                                              responses: [("200", names.kind), ("201", names.kind)]))
        }
        if verbs.contains("patch") {
            objectOps.append(OpenAPIOperation(method: "patch", id: "patch\(gv)\(scope)\(r.kind)", action: "patch",
                                              query: Self.writeQuery + ["force"], body: Self.patch, bodyContentTypes: patchTypes,
                                              responses: [("200", names.kind), ("201", names.kind)]))
        }
        if verbs.contains("delete") {
            objectOps.append(OpenAPIOperation(method: "delete", id: "delete\(gv)\(scope)\(r.kind)", action: "delete",
                                              query: Self.deleteQuery, body: Self.deleteOptions, bodyRequired: false,
                                              responses: [("200", deleted), ("202", deleted)]))
        }
        let objectParameters = r.namespaced ? ["name", "namespace"] : ["name"]
        if !objectOps.isEmpty {
            out.append(("\(collection)/{name}", pathItem(objectOps, pathParameters: objectParameters, r, version)))
        }

        if r.namespaced, verbs.contains("list") {
            let op = OpenAPIOperation(method: "get", id: "list\(gv)\(r.kind)ForAllNamespaces", action: "list",
                                      query: [], responses: [("200", names.list)])
            out.append(("\(base)/\(r.resource)", pathItem([op], pathParameters: [], r, version, pathQuery: Self.listQuery)))
        }

        for sub in r.subresources.sorted() {
            let subKind = sub == "scale" ? "io.k8s.api.autoscaling.v1.Scale" : names.kind
            let suffix = sub.capitalizedFirst
            var ops: [OpenAPIOperation] = []
            if sub != "finalize" {
                ops.append(OpenAPIOperation(method: "get", id: "read\(gv)\(scope)\(r.kind)\(suffix)", action: "get", query: [],
                                            responses: [("200", subKind)]))
                ops.append(OpenAPIOperation(method: "patch", id: "patch\(gv)\(scope)\(r.kind)\(suffix)", action: "patch",
                                            query: Self.writeQuery + ["force"], body: Self.patch, bodyContentTypes: patchTypes,
                                            responses: [("200", subKind), ("201", subKind)]))
            }
            ops.append(OpenAPIOperation(method: "put", id: "replace\(gv)\(scope)\(r.kind)\(suffix)", action: "put",
                                        query: Self.writeQuery, body: subKind, responses: [("200", subKind), ("201", subKind)]))
            let scale = GroupVersionKind(group: "autoscaling", version: "v1", kind: "Scale")
            let item = pathItem(ops, pathParameters: objectParameters, r, version, gvk: sub == "scale" ? scale : nil)
            out.append(("\(collection)/{name}/\(sub)", item))
        }
        return out
    }

    /// `GET /api/v1/`: the group-version's APIResourceList.
    func resourceListPathItem(_ r: OpenAPIResource, _ version: OpenAPIVersion) -> JSONValue {
        var op: [String: JSONValue] = ["operationId": .string("get\(r.operationGroupVersion)APIResources"), "tags": [.string(r.tag)]]
        switch version {
        case .v2:
            op["consumes"] = ["application/json", "application/yaml", "application/vnd.kubernetes.protobuf"]
            op["produces"] = ["application/json", "application/yaml", "application/vnd.kubernetes.protobuf"]
            op["schemes"] = ["https"]
            op["responses"] = ["200": ["description": "OK", "schema": version.reference(Self.apiResourceList)],
                               "401": ["description": "Unauthorized"]]
        case .v3:
            var content: [String: JSONValue] = [:]
            for type in Self.responseContentTypes { content[type] = ["schema": version.reference(Self.apiResourceList)] }
            op["responses"] = ["200": ["description": "OK", "content": .object(content)], "401": ["description": "Unauthorized"]]
        }
        return ["get": .object(op)]
    }

    private func pathItem(_ operations: [OpenAPIOperation], pathParameters: [String], _ r: OpenAPIResource,
                          _ version: OpenAPIVersion, pathQuery: [String] = [], gvk: GroupVersionKind? = nil) -> JSONValue {
        let gvk = gvk ?? r.gvk
        var item: [String: JSONValue] = [:]
        for op in operations { item[op.method] = operation(op, r, gvk, version) }
        var parameters = pathParameters.map { parameter($0, in: "path", version) }
        parameters += (pathQuery + ["pretty"]).map { parameter($0, in: "query", version) }
        item["parameters"] = .array(parameters)
        return .object(item)
    }

    private func operation(_ op: OpenAPIOperation, _ r: OpenAPIResource, _ gvk: GroupVersionKind,
                           _ version: OpenAPIVersion) -> JSONValue {
        var out: [String: JSONValue] = [
            "operationId": .string(op.id),
            "tags": [.string(r.tag)],
            "x-kubernetes-action": .string(op.action),
            "x-kubernetes-group-version-kind": ["group": .string(gvk.group), "version": .string(gvk.version), "kind": .string(gvk.kind)],
        ]
        var parameters = op.query.map { parameter($0, in: "query", version) }
        var responses: [String: JSONValue] = ["401": ["description": "Unauthorized"]]
        let descriptions = ["200": "OK", "201": "Created", "202": "Accepted"]
        switch version {
        case .v2:
            if let body = op.body {
                let bodyParameter: JSONValue = ["name": "body", "in": "body", "required": .bool(op.bodyRequired),
                                                "schema": version.reference(body)]
                parameters.insert(bodyParameter, at: 0)
            }
            out["consumes"] = .array(op.bodyContentTypes.map(JSONValue.string))
            out["produces"] = .array(Self.responseContentTypes.map(JSONValue.string))
            out["schemes"] = ["https"]
            for (code, schema) in op.responses {
                responses[code] = ["description": .string(descriptions[code] ?? "OK"), "schema": version.reference(schema)]
            }
        case .v3:
            if let body = op.body {
                var content: [String: JSONValue] = [:]
                for type in op.bodyContentTypes { content[type] = ["schema": version.reference(body)] }
                var requestBody: [String: JSONValue] = ["content": .object(content)]
                if op.bodyRequired { requestBody["required"] = true }
                out["requestBody"] = .object(requestBody)
            }
            for (code, schema) in op.responses {
                var content: [String: JSONValue] = [:]
                for type in Self.responseContentTypes { content[type] = ["schema": version.reference(schema)] }
                responses[code] = ["description": .string(descriptions[code] ?? "OK"), "content": .object(content)]
            }
        }
        if !parameters.isEmpty { out["parameters"] = .array(parameters) }
        out["responses"] = .object(responses)
        return .object(out)
    }

    private func parameter(_ name: String, in location: String, _ version: OpenAPIVersion) -> JSONValue {
        let type = location == "path" ? "string" : Self.queryTypes[name] ?? "string"
        var out: [String: JSONValue] = ["name": .string(name), "in": .string(location), "uniqueItems": true]
        if location == "path" { out["required"] = true }
        switch version {
        case .v2: out["type"] = .string(type)
        case .v3:
            out["uniqueItems"] = nil
            out["schema"] = ["type": .string(type), "uniqueItems": true]
        }
        return .object(out)
    }
}

extension Array where Element == String {
    var uniqueSorted: [String] { Array(Set(self)).sorted() }
}
