import APIMachinery
import Client
import Foundation
import Synchronization

/// Objects the node, endpoints and disruption controller tests create.
enum NodeFixtures {
    static func pod(_ name: String, namespace: String = "default", labels: [String: String] = ["app": "web"], node: String? = "n1",
                    ports: [JSONValue] = [["name": "http", "containerPort": 8080]], tolerations: [JSONValue]? = nil,
                    owner: JSONValue? = nil) -> JSONValue {
        var spec: [String: JSONValue] = ["containers": [["name": "app", "image": "nginx", "ports": .array(ports)]]]
        if let node { spec["nodeName"] = .string(node) }
        if let tolerations { spec["tolerations"] = .array(tolerations) }
        var object: JSONValue = ["apiVersion": "v1", "kind": "Pod", "metadata": ["name": .string(name), "namespace": .string(namespace)],
                                 "spec": .object(spec)]
        object.labels = labels
        if let owner { object[key: "metadata", "ownerReferences"] = [owner] }
        return object
    }

    /// Creates a pod and reports it Running with `ip`, Ready or not.
    @discardableResult
    static func runPod(_ client: any APIClient, _ pod: JSONValue, ip: String?, ready: Bool) async throws -> JSONValue {
        var created = try await client.create(.pods, namespace: pod.namespace, object: pod)
        return try await setStatus(client, &created, ip: ip, ready: ready)
    }

    static func setStatus(_ client: any APIClient, _ pod: inout JSONValue, ip: String?, ready: Bool) async throws -> JSONValue {
        let now = JSONValue.string(RFC3339.format(Date()))
        var status: [String: JSONValue] = [
            "phase": "Running",
            "conditions": [["type": "Ready", "status": ready ? "True" : "False", "lastTransitionTime": now],
                           ["type": "PodScheduled", "status": "True", "lastTransitionTime": now]],
        ]
        if let ip { status["podIP"] = .string(ip); status["podIPs"] = [["ip": .string(ip)]] }
        pod["status"] = .object(status)
        return try await client.updateStatus(.pods, namespace: pod.namespace, object: pod)
    }

    static func service(_ name: String, namespace: String = "default", selector: [String: String]? = ["app": "web"],
                        ports: [JSONValue] = [["name": "http", "port": 80, "targetPort": "http"]], headless: Bool = false) -> JSONValue {
        var spec: [String: JSONValue] = ["ports": .array(ports)]
        if let selector { spec["selector"] = .object(selector.mapValues { .string($0) }) }
        if headless { spec["clusterIP"] = "None" }
        return ["apiVersion": "v1", "kind": "Service", "metadata": ["name": .string(name), "namespace": .string(namespace)],
                "spec": .object(spec)]
    }
}

/// A client that answers 409 Conflict to the first `conflicts` updates of `resource` (as when another
/// writer got there first), then passes everything through.
final class ConflictingClient: APIClient, Sendable {
    let inner: any APIClient
    let resource: ResourceID
    let remaining: Mutex<Int>
    let refused = Mutex(0)

    init(_ inner: any APIClient, resource: ResourceID, conflicts: Int) {
        self.inner = inner
        self.resource = resource
        remaining = Mutex(conflicts)
    }

    func get(_ resource: ResourceID, namespace: String, name: String, subresource: String?) async throws(StatusError) -> JSONValue {
        try await inner.get(resource, namespace: namespace, name: name, subresource: subresource)
    }
    func list(_ resource: ResourceID, namespace: String?, query: ListQuery) async throws(StatusError) -> ObjectList {
        try await inner.list(resource, namespace: namespace, query: query)
    }
    func watch(_ resource: ResourceID, namespace: String?, query: WatchQuery) async throws(StatusError) -> EventStream {
        try await inner.watch(resource, namespace: namespace, query: query)
    }
    func create(_ resource: ResourceID, namespace: String, object: JSONValue, query: WriteQuery) async throws(StatusError) -> JSONValue {
        try await inner.create(resource, namespace: namespace, object: object, query: query)
    }
    func create(_ resource: ResourceID, namespace: String, name: String, subresource: String, object: JSONValue,
                query: WriteQuery) async throws(StatusError) -> JSONValue {
        try await inner.create(resource, namespace: namespace, name: name, subresource: subresource, object: object, query: query)
    }
    func update(_ resource: ResourceID, namespace: String, object: JSONValue, subresource: String?,
                query: WriteQuery) async throws(StatusError) -> JSONValue {
        if resource == self.resource, remaining.withLock({ count in
            guard count > 0 else { return false }
            count -= 1
            return true
        }) {
            refused.withLock { $0 += 1 }
            throw StatusError(code: 409, reason: "Conflict",
                              message: "Operation cannot be fulfilled on \(resource.resource) \"\(object.name)\": the object has been modified; please apply your changes to the latest version and try again")
        }
        return try await inner.update(resource, namespace: namespace, object: object, subresource: subresource, query: query)
    }
    func patch(_ resource: ResourceID, namespace: String, name: String, format: PatchFormat, body: JSONValue,
               subresource: String?, query: WriteQuery) async throws(StatusError) -> JSONValue {
        try await inner.patch(resource, namespace: namespace, name: name, format: format, body: body, subresource: subresource, query: query)
    }
    func delete(_ resource: ResourceID, namespace: String, name: String, options: DeleteQuery) async throws(StatusError) -> JSONValue {
        try await inner.delete(resource, namespace: namespace, name: name, options: options)
    }
    func deleteCollection(_ resource: ResourceID, namespace: String?, query: ListQuery,
                          options: DeleteQuery) async throws(StatusError) -> ObjectList {
        try await inner.deleteCollection(resource, namespace: namespace, query: query, options: options)
    }
}
