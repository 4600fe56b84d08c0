import APIMachinery
import Foundation
import Storage

/// Supplies what the store needs from the API schema: unknown-field detection and strategic-merge
/// metadata for a kind.
public protocol SchemaProvider: Sendable {
    /// Paths of fields the kind's schema does not know (`spec.foo`, `data.x` is never unknown).
    func unknownFields(in object: JSONValue, apiVersion: String, kind: String) -> [String]
    /// Removes the fields the kind's schema does not know, as typed decoding drops them.
    func pruneUnknownFields(_ object: inout JSONValue, apiVersion: String, kind: String)
    /// The strategic merge patch schema and the root type name of a kind, if known.
    func patchSchema(apiVersion: String, kind: String) -> (schema: any PatchSchema, type: String)?
}

/// The generic store of one resource: create, read, update, patch, delete, list and watch over
/// `Storage`, with the kind's strategy deciding defaults, validation and printing. It knows nothing of
/// HTTP.
public struct GenericStore: Sendable {
    public let definition: ResourceDefinition
    let storage: any Storage
    let namespaces: NamespaceGate?
    let schema: (any SchemaProvider)?
    let clock: @Sendable () -> Double
    /// The registry of this store (read-only sources look up other resources in it).
    let owner: RegistryReference?

    /// The largest object stored, as etcd's default request limit.
    public static let maximumObjectBytes = 1_572_864

    init(definition: ResourceDefinition, storage: any Storage, namespaces: NamespaceGate?,
         schema: (any SchemaProvider)?, clock: @escaping @Sendable () -> Double, owner: RegistryReference? = nil) {
        self.owner = owner
        self.definition = definition
        self.storage = storage
        self.namespaces = namespaces
        self.schema = schema
        self.clock = clock
    }

    var strategy: any ResourceStrategy { definition.strategy }
    var groupResource: GroupResource { definition.groupResource }

    // MARK: Encoding

    /// The stored form: compact JSON with `metadata` first and without resourceVersion (storage owns
    /// it), apiVersion and kind (the resource implies them). With metadata first, a list can splice the
    /// revision in without parsing the object (`StoredObject.listItem`).
    func encode(_ object: JSONValue) throws(StatusError) -> [UInt8] {
        let bytes = StoredObject.encode(storedForm(object))
        if bytes.count > Self.maximumObjectBytes {
            throw StatusError.tooLarge("Request entity too large: the object is \(bytes.count) bytes, the limit is \(Self.maximumObjectBytes)")
        }
        return bytes
    }

    /// The API form of a stored value: kind and apiVersion set, resourceVersion from the revision.
    func decode(_ kv: KeyValue) throws(StatusError) -> JSONValue {
        var object: JSONValue
        do {
            object = try JSONValue.parse(kv.value)
        } catch {
            throw StatusError.internal("stored object \(kv.key) is not valid JSON: \(error)")
        }
        object = servedForm(object)
        object.resourceVersion = String(kv.modRevision)
        object["apiVersion"] = .string(definition.groupVersion)
        object["kind"] = .string(definition.kind)
        return object
    }

    func mapStorageError(_ error: any Error, name: String) -> StatusError {
        if let status = error as? StatusError { return status }
        guard let storageError = error as? StorageError else { return .internal("\(error)") }
        switch storageError {
        case .keyExists: return .alreadyExists(groupResource, name: name)
        case .notFound: return .notFound(groupResource, name: name)
        case .conflict: return .conflict(groupResource, name: name)
        case .compacted(let requested, let compacted):
            return .expired("too old resource version: \(requested) (\(compacted))")
        case .futureRevision(let requested, let current):
            return StatusError(code: 504, reason: "Timeout", message: "Too large resource version: \(requested), current: \(current)",
                               details: .init(causes: [.init(reason: "ResourceVersionTooLarge", message: "Too large resource version")], retryAfterSeconds: 1))
        case .valueTooLarge(let size, let limit):
            return .tooLarge("Request entity too large: the object is \(size) bytes, the limit is \(limit)")
        case .closed: return .serviceUnavailable("the storage is closed")
        case .backend(let message): return .internal(message)
        }
    }

    // MARK: Get

