import APIMachinery
import Client
import ClientLoopback
@testable import ControllerManager
import Foundation
import Synchronization

/// A client that forwards to another and lets a test interfere: fail chosen creates, or have "someone
/// else" update an object just before the controller's write (so the write conflicts).
final class InterferingClient: ForwardingClient, Sendable {
    let inner: any APIClient
    /// Answers an error to return instead of creating (nil: create).
    let failCreate: Mutex<(@Sendable (ResourceID, JSONValue) -> StatusError?)?> = Mutex(nil)
    /// How many status updates of `resource` still get a concurrent update slipped in before them.
    let conflicts = Mutex<[String: Int]>([:])
    let creates = Mutex<[String: Int]>([:])
    let interfered = Mutex(0)

    init(_ inner: any APIClient) { self.inner = inner }

    func createCount(_ resource: ResourceID) -> Int { creates.withLock { $0[resource.resource, default: 0] } }

    func create(_ resource: ResourceID, namespace: String, object: JSONValue, query: WriteQuery) async throws(StatusError) -> JSONValue {
        if let fail = failCreate.withLock({ $0 }), let error = fail(resource, object) { throw error }
        creates.withLock { $0[resource.resource, default: 0] += 1 }
        return try await inner.create(resource, namespace: namespace, object: object, query: query)
    }
    func update(_ resource: ResourceID, namespace: String, object: JSONValue, subresource: String?,
                query: WriteQuery) async throws(StatusError) -> JSONValue {
        let interfere = subresource == "status" && conflicts.withLock { c -> Bool in
            guard let n = c[resource.resource], n > 0 else { return false }
            c[resource.resource] = n - 1
            return true
        }
        if interfere {
            // Someone else writes the object between the controller's read and its write.
            var current = try await inner.get(resource, namespace: namespace, name: object.name, subresource: nil)
            var labels = current.labels
            labels["touched"] = String(Int.random(in: 0..<1_000_000))
            current.labels = labels
            _ = try await inner.update(resource, namespace: namespace, object: current, subresource: nil, query: WriteQuery())
            interfered.withLock { $0 += 1 }
        }
        return try await inner.update(resource, namespace: namespace, object: object, subresource: subresource, query: query)
    }
}

/// Runs controllers of `context` (its informers started) until the task is cancelled.
func startControllers(_ controllers: [any Controller], context: ControllerContext, workers: Int = 2) -> Task<Void, Never> {
    Task {
        await withTaskGroup(of: Void.self) { group in
            for controller in controllers { group.addTask { await controller.run(workers: workers) } }
            context.informers.start()
            await group.waitForAll()
        }
        await context.informers.shutDown()
    }
}

enum Fixtures {
    static func template(app: String, image: String = "nginx:1.27") -> JSONValue { template(labels: ["app": app], image: image) }

    static func template(labels: [String: String], image: String = "nginx:1.27") -> JSONValue {
        ["metadata": ["labels": .object(labels.mapValues { .string($0) })],
         "spec": ["containers": [["name": "app", "image": .string(image)]]]]
    }

    static func replicaSet(_ name: String, namespace: String = "default", replicas: Int64, labels: [String: String] = ["app": "web"],
                           minReadySeconds: Int64 = 0) -> JSONValue {
        var rs: JSONValue = [
            "apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": ["name": .string(name), "namespace": .string(namespace)],
            "spec": ["replicas": .int(replicas), "selector": ["matchLabels": .object(labels.mapValues { .string($0) })],
                     "template": template(labels: labels)],
        ]
        if minReadySeconds > 0 { rs.set(path: ["spec", "minReadySeconds"], to: .int(minReadySeconds)) }
        return rs
    }

    static func deployment(_ name: String, namespace: String = "default", replicas: Int64, image: String = "nginx:1.27",
                           strategy: String = "RollingUpdate", revisionHistoryLimit: Int64? = nil) -> JSONValue {
        let labels = ["app": name]
        var d: JSONValue = [
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": ["name": .string(name), "namespace": .string(namespace)],
            "spec": ["replicas": .int(replicas), "selector": ["matchLabels": .object(labels.mapValues { .string($0) })],
                     "template": template(labels: labels, image: image), "strategy": ["type": .string(strategy)]],
        ]
        if let revisionHistoryLimit { d.set(path: ["spec", "revisionHistoryLimit"], to: .int(revisionHistoryLimit)) }
        return d
    }

    /// A pod as a kubelet reports it: Running and Ready (or Pending and not ready).
    static func withStatus(_ pod: JSONValue, ready: Bool, at time: Date = Date()) -> JSONValue {
        var pod = pod
        let t = JSONValue.string(RFC3339.format(time))
        pod["status"] = ["phase": ready ? "Running" : "Pending",
                         "conditions": [["type": "Ready", "status": ready ? "True" : "False", "lastTransitionTime": t]]]
        return pod
    }
}

/// A stand-in kubelet: every active pod of `namespace` becomes Running and Ready shortly after it appears.
func fakeKubelet(_ client: any APIClient, namespace: String = "default") -> Task<Void, Never> {
    Task {
        while !Task.isCancelled {
            if let pods = try? await client.list(.pods, namespace: namespace) {
                for pod in pods.items where pod.deletionTimestamp == nil && pod["status"]?["phase"]?.stringValue != "Running" {
                    _ = try? await client.updateStatus(.pods, namespace: namespace, object: Fixtures.withStatus(pod, ready: true))
                }
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }
}

extension TestCluster {
    func pods(_ namespace: String = "default", selector: String? = nil) async throws -> [JSONValue] {
        try await client.list(.pods, namespace: namespace, query: ListQuery(labelSelector: selector)).items
    }

    func events(_ namespace: String = "default", reason: String) async throws -> [JSONValue] {
        try await client.list(.events, namespace: namespace).items.filter { $0["reason"]?.stringValue == reason }
    }
}
