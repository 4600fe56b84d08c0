import APIMachinery

/// A node taint (`key=value:Effect`).
public struct Taint: Sendable, Hashable {
    public var key: String
    public var value: String
    public var effect: String

    public init(key: String, value: String = "", effect: String) {
        self.key = key
        self.value = value
        self.effect = effect
    }

    init(json: JSONValue) {
        self.init(key: json["key"]?.stringValue ?? "", value: json["value"]?.stringValue ?? "", effect: json["effect"]?.stringValue ?? "")
    }

    static func of(node: JSONValue) -> [Taint] { (node["spec"]?["taints"]?.arrayValue ?? []).map(Taint.init(json:)) }
}

/// A pod toleration.
public struct Toleration: Sendable, Hashable {
    public var key: String
    public var op: String
    public var value: String
    public var effect: String

    public init(key: String = "", op: String = "Equal", value: String = "", effect: String = "") {
        self.key = key
        self.op = op
        self.value = value
        self.effect = effect
    }

    init(json: JSONValue) {
        self.init(key: json["key"]?.stringValue ?? "", op: json["operator"]?.stringValue ?? "Equal",
                  value: json["value"]?.stringValue ?? "", effect: json["effect"]?.stringValue ?? "")
    }

    /// Whether this toleration tolerates the taint: the effect matches (or is empty), and with
    /// `Exists` the key matches (an empty key tolerates every taint), with `Equal` key and value match.
    public func tolerates(_ taint: Taint) -> Bool {
        if !effect.isEmpty && effect != taint.effect { return false }
        switch op {
        case "Exists": return key.isEmpty || key == taint.key
        case "", "Equal": return key == taint.key && value == taint.value
        default: return false
        }
    }
}

extension Array where Element == Toleration {
    func tolerates(_ taint: Taint) -> Bool { contains { $0.tolerates(taint) } }
}

/// The node constraints of a pod: `spec.nodeSelector` and required node affinity.
struct RequiredNodeAffinity: Sendable, Hashable {
    var nodeSelector: [String: String]
    /// nil when the pod has no required node affinity; the terms are ORed.
    var terms: [NodeSelectorTerm]?

    init(pod: JSONValue) {
        var selector: [String: String] = [:]
        for (k, v) in pod["spec"]?["nodeSelector"]?.objectValue ?? [:] { selector[k] = v.stringValue ?? "" }
        nodeSelector = selector
        let required = pod["spec"]?["affinity"]?["nodeAffinity"]?["requiredDuringSchedulingIgnoredDuringExecution"]
        if let required, !required.isNull {
            terms = (required["nodeSelectorTerms"]?.arrayValue ?? []).map(NodeSelectorTerm.init(json:))
        }
    }

    func matches(labels: [String: String], name: String) -> Bool {
        for (k, v) in nodeSelector where labels[k] != v { return false }
        guard let terms else { return true }
        return terms.contains { $0.matches(labels: labels, name: name) }
    }
}

/// A pod (anti-)affinity term: pods matching `selector` in `namespaces` (or namespaces matching
/// `namespaceSelector`), in the same `topologyKey` domain.
struct PodAffinityTerm: Sendable, Hashable {
    /// nil: a null labelSelector, which matches no pod.
    var selector: LabelSelector?
    var namespaces: Set<String>
    /// nil: no namespace selector; empty: every namespace.
    var namespaceSelector: LabelSelector?
    var topologyKey: String
    var weight: Int64

    init(json: JSONValue, ownNamespace: String, ownLabels: [String: String], weight: Int64 = 1) {
        if let s = json["labelSelector"], !s.isNull, var parsed = try? LabelSelector(fromJSON: s) {
            for key in (json["matchLabelKeys"]?.arrayValue ?? []).compactMap(\.stringValue) {
                if let v = ownLabels[key] { parsed.requirements.append(.init(key: key, op: .in, values: [v])) }
            }
            for key in (json["mismatchLabelKeys"]?.arrayValue ?? []).compactMap(\.stringValue) {
                if let v = ownLabels[key] { parsed.requirements.append(.init(key: key, op: .notIn, values: [v])) }
            }
            selector = parsed
        }
        var namespaces = Set((json["namespaces"]?.arrayValue ?? []).compactMap(\.stringValue))
        if let s = json["namespaceSelector"], !s.isNull {
            namespaceSelector = try? LabelSelector(fromJSON: s)
        } else if namespaces.isEmpty {
            namespaces = [ownNamespace]
        }
        self.namespaces = namespaces
        topologyKey = json["topologyKey"]?.stringValue ?? ""
        self.weight = weight
    }

