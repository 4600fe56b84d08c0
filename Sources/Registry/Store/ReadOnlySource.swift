import APIMachinery
import Synchronization

/// The objects of a resource that is computed, not stored (metrics.k8s.io): GET and LIST only. The
/// store sets kind and apiVersion, applies label and field selectors, and answers 405 to every other verb.
public protocol ReadOnlySource: Sendable {
    /// Every object in `namespace` (nil: all namespaces; ignored for cluster-scoped resources).
    func list(namespace: String?, registry: Registry) async throws(StatusError) -> [JSONValue]
    /// One object, or 404 NotFound.
    func get(namespace: String, name: String, registry: Registry) async throws(StatusError) -> JSONValue
}

extension ResourceDefinition {
    /// This definition serving the objects `source` computes; get and list are its only verbs.
    public func readOnly(from source: any ReadOnlySource) -> ResourceDefinition {
        var copy = self
        copy.reader = source
        copy.verbs = ["get", "list"]
        return copy
    }
}

/// The registry a store belongs to, for read-only sources (weak: the registry owns its stores).
final class RegistryReference: Sendable {
    private struct Weak: Sendable {
        weak var registry: Registry?
    }
    private let value = Mutex(Weak())

    func set(_ registry: Registry) { value.withLock { $0.registry = registry } }
    var registry: Registry? { value.withLock { $0.registry } }
}

extension GenericStore {
    func source() throws(StatusError) -> (any ReadOnlySource, Registry)? {
        guard let reader = definition.reader else { return nil }
        guard let registry = owner?.registry else { throw StatusError.serviceUnavailable("the registry is shutting down") }
        return (reader, registry)
    }

    func typed(_ object: JSONValue) -> JSONValue {
        var object = object
        object["apiVersion"] = .string(definition.groupVersion)
        object["kind"] = .string(definition.kind)
        return object
    }

    func readOnlyGet(namespace: String, name: String) async throws(StatusError) -> JSONValue? {
        guard let (reader, registry) = try source() else { return nil }
        return typed(try await reader.get(namespace: definition.namespaced ? namespace : "", name: name, registry: registry))
    }

    func readOnlyList(namespace: String?, options: ListOptions) async throws(StatusError) -> ListResponse? {
        guard let (reader, registry) = try source() else { return nil }
        try checkFieldSelector(options.fieldSelector)
        let scope = definition.namespaced ? namespace.flatMap { $0.isEmpty ? nil : $0 } : nil
        let items = try await reader.list(namespace: scope, registry: registry).filter { matches($0, options) }.map(typed)
        return ListResponse(items: items, resourceVersion: 0, continueToken: nil)
    }
}
