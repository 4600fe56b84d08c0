import APIMachinery
import Foundation

/// CPU and memory in use, as metrics.k8s.io reports them.
public struct ResourceUsage: Sendable, Equatable {
    /// Cores ×10⁹.
    public var cpuNanoCores: Int64
    public var memoryBytes: Int64

    public init(cpuNanoCores: Int64, memoryBytes: Int64) {
        self.cpuNanoCores = cpuNanoCores
        self.memoryBytes = memoryBytes
    }

    /// `cpu` as a quantity: whole millicores ("250m") when exact, else nanocores ("123456n").
    public var cpuQuantity: String {
        cpuNanoCores % 1_000_000 == 0 ? "\(cpuNanoCores / 1_000_000)m" : "\(cpuNanoCores)n"
    }

    /// `memory` as a quantity: kibibytes ("1234Ki") when exact, else bytes.
    public var memoryQuantity: String {
        memoryBytes % 1024 == 0 ? "\(memoryBytes / 1024)Ki" : "\(memoryBytes)"
    }

    public var json: JSONValue { ["cpu": .string(cpuQuantity), "memory": .string(memoryQuantity)] }
}

/// The latest usage of every node and pod, as a metrics pipeline collected it.
public struct MetricsSnapshot: Sendable, Equatable {
    public struct NodeSample: Sendable, Equatable {
        public var timestamp: Date
        public var windowSeconds: Int
        public var usage: ResourceUsage
        public init(timestamp: Date, windowSeconds: Int, usage: ResourceUsage) {
            self.timestamp = timestamp
            self.windowSeconds = windowSeconds
            self.usage = usage
        }
    }

    public struct PodSample: Sendable, Equatable {
        public var timestamp: Date
        public var windowSeconds: Int
        /// Container name and usage, in the pod's order.
        public var containers: [(name: String, usage: ResourceUsage)]
        public init(timestamp: Date, windowSeconds: Int, containers: [(name: String, usage: ResourceUsage)]) {
            self.timestamp = timestamp
            self.windowSeconds = windowSeconds
            self.containers = containers
        }
        public static func == (a: PodSample, b: PodSample) -> Bool {
            a.timestamp == b.timestamp && a.windowSeconds == b.windowSeconds
                && a.containers.map(\.name) == b.containers.map(\.name) && a.containers.map(\.usage) == b.containers.map(\.usage)
        }
    }

    /// By node name.
    public var nodes: [String: NodeSample]
    /// By "namespace/name".
    public var pods: [String: PodSample]

    public init(nodes: [String: NodeSample] = [:], pods: [String: PodSample] = [:]) {
        self.nodes = nodes
        self.pods = pods
    }

    /// Adds what one kubelet's Summary API document (`GET /stats/summary`) reports; entries without a
    /// CPU rate (the kubelet's first sample) are left out, as metrics-server does.
    public mutating func add(summary: JSONValue, windowSeconds: Int) {
        func usage(_ stats: JSONValue?) -> ResourceUsage? {
            guard let cpu = stats?["cpu"]?["usageNanoCores"]?.intValue else { return nil }
            return ResourceUsage(cpuNanoCores: cpu, memoryBytes: stats?["memory"]?["workingSetBytes"]?.intValue ?? 0)
        }
        func time(_ stats: JSONValue?) -> Date {
            stats?["cpu"]?["time"]?.stringValue.flatMap { RFC3339.parse($0) } ?? Date()
        }
        let node = summary["node"]
        if let name = node?["nodeName"]?.stringValue, let usage = usage(node) {
            nodes[name] = NodeSample(timestamp: time(node), windowSeconds: windowSeconds, usage: usage)
        }
        for pod in summary["pods"]?.arrayValue ?? [] {
            guard let name = pod["podRef"]?["name"]?.stringValue, let namespace = pod["podRef"]?["namespace"]?.stringValue else { continue }
            var containers: [(name: String, usage: ResourceUsage)] = []
            var complete = true
            for container in pod["containers"]?.arrayValue ?? [] {
                guard let cname = container["name"]?.stringValue, let u = usage(container) else { complete = false; continue }
                containers.append((cname, u))
            }
            guard complete, !containers.isEmpty else { continue }
            pods["\(namespace)/\(name)"] = PodSample(timestamp: time(pod), windowSeconds: windowSeconds, containers: containers)
        }
    }
}

