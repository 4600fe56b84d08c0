import APIMachinery

/// What every simulated node reports.
public struct SimNodeOptions: Sendable {
    public var count = 1
    public var prefix = "sim-"
    public var cpu = "8"
    public var memory = "32Gi"
    public var pods = 110
    public var ephemeralStorage = "100Gi"
    /// How often each node renews its Lease.
    public var leaseInterval: Duration = .seconds(10)
    public var leaseDurationSeconds: Int64 = 40
    /// How often each node refreshes its Ready condition's lastHeartbeatTime.
    public var statusInterval: Duration = .seconds(60)
    /// Pods handled at once.
    public var workers = 8

    public init() {}

    /// Node `index` (1-based) is `prefix + index`.
    public func nodeName(_ index: Int) -> String { "\(prefix)\(index)" }
}

/// The annotations that steer a simulated pod.
public enum SimAnnotations {
    /// Seconds a pod with restartPolicy Never or OnFailure runs before it completes (0 by default).
    public static let runSeconds = "sim.swiftlet.dev/run-seconds"
    /// The exit code its containers complete with (0 by default: Succeeded; otherwise Failed).
    public static let exitCode = "sim.swiftlet.dev/exit-code"
}

/// The objects a simulated kubelet writes, built as pure functions of their inputs.
public enum SimObjects {
    public static let kubeletVersion = "v1.32.0"
    public static let runtimeVersion = "sim://1.0"
    public static let leaseNamespace = "kube-node-lease"

    static func condition(_ type: String, _ status: String, reason: String, message: String, now: String) -> JSONValue {
        ["type": .string(type), "status": .string(status), "lastHeartbeatTime": .string(now),
         "lastTransitionTime": .string(now), "reason": .string(reason), "message": .string(message)]
    }

    /// The node conditions of a healthy kubelet at `now`; transitions keep the times of `previous`.
    public static func nodeConditions(now: String, previous: [JSONValue] = []) -> [JSONValue] {
        let fresh = [
            condition("MemoryPressure", "False", reason: "KubeletHasSufficientMemory", message: "kubelet has sufficient memory available", now: now),
            condition("DiskPressure", "False", reason: "KubeletHasNoDiskPressure", message: "kubelet has no disk pressure", now: now),
            condition("PIDPressure", "False", reason: "KubeletHasSufficientPID", message: "kubelet has sufficient PID available", now: now),
            condition("Ready", "True", reason: "KubeletReady", message: "kubelet is posting ready status", now: now),
        ]
        return fresh.map { condition in
            var condition = condition
            if let old = previous.first(where: { $0["type"] == condition["type"] }), old["status"] == condition["status"],
               let transition = old["lastTransitionTime"] {
                condition["lastTransitionTime"] = transition
            }
            return condition
        }
    }

    /// The Node object simulated node `index` registers with (no podCIDR: the server allocates it).
    public static func node(index: Int, options: SimNodeOptions, now: String) -> JSONValue {
        let name = options.nodeName(index)
        let resources: JSONValue = ["cpu": .string(options.cpu), "memory": .string(options.memory),
                                    "pods": .string(String(options.pods)), "ephemeral-storage": .string(options.ephemeralStorage)]
        let id = String(repeating: "0", count: max(0, 12 - String(index).count)) + String(index)
        return [
            "apiVersion": "v1", "kind": "Node",
            "metadata": [
                "name": .string(name),
                "labels": ["kubernetes.io/hostname": .string(name), "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
                           "beta.kubernetes.io/os": "linux", "beta.kubernetes.io/arch": "amd64",
                           "node.kubernetes.io/instance-type": "sim"],
                "annotations": ["node.alpha.kubernetes.io/ttl": "0"],
            ],
            "spec": [:],
            "status": [
                "capacity": resources, "allocatable": resources,
                "conditions": .array(nodeConditions(now: now)),
                "addresses": [["type": "InternalIP", "address": .string(IPv4.nodeAddress(index: index))],
                              ["type": "Hostname", "address": .string(name)]],
                // No kubelet server answers for a simulated node: port 0 keeps log/exec proxies and the
                // metrics scraper from dialling its (made-up) address.
                "daemonEndpoints": ["kubeletEndpoint": ["Port": 0]],
                "nodeInfo": [
                    "machineID": .string("5157" + id), "systemUUID": .string("51570000-0000-0000-0000-\(id)"),
                    "bootID": .string("b0070000-0000-0000-0000-\(id)"), "kernelVersion": "6.1.0-sim",
                    "osImage": "Swiftlet Simulated Node", "containerRuntimeVersion": .string(runtimeVersion),
                    "kubeletVersion": .string(kubeletVersion), "kubeProxyVersion": "",
                    "operatingSystem": "linux", "architecture": "amd64",
                ],
            ],
        ]
    }

    /// The node's Lease in kube-node-lease, renewed at `renewTime` (a MicroTime).
    public static func lease(node: String, nodeUID: String?, durationSeconds: Int64, renewTime: String) -> JSONValue {
        var metadata: [String: JSONValue] = ["name": .string(node), "namespace": .string(leaseNamespace)]
        if let nodeUID, !nodeUID.isEmpty {
            metadata["ownerReferences"] = [["apiVersion": "v1", "kind": "Node", "name": .string(node), "uid": .string(nodeUID)]]
        }
        return ["apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": .object(metadata),
                "spec": ["holderIdentity": .string(node), "leaseDurationSeconds": .int(durationSeconds), "renewTime": .string(renewTime)]]
    }
}
