import APIMachinery
@testable import Scheduler

/// Small JSON nodes and pods for the scheduler tests.
enum Fixture {
    static func node(_ name: String, cpu: String = "4", memory: String = "8Gi", pods: Int64 = 110,
                     labels: [String: String] = [:], taints: [JSONValue] = [], unschedulable: Bool = false,
                     extra: [String: String] = [:], images: [JSONValue] = []) -> JSONValue {
        var allLabels: [String: JSONValue] = ["kubernetes.io/hostname": .string(name)]
        for (k, v) in labels { allLabels[k] = .string(v) }
        var allocatable: [String: JSONValue] = ["cpu": .string(cpu), "memory": .string(memory), "pods": .int(pods)]
        for (k, v) in extra { allocatable[k] = .string(v) }
        var spec: [String: JSONValue] = [:]
        if !taints.isEmpty { spec["taints"] = .array(taints) }
        if unschedulable { spec["unschedulable"] = true }
        return .object([
            "apiVersion": "v1", "kind": "Node",
            "metadata": .object(["name": .string(name), "labels": .object(allLabels)]),
            "spec": .object(spec),
            "status": .object(["allocatable": .object(allocatable), "capacity": .object(allocatable), "images": .array(images)]),
        ])
    }

    static func taint(_ key: String, _ value: String = "", _ effect: String = "NoSchedule") -> JSONValue {
        ["key": .string(key), "value": .string(value), "effect": .string(effect)]
    }

    static func pod(_ name: String, namespace: String = "default", node: String? = nil, cpu: String? = nil, memory: String? = nil,
                    labels: [String: String] = [:], priority: Int64? = nil, spec extra: [String: JSONValue] = [:],
                    requests extraRequests: [String: String] = [:], ports: [JSONValue] = []) -> JSONValue {
        var requests: [String: JSONValue] = [:]
        if let cpu { requests["cpu"] = .string(cpu) }
        if let memory { requests["memory"] = .string(memory) }
        for (k, v) in extraRequests { requests[k] = .string(v) }
        var container: [String: JSONValue] = ["name": "app", "image": "nginx", "resources": .object(["requests": .object(requests)])]
        if !ports.isEmpty { container["ports"] = .array(ports) }
        var spec: [String: JSONValue] = ["containers": .array([.object(container)])]
        if let node { spec["nodeName"] = .string(node) }
        if let priority { spec["priority"] = .int(priority) }
        for (k, v) in extra { spec[k] = v }
        var labelObject: [String: JSONValue] = [:]
        for (k, v) in labels { labelObject[k] = .string(v) }
        return .object([
            "apiVersion": "v1", "kind": "Pod",
            "metadata": .object(["name": .string(name), "namespace": .string(namespace), "labels": .object(labelObject)]),
            "spec": .object(spec),
            "status": .object(["phase": node == nil ? "Pending" : "Running"]),
        ])
    }

    static func selector(_ labels: [String: String]) -> JSONValue {
        var m: [String: JSONValue] = [:]
        for (k, v) in labels { m[k] = .string(v) }
        return ["matchLabels": .object(m)]
    }

    static func nodes(_ nodes: [JSONValue], pods: [JSONValue] = []) -> [NodeInfo] {
        NodeInfo.snapshot(nodes: nodes, pods: pods)
    }
}
