import APIMachinery
import Client
import ControllerManager
import Foundation
import Synchronization

/// A client that fails chosen writes once with 409 Conflict (as a concurrent writer would make them
/// fail), otherwise passing everything to `base`.
final class WorkloadConflictingClient: APIClient, Sendable {
    let base: any APIClient
    /// Status updates of these resources still to fail.
    let statusConflicts: Mutex<[String: Int]>
    let conflictsReturned = Mutex(0)

    init(base: any APIClient, statusConflicts: [String: Int]) {
        self.base = base
        self.statusConflicts = Mutex(statusConflicts)
    }

    func get(_ resource: ResourceID, namespace: String, name: String, subresource: String?) async throws(StatusError) -> JSONValue {
        try await base.get(resource, namespace: namespace, name: name, subresource: subresource)
    }
    func list(_ resource: ResourceID, namespace: String?, query: ListQuery) async throws(StatusError) -> ObjectList {
        try await base.list(resource, namespace: namespace, query: query)
    }
    func watch(_ resource: ResourceID, namespace: String?, query: WatchQuery) async throws(StatusError) -> EventStream {
        try await base.watch(resource, namespace: namespace, query: query)
    }
    func create(_ resource: ResourceID, namespace: String, object: JSONValue, query: WriteQuery) async throws(StatusError) -> JSONValue {
        try await base.create(resource, namespace: namespace, object: object, query: query)
    }
    func create(_ resource: ResourceID, namespace: String, name: String, subresource: String, object: JSONValue,
                query: WriteQuery) async throws(StatusError) -> JSONValue {
        try await base.create(resource, namespace: namespace, name: name, subresource: subresource, object: object, query: query)
    }
    func update(_ resource: ResourceID, namespace: String, object: JSONValue, subresource: String?,
                query: WriteQuery) async throws(StatusError) -> JSONValue {
        if subresource == "status" {
            let fail = statusConflicts.withLock { conflicts -> Bool in
                guard let left = conflicts[resource.resource], left > 0 else { return false }
                conflicts[resource.resource] = left - 1
                return true
            }
            if fail {
                conflictsReturned.withLock { $0 += 1 }
                throw StatusError.conflict(resource.groupResource, name: object.name)
            }
        }
        return try await base.update(resource, namespace: namespace, object: object, subresource: subresource, query: query)
    }
    func patch(_ resource: ResourceID, namespace: String, name: String, format: PatchFormat, body: JSONValue,
               subresource: String?, query: WriteQuery) async throws(StatusError) -> JSONValue {
        try await base.patch(resource, namespace: namespace, name: name, format: format, body: body, subresource: subresource, query: query)
    }
    func delete(_ resource: ResourceID, namespace: String, name: String, options: DeleteQuery) async throws(StatusError) -> JSONValue {
        try await base.delete(resource, namespace: namespace, name: name, options: options)
    }
    func deleteCollection(_ resource: ResourceID, namespace: String?, query: ListQuery,
                          options: DeleteQuery) async throws(StatusError) -> ObjectList {
        try await base.deleteCollection(resource, namespace: namespace, query: query, options: options)
    }
}

/// Runs `controller` over `context` (its informers started) until the task is cancelled.
func startController(_ controller: any Controller, context: ControllerContext, workers: Int = 2) -> Task<Void, Never> {
    Task {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await controller.run(workers: workers) }
            context.informers.start()
            await group.waitForAll()
        }
    }
}

/// What a kubelet would do: binds the pod to `node` (when given and not yet bound) and reports it
/// Running and Ready.
func markRunningReady(_ client: any APIClient, namespace: String, name: String, node: String? = nil) async throws {
    if let node {
        let pod = try await client.get(.pods, namespace: namespace, name: name)
        if (pod["spec"]?["nodeName"]?.stringValue ?? "").isEmpty {
            try await client.bind(namespace: namespace, pod: name, node: node)
        }
    }
    var pod = try await client.get(.pods, namespace: namespace, name: name)
    let now = JSONValue.string(RFC3339.format(Date()))
    pod["status"] = ["phase": "Running",
                     "conditions": [["type": "Ready", "status": "True", "lastTransitionTime": now],
                                    ["type": "PodScheduled", "status": "True", "lastTransitionTime": now]]]
    _ = try await client.updateStatus(.pods, namespace: namespace, object: pod)
}

func node(_ name: String, labels: [String: String] = [:], taints: [JSONValue] = []) -> JSONValue {
    var node: JSONValue = ["apiVersion": "v1", "kind": "Node", "metadata": ["name": .string(name)], "spec": .object([:])]
    if !labels.isEmpty { node.labels = labels }
    if !taints.isEmpty { node["spec"] = ["taints": .array(taints)] }
    return node
}

func podTemplate(app: String, image: String = "nginx:1.27") -> JSONValue {
    ["metadata": ["labels": ["app": .string(app)]],
     "spec": ["containers": [["name": "app", "image": .string(image)]]]]
}

/// Pods in `namespace` whose controller is the object named `owner`.
func ownedPods(_ client: any APIClient, namespace: String, owner: String) async throws -> [JSONValue] {
    try await client.list(.pods, namespace: namespace).items.filter {
        OwnerReferences.controllerRef(of: $0)?["name"]?.stringValue == owner
    }
}

func eventMessages(_ client: any APIClient, namespace: String, about name: String) async throws -> [String] {
    try await client.list(.events, namespace: namespace).items
        .filter { $0["involvedObject"]?["name"]?.stringValue == name }
        .sorted { $0.name < $1.name }
        .compactMap { $0["message"]?.stringValue }
}

/// Finishes graceful deletions in `namespace` as a kubelet would (deletes terminating pods at once),
/// until the task is cancelled.
func startReaper(_ client: any APIClient, namespace: String) -> Task<Void, Never> {
    Task {
        while !Task.isCancelled {
            if let pods = try? await client.list(.pods, namespace: namespace).items {
                for pod in pods where pod.deletionTimestamp != nil {
                    _ = try? await client.delete(.pods, namespace: namespace, name: pod.name, options: DeleteQuery(gracePeriodSeconds: 0))
                }
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }
}
