import APIMachinery
import Foundation
import Hummingbird
import NIOCore
import Registry
import Storage
import ServiceLifecycle

/// One request to a resource path: GET, LIST, WATCH, POST, PUT, PATCH, DELETE, DELETECOLLECTION.
struct ResourceHandler {
    let responder: APIResponder
    let request: Request
    let path: ResourcePath
    let query: Query

    init(responder: APIResponder, request: Request, path: ResourcePath) {
        self.responder = responder
        self.request = request
        self.path = path
        self.query = Query(request.uri.query)
    }

    var store: GenericStore { path.store }
    var definition: ResourceDefinition { path.definition }
    var now: Double { responder.registry.clock() }
    var namespace: String { path.namespace ?? "" }

    /// The Kubernetes verb of this request, checked against the resource's verbs.
    func verb() throws(StatusError) -> String {
        let isObject = path.name != nil
        switch request.method {
        case .get, .head:
            if isObject { return "get" }
            return try query.bool("watch") == true ? "watch" : "list"
        case .post: return "create"
        case .put: return "update"
        case .patch: return "patch"
        case .delete: return isObject ? "delete" : "deletecollection"
        default: throw StatusError.methodNotAllowed()
        }
    }

    func handle() async throws(StatusError) -> Response {
        let isObject = path.name != nil
        let verb = try verb()
        if path.subresource == nil, !definition.verbs.contains(verb) { throw StatusError.methodNotAllowed() }
        if let sub = path.subresource, ["scale", "binding", "eviction", "ephemeralcontainers"].contains(sub) { return try await subresource(sub) }
        if let sub = path.subresource, definition.group.isEmpty, definition.resource == "pods", let kind = PodStreamKind(rawValue: sub) {
            return try await podStream(kind)
        }
        if definition.answerer != nil {
            guard request.method == .post, path.name == nil, path.subresource == nil else { throw StatusError.methodNotAllowed() }
            return try await createAnswered()
        }
        switch request.method {
        case .get, .head:
            if isObject {
                guard path.subresource == nil || path.subresource == "status" else { throw StatusError.methodNotAllowed() }
                return try await get()
            }
            return verb == "watch" ? try await watch() : try await list()
        case .post:
            guard !isObject else { throw StatusError.methodNotAllowed() }
            return try await create()
        case .put:
            guard isObject else { throw StatusError.methodNotAllowed() }
            return try await update()
        case .patch:
            guard isObject, path.subresource != "finalize" else { throw StatusError.methodNotAllowed() }
            return try await patch()
        case .delete:
            guard path.subresource == nil else { throw StatusError.methodNotAllowed() }
            return isObject ? try await delete() : try await deleteCollection()
        default:
            throw StatusError.methodNotAllowed()
        }
    }

    // MARK: Body

    func body() async throws(StatusError) -> [UInt8] {
        do {
            let buffer = try await request.body.collect(upTo: BodyDecoding.maximumBodyBytes)
            return Array(buffer.readableBytesView)
        } catch is NIOTooManyBytesError {
            throw StatusError.tooLarge("Request entity too large: limit is \(BodyDecoding.maximumBodyBytes)")
        } catch {
            throw StatusError.badRequest("error reading the request body: \(error)")
        }
    }

    var contentType: String? { request.headers[.contentType] }

    func target() -> GenericStore.Target {
        switch path.subresource {
        case "status": return .status
        case "finalize": return .finalize
        default: return .main
        }
    }

    // MARK: Reads

    func get() async throws(StatusError) -> Response {
        let object = try await store.get(namespace: namespace, name: path.name ?? "")
        if TableRendering.wantsTable(request.headers[.accept]) {
            let include = try TableRendering.includeObject(query)
            let table = TableRendering.table([object], definition: definition,
                                             metadata: ["resourceVersion": .string(object.resourceVersion)], include: include, now: now)
            return ResponseEncoding.json(table)
        }
        return ResponseEncoding.json(object)
    }

    func list() async throws(StatusError) -> Response {
        let options = try query.listOptions()
        guard TableRendering.wantsTable(request.headers[.accept]) else {
            return ResponseEncoding.list(try await store.listJSON(namespace: path.namespace, options: options), definition: definition)
        }
        let include = try TableRendering.includeObject(query)
        let result = try await store.list(namespace: path.namespace, options: options)
        let metadata = ResponseEncoding.listMetadata(resourceVersion: result.resourceVersion, continueToken: result.continueToken)
        let table = TableRendering.table(result.items, definition: definition, metadata: metadata, include: include, now: now)
        return ResponseEncoding.json(table)
    }

