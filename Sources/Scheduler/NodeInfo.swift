import APIMachinery

/// A node with the pods assigned to it and what they use.
public struct NodeInfo: Sendable {
    public let node: JSONValue
    public let name: String
    public let labels: [String: String]
    public let taints: [Taint]
    public let unschedulable: Bool
    /// `status.allocatable` (or `status.capacity` when allocatable is missing).
    public let allocatable: ResourceList
    /// The sum of the pods' effective requests.
    public private(set) var requested: ResourceList
    /// The same with 100m cpu / 200Mi memory for containers asking none (for scoring).
    public private(set) var nonZeroRequested: ResourceList
    public private(set) var pods: [PodInfo]
    public private(set) var usedPorts: [HostPort]
    /// The pods that have pod affinity or anti-affinity terms (checked against every incoming pod).
    public private(set) var podsWithAffinity: [PodInfo]
    /// Image names on the node with their sizes (`status.images`).
    public let imageSizes: [String: Int64]

    /// A node and the pods bound to it; terminal pods (Succeeded, Failed) are left out.
    public init(node: JSONValue, pods: [JSONValue] = []) {
        self.node = node
        name = node["metadata"]?["name"]?.stringValue ?? ""
        var labels: [String: String] = [:]
        for (k, v) in node["metadata"]?["labels"]?.objectValue ?? [:] { labels[k] = v.stringValue ?? "" }
        self.labels = labels
        taints = Taint.of(node: node)
        unschedulable = node["spec"]?["unschedulable"]?.boolValue ?? false
        let status = node["status"] ?? .object([:])
        allocatable = ResourceList(json: status["allocatable"]?.objectValue != nil ? status["allocatable"] : status["capacity"])
        var images: [String: Int64] = [:]
        for image in status["images"]?.arrayValue ?? [] {
            for name in (image["names"]?.arrayValue ?? []).compactMap(\.stringValue) { images[name] = image["sizeBytes"]?.intValue ?? 0 }
        }
        imageSizes = images
        requested = ResourceList()
        nonZeroRequested = ResourceList()
        self.pods = []
        usedPorts = []
        podsWithAffinity = []
        for pod in pods {
            let phase = pod["status"]?["phase"]?.stringValue
            if phase == "Succeeded" || phase == "Failed" { continue }
            add(PodInfo(pod))
        }
    }

    /// The number of pods the node accepts (`allocatable.pods`).
    public var allowedPodNumber: Int64 { allocatable[ResourceName.pods].value }

    public mutating func add(_ pod: PodInfo) {
        pods.append(pod)
        requested += pod.requests
        nonZeroRequested += pod.nonZeroRequests
        usedPorts += pod.hostPorts
        if pod.hasPodAffinityTerms { podsWithAffinity.append(pod) }
    }

    /// Removes a pod (by namespace/name); returns whether it was there.
    @discardableResult
    public mutating func remove(_ pod: PodInfo) -> Bool {
        guard let index = pods.firstIndex(where: { $0.key == pod.key }) else { return false }
        let removed = pods.remove(at: index)
        requested -= removed.requests
        nonZeroRequested -= removed.nonZeroRequests
        podsWithAffinity.removeAll { $0.key == pod.key }
        for port in removed.hostPorts {
            if let i = usedPorts.firstIndex(of: port) { usedPorts.remove(at: i) }
        }
        return true
    }

    /// The same pods on an updated node object (new labels, taints, allocatable, cordon state).
    public func replacingNode(_ node: JSONValue) -> NodeInfo {
        var info = NodeInfo(node: node)
        for pod in pods { info.add(pod) }
        return info
    }

    /// Builds node infos from nodes and all pods, placing each pod on the node its `spec.nodeName` names.
    public static func snapshot(nodes: [JSONValue], pods: [JSONValue]) -> [NodeInfo] {
        var byNode: [String: [JSONValue]] = [:]
        for pod in pods {
            if let node = pod["spec"]?["nodeName"]?.stringValue, !node.isEmpty { byNode[node, default: []].append(pod) }
        }
        return nodes.map { node in
            NodeInfo(node: node, pods: byNode[node["metadata"]?["name"]?.stringValue ?? ""] ?? [])
        }
    }
}
