import APIMachinery
import Client
import Registry

/// The API served in-process: every call goes straight to the `Registry`'s generic stores, with the
/// same defaulting, validation, optimistic concurrency and watch semantics as over HTTP, without
/// encoding a request. For the components that run inside `swiftlet server`, and for tests.
public struct LoopbackClient: APIClient {
    public let registry: Registry

    public init(registry: Registry) {
        self.registry = registry
    }

    func store(_ resource: ResourceID, verb: String?) throws(StatusError) -> GenericStore {
        guard let store = registry.store(group: resource.group, version: resource.version, resource: resource.resource) else {
            throw StatusError.notFoundPath()
        }
        if let verb, !store.definition.verbs.contains(verb) { throw StatusError.methodNotAllowed() }
        return store
    }

    func scope(_ store: GenericStore, _ namespace: String) -> String {
        store.definition.namespaced ? namespace : ""
    }

    func listScope(_ store: GenericStore, _ namespace: String?) -> String? {
        guard store.definition.namespaced, let namespace, !namespace.isEmpty else { return nil }
        return namespace
    }

    // MARK: Option conversion

    static func listOptions(_ query: ListQuery) throws(StatusError) -> StoreListOptions {
        var options = StoreListOptions()
        if let s = query.labelSelector, !s.isEmpty { options.labelSelector = try LabelSelector.parse(s) }
        if let s = query.fieldSelector, !s.isEmpty { options.fieldSelector = try FieldSelector.parse(s) }
        options.limit = query.limit
        options.continueToken = query.continueToken
        options.resourceVersion = query.resourceVersion
        options.resourceVersionMatch = query.resourceVersionMatch
        return options
    }

    static func watchOptions(_ query: WatchQuery) throws(StatusError) -> StoreListOptions {
        var options = StoreListOptions()
        if let s = query.labelSelector, !s.isEmpty { options.labelSelector = try LabelSelector.parse(s) }
        if let s = query.fieldSelector, !s.isEmpty { options.fieldSelector = try FieldSelector.parse(s) }
        options.resourceVersion = query.resourceVersion
        options.allowWatchBookmarks = query.allowWatchBookmarks
        options.timeoutSeconds = query.timeoutSeconds
        options.sendInitialEvents = query.sendInitialEvents
        return options
    }

    static func writeOptions(_ query: WriteQuery) throws(StatusError) -> StoreWriteOptions {
        var options = StoreWriteOptions()
        options.dryRun = query.dryRun
        options.fieldManager = query.fieldManager
        if let v = query.fieldValidation {
            guard let validation = StoreWriteOptions.FieldValidation(rawValue: v) else {
                throw StatusError.badRequest("fieldValidation: Invalid value: \"\(v)\": must be one of Ignore, Warn or Strict")
            }
            options.fieldValidation = validation
        }
        options.force = query.force ?? false
        return options
    }

    static func deleteOptions(_ query: DeleteQuery) -> StoreDeleteOptions {
        var options = StoreDeleteOptions()
        options.dryRun = query.dryRun
        options.gracePeriodSeconds = query.gracePeriodSeconds
        options.propagationPolicy = query.propagationPolicy?.rawValue
        options.preconditionUID = query.preconditionUID
        options.preconditionResourceVersion = query.preconditionResourceVersion
        return options
    }

    static func patchType(_ format: PatchFormat) -> StorePatchType {
        switch format {
        case .json: .json
        case .merge: .merge
        case .strategic: .strategic
        case .apply: .apply
        }
    }

    static func target(_ subresource: String?) throws(StatusError) -> GenericStore.Target {
        switch subresource {
        case nil, "": return .main
        case "status": return .status
        case "finalize": return .finalize
        default: throw StatusError.methodNotAllowed()
        }
    }

    // MARK: APIClient

    public func get(_ resource: ResourceID, namespace: String, name: String, subresource: String?) async throws(StatusError) -> JSONValue {
        let store = try store(resource, verb: subresource == nil ? "get" : nil)
        switch subresource {
        case nil, "", "status": return try await store.get(namespace: scope(store, namespace), name: name)
        case "scale": return try await store.getScale(namespace: scope(store, namespace), name: name)
        default: throw StatusError.methodNotAllowed()
        }
    }

    public func list(_ resource: ResourceID, namespace: String?, query: ListQuery) async throws(StatusError) -> ObjectList {
        let store = try store(resource, verb: "list")
        let result = try await store.list(namespace: listScope(store, namespace), options: try Self.listOptions(query))
        return ObjectList(items: result.items, resourceVersion: String(result.resourceVersion), continueToken: result.continueToken)
    }

