import APIMachinery
import Foundation

/// Facts about the machine a node agent runs on (read by `HostFacts.read()`; tests build them).
public struct HostFacts: Sendable, Equatable {
    public var hostname: String
    public var internalIP: String
    public var cpus: Int
    public var memoryBytes: Int64
    public var ephemeralStorageBytes: Int64
    public var kernelVersion: String
    public var osImage: String
    public var machineID: String
    public var bootID: String
    public var architecture: String

    public init(hostname: String, internalIP: String, cpus: Int, memoryBytes: Int64, ephemeralStorageBytes: Int64,
                kernelVersion: String = "", osImage: String = "", machineID: String = "", bootID: String = "", architecture: String = "amd64") {
        self.hostname = hostname
        self.internalIP = internalIP
        self.cpus = cpus
        self.memoryBytes = memoryBytes
        self.ephemeralStorageBytes = ephemeralStorageBytes
        self.kernelVersion = kernelVersion
        self.osImage = osImage
        self.machineID = machineID
        self.bootID = bootID
        self.architecture = architecture
    }

    /// This machine: /proc/cpuinfo's processors, /proc/meminfo's MemTotal, the size of the
    /// filesystem holding `dataDirectory`, /proc/sys/kernel/osrelease, /etc/os-release's PRETTY_NAME,
    /// /etc/machine-id and the boot id.
    public static func read(dataDirectory: String, internalIP: String) -> HostFacts {
        func file(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }
        let memKB = file("/proc/meminfo").split(separator: "\n").first { $0.hasPrefix("MemTotal:") }?
            .split(separator: " ").compactMap { Int64($0) }.first ?? 0
        var stats = statvfs()
        let storage: Int64 = statvfs(dataDirectory, &stats) == 0 ? Int64(stats.f_blocks) * Int64(stats.f_frsize) : 0
        let pretty = file("/etc/os-release").split(separator: "\n").first { $0.hasPrefix("PRETTY_NAME=") }
            .map { String($0.dropFirst("PRETTY_NAME=".count)).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) } ?? "Linux"
        return HostFacts(hostname: ProcessInfo.processInfo.hostName.lowercased(), internalIP: internalIP,
                         cpus: ProcessInfo.processInfo.activeProcessorCount, memoryBytes: memKB * 1024, ephemeralStorageBytes: storage,
                         kernelVersion: file("/proc/sys/kernel/osrelease").trimmingCharacters(in: .whitespacesAndNewlines),
                         osImage: pretty, machineID: file("/etc/machine-id").trimmingCharacters(in: .whitespacesAndNewlines),
                         bootID: file("/proc/sys/kernel/random/boot_id").trimmingCharacters(in: .whitespacesAndNewlines))
    }
}

/// The Node's status as the kubelet reports it: capacity, allocatable (capacity less the default
/// hard eviction thresholds: memory.available 100Mi, nodefs.available 10%), addresses, nodeInfo and
/// the four conditions with the kubelet's reasons and messages.
public enum NodeStatus {
    public static let kubeletVersion = "v1.32.0+swiftlet"
    public static let evictionMemory: Int64 = 100 * 1024 * 1024
    public static let maxPods = 110

    public static func capacity(_ facts: HostFacts, maxPods: Int = maxPods) -> JSONValue {
        ["cpu": .string(String(facts.cpus)), "memory": .string(kibibytes(facts.memoryBytes)),
         "ephemeral-storage": .string(kibibytes(facts.ephemeralStorageBytes)), "pods": .string(String(maxPods)),
         "hugepages-1Gi": "0", "hugepages-2Mi": "0"]
    }

    public static func allocatable(_ facts: HostFacts, maxPods: Int = maxPods) -> JSONValue {
        let memory = max(0, facts.memoryBytes - evictionMemory)
        let storage = facts.ephemeralStorageBytes - facts.ephemeralStorageBytes / 10
        return ["cpu": .string(String(facts.cpus)), "memory": .string(kibibytes(memory)),
                "ephemeral-storage": .string(String(storage)), "pods": .string(String(maxPods)),
                "hugepages-1Gi": "0", "hugepages-2Mi": "0"]
    }

    /// The `status` to post; `previous` conditions keep their lastTransitionTime when unchanged.
    public static func status(_ facts: HostFacts, runtimeVersion: String, ready: Bool, notReadyMessage: String = "",
                              previous: [JSONValue] = [], now: Date, maxPods: Int = maxPods, kubeletPort: Int = 10250) -> JSONValue {
        let stamp = RFC3339.format(now)
        func condition(_ type: String, _ status: String, _ reason: String, _ message: String) -> JSONValue {
            let old = previous.first { $0["type"]?.stringValue == type }
            let transition = old?["status"]?.stringValue == status ? (old?["lastTransitionTime"] ?? .string(stamp)) : .string(stamp)
            return ["type": .string(type), "status": .string(status), "reason": .string(reason), "message": .string(message),
                    "lastHeartbeatTime": .string(stamp), "lastTransitionTime": transition]
        }
        let conditions: [JSONValue] = [
            condition("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
            condition("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
            condition("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
            ready ? condition("Ready", "True", "KubeletReady", "kubelet is posting ready status")
                : condition("Ready", "False", "KubeletNotReady", notReadyMessage),
        ]
        return [
            "capacity": capacity(facts, maxPods: maxPods),
            "allocatable": allocatable(facts, maxPods: maxPods),
            "conditions": .array(conditions),
            "addresses": [["type": "InternalIP", "address": .string(facts.internalIP)], ["type": "Hostname", "address": .string(facts.hostname)]],
            "daemonEndpoints": ["kubeletEndpoint": ["Port": .int(Int64(kubeletPort))]],
            "nodeInfo": [
                "machineID": .string(facts.machineID), "systemUUID": .string(facts.machineID), "bootID": .string(facts.bootID),
                "kernelVersion": .string(facts.kernelVersion), "osImage": .string(facts.osImage),
                "containerRuntimeVersion": .string(runtimeVersion), "kubeletVersion": .string(kubeletVersion),
                "kubeProxyVersion": .string(kubeletVersion), "operatingSystem": "linux", "architecture": .string(facts.architecture),
            ],
        ]
    }

    /// Bytes as the kubelet reports them: whole kibibytes (`16384Ki`).
    static func kibibytes(_ bytes: Int64) -> String { "\(bytes / 1024)Ki" }
}