    func matches(_ pod: PodInfo, namespaceLabels: [String: [String: String]]) -> Bool {
        guard let selector else { return false }
        let inNamespace = namespaces.contains(pod.namespace)
            || (namespaceSelector.map { $0.matches(namespaceLabels[pod.namespace] ?? [:]) } ?? false)
        return inNamespace && selector.matches(pod.labels)
    }
}

/// A topology spread constraint of a pod.
struct SpreadConstraint: Sendable, Hashable {
    var maxSkew: Int64
    var topologyKey: String
    var whenUnsatisfiable: String
    var selector: LabelSelector?
    var minDomains: Int64
    var honorNodeAffinity: Bool
    var honorNodeTaints: Bool

    init(json: JSONValue, ownLabels: [String: String]) {
        maxSkew = json["maxSkew"]?.intValue ?? 1
        topologyKey = json["topologyKey"]?.stringValue ?? ""
        whenUnsatisfiable = json["whenUnsatisfiable"]?.stringValue ?? "DoNotSchedule"
        if let s = json["labelSelector"], !s.isNull, var parsed = try? LabelSelector(fromJSON: s) {
            for key in (json["matchLabelKeys"]?.arrayValue ?? []).compactMap(\.stringValue) {
                if let v = ownLabels[key] { parsed.requirements.append(.init(key: key, op: .in, values: [v])) }
            }
            selector = parsed
        }
        minDomains = json["minDomains"]?.intValue ?? 1
        honorNodeAffinity = (json["nodeAffinityPolicy"]?.stringValue ?? "Honor") == "Honor"
        honorNodeTaints = (json["nodeTaintsPolicy"]?.stringValue ?? "Ignore") == "Honor"
    }

    init(maxSkew: Int64, topologyKey: String, whenUnsatisfiable: String, selector: LabelSelector?) {
        self.maxSkew = maxSkew
        self.topologyKey = topologyKey
        self.whenUnsatisfiable = whenUnsatisfiable
        self.selector = selector
        minDomains = 1
        honorNodeAffinity = true
        honorNodeTaints = false
    }

