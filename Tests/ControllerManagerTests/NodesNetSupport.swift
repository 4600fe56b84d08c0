import APIMachinery
import Client
import Foundation
import Synchronization

/// Objects the node, endpoints and disruption controller tests create.
enum NodeFixtures {
    static func pod(_ name: String, namespace: String = "default", labels: [String: String] = ["app": "web"], node: String? = "n1",
                    ports: [JSONValue] = [["name": "http", "containerPort": 8080]], tolerations: [JSONValue]? = nil,
                    owner: JSONValue? = nil) -> JSONValue {
        var spec: [String: JSONValue] = ["containers": [["name": "app", "image": "nginx", "ports": .array(ports)]]]
        if let node { spec["nodeName"] = .string(node) }
        if let tolerations { spec["tolerations"] = .array(tolerations) }
        var object: JSONValue = ["apiVersion": "v1", "kind": "Pod", "metadata": ["name": .string(name), "namespace": .string(namespace)],
                                 "spec": .object(spec)]
        object.labels = labels
        if let owner { object[key: "metadata", "ownerReferences"] = [owner] }
        return object
    }

    /// Creates a pod and reports it Running with `ip`, Ready or not.
    @discardableResult
    static func runPod(_ client: any APIClient, _ pod: JSONValue, ip: String?, ready: Bool) async throws -> JSONValue {
        var created = try await client.create(.pods, namespace: pod.namespace, object: pod)
        return try await setStatus(client, &created, ip: ip, ready: ready)
    }

    static func setStatus(_ client: any APIClient, _ pod: inout JSONValue, ip: String?, ready: Bool) async throws -> JSONValue {
        let now = JSONValue.string(RFC3339.format(Date()))
        var status: [String: JSONValue] = [
            "phase": "Running",
            "conditions": [["type": "Ready", "status": ready ? "True" : "False", "lastTransitionTime": now],
                           ["type": "PodScheduled", "status": "True", "lastTransitionTime": now]],
        ]
        if let ip { status["podIP"] = .string(ip); status["podIPs"] = [["ip": .string(ip)]] }
        pod["status"] = .object(status)
        return try await client.updateStatus(.pods, namespace: pod.namespace, object: pod)
    }

    static func service(_ name: String, namespace: String = "default", selector: [String: String]? = ["app": "web"],
                        ports: [JSONValue] = [["name": "http", "port": 80, "targetPort": "http"]], headless: Bool = false) -> JSONValue {
        var spec: [String: JSONValue] = ["ports": .array(ports)]
        if let selector { spec["selector"] = .object(selector.mapValues { .string($0) }) }
        if headless { spec["clusterIP"] = "None" }
        return ["apiVersion": "v1", "kind": "Service", "metadata": ["name": .string(name), "namespace": .string(namespace)],
                "spec": .object(spec)]
    }
}

