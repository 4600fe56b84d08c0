import APIMachinery
import CRI
import Foundation

/// Samples the node's and its containers' CPU and memory every `interval` (CRI ListContainerStats
/// for the running containers, `HostStatsReader` for the node) and keeps the last sample as a
/// Summary in the shape of the kubelet's Summary API (`GET /stats/summary`). CPU rates
/// (usageNanoCores) come from the difference of the cumulative CPU time between two samples; the
/// first sample of a container uses the runtime's own rate if it reports one.
public actor StatsSampler {
    /// One cumulative CPU reading.
    struct CPUReading: Sendable {
        var time: Int64  // ns since the epoch
        var usageCoreNanoSeconds: UInt64
    }

    let runtime: any ContainerRuntime
    let host: any HostStatsReader
    let nodeName: String
    let now: @Sendable () -> Date
    var previousContainers: [String: CPUReading] = [:]
    var previousNode: CPUReading?
    var last: JSONValue?

    public init(runtime: any ContainerRuntime, host: any HostStatsReader, nodeName: String,
                now: @escaping @Sendable () -> Date = { Date() }) {
        self.runtime = runtime
        self.host = host
        self.nodeName = nodeName
        self.now = now
    }

    /// Samples every `interval` until cancelled.
    public func run(interval: Duration) async {
        while !Task.isCancelled {
            await sample()
            try? await Task.sleep(for: interval)
        }
    }

    /// The last sample (taken now if there is none yet).
    public func summary() async -> JSONValue {
        if let last { return last }
        await sample()
        return last ?? ["node": ["nodeName": .string(nodeName)], "pods": []]
    }

    /// Takes one sample and keeps it as the current Summary.
    @discardableResult
    public func sample() async -> JSONValue {
        let stamp = now()
        let nowNanos = Int64(stamp.timeIntervalSince1970 * 1_000_000_000)
        var node: [String: JSONValue] = ["nodeName": .string(nodeName)]
        if let usage = try? host.read() {
            let reading = CPUReading(time: nowNanos, usageCoreNanoSeconds: usage.usageCoreNanoSeconds)
            node["cpu"] = Self.cpu(reading, rate: previousNode.flatMap { Self.rate(from: $0, to: reading) })
            previousNode = reading
            let workingSet = usage.memoryTotalBytes &- min(usage.memoryTotalBytes, usage.memoryAvailableBytes)
            node["memory"] = ["time": .string(RFC3339.format(stamp)), "availableBytes": .int(Int64(usage.memoryAvailableBytes)),
                              "usageBytes": .int(Int64(usage.memoryTotalBytes &- min(usage.memoryTotalBytes, usage.memoryFreeBytes))),
                              "workingSetBytes": .int(Int64(workingSet))]
        }
        let pods = await podStats(nowNanos: nowNanos)
        let summary: JSONValue = ["node": .object(node), "pods": .array(pods)]
        last = summary
        return summary
    }

    struct PodKey: Hashable, Comparable {
        var namespace: String
        var name: String
        var uid: String
        static func < (a: PodKey, b: PodKey) -> Bool { (a.namespace, a.name, a.uid) < (b.namespace, b.name, b.uid) }
    }

    func podStats(nowNanos: Int64) async -> [JSONValue] {
        guard let running = try? await runtime.listContainers(.with { $0.filter.state.state = .containerRunning }),
              let stats = try? await runtime.listContainerStats(Runtime_V1_ListContainerStatsRequest()) else { return [] }
        let runningIDs = Set(running.containers.map(\.id))
        var byPod: [PodKey: [(name: String, cpu: JSONValue, cpuRate: UInt64?, cpuTotal: UInt64, memory: JSONValue, workingSet: UInt64)]] = [:]
        var seen: [String: CPUReading] = [:]
        for stat in stats.stats where runningIDs.contains(stat.attributes.id) {
            let labels = stat.attributes.labels
            guard let podName = labels[CRIConfigs.podNameLabel], let namespace = labels[CRIConfigs.podNamespaceLabel] else { continue }
            let key = PodKey(namespace: namespace, name: podName, uid: labels[CRIConfigs.podUIDLabel] ?? "")
            let name = labels[CRIConfigs.containerNameLabel] ?? stat.attributes.metadata.name
            let time = stat.cpu.timestamp > 0 ? stat.cpu.timestamp : nowNanos
            let reading = CPUReading(time: time, usageCoreNanoSeconds: stat.cpu.usageCoreNanoSeconds.value)
            seen[stat.attributes.id] = reading
            var rate = previousContainers[stat.attributes.id].flatMap { Self.rate(from: $0, to: reading) }
            if rate == nil, stat.cpu.hasUsageNanoCores { rate = stat.cpu.usageNanoCores.value }
            let workingSet = stat.memory.workingSetBytes.value
            var memory: [String: JSONValue] = ["time": .string(Self.format(nanos: stat.memory.timestamp > 0 ? stat.memory.timestamp : nowNanos)),
                                               "workingSetBytes": .int(Int64(workingSet))]
            if stat.memory.hasUsageBytes { memory["usageBytes"] = .int(Int64(stat.memory.usageBytes.value)) }
            if stat.memory.hasRssBytes { memory["rssBytes"] = .int(Int64(stat.memory.rssBytes.value)) }
            if stat.memory.hasAvailableBytes { memory["availableBytes"] = .int(Int64(stat.memory.availableBytes.value)) }
            byPod[key, default: []].append((name, Self.cpu(reading, rate: rate), rate, reading.usageCoreNanoSeconds, .object(memory), workingSet))
        }
        previousContainers = seen
        let time = JSONValue.string(Self.format(nanos: nowNanos))
        return byPod.keys.sorted().map { key in
            let containers = byPod[key]!.sorted { $0.name < $1.name }
            var cpu: [String: JSONValue] = ["time": time, "usageCoreNanoSeconds": .int(Int64(containers.reduce(0) { $0 + $1.cpuTotal }))]
            if containers.allSatisfy({ $0.cpuRate != nil }) {
                cpu["usageNanoCores"] = .int(Int64(containers.reduce(0) { $0 + ($1.cpuRate ?? 0) }))
            }
            let workingSet = containers.reduce(UInt64(0)) { $0 + $1.workingSet }
            return [
                "podRef": ["name": .string(key.name), "namespace": .string(key.namespace), "uid": .string(key.uid)],
                "cpu": .object(cpu),
                "memory": ["time": time, "workingSetBytes": .int(Int64(workingSet))],
                "containers": .array(containers.map { ["name": .string($0.name), "cpu": $0.cpu, "memory": $0.memory] }),
            ]
        }
    }

    /// Cores in use ×10⁹ between two cumulative readings; nil without elapsed time or when the
    /// counter went back (a restarted container).
    static func rate(from old: CPUReading, to new: CPUReading) -> UInt64? {
        guard new.time > old.time, new.usageCoreNanoSeconds >= old.usageCoreNanoSeconds else { return nil }
        let used = Double(new.usageCoreNanoSeconds - old.usageCoreNanoSeconds)
        return UInt64((used / Double(new.time - old.time) * 1_000_000_000).rounded())
    }

    static func cpu(_ reading: CPUReading, rate: UInt64?) -> JSONValue {
        var cpu: [String: JSONValue] = ["time": .string(format(nanos: reading.time)),
                                        "usageCoreNanoSeconds": .int(Int64(reading.usageCoreNanoSeconds))]
        if let rate { cpu["usageNanoCores"] = .int(Int64(rate)) }
        return .object(cpu)
    }

    static func format(nanos: Int64) -> String {
        RFC3339.format(Date(timeIntervalSince1970: Double(nanos / 1_000_000_000)))
    }
}