/// Where metrics.k8s.io gets its figures: the API server's kubelet scraper, a fake in tests.
public protocol MetricsSource: Sendable {
    func snapshot(registry: Registry) async -> MetricsSnapshot
}

/// No figures (a server without a metrics pipeline): every list is empty, every get 404.
public struct EmptyMetricsSource: MetricsSource {
    public init() {}
    public func snapshot(registry: Registry) async -> MetricsSnapshot { MetricsSnapshot() }
}

extension Registry {
    public static let metricsGroup = "metrics.k8s.io"

    /// metrics.k8s.io/v1beta1 NodeMetrics and PodMetrics, computed from `source` (as metrics-server serves them).
    public static func metricsKinds(source: any MetricsSource = EmptyMetricsSource()) -> [ResourceDefinition] {
        [
            ResourceDefinition(group: metricsGroup, version: "v1beta1", resource: "nodes", kind: "NodeMetrics", singular: "",
                               namespaced: false, strategy: MetricsStrategy())
                .readOnly(from: MetricsReader(pods: false, source: source)),
            ResourceDefinition(group: metricsGroup, version: "v1beta1", resource: "pods", kind: "PodMetrics", singular: "",
                               namespaced: true, strategy: MetricsStrategy())
                .readOnly(from: MetricsReader(pods: true, source: source)),
        ]
    }
}

extension Array where Element == ResourceDefinition {
    /// These definitions with metrics.k8s.io computed from `source`.
    public func withMetrics(from source: any MetricsSource) -> [ResourceDefinition] {
        let replacements = Registry.metricsKinds(source: source)
        return map { d in
            replacements.first { $0.group == d.group && $0.version == d.version && $0.resource == d.resource } ?? d
        }
    }
}

struct MetricsStrategy: ResourceStrategy {}

/// NodeMetrics and PodMetrics: one per node (pod) the registry has and the snapshot has figures for,
/// with the node's (pod's) labels, so that label selectors select as on the objects themselves.
struct MetricsReader: ReadOnlySource {
    let pods: Bool
    let source: any MetricsSource

    var resource: GroupResource { GroupResource(group: Registry.metricsGroup, resource: pods ? "pods" : "nodes") }

    func objects(_ registry: Registry, namespace: String?) async throws(StatusError) -> [JSONValue] {
        guard let store = registry.store(group: "", version: "v1", resource: pods ? "pods" : "nodes") else { return [] }
        let items = try await store.list(namespace: namespace, options: ListOptions()).items
        let snapshot = await source.snapshot(registry: registry)
        return items.compactMap { metrics(for: $0, snapshot) }
    }

    func list(namespace: String?, registry: Registry) async throws(StatusError) -> [JSONValue] {
        try await objects(registry, namespace: pods ? namespace : nil)
    }

    func get(namespace: String, name: String, registry: Registry) async throws(StatusError) -> JSONValue {
        guard let store = registry.store(group: "", version: "v1", resource: pods ? "pods" : "nodes") else {
            throw StatusError.notFound(resource, name: name)
        }
        let object: JSONValue
        do {
            object = try await store.get(namespace: namespace, name: name)
        } catch {
            throw StatusError.notFound(resource, name: name)
        }
        guard let metrics = metrics(for: object, await source.snapshot(registry: registry)) else {
            throw StatusError.notFound(resource, name: name)
        }
        return metrics
    }

    func metrics(for object: JSONValue, _ snapshot: MetricsSnapshot) -> JSONValue? {
        var metadata: [String: JSONValue] = ["name": .string(object.name),
                                             "creationTimestamp": .string(RFC3339.format(Date()))]
        if let labels = object["metadata"]?["labels"], labels.objectValue?.isEmpty == false { metadata["labels"] = labels }
        if pods {
            guard let sample = snapshot.pods["\(object.namespace)/\(object.name)"] else { return nil }
            metadata["namespace"] = .string(object.namespace)
            return ["metadata": .object(metadata), "timestamp": .string(RFC3339.format(sample.timestamp)),
                    "window": .string("\(sample.windowSeconds)s"),
                    "containers": .array(sample.containers.map { ["name": .string($0.name), "usage": $0.usage.json] })]
        }
        guard let sample = snapshot.nodes[object.name] else { return nil }
        return ["metadata": .object(metadata), "timestamp": .string(RFC3339.format(sample.timestamp)),
                "window": .string("\(sample.windowSeconds)s"), "usage": sample.usage.json]
    }
}
