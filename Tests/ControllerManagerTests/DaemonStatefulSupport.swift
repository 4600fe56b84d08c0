import APIMachinery
import Client
import ControllerManager
import Foundation
import Synchronization

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
