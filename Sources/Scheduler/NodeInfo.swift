import APIMachinery

/// A node with the pods assigned to it and what they use. Its fields live in two shared boxes (the
/// node's own, immutable; the pods' usage, copied on write), so that copying a NodeInfo — which the
/// scheduler does for every node it looks at — costs two retains rather than one per field.
public struct NodeInfo: Sendable {
    /// What comes from the Node object.
    final class Fixed: Sendable {
        let node: JSONValue
        let name: String
        let labels: [String: String]
        let taints: [Taint]
        let unschedulable: Bool
        let allocatable: ResourceList
        let imageSizes: [String: Int64]
        let allowedPodNumber: Int64
        /// Allocatable cpu (millicores) and memory (bytes), for the resource scores.
        let allocatableAmounts: CPUMemory

        init(node: JSONValue) {
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
            allowedPodNumber = allocatable[ResourceName.pods].value
            allocatableAmounts = CPUMemory(allocatable)
        }
    }

    /// What the node's pods use.
    struct Usage: Sendable {
        var requested = ResourceList()
        var nonZeroRequested = ResourceList()
        var pods: [PodInfo] = []
        var usedPorts: [HostPort] = []
        var podsWithAffinity: [PodInfo] = []
        /// The pods' cpu and memory requests as kube-scheduler sums them (per pod, in millicores and
        /// bytes), plain and non-zero.
        var requestedAmounts = CPUMemory()
        var nonZeroAmounts = CPUMemory()
    }

    /// A box for `Usage`; only mutated while uniquely referenced (copy on write).
    final class UsageBox: @unchecked Sendable {
        var value: Usage
        init(_ value: Usage) { self.value = value }
    }

    let fixed: Fixed
    var usageBox: UsageBox

    public var node: JSONValue { fixed.node }
    public var name: String { fixed.name }
    public var labels: [String: String] { fixed.labels }
    public var taints: [Taint] { fixed.taints }
    public var unschedulable: Bool { fixed.unschedulable }
    /// `status.allocatable` (or `status.capacity` when allocatable is missing).
    public var allocatable: ResourceList { fixed.allocatable }
    /// Image names on the node with their sizes (`status.images`).
    public var imageSizes: [String: Int64] { fixed.imageSizes }
    /// The sum of the pods' effective requests.
    public var requested: ResourceList { usageBox.value.requested }
    /// The same with 100m cpu / 200Mi memory for containers asking none (for scoring).
    public var nonZeroRequested: ResourceList { usageBox.value.nonZeroRequested }
    public var pods: [PodInfo] { usageBox.value.pods }
    public var usedPorts: [HostPort] { usageBox.value.usedPorts }
    var allocatableAmounts: CPUMemory { fixed.allocatableAmounts }
    var requestedAmounts: CPUMemory { usageBox.value.requestedAmounts }
    var nonZeroAmounts: CPUMemory { usageBox.value.nonZeroAmounts }
    /// The pods that have pod affinity or anti-affinity terms (checked against every incoming pod).
    public var podsWithAffinity: [PodInfo] { usageBox.value.podsWithAffinity }

    /// A node and the pods bound to it; terminal pods (Succeeded, Failed) are left out.
    public init(node: JSONValue, pods: [JSONValue] = []) {
        fixed = Fixed(node: node)
        usageBox = UsageBox(Usage())
        for pod in pods {
            let phase = pod["status"]?["phase"]?.stringValue
            if phase == "Succeeded" || phase == "Failed" { continue }
            add(PodInfo(pod))
        }
    }

    /// The number of pods the node accepts (`allocatable.pods`).
    public var allowedPodNumber: Int64 { fixed.allowedPodNumber }

    /// Mutates the usage, copying it first when another NodeInfo shares it.
    mutating func mutateUsage(_ body: (inout Usage) -> Void) {
        if !isKnownUniquelyReferenced(&usageBox) { usageBox = UsageBox(usageBox.value) }
        body(&usageBox.value)
    }

    public mutating func add(_ pod: PodInfo) {
        mutateUsage { usage in
            usage.pods.append(pod)
            usage.requested += pod.requests
            usage.nonZeroRequested += pod.nonZeroRequests
            usage.requestedAmounts += pod.requestAmounts
            usage.nonZeroAmounts += pod.nonZeroAmounts
            usage.usedPorts += pod.hostPorts
            if pod.hasPodAffinityTerms { usage.podsWithAffinity.append(pod) }
        }
    }

    /// Removes a pod (by namespace/name); returns whether it was there.
    @discardableResult
    public mutating func remove(_ pod: PodInfo) -> Bool {
        guard let index = usageBox.value.pods.firstIndex(where: { $0.key == pod.key }) else { return false }
        mutateUsage { usage in
            let removed = usage.pods.remove(at: index)
            usage.requested -= removed.requests
            usage.nonZeroRequested -= removed.nonZeroRequests
            usage.requestedAmounts -= removed.requestAmounts
            usage.nonZeroAmounts -= removed.nonZeroAmounts
            usage.podsWithAffinity.removeAll { $0.key == pod.key }
            for port in removed.hostPorts {
                if let i = usage.usedPorts.firstIndex(of: port) { usage.usedPorts.remove(at: i) }
            }
        }
        return true
    }

    /// The same pods on an updated node object (new labels, taints, allocatable, cordon state).
    public func replacingNode(_ node: JSONValue) -> NodeInfo {
        var info = NodeInfo(node: node)
        info.usageBox = usageBox
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

/// cpu in millicores and memory in bytes, as kube-scheduler's resource scores count them.
struct CPUMemory: Sendable, Hashable {
    var cpu: Int64 = 0
    var memory: Int64 = 0

    init() {}

    init(_ list: ResourceList) {
        cpu = list[ResourceName.cpu].milliValue
        memory = list[ResourceName.memory].value
    }

    static func += (a: inout CPUMemory, b: CPUMemory) {
        a.cpu += b.cpu
        a.memory += b.memory
    }

    static func -= (a: inout CPUMemory, b: CPUMemory) {
        a.cpu -= b.cpu
        a.memory -= b.memory
    }

    static func + (a: CPUMemory, b: CPUMemory) -> CPUMemory {
        var sum = a
        sum += b
        return sum
    }

    /// The amount of `resource` when it is cpu or memory.
    func amount(_ resource: String) -> Int64? {
        resource == ResourceName.cpu ? cpu : resource == ResourceName.memory ? memory : nil
    }
}