    /// The cluster-level default constraints (PodTopologySpread `defaultingType: System`), applied to
    /// pods without constraints of their own, selecting the pods of the same Services and controllers.
    static func systemDefaults(selector: LabelSelector) -> [SpreadConstraint] {
        [SpreadConstraint(maxSkew: 3, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "ScheduleAnyway", selector: selector),
         SpreadConstraint(maxSkew: 5, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway", selector: selector)]
    }

    func matches(_ pod: PodInfo) -> Bool { selector?.matches(pod.labels) ?? false }
}

/// A pod, parsed once for scheduling (immutable; shared by reference between node infos).
public final class PodInfo: Sendable {
    public let pod: JSONValue
    public let name: String
    public let namespace: String
    public let uid: String
    public let labels: [String: String]
    public let priority: Int64
    public let nodeName: String
    /// The effective request (PodRequests.compute).
    public let requests: ResourceList
    /// The request counted for scoring (100m cpu / 200Mi memory for containers asking none).
    public let nonZeroRequests: ResourceList
    public let hostPorts: [HostPort]
    public let tolerations: [Toleration]
    let nodeAffinity: RequiredNodeAffinity
    let preferredNodeTerms: [(weight: Int64, term: NodeSelectorTerm)]
    let requiredAffinity: [PodAffinityTerm]
    let requiredAntiAffinity: [PodAffinityTerm]
    let preferredAffinity: [PodAffinityTerm]
    let preferredAntiAffinity: [PodAffinityTerm]
    let spreadConstraints: [SpreadConstraint]
    /// Whether `spreadConstraints` are the system defaults (then nodes need not have every topology key).
    let systemDefaultedSpread: Bool
    public let isTerminating: Bool
    public let preemptionPolicy: String
    public let images: [String]
    /// The positive requests in the order NodeResourcesFit checks them: cpu, memory, ephemeral-storage,
    /// then the scalar (extended) resources by name.
    let fitRequests: [(name: String, quantity: Quantity)]
    /// cpu (millicores) and memory (bytes) of `requests` and `nonZeroRequests`.
    let requestAmounts: CPUMemory
    let nonZeroAmounts: CPUMemory

    /// `defaultSpreadSelector` selects the pods of the same Services, ReplicaSets, StatefulSets and
    /// ReplicationControllers as this one; a pod without topologySpreadConstraints then gets the system
    /// default constraints (ScheduleAnyway: maxSkew 3 per hostname, 5 per zone).
    public init(_ pod: JSONValue, defaultSpreadSelector: LabelSelector? = nil) {
        self.pod = pod
        let meta = pod["metadata"] ?? .object([:])
        let spec = pod["spec"] ?? .object([:])
        name = meta["name"]?.stringValue ?? ""
        namespace = meta["namespace"]?.stringValue ?? "default"
        uid = meta["uid"]?.stringValue ?? ""
        var labels: [String: String] = [:]
        for (k, v) in meta["labels"]?.objectValue ?? [:] { labels[k] = v.stringValue ?? "" }
        self.labels = labels
        priority = spec["priority"]?.intValue ?? 0
        nodeName = spec["nodeName"]?.stringValue ?? ""
        requests = PodRequests.compute(pod)
        nonZeroRequests = PodRequests.compute(pod, nonZero: true)
        let requests = self.requests
        fitRequests = ([ResourceName.cpu, ResourceName.memory, ResourceName.ephemeralStorage] + requests.names.filter(ResourceName.isScalar))
            .map { ($0, requests[$0]) }.filter { $0.1.sign > 0 }
        requestAmounts = CPUMemory(requests)
        nonZeroAmounts = CPUMemory(nonZeroRequests)
        var ports: [HostPort] = []
        for container in spec["containers"]?.arrayValue ?? [] {
            for port in container["ports"]?.arrayValue ?? [] {
                guard let hostPort = port["hostPort"]?.intValue, hostPort > 0 else { continue }
                let ip = port["hostIP"]?.stringValue ?? ""
                ports.append(HostPort(ip: ip.isEmpty ? "0.0.0.0" : ip, proto: port["protocol"]?.stringValue ?? "TCP", port: hostPort))
            }
        }
        hostPorts = ports
        tolerations = (spec["tolerations"]?.arrayValue ?? []).map(Toleration.init(json:))
        nodeAffinity = RequiredNodeAffinity(pod: pod)
        let affinity = spec["affinity"] ?? .object([:])
        preferredNodeTerms = (affinity["nodeAffinity"]?["preferredDuringSchedulingIgnoredDuringExecution"]?.arrayValue ?? []).map {
            ($0["weight"]?.intValue ?? 0, NodeSelectorTerm(json: $0["preference"] ?? .object([:])))
        }
        let ns = namespace
        func required(_ kind: String) -> [PodAffinityTerm] {
            (affinity[kind]?["requiredDuringSchedulingIgnoredDuringExecution"]?.arrayValue ?? []).map {
                PodAffinityTerm(json: $0, ownNamespace: ns, ownLabels: labels)
            }
        }
        func preferred(_ kind: String) -> [PodAffinityTerm] {
            (affinity[kind]?["preferredDuringSchedulingIgnoredDuringExecution"]?.arrayValue ?? []).map {
                PodAffinityTerm(json: $0["podAffinityTerm"] ?? .object([:]), ownNamespace: ns, ownLabels: labels,
                                weight: $0["weight"]?.intValue ?? 0)
            }
        }
        requiredAffinity = required("podAffinity")
        requiredAntiAffinity = required("podAntiAffinity")
        preferredAffinity = preferred("podAffinity")
        preferredAntiAffinity = preferred("podAntiAffinity")
        let own = (spec["topologySpreadConstraints"]?.arrayValue ?? []).map { SpreadConstraint(json: $0, ownLabels: labels) }
        if own.isEmpty, let defaultSpreadSelector, !defaultSpreadSelector.isEverything {
            spreadConstraints = SpreadConstraint.systemDefaults(selector: defaultSpreadSelector)
            systemDefaultedSpread = true
        } else {
            spreadConstraints = own
            systemDefaultedSpread = false
        }
        isTerminating = !(meta["deletionTimestamp"]?.isNull ?? true)
        preemptionPolicy = spec["preemptionPolicy"]?.stringValue ?? "PreemptLowerPriority"
        images = (spec["containers"]?.arrayValue ?? []).compactMap { $0["image"]?.stringValue }
    }

    var hasPodAffinityTerms: Bool {
        !(requiredAffinity.isEmpty && requiredAntiAffinity.isEmpty && preferredAffinity.isEmpty && preferredAntiAffinity.isEmpty)
    }

    /// `namespace/name`.
    public var key: String { "\(namespace)/\(name)" }
}

/// A host port a pod uses on its node.
public struct HostPort: Sendable, Hashable {
    public var ip: String
    public var proto: String
    public var port: Int64

    public init(ip: String = "0.0.0.0", proto: String = "TCP", port: Int64) {
        self.ip = ip
        self.proto = proto
        self.port = port
    }

    /// Two uses conflict on the same protocol and port when their IPs are equal or either is 0.0.0.0.
    public func conflicts(with other: HostPort) -> Bool {
        proto == other.proto && port == other.port && (ip == other.ip || ip == "0.0.0.0" || other.ip == "0.0.0.0")
    }
}
