import APIMachinery
import Client
import Foundation
import Synchronization

/// Indices the workload controllers keep on their informers, so that a sync reads the pods (or
/// ReplicaSets) of one owner without scanning every object of the cluster.
public enum OwnerIndex {
    /// Objects by the uid of their controller reference.
    public static let controllerUID = "controller-uid"
    public static let byControllerUID: Indexer.IndexFunction = { object in
        guard let uid = OwnerReferences.controllerRef(of: object)?["uid"]?.stringValue, !uid.isEmpty else { return [] }
        return [uid]
    }
    /// Objects without a controller reference, by namespace (candidates for adoption).
    public static let orphans = "orphans-by-namespace"
    public static let byOrphanNamespace: Indexer.IndexFunction = { object in
        OwnerReferences.controllerRef(of: object) == nil ? [object.namespace] : []
    }
    /// Both indices, as informer(for:indexers:) takes them.
    public static let indexers: [String: Indexer.IndexFunction] = [controllerUID: byControllerUID, orphans: byOrphanNamespace]

    /// The objects controlled by `owner` plus the orphans of its namespace.
    public static func ownedAndOrphans(of owner: JSONValue, in indexer: Indexer) -> [JSONValue] {
        indexer.byIndex(controllerUID, owner.uid) + indexer.byIndex(orphans, owner.namespace)
    }
}

/// Client-go's event spam filter for controllers: per involved object, a burst of 25 events, then one
/// more every 5 minutes; what exceeds it is dropped. Keeps a 10,000-pod ReplicaSet from writing 10,000
/// SuccessfulCreate events.
final class EventThrottle: Sendable {
    struct Bucket {
        var tokens: Double
        var last: Date
    }
    let burst: Double
    let refillPerSecond: Double
    let buckets = Mutex<[String: Bucket]>([:])

    init(burst: Int = 25, refillEvery: TimeInterval = 300) {
        self.burst = Double(burst)
        self.refillPerSecond = 1 / refillEvery
    }

    /// Whether one more event about the object with `uid` may be written now.
    func allow(_ uid: String, now: Date = Date()) -> Bool {
        buckets.withLock { buckets in
            var bucket = buckets[uid] ?? Bucket(tokens: burst, last: now)
            bucket.tokens = min(burst, bucket.tokens + now.timeIntervalSince(bucket.last) * refillPerSecond)
            bucket.last = now
            guard bucket.tokens >= 1 else {
                buckets[uid] = bucket
                return false
            }
            bucket.tokens -= 1
            buckets[uid] = bucket
            return true
        }
    }

    func forget(_ uid: String) {
        _ = buckets.withLock { $0.removeValue(forKey: uid) }
    }
}

/// Records events off the sync path (best effort, throttled per object).
struct ThrottledRecorder: Sendable {
    let recorder: EventRecorder
    let throttle: EventThrottle

    init(_ recorder: EventRecorder, throttle: EventThrottle = EventThrottle()) {
        self.recorder = recorder
        self.throttle = throttle
    }

    func record(_ object: JSONValue, type: EventRecorder.EventType, reason: String, message: String) {
        guard throttle.allow(object.uid.isEmpty ? Indexer.key(of: object) : object.uid) else { return }
        let recorder = self.recorder
        Task { await recorder.record(object, type: type, reason: reason, message: message) }
    }
}

enum Workloads {
    /// A pod for `template` owned by `owner` (controller reference), named `<prefix>` + random suffix.
    static func pod(from template: JSONValue?, owner: JSONValue, ownerKind: String, ownerAPIVersion: String,
                    generateName: String) -> JSONValue {
        var metadata: [String: JSONValue] = ["generateName": .string(generateName), "namespace": .string(owner.namespace)]
        let templateMeta = template?["metadata"]
        if let labels = templateMeta?["labels"], labels.objectValue?.isEmpty == false { metadata["labels"] = labels }
        if let annotations = templateMeta?["annotations"], annotations.objectValue?.isEmpty == false { metadata["annotations"] = annotations }
        if let finalizers = templateMeta?["finalizers"], finalizers.arrayValue?.isEmpty == false { metadata["finalizers"] = finalizers }
        metadata["ownerReferences"] = [OwnerReferences.makeControllerRef(to: owner, apiVersion: ownerAPIVersion, kind: ownerKind)]
        return ["apiVersion": "v1", "kind": "Pod", "metadata": .object(metadata), "spec": template?["spec"] ?? .object([:])]
    }

    /// The generateName prefix of pods of `controllerName`: the name and a dash, unless that is too long.
    static func podPrefix(_ controllerName: String) -> String {
        let prefix = controllerName + "-"
        return prefix.count <= 58 ? prefix : controllerName
    }

    /// `object` with its kind and apiVersion set (listers' objects normally carry them; events need them).
    static func typed(_ object: JSONValue, kind: String, apiVersion: String) -> JSONValue {
        var object = object
        if object.kind == nil { object.kind = kind }
        if object.apiVersion == nil { object.apiVersion = apiVersion }
        return object
    }

    /// The label selector of a workload's spec.selector; nil when missing or malformed.
    static func selector(_ object: JSONValue) -> LabelSelector? {
        guard let json = object["spec"]?["selector"], !json.isNull, json.objectValue?.isEmpty == false else { return nil }
        return try? LabelSelector(fromJSON: json)
    }

    /// Whether `object`'s labels match `selector`, reading only the labels the selector names (no
    /// dictionary of every label per object on the sync path).
    static func matches(_ selector: LabelSelector, _ object: JSONValue) -> Bool {
        let labels = object["metadata"]?["labels"]?.objectValue ?? [:]
        var relevant: [String: String] = [:]
        for requirement in selector.requirements {
            if let value = labels[requirement.key]?.stringValue { relevant[requirement.key] = value }
        }
        return selector.matches(relevant)
    }

    /// Status fields whose zero value Kubernetes omits.
    static func compact(_ status: JSONValue, keep: Set<String>) -> JSONValue {
        guard let object = status.objectValue else { return status }
        return .object(object.filter { key, value in
            keep.contains(key) || (value != .int(0) && value != .array([]) && !value.isNull)
        })
    }
}

extension APIClient {
    /// A merge patch changing an object's owner references; nil when the object is gone, was replaced
    /// or changed meanwhile (nothing to adopt or release then).
    func patchOwnership(_ resource: ResourceID, _ object: JSONValue, body: JSONValue) async throws(StatusError) -> JSONValue? {
        do throws(StatusError) {
            return try await patch(resource, namespace: object.namespace, name: object.name, format: .merge, body: body)
        } catch {
            if error.isNotFound || error.code == 409 || error.code == 422 { return nil }
            throw error
        }
    }

    /// DELETE with the object's uid as precondition; false when it is already gone or was replaced.
    func deleteIfSame(_ resource: ResourceID, _ object: JSONValue) async throws(StatusError) -> Bool {
        do throws(StatusError) {
            _ = try await delete(resource, namespace: object.namespace, name: object.name, options: DeleteQuery(preconditionUID: object.uid))
            return true
        } catch {
            if error.isNotFound || error.code == 409 { return false }
            throw error
        }
    }
}
