import APIMachinery
import Foundation
import Synchronization

/// Records core/v1 Events about objects, as client-go's event recorder does for controllers
/// (`kubectl describe` lists them under Events, "From" being the component). A repeat of the same
/// event (same object, type, reason and message) raises the count of the existing Event and moves its
/// lastTimestamp instead of creating another. Failures are swallowed: events are best effort.
public final class EventRecorder: Sendable {
    public let client: any APIClient
    /// `source.component` and `reportingComponent`: "deployment-controller", "default-scheduler".
    public let component: String
    /// `source.host` and `reportingInstance` (node name for a kubelet), if any.
    public let host: String?

    struct Seen {
        var name: String
        var namespace: String
        var count: Int64
    }
    let seen = Mutex<[String: Seen]>([:])

    public init(client: any APIClient, component: String, host: String? = nil) {
        self.client = client
        self.component = component
        self.host = host
    }

    public enum EventType: String, Sendable {
        case normal = "Normal", warning = "Warning"
    }

    /// The involvedObject reference of an object.
    public static func reference(to object: JSONValue) -> JSONValue {
        var reference: [String: JSONValue] = [:]
        for (field, value) in [("kind", object.kind), ("apiVersion", object.apiVersion)] {
            if let value { reference[field] = .string(value) }
        }
        reference["name"] = .string(object.name)
        if !object.namespace.isEmpty { reference["namespace"] = .string(object.namespace) }
        if !object.uid.isEmpty { reference["uid"] = .string(object.uid) }
        if !object.resourceVersion.isEmpty { reference["resourceVersion"] = .string(object.resourceVersion) }
        return .object(reference)
    }

    /// Records an event about `object` (which needs kind, name and, for namespaced kinds, namespace).
    /// Answers the Event written, nil if writing failed.
    @discardableResult
    public func record(_ object: JSONValue, type: EventType, reason: String, message: String) async -> JSONValue? {
        let reference = Self.reference(to: object)
        let namespace = object.namespace.isEmpty ? "default" : object.namespace
        let identity = [object.kind ?? "", namespace, object.name, object.uid, type.rawValue, reason, message].joined(separator: "\u{0}")
        let now = JSONValue.string(RFC3339.format(Date()))
        if let previous = seen.withLock({ $0[identity] }) {
            let count = previous.count + 1
            let patch: JSONValue = ["count": .int(count), "lastTimestamp": now]
            if let patched = try? await client.patch(.events, namespace: previous.namespace, name: previous.name, format: .merge, body: patch) {
                seen.withLock { $0[identity]?.count = count }
                return patched
            }
        }
        let name = "\(object.name).\(String(UInt64(Date().timeIntervalSince1970 * 1_000_000_000), radix: 16))"
        var source: [String: JSONValue] = ["component": .string(component)]
        if let host { source["host"] = .string(host) }
        let event: JSONValue = [
            "apiVersion": "v1", "kind": "Event",
            "metadata": ["name": .string(name), "namespace": .string(namespace)],
            "involvedObject": reference, "reason": .string(reason), "message": .string(message), "type": .string(type.rawValue),
            "source": .object(source), "firstTimestamp": now, "lastTimestamp": now, "count": 1,
            "reportingComponent": .string(component), "reportingInstance": .string(host ?? ""),
        ]
        guard let created = try? await client.create(.events, namespace: namespace, object: event) else { return nil }
        seen.withLock { $0[identity] = Seen(name: name, namespace: namespace, count: 1) }
        return created
    }
}
