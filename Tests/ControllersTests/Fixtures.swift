import APIMachinery
import Foundation

func date(_ s: String) -> Date { RFC3339.parse(s)! }

/// A pod as the ReplicaSet tests need it.
func pod(_ name: String, node: String = "n1", phase: String = "Running", ready: Bool = true, readySince: String = "2026-01-01T00:00:00Z",
         created: String = "2026-01-01T00:00:00Z", restarts: Int64 = 0, cost: String? = nil, labels: [String: String] = ["app": "web"]) -> JSONValue {
    var metadata: JSONValue = ["name": .string(name), "namespace": "default", "creationTimestamp": .string(created),
                               "labels": .object(labels.mapValues { .string($0) })]
    if let cost { metadata["annotations"] = ["controller.kubernetes.io/pod-deletion-cost": .string(cost)] }
    return ["metadata": metadata, "spec": ["nodeName": .string(node)],
            "status": ["phase": .string(phase),
                       "conditions": [["type": "Ready", "status": .string(ready ? "True" : "False"), "lastTransitionTime": .string(readySince)]],
                       "containerStatuses": [["name": "c", "restartCount": .int(restarts)]]]]
}

/// A ReplicaSet with a revision and status counts.
func replicaSet(_ name: String, revision: Int64? = nil, history: String? = nil, specReplicas: Int64 = 0, replicas: Int64 = 0,
                ready: Int64 = 0, available: Int64 = 0, generation: Int64 = 1) -> JSONValue {
    var annotations: [String: JSONValue] = [:]
    if let revision { annotations["deployment.kubernetes.io/revision"] = .string(String(revision)) }
    if let history { annotations["deployment.kubernetes.io/revision-history"] = .string(history) }
    return ["metadata": ["name": .string(name), "namespace": "default", "generation": .int(generation), "annotations": .object(annotations),
                         "creationTimestamp": "2026-01-01T00:00:00Z"],
            "spec": ["replicas": .int(specReplicas)],
            "status": ["replicas": .int(replicas), "readyReplicas": .int(ready), "availableReplicas": .int(available),
                       "observedGeneration": .int(generation)]]
}