    func watch() async throws(StatusError) -> Response {
        let options = try query.listOptions()
        let watch = try await store.watch(namespace: path.namespace, options: options)
        let asTable = TableRendering.wantsTable(request.headers[.accept])
        let include = try TableRendering.includeObject(query)
        let definition = self.definition
        let clock = responder.registry.clock
        let body = ResponseBody { writer in
            defer { watch.stop() }
            // A watch ends when the server shuts down, so that shutdown does not wait for it.
            try await withGracefulShutdownHandler {
                try await Self.stream(watch.events, to: &writer, asTable: asTable, include: include, definition: definition, clock: clock)
            } onGracefulShutdown: {
                watch.stop()
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-cache, private"], body: body)
    }

    static func stream(_ events: AsyncStream<APIWatchEvent>, to writer: inout any ResponseBodyWriter, asTable: Bool,
                       include: TableRendering.IncludeObject, definition: ResourceDefinition,
                       clock: @Sendable () -> Double) async throws {
            var first = true
            for await event in events {
                var object = event.object
                if asTable, event.type != .error, event.type != .bookmark {
                    object = TableRendering.table([object], definition: definition,
                                                  metadata: ["resourceVersion": .string(object.resourceVersion)],
                                                  include: include, now: clock(), headers: first)
                    first = false
                }
                var line: [UInt8] = []
                line.reserveCapacity(512)
                line.append(contentsOf: "{\"object\":".utf8)
                if !asTable, let memo = event.memo {
                    // Serialized once for every JSON watcher of this kind and version.
                    line.append(contentsOf: memo.value(definition.groupVersion + "/" + definition.kind + "#json") { object.serialized() })
                } else {
                    object.write(into: &line)
                }
                line.append(contentsOf: ",\"type\":\"".utf8)
                line.append(contentsOf: event.type.rawValue.utf8)
                line.append(contentsOf: "\"}\n".utf8)
                var buffer = ByteBufferAllocator().buffer(capacity: line.count)
                buffer.writeBytes(line)
                try await writer.write(buffer)
                if Task.isCancelled { return }
            }
    }

    // MARK: Writes

    /// The write options of the request, the field manager defaulting to the User-Agent's product
    /// name (`kubectl/v1.32.0 (linux/amd64) …` → `kubectl`), as Kubernetes does.
    func managedWriteOptions(optionsKind: String = "PatchOptions", fromUserAgent: Bool = true) throws(StatusError) -> WriteOptions {
        var options = try query.writeOptions()
        if let manager = options.fieldManager, !manager.isEmpty {
            if manager.utf8.count > 128 {
                throw StatusError.invalid(kind: optionsKind + ".meta.k8s.io", group: "meta.k8s.io", name: "",
                                          errors: [.tooLong("fieldManager", maximum: 128)])
            }
            return options
        }
        guard fromUserAgent else { return options }
        let agent = request.headers[.userAgent] ?? ""
        let product = agent.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        options.fieldManager = product.isEmpty ? nil : String(product.prefix(128))
        return options
    }

    func create() async throws(StatusError) -> Response {
        let options = try managedWriteOptions(optionsKind: "CreateOptions")
        let object = try BodyDecoding.object(try await body(), contentType: contentType, strict: options.fieldValidation == .strict)
        let result = try await store.create(namespace: namespace, object: object, options: options)
        return ResponseEncoding.json(result.object, status: .created, headers: ResponseEncoding.warningHeaders(result.warnings))
    }

    func update() async throws(StatusError) -> Response {
        let options = try managedWriteOptions(optionsKind: "UpdateOptions")
        let object = try BodyDecoding.object(try await body(), contentType: contentType, strict: options.fieldValidation == .strict)
        let result = try await store.update(namespace: namespace, name: path.name ?? "", object: object, target: target(), options: options)
        return ResponseEncoding.json(result.object, status: result.created ? .created : .ok,
                                     headers: ResponseEncoding.warningHeaders(result.warnings))
    }

    func patch() async throws(StatusError) -> Response {
        let (type, patch) = try BodyDecoding.patch(try await body(), contentType: contentType)
        let force = try query.bool("force")
        var options: WriteOptions
        if type == .apply {
            options = try managedWriteOptions(fromUserAgent: false)
            if (options.fieldManager ?? "").isEmpty {
                throw StatusError.invalid(kind: "PatchOptions", group: "meta.k8s.io", name: "",
                                          errors: [.required("fieldManager", "is required for apply patch")])
            }
            options.force = force ?? false
        } else {
            if force != nil {
                throw StatusError.invalid(kind: "PatchOptions", group: "meta.k8s.io", name: "",
                                          errors: [.forbidden("force", "may not be specified for non-apply patch")])
            }
            options = try managedWriteOptions()
        }
        let result = try await store.patch(namespace: namespace, name: path.name ?? "", type: type, body: patch,
                                           target: target(), options: options)
        return ResponseEncoding.json(result.object, status: result.created ? .created : .ok,
                                     headers: ResponseEncoding.warningHeaders(result.warnings))
    }

    func deleteOptions() async throws(StatusError) -> DeleteOptions {
        let bytes = try await body()
        let isBlank = bytes.allSatisfy { $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }
        let body = isBlank ? nil : try BodyDecoding.object(bytes, contentType: contentType)
        return try DeleteOptions(query: query, body: body)
    }

    func delete() async throws(StatusError) -> Response {
        let options = try await deleteOptions()
        let name = path.name ?? ""
        let warnings = ResponseEncoding.warningHeaders(store.deleteWarnings(options))
        switch try await store.delete(namespace: namespace, name: name, options: options) {
        case .pending(let object):
            return ResponseEncoding.json(object, headers: warnings)
        case .deleted(let object):
            if definition.strategy.returnsDeletedObject { return ResponseEncoding.json(object, headers: warnings) }
            let status: JSONValue = [
                "kind": "Status", "apiVersion": "v1", "metadata": .object([:]), "status": "Success",
                "details": ["name": .string(name), "group": .string(definition.group), "kind": .string(definition.resource),
                            "uid": .string(object.uid)],
            ]
            return ResponseEncoding.json(status, headers: warnings)
        }
    }

    func deleteCollection() async throws(StatusError) -> Response {
        let options = try await deleteOptions()
        let listOptions = try query.listOptions()
        let result = try await store.deleteCollection(namespace: path.namespace, listOptions: listOptions, options: options)
        return ResponseEncoding.list(result, definition: definition)
    }
}

// MARK: Subresources other than status

extension ResourceHandler {
    /// scale (GET/PUT/PATCH), binding and eviction (POST).
    func subresource(_ sub: String) async throws(StatusError) -> Response {
        let name = path.name ?? ""
        guard !name.isEmpty else { throw StatusError.methodNotAllowed() }
        switch (sub, request.method) {
        case ("scale", .get), ("scale", .head):
            let scale = try await store.getScale(namespace: namespace, name: name)
            if TableRendering.wantsTable(request.headers[.accept]) {
                let table = TableRendering.table([scale], definition: .scaleKind, metadata: ["resourceVersion": .string(scale.resourceVersion)],
                                                 include: try TableRendering.includeObject(query), now: now)
                return ResponseEncoding.json(table)
            }
            return ResponseEncoding.json(scale)
        case ("scale", .put):
            let options = try query.writeOptions()
            let scale = try BodyDecoding.object(try await body(), contentType: contentType)
            return ResponseEncoding.json(try await store.updateScale(namespace: namespace, name: name, scale: scale, options: options))
        case ("scale", .patch):
            let options = try query.writeOptions()
            let (type, patch) = try BodyDecoding.patch(try await body(), contentType: contentType)
            return ResponseEncoding.json(try await store.patchScale(namespace: namespace, name: name, type: type, body: patch, options: options))
        case ("ephemeralcontainers", .get), ("ephemeralcontainers", .head):
            return ResponseEncoding.json(try await store.get(namespace: namespace, name: name))
        case ("ephemeralcontainers", .put):
            let options = try query.writeOptions()
            let pod = try BodyDecoding.object(try await body(), contentType: contentType)
            return ResponseEncoding.json(try await store.updateEphemeralContainers(namespace: namespace, name: name, pod: pod, options: options))
        case ("ephemeralcontainers", .patch):
            let options = try query.writeOptions()
            let (type, patch) = try BodyDecoding.patch(try await body(), contentType: contentType)
            return ResponseEncoding.json(try await store.patchEphemeralContainers(namespace: namespace, name: name, type: type, body: patch, options: options))
        case ("binding", .post):
            let options = try query.writeOptions()
            let binding = try BodyDecoding.object(try await body(), contentType: contentType)
            let status = try await store.bind(namespace: namespace, name: name, binding: binding, options: options)
            return ResponseEncoding.json(status, status: .created)
        case ("eviction", .post):
            let eviction = try BodyDecoding.object(try await body(), contentType: contentType)
            let options = try DeleteOptions(query: query, body: eviction["deleteOptions"])
            let status = try await responder.registry.evictPod(namespace: namespace, name: name, eviction: eviction, options: options)
            return ResponseEncoding.json(status, status: .created)
        default:
            throw StatusError.methodNotAllowed()
        }
    }
}

extension ResourceHandler {
    /// POST of a resource that is answered, not stored (reviews, bindings).
    func createAnswered() async throws(StatusError) -> Response {
        let options = try query.writeOptions()
        let object = try BodyDecoding.object(try await body(), contentType: contentType, strict: options.fieldValidation == .strict)
        let result = try await store.answer(namespace: namespace, object: object, registry: responder.registry, options: options)
        return ResponseEncoding.json(result.object, status: .created, headers: ResponseEncoding.warningHeaders(result.warnings))
    }
}

extension ResourceHandler {
    /// log (proxied to the kubelet), and exec/attach/portforward requests that were not upgraded: the
    /// same validation as the upgrade, so a refused upgrade gets its Status error.
    func podStream(_ kind: PodStreamKind) async throws(StatusError) -> Response {
        let allowed: [HTTPRequest.Method] = kind == .log ? [.get, .head] : [.get, .post]
        guard allowed.contains(request.method), let name = path.name else { throw StatusError.methodNotAllowed() }
        let target = try await responder.streams.validator.validate(kind, namespace: namespace, pod: name, query: query)
        if kind == .log { return try await responder.streams.logs.respond(target, query: query) }
        throw StatusError.badRequest("Upgrade request required")
    }
}