    public func get(namespace: String, name: String) async throws(StatusError) -> JSONValue {
        if let object = try await readOnlyGet(namespace: namespace, name: name) { return object }
        let key = definition.key(namespace: namespace, name: name)
        let result: (value: KeyValue?, revision: Int64)
        do {
            result = try await storage.get(key)
        } catch {
            throw mapStorageError(error, name: name)
        }
        guard let kv = result.value else { throw StatusError.notFound(groupResource, name: name) }
        return try decode(kv)
    }

    func getKV(namespace: String, name: String) async throws(StatusError) -> KeyValue {
        let key = definition.key(namespace: namespace, name: name)
        do {
            guard let kv = try await storage.get(key).value else { throw StatusError.notFound(groupResource, name: name) }
            return kv
        } catch {
            throw mapStorageError(error, name: name)
        }
    }

    // MARK: Helpers shared by writes

    /// Checks apiVersion and kind of a request body against this resource, filling them in if absent.
    func checkTypeMeta(_ object: inout JSONValue) throws(StatusError) {
        guard object.objectValue != nil else {
            throw StatusError.badRequest("the body of the request must be a JSON object of kind \(definition.kind)")
        }
        if let metadata = object["metadata"], metadata.objectValue == nil, !metadata.isNull {
            throw StatusError.badRequest("metadata: expected an object, got \(metadata.typeName)")
        }
        if let apiVersion = object["apiVersion"], !apiVersion.isNull {
            guard let s = apiVersion.stringValue else { throw StatusError.badRequest("apiVersion: expected a string") }
            if !s.isEmpty && s != definition.groupVersion {
                throw StatusError.badRequest("the API version in the data (\(s)) does not match the expected API version (\(definition.groupVersion))")
            }
        }
        if let kind = object["kind"], !kind.isNull {
            guard let s = kind.stringValue else { throw StatusError.badRequest("kind: expected a string") }
            if !s.isEmpty && s != definition.kind {
                throw StatusError.badRequest("the kind in the data (\(s)) does not match the expected kind (\(definition.kind))")
            }
        }
        object["apiVersion"] = .string(definition.groupVersion)
        object["kind"] = .string(definition.kind)
        if object["metadata"]?.objectValue == nil { object["metadata"] = .object([:]) }
    }

    /// Unknown-field handling per fieldValidation: Strict rejects; Warn drops them and returns warnings;
    /// Ignore drops them silently.
    func checkUnknownFields(_ object: inout JSONValue, options: WriteOptions) throws(StatusError) -> [String] {
        guard let schema else { return [] }
        let unknown = schema.unknownFields(in: object, apiVersion: definition.groupVersion, kind: definition.kind)
        guard !unknown.isEmpty else { return [] }
        if options.fieldValidation != .strict {
            schema.pruneUnknownFields(&object, apiVersion: definition.groupVersion, kind: definition.kind)
        }
        if options.fieldValidation == .ignore { return [] }
        let messages = unknown.map { "unknown field \"\($0)\"" }
        if options.fieldValidation == .strict {
            let joined = messages.count == 1 ? messages[0] : messages.joined(separator: ", ")
            throw StatusError.badRequest("strict decoding error: \(joined)")
        }
        return messages
    }

    /// Validates metadata and the kind's own rules; throws 422 with every error.
    func validateOrThrow(_ object: JSONValue, old: JSONValue?) throws(StatusError) {
        var errors = validateObjectMeta(object["metadata"], namespaced: definition.namespaced) { name, prefix in
            strategy.validateName(name, prefix: prefix)
        }
        errors += strategy.validate(object)
        if let old {
            errors += strategy.validateUpdate(object, old: old)
            if object.namespace != old.namespace {
                errors.append(.invalid("metadata.namespace", .string(object.namespace), "field is immutable"))
            }
        }
        if !errors.isEmpty {
            throw StatusError.invalid(kind: definition.kind, group: definition.group, name: object.name, errors: errors)
        }
    }

    func now() -> Double { clock() }
}

/// Gives the store the namespaces it may write into.
public protocol NamespaceGate: Sendable {
    /// Throws NotFound for a missing namespace and Forbidden for one being terminated.
    func checkWritable(namespace: String, resource: GroupResource, name: String) async throws(StatusError)
}

/// `metav1.Time` text of a Unix time.
func formatTimestamp(_ seconds: Double) -> String {
    RFC3339.format(Date(timeIntervalSince1970: seconds))
}

/// Unix time of a `metav1.Time` text.
func parseTimestamp(_ text: String) -> Double? {
    RFC3339.parse(text)?.timeIntervalSince1970
}
