import APIMachinery
import Foundation
import Logging
import Storage

/// Every served resource, each a generic store over one `Storage`. The API server routes to it; the
/// components inside the server (namespace lifecycle) use it directly.
public final class Registry: Sendable {
    public let storage: any Storage
    public let definitions: [ResourceDefinition]
    let stores: [String: GenericStore]
    public let clock: @Sendable () -> Double

    public init(storage: any Storage, definitions: [ResourceDefinition], schema: (any SchemaProvider)?,
                clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) {
        self.storage = storage
        self.definitions = definitions
        self.clock = clock
        let namespaceDefinition = definitions.first { $0.group.isEmpty && $0.resource == "namespaces" }
        let namespaceStore = namespaceDefinition.map {
            GenericStore(definition: $0, storage: storage, namespaces: nil, schema: schema, clock: clock)
        }
        let gate = namespaceStore.map { NamespaceStoreGate(namespaces: $0) }
        let owner = RegistryReference()
        var stores: [String: GenericStore] = [:]
        for definition in definitions {
            stores[Self.id(definition.group, definition.version, definition.resource)] = definition.namespaced
                ? GenericStore(definition: definition, storage: storage, namespaces: gate, schema: schema, clock: clock, owner: owner)
                : GenericStore(definition: definition, storage: storage, namespaces: nil, schema: schema, clock: clock, owner: owner)
        }
        self.stores = stores
        owner.set(self)
    }

    static func id(_ group: String, _ version: String, _ resource: String) -> String {
        "\(group)/\(version)/\(resource)"
    }

    public func store(group: String, version: String, resource: String) -> GenericStore? {
        stores[Self.id(group, version, resource)]
    }

    public var namespaces: GenericStore? { store(group: "", version: "v1", resource: "namespaces") }

    /// The built-in resources of this release, in discovery order (the core group first; within a
    /// group, the preferred version first).
    public static func builtInDefinitions() -> [ResourceDefinition] {
        basicKinds() + workloadKinds() + serviceAndClusterKinds() + accessReviewKinds() + metricsKinds()
    }

    /// The namespaces every cluster has.
    public static let initialNamespaces = ["default", "kube-system", "kube-public", "kube-node-lease"]

    /// Creates the initial namespaces that do not exist yet.
    public func bootstrap() async throws {
        guard let namespaces else { return }
        for name in Self.initialNamespaces {
            if await exists(namespaces, name) { continue }
            let result = await attempt { () async throws(StatusError) -> WriteResult in
                try await namespaces.create(namespace: "", object: ["metadata": ["name": .string(name)]], options: WriteOptions())
            }
            if case .failure(let error) = result, error.code != 409 { throw error }
        }
        try await bootstrapPriorityClasses()
    }
}

func exists(_ store: GenericStore, _ name: String) async -> Bool {
    let result = await attempt { () async throws(StatusError) -> JSONValue in try await store.get(namespace: "", name: name) }
    if case .success = result { return true }
    return false
}

/// Allows writes only into namespaces that exist and are not terminating.
struct NamespaceStoreGate: NamespaceGate {
    let namespaces: GenericStore

    func checkWritable(namespace: String, resource: GroupResource, name: String) async throws(StatusError) {
        let object = try await namespaces.get(namespace: "", name: namespace)
        if object.deletionTimestamp != nil {
            throw StatusError(
                code: 403, reason: "Forbidden",
                message: "\(resource) \"\(name)\" is forbidden: unable to create new content in namespace \(namespace) because it is being terminated",
                details: .init(name: name, group: resource.group, kind: resource.resource,
                               causes: [.init(reason: "NamespaceTerminating", message: "namespace \(namespace) is being terminated", field: "metadata.namespace")]))
        }
    }
}
