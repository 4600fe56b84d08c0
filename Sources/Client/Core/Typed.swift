import APIMachinery
import APIModels
import Foundation

/// A typed model of a kind the client can address: its resource. The JSON layer stays primary;
/// this is a convenience over it (each call encodes or decodes with Codable).
public protocol ResourceKind: APIObject {
    static var resource: ResourceID { get }
}

extension CoreV1.Pod: ResourceKind { public static var resource: ResourceID { .pods } }
extension CoreV1.Node: ResourceKind { public static var resource: ResourceID { .nodes } }
extension CoreV1.Namespace: ResourceKind { public static var resource: ResourceID { .namespaces } }
extension CoreV1.Service: ResourceKind { public static var resource: ResourceID { .services } }
extension CoreV1.Endpoints: ResourceKind { public static var resource: ResourceID { .endpoints } }
extension CoreV1.ConfigMap: ResourceKind { public static var resource: ResourceID { .configMaps } }
extension CoreV1.Secret: ResourceKind { public static var resource: ResourceID { .secrets } }
extension CoreV1.Event: ResourceKind { public static var resource: ResourceID { .events } }
extension CoreV1.ServiceAccount: ResourceKind { public static var resource: ResourceID { .serviceAccounts } }
extension CoreV1.PersistentVolumeClaim: ResourceKind { public static var resource: ResourceID { .persistentVolumeClaims } }
extension CoreV1.PersistentVolume: ResourceKind { public static var resource: ResourceID { .persistentVolumes } }
extension AppsV1.Deployment: ResourceKind { public static var resource: ResourceID { .deployments } }
extension AppsV1.ReplicaSet: ResourceKind { public static var resource: ResourceID { .replicaSets } }
extension AppsV1.DaemonSet: ResourceKind { public static var resource: ResourceID { .daemonSets } }
extension AppsV1.StatefulSet: ResourceKind { public static var resource: ResourceID { .statefulSets } }
extension AppsV1.ControllerRevision: ResourceKind { public static var resource: ResourceID { .controllerRevisions } }
extension BatchV1.Job: ResourceKind { public static var resource: ResourceID { .jobs } }
extension BatchV1.CronJob: ResourceKind { public static var resource: ResourceID { .cronJobs } }
extension CoordinationV1.Lease: ResourceKind { public static var resource: ResourceID { .leases } }
extension DiscoveryV1.EndpointSlice: ResourceKind { public static var resource: ResourceID { .endpointSlices } }
extension PolicyV1.PodDisruptionBudget: ResourceKind { public static var resource: ResourceID { .podDisruptionBudgets } }
extension SchedulingV1.PriorityClass: ResourceKind { public static var resource: ResourceID { .priorityClasses } }
extension EventsV1.Event: ResourceKind { public static var resource: ResourceID { .eventsV1 } }

/// Every typed kind the client knows.
public let allResourceKinds: [any ResourceKind.Type] = [
    CoreV1.Pod.self, CoreV1.Node.self, CoreV1.Namespace.self, CoreV1.Service.self, CoreV1.Endpoints.self,
    CoreV1.ConfigMap.self, CoreV1.Secret.self, CoreV1.Event.self, CoreV1.ServiceAccount.self,
    CoreV1.PersistentVolumeClaim.self, CoreV1.PersistentVolume.self, AppsV1.Deployment.self, AppsV1.ReplicaSet.self,
    AppsV1.DaemonSet.self, AppsV1.StatefulSet.self, AppsV1.ControllerRevision.self, BatchV1.Job.self, BatchV1.CronJob.self,
    CoordinationV1.Lease.self, DiscoveryV1.EndpointSlice.self, PolicyV1.PodDisruptionBudget.self,
    SchedulingV1.PriorityClass.self, EventsV1.Event.self,
]

/// Converts between `JSONValue` and the Codable models.
public enum TypedCodec {
    public static func decode<T: Decodable>(_ type: T.Type, from json: JSONValue) throws(StatusError) -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(json.serialized()))
        } catch {
            throw StatusError.internal("cannot decode \(T.self): \(error)")
        }
    }

    public static func encode<T: Encodable>(_ value: T) throws(StatusError) -> JSONValue {
        let data: Data
        do {
            data = try JSONEncoder().encode(value)
        } catch {
            throw StatusError.internal("cannot encode \(T.self): \(error)")
        }
        do {
            return try JSONValue.parse(Array(data))
        } catch {
            throw StatusError.internal("cannot encode \(T.self): \(error)")
        }
    }
}

/// A typed LIST answer.
public struct TypedList<T: ResourceKind>: Sendable {
    public var items: [T]
    public var resourceVersion: String
    public var continueToken: String?
}

extension APIClient {
    public func get<T: ResourceKind>(_ type: T.Type, namespace: String = "", name: String) async throws(StatusError) -> T {
        try TypedCodec.decode(T.self, from: try await get(T.resource, namespace: namespace, name: name, subresource: nil))
    }

    public func list<T: ResourceKind>(_ type: T.Type, namespace: String? = nil,
                                      query: ListQuery = ListQuery()) async throws(StatusError) -> TypedList<T> {
        let list = try await self.list(T.resource, namespace: namespace, query: query)
        var items: [T] = []
        items.reserveCapacity(list.items.count)
        for item in list.items { items.append(try TypedCodec.decode(T.self, from: item)) }
        return TypedList(items: items, resourceVersion: list.resourceVersion, continueToken: list.continueToken)
    }

    /// Creates `object` in its metadata.namespace (or `namespace`).
    public func create<T: ResourceKind>(_ object: T, namespace: String? = nil, query: WriteQuery = WriteQuery()) async throws(StatusError) -> T {
        let ns = namespace ?? object.metadata?.namespace ?? ""
        let json = try await create(T.resource, namespace: ns, object: try TypedCodec.encode(object), query: query)
        return try TypedCodec.decode(T.self, from: json)
    }

    /// Replaces `object` (conditional on its resourceVersion, if set); `subresource: "status"` writes status.
    public func update<T: ResourceKind>(_ object: T, subresource: String? = nil, query: WriteQuery = WriteQuery()) async throws(StatusError) -> T {
        let json = try await update(T.resource, namespace: object.metadata?.namespace ?? "", object: try TypedCodec.encode(object),
                                    subresource: subresource, query: query)
        return try TypedCodec.decode(T.self, from: json)
    }

    public func patch<T: ResourceKind>(_ type: T.Type, namespace: String = "", name: String, format: PatchFormat, body: JSONValue,
                                       subresource: String? = nil, query: WriteQuery = WriteQuery()) async throws(StatusError) -> T {
        let json = try await patch(T.resource, namespace: namespace, name: name, format: format, body: body, subresource: subresource, query: query)
        return try TypedCodec.decode(T.self, from: json)
    }

    public func delete<T: ResourceKind>(_ type: T.Type, namespace: String = "", name: String,
                                        options: DeleteQuery = DeleteQuery()) async throws(StatusError) {
        _ = try await delete(T.resource, namespace: namespace, name: name, options: options)
    }
}

extension Lister {
    /// The cached objects decoded as `T` (objects that do not decode are skipped).
    public func list<T: Decodable>(_ type: T.Type, namespace: String? = nil, selector: LabelSelector = .everything) -> [T] {
        list(namespace: namespace, selector: selector).compactMap { try? TypedCodec.decode(T.self, from: $0) }
    }

    public func get<T: Decodable>(_ type: T.Type, namespace: String = "", name: String) -> T? {
        get(namespace: namespace, name: name).flatMap { try? TypedCodec.decode(T.self, from: $0) }
    }
}