    public func watch(_ resource: ResourceID, namespace: String?, query: WatchQuery) async throws(StatusError) -> EventStream {
        let store = try store(resource, verb: "watch")
        let watch: StoreWatchStream = try await store.watch(namespace: listScope(store, namespace), options: try Self.watchOptions(query))
        // Bounded as the server's own watch buffer: a watcher that falls this far behind is closed and
        // watches again from its last resourceVersion.
        let (events, continuation) = AsyncStream<ResourceEvent>.makeStream(bufferingPolicy: .bufferingOldest(GenericStore.watchBufferLimit))
        let pump = Task {
            for await event in watch.events {
                let type = ResourceEvent.EventType(rawValue: event.type.rawValue) ?? .error
                if case .enqueued = continuation.yield(ResourceEvent(type: type, object: event.object)) { continue }
                break  // dropped (too far behind) or terminated (stopped)
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in
            pump.cancel()
            watch.stop()
        }
        return EventStream(events: events, stop: { continuation.finish() })
    }

    public func create(_ resource: ResourceID, namespace: String, object: JSONValue, query: WriteQuery) async throws(StatusError) -> JSONValue {
        if resource.group.isEmpty, resource.resource == "bindings" {
            // POST namespaces/NS/bindings binds the pod the Binding names.
            let name = object["metadata"]?["name"]?.stringValue ?? ""
            if name.isEmpty {
                throw StatusError.invalid(kind: "Binding", group: "", name: name, errors: [.required("metadata.name", "name or generateName is required")])
            }
            return try await create(.pods, namespace: namespace, name: name, subresource: "binding", object: object, query: query)
        }
        let store = try store(resource, verb: "create")
        return try await store.create(namespace: scope(store, namespace), object: object, options: try Self.writeOptions(query)).object
    }

    public func create(_ resource: ResourceID, namespace: String, name: String, subresource: String, object: JSONValue,
                       query: WriteQuery) async throws(StatusError) -> JSONValue {
        let store = try store(resource, verb: nil)
        switch subresource {
        case "binding":
            return try await store.bind(namespace: scope(store, namespace), name: name, binding: object, options: try Self.writeOptions(query))
        case "eviction":
            let options = Self.deleteOptions(DeleteQuery(json: object["deleteOptions"]))
            return try await registry.evictPod(namespace: scope(store, namespace), name: name, eviction: object, options: options)
        default:
            throw StatusError.methodNotAllowed()
        }
    }

    public func update(_ resource: ResourceID, namespace: String, object: JSONValue, subresource: String?,
                       query: WriteQuery) async throws(StatusError) -> JSONValue {
        let store = try store(resource, verb: subresource == nil ? "update" : nil)
        let name = object.name
        if name.isEmpty {
            throw StatusError.badRequest("name is required in the object's metadata")
        }
        let options = try Self.writeOptions(query)
        if subresource == "scale" {
            return try await store.updateScale(namespace: scope(store, namespace), name: name, scale: object, options: options)
        }
        return try await store.update(namespace: scope(store, namespace), name: name, object: object,
                                      target: try Self.target(subresource), options: options).object
    }

    public func patch(_ resource: ResourceID, namespace: String, name: String, format: PatchFormat, body: JSONValue,
                      subresource: String?, query: WriteQuery) async throws(StatusError) -> JSONValue {
        let store = try store(resource, verb: subresource == nil ? "patch" : nil)
        let options = try Self.writeOptions(query)
        if subresource == "scale" {
            return try await store.patchScale(namespace: scope(store, namespace), name: name, type: Self.patchType(format), body: body, options: options)
        }
        let target = try Self.target(subresource)
        if target == .finalize { throw StatusError.methodNotAllowed() }
        return try await store.patch(namespace: scope(store, namespace), name: name, type: Self.patchType(format), body: body,
                                     target: target, options: options).object
    }

    public func delete(_ resource: ResourceID, namespace: String, name: String, options: DeleteQuery) async throws(StatusError) -> JSONValue {
        let store = try store(resource, verb: "delete")
        switch try await store.delete(namespace: scope(store, namespace), name: name, options: Self.deleteOptions(options)) {
        case .pending(let object):
            return object
        case .deleted(let object):
            if store.definition.strategy.returnsDeletedObject { return object }
            return ["kind": "Status", "apiVersion": "v1", "metadata": .object([:]), "status": "Success",
                    "details": ["name": .string(name), "group": .string(resource.group), "kind": .string(resource.resource),
                                "uid": .string(object.uid)]]
        }
    }

    public func deleteCollection(_ resource: ResourceID, namespace: String?, query: ListQuery,
                                 options: DeleteQuery) async throws(StatusError) -> ObjectList {
        let store = try store(resource, verb: "deletecollection")
        let result = try await store.deleteCollection(namespace: listScope(store, namespace), listOptions: try Self.listOptions(query),
                                                      options: Self.deleteOptions(options))
        return ObjectList(items: result.items, resourceVersion: String(result.resourceVersion), continueToken: result.continueToken)
    }
}
