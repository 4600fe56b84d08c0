import APIMachinery

/// How every component (controllers, scheduler, simulated nodes) talks to the API: in one process
/// through `LoopbackClient` (module ClientLoopback), across processes and machines through
/// `HTTPAPIClient` (module ClientHTTP), in tests through either. Objects are dynamic JSON; failures are
/// the Kubernetes Status the server returns (`StatusError`). A namespace is ignored for cluster-scoped
/// resources; nil or "" lists and watches every namespace.
public protocol APIClient: Sendable {
    /// GET an object, or its `status` or `scale` subresource.
    func get(_ resource: ResourceID, namespace: String, name: String, subresource: String?) async throws(StatusError) -> JSONValue

    func list(_ resource: ResourceID, namespace: String?, query: ListQuery) async throws(StatusError) -> ObjectList

    /// WATCH. A too-old resourceVersion throws 410 Expired or yields one ERROR event carrying it.
    func watch(_ resource: ResourceID, namespace: String?, query: WatchQuery) async throws(StatusError) -> EventStream

    func create(_ resource: ResourceID, namespace: String, object: JSONValue, query: WriteQuery) async throws(StatusError) -> JSONValue

    /// POST to a subresource of an object: pods' `binding` and `eviction`. Answers what the server
    /// answers (a Success Status for both).
    func create(_ resource: ResourceID, namespace: String, name: String, subresource: String, object: JSONValue,
                query: WriteQuery) async throws(StatusError) -> JSONValue

    /// PUT the object (its name from metadata.name), or its `status`, `scale` or `finalize` subresource.
    /// A metadata.resourceVersion in the object makes the write conditional (409 Conflict if stale).
    func update(_ resource: ResourceID, namespace: String, object: JSONValue, subresource: String?,
                query: WriteQuery) async throws(StatusError) -> JSONValue

    func patch(_ resource: ResourceID, namespace: String, name: String, format: PatchFormat, body: JSONValue,
               subresource: String?, query: WriteQuery) async throws(StatusError) -> JSONValue

    /// DELETE. Answers the object while it still exists (finalizers, graceful deletion) or when the kind
    /// returns deleted objects, else a Success Status.
    func delete(_ resource: ResourceID, namespace: String, name: String, options: DeleteQuery) async throws(StatusError) -> JSONValue

    /// DELETECOLLECTION: answers the objects deleted (or marked for deletion).
    func deleteCollection(_ resource: ResourceID, namespace: String?, query: ListQuery,
                          options: DeleteQuery) async throws(StatusError) -> ObjectList
}

// MARK: Conveniences

extension APIClient {
    public func get(_ resource: ResourceID, namespace: String = "", name: String) async throws(StatusError) -> JSONValue {
        try await get(resource, namespace: namespace, name: name, subresource: nil)
    }

    public func list(_ resource: ResourceID, namespace: String? = nil) async throws(StatusError) -> ObjectList {
        try await list(resource, namespace: namespace, query: ListQuery())
    }

    /// Every page of a LIST, `pageSize` objects per request.
    public func listAll(_ resource: ResourceID, namespace: String? = nil, query: ListQuery = ListQuery(),
                        pageSize: Int = 500) async throws(StatusError) -> ObjectList {
        var query = query
        query.limit = pageSize
        var all = try await list(resource, namespace: namespace, query: query)
        while let token = all.continueToken {
            query.continueToken = token
            query.resourceVersion = nil
            query.resourceVersionMatch = nil
            let page = try await list(resource, namespace: namespace, query: query)
            all.items += page.items
            all.continueToken = page.continueToken
        }
        return all
    }

    public func create(_ resource: ResourceID, namespace: String = "", object: JSONValue) async throws(StatusError) -> JSONValue {
        try await create(resource, namespace: namespace, object: object, query: WriteQuery())
    }

    public func update(_ resource: ResourceID, namespace: String = "", object: JSONValue) async throws(StatusError) -> JSONValue {
        try await update(resource, namespace: namespace, object: object, subresource: nil, query: WriteQuery())
    }

    public func updateStatus(_ resource: ResourceID, namespace: String = "", object: JSONValue) async throws(StatusError) -> JSONValue {
        try await update(resource, namespace: namespace, object: object, subresource: "status", query: WriteQuery())
    }

    public func patch(_ resource: ResourceID, namespace: String = "", name: String, format: PatchFormat,
                      body: JSONValue) async throws(StatusError) -> JSONValue {
        try await patch(resource, namespace: namespace, name: name, format: format, body: body, subresource: nil, query: WriteQuery())
    }

    /// Server-side apply of `object` (its name from metadata.name) as `fieldManager`.
    public func apply(_ resource: ResourceID, namespace: String = "", object: JSONValue, fieldManager: String,
                      force: Bool = false, subresource: String? = nil) async throws(StatusError) -> JSONValue {
        try await patch(resource, namespace: namespace, name: object.name, format: .apply, body: object, subresource: subresource,
                        query: WriteQuery(fieldManager: fieldManager, force: force))
    }

    public func delete(_ resource: ResourceID, namespace: String = "", name: String) async throws(StatusError) -> JSONValue {
        try await delete(resource, namespace: namespace, name: name, options: DeleteQuery())
    }

    /// Binds a pod to a node (POST pods/NAME/binding), as the scheduler does.
    public func bind(namespace: String, pod: String, node: String, uid: String? = nil) async throws(StatusError) {
        var metadata: [String: JSONValue] = ["name": .string(pod), "namespace": .string(namespace)]
        if let uid { metadata["uid"] = .string(uid) }
        let binding: JSONValue = ["apiVersion": "v1", "kind": "Binding", "metadata": .object(metadata),
                                  "target": ["apiVersion": "v1", "kind": "Node", "name": .string(node)]]
        _ = try await create(.pods, namespace: namespace, name: pod, subresource: "binding", object: binding, query: WriteQuery())
    }

    /// Evicts a pod (POST pods/NAME/eviction), as `kubectl drain` does.
    public func evict(namespace: String, pod: String, options: DeleteQuery = DeleteQuery()) async throws(StatusError) {
        let eviction: JSONValue = ["apiVersion": "policy/v1", "kind": "Eviction",
                                   "metadata": ["name": .string(pod), "namespace": .string(namespace)],
                                   "deleteOptions": options.body]
        _ = try await create(.pods, namespace: namespace, name: pod, subresource: "eviction", object: eviction, query: WriteQuery())
    }
}
