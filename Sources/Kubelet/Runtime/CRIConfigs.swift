import APIMachinery
import CRI
import Foundation

/// The CRI requests' configurations the kubelet derives from a pod: the sandbox (metadata, hostname,
/// logs, DNS, host ports, cgroup parent, namespaces, pod security context) and each container
/// (image, command and args with `$(VAR)` expanded, env, mounts, log path, resources as cgroup
/// settings, security context).
public struct CRIConfigs: Sendable {
    /// Where pod logs go: `<logRoot>/<namespace>_<name>_<uid>/<container>/<attempt>.log`.
    public var logRoot: String
    /// Cluster DNS servers and domain (ClusterFirst); empty servers fall back to the node's resolv.conf.
    public var clusterDNS: [String]
    public var clusterDomain: String
    /// The node's memory capacity, for Burstable pods' OOM score.
    public var nodeMemoryBytes: Int64

    public init(logRoot: String = "/var/log/pods", clusterDNS: [String] = [], clusterDomain: String = "cluster.local",
                nodeMemoryBytes: Int64 = 0) {
        self.logRoot = logRoot
        self.clusterDNS = clusterDNS
        self.clusterDomain = clusterDomain
        self.nodeMemoryBytes = nodeMemoryBytes
    }

    public static let podNameLabel = "io.kubernetes.pod.name"
    public static let podNamespaceLabel = "io.kubernetes.pod.namespace"
    public static let podUIDLabel = "io.kubernetes.pod.uid"
    public static let containerNameLabel = "io.kubernetes.container.name"

    /// The default /proc paths masked and made read-only in unprivileged containers.
    public static let maskedPaths = ["/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
                                     "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware"]
    public static let readonlyPaths = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]

    public func logDirectory(_ pod: JSONValue) -> String {
        "\(logRoot)/\(pod.namespace)_\(pod.name)_\(pod.uid)"
    }

    /// The cgroupfs parent of a pod's containers: /kubepods/pod<uid>, /kubepods/burstable/pod<uid> or
    /// /kubepods/besteffort/pod<uid> by QoS class.
    public static func cgroupParent(_ pod: JSONValue) -> String {
        switch qosClass(pod) {
        case "Guaranteed": return "/kubepods/pod\(pod.uid)"
        case "BestEffort": return "/kubepods/besteffort/pod\(pod.uid)"
        default: return "/kubepods/burstable/pod\(pod.uid)"
        }
    }

    static func qosClass(_ pod: JSONValue) -> String {
        if let qos = pod["status"]?["qosClass"]?.stringValue { return qos }
        let containers = (pod["spec"]?["containers"]?.arrayValue ?? []) + (pod["spec"]?["initContainers"]?.arrayValue ?? [])
        var any = false, guaranteed = true
        for c in containers {
            for resource in ["cpu", "memory"] {
                let request = c["resources"]?["requests"]?[resource].flatMap { Quantity(json: $0) }
                let limit = c["resources"]?["limits"]?[resource].flatMap { Quantity(json: $0) }
                if request != nil || limit != nil { any = true }
                if limit == nil || (request != nil && request != limit) { guaranteed = false }
            }
        }
        return !any ? "BestEffort" : guaranteed ? "Guaranteed" : "Burstable"
    }

    // MARK: Sandbox

    public func sandbox(_ pod: JSONValue, attempt: UInt32) -> Runtime_V1_PodSandboxConfig {
        let spec = pod["spec"] ?? [:]
        let hostNetwork = spec["hostNetwork"]?.boolValue ?? false
        return .with { config in
            config.metadata = .with {
                $0.name = pod.name
                $0.uid = pod.uid
                $0.namespace = pod.namespace
                $0.attempt = attempt
            }
            if !hostNetwork {
                var hostname = spec["hostname"]?.stringValue ?? pod.name
                if hostname.count > 63 { hostname = String(hostname.prefix(63)) }
                config.hostname = hostname
            }
            config.logDirectory = logDirectory(pod)
            if let dns = dnsConfig(pod) { config.dnsConfig = dns }
            config.portMappings = Self.portMappings(spec)
            var labels = pod.labels
            labels[Self.podNameLabel] = pod.name
            labels[Self.podNamespaceLabel] = pod.namespace
            labels[Self.podUIDLabel] = pod.uid
            config.labels = labels
            config.annotations = (pod["metadata"]?["annotations"]?.objectValue ?? [:]).compactMapValues(\.stringValue)
            config.linux = .with { linux in
                linux.cgroupParent = Self.cgroupParent(pod)
                let security = spec["securityContext"] ?? [:]
                linux.securityContext = .with { context in
                    context.namespaceOptions = Self.namespaces(spec)
                    if let user = security["runAsUser"]?.intValue { context.runAsUser = .with { $0.value = user } }
                    if let group = security["runAsGroup"]?.intValue { context.runAsGroup = .with { $0.value = group } }
                    var groups = (security["supplementalGroups"]?.arrayValue ?? []).compactMap(\.intValue)
                    if let fsGroup = security["fsGroup"]?.intValue { groups.append(fsGroup) }
                    context.supplementalGroups = groups
                    context.privileged = (spec["containers"]?.arrayValue ?? []).contains {
                        $0["securityContext"]?["privileged"]?.boolValue == true
                    }
                }
                var sysctls: [String: String] = [:]
                for sysctl in security["sysctls"]?.arrayValue ?? [] {
                    if let name = sysctl["name"]?.stringValue { sysctls[name] = sysctl["value"]?.stringValue ?? "" }
                }
                linux.sysctls = sysctls
            }
        }
    }

    /// Host ports of every container (containerPort with a hostPort).
    static func portMappings(_ spec: JSONValue) -> [Runtime_V1_PortMapping] {
        var out: [Runtime_V1_PortMapping] = []
        for container in spec["containers"]?.arrayValue ?? [] {
            for port in container["ports"]?.arrayValue ?? [] {
                guard let host = port["hostPort"]?.intValue, host > 0, let target = port["containerPort"]?.intValue else { continue }
                out.append(.with {
                    $0.containerPort = Int32(target)
                    $0.hostPort = Int32(host)
                    $0.hostIp = port["hostIP"]?.stringValue ?? ""
                    switch port["protocol"]?.stringValue ?? "TCP" {
                    case "UDP": $0.protocol = .udp
                    case "SCTP": $0.protocol = .sctp
                    default: $0.protocol = .tcp
                    }
                })
            }
        }
        return out
    }

    static func namespaces(_ spec: JSONValue) -> Runtime_V1_NamespaceOption {
        .with {
            $0.network = spec["hostNetwork"]?.boolValue == true ? .node : .pod
            $0.pid = spec["hostPID"]?.boolValue == true ? .node : (spec["shareProcessNamespace"]?.boolValue == true ? .pod : .container)
            $0.ipc = spec["hostIPC"]?.boolValue == true ? .node : .pod
        }
    }

    /// ClusterFirst: the cluster DNS, the pod's namespace's search domains, ndots 5 (the node's
    /// resolv.conf when no cluster DNS is configured); None: the pod's dnsConfig alone; the pod's
    /// dnsConfig is merged into the others.
    func dnsConfig(_ pod: JSONValue) -> Runtime_V1_DNSConfig? {
        let spec = pod["spec"] ?? [:]
        let policy = spec["dnsPolicy"]?.stringValue ?? "ClusterFirst"
        let custom = spec["dnsConfig"]
        let customServers = (custom?["nameservers"]?.arrayValue ?? []).compactMap(\.stringValue)
        let customSearches = (custom?["searches"]?.arrayValue ?? []).compactMap(\.stringValue)
        let customOptions = (custom?["options"]?.arrayValue ?? []).compactMap { option -> String? in
            guard let name = option["name"]?.stringValue else { return nil }
            return option["value"]?.stringValue.map { "\(name):\($0)" } ?? name
        }
        var servers: [String] = [], searches: [String] = [], options: [String] = []
        let clusterFirst = policy == "ClusterFirst" || (policy == "ClusterFirstWithHostNet")
        if clusterFirst && !clusterDNS.isEmpty && (policy == "ClusterFirstWithHostNet" || spec["hostNetwork"]?.boolValue != true) {
            servers = clusterDNS
            let ns = pod.namespace.isEmpty ? "default" : pod.namespace
            searches = ["\(ns).svc.\(clusterDomain)", "svc.\(clusterDomain)", clusterDomain]
            options = ["ndots:5"]
        } else if policy != "None" && custom == nil {
            return nil
        }
        servers += customServers.filter { !servers.contains($0) }
        searches += customSearches.filter { !searches.contains($0) }
        for option in customOptions {
            let name = option.split(separator: ":").first.map(String.init) ?? option
            options.removeAll { ($0.split(separator: ":").first.map(String.init) ?? $0) == name }
            options.append(option)
        }
        return .with {
            $0.servers = servers
            $0.searches = searches
            $0.options = options
        }
    }

    // MARK: Containers

    /// The container's CRI configuration; `env` is its resolved environment, `mounts` its volume mounts
    /// on the host, `image` the image to run (the pulled reference).
    public func container(_ container: JSONValue, pod: JSONValue, attempt: UInt32, env: [EnvResolver.Variable],
                          mounts: [Runtime_V1_Mount], image: String) -> Runtime_V1_ContainerConfig {
        let name = container["name"]?.stringValue ?? ""
        let table = env.map { (name: $0.name, value: $0.value) }
        return .with { config in
            config.metadata = .with {
                $0.name = name
                $0.attempt = attempt
            }
            config.image = .with { $0.image = image }
            config.command = (container["command"]?.arrayValue ?? []).map { EnvExpansion.expand($0.stringValue ?? "", env: table) }
            config.args = (container["args"]?.arrayValue ?? []).map { EnvExpansion.expand($0.stringValue ?? "", env: table) }
            config.workingDir = container["workingDir"]?.stringValue ?? ""
            config.envs = env.map { variable in .with { $0.key = variable.name; $0.value = variable.value } }
            config.mounts = mounts
            config.logPath = "\(name)/\(attempt).log"
            config.stdin = container["stdin"]?.boolValue ?? false
            config.stdinOnce = container["stdinOnce"]?.boolValue ?? false
            config.tty = container["tty"]?.boolValue ?? false
            config.labels = [Self.containerNameLabel: name, Self.podNameLabel: pod.name,
                             Self.podNamespaceLabel: pod.namespace, Self.podUIDLabel: pod.uid]
            config.annotations = [
                "io.kubernetes.container.restartCount": String(attempt),
                "io.kubernetes.container.terminationMessagePath": container["terminationMessagePath"]?.stringValue ?? "/dev/termination-log",
                "io.kubernetes.pod.terminationGracePeriod": String(pod["spec"]?["terminationGracePeriodSeconds"]?.intValue ?? 30),
            ]
            config.linux = .with { linux in
                linux.resources = resources(container, pod: pod)
                linux.securityContext = securityContext(container, pod: pod)
            }
        }
    }

    /// cpu shares from the request (1024 per core, at least 2), a CFS quota from the limit (100 ms
    /// period, at least 1 ms), the memory limit, and the OOM score by QoS class.
    func resources(_ container: JSONValue, pod: JSONValue) -> Runtime_V1_LinuxContainerResources {
        let requests = container["resources"]?["requests"], limits = container["resources"]?["limits"]
        let cpuRequest = Quantity(json: requests?["cpu"]) ?? Quantity(json: limits?["cpu"])
        let cpuLimit = Quantity(json: limits?["cpu"])
        let memoryLimit = Quantity(json: limits?["memory"])
        let memoryRequest = Quantity(json: requests?["memory"]) ?? memoryLimit
        return .with {
            $0.cpuShares = max(2, (cpuRequest?.milliValue ?? 0) * 1024 / 1000)
            if let cpuLimit {
                $0.cpuPeriod = 100_000
                $0.cpuQuota = max(1000, cpuLimit.milliValue * 100_000 / 1000)
            }
            if let memoryLimit { $0.memoryLimitInBytes = memoryLimit.value }
            switch Self.qosClass(pod) {
            case "Guaranteed": $0.oomScoreAdj = -997
            case "BestEffort": $0.oomScoreAdj = 1000
            default:
                let capacity = max(1, nodeMemoryBytes)
                let request = memoryRequest?.value ?? 0
                $0.oomScoreAdj = nodeMemoryBytes > 0 ? min(999, max(2, 1000 - (1000 * request) / capacity)) : 999
            }
        }
    }

    func securityContext(_ container: JSONValue, pod: JSONValue) -> Runtime_V1_LinuxContainerSecurityContext {
        let podContext = pod["spec"]?["securityContext"] ?? [:]
        let context = container["securityContext"] ?? [:]
        let privileged = context["privileged"]?.boolValue ?? false
        return .with {
            $0.privileged = privileged
            $0.namespaceOptions = Self.namespaces(pod["spec"] ?? [:])
            if let user = context["runAsUser"]?.intValue ?? podContext["runAsUser"]?.intValue { $0.runAsUser = .with { $0.value = user } }
            if let group = context["runAsGroup"]?.intValue ?? podContext["runAsGroup"]?.intValue { $0.runAsGroup = .with { $0.value = group } }
            $0.readonlyRootfs = context["readOnlyRootFilesystem"]?.boolValue ?? false
            var groups = (podContext["supplementalGroups"]?.arrayValue ?? []).compactMap(\.intValue)
            if let fsGroup = podContext["fsGroup"]?.intValue { groups.append(fsGroup) }
            $0.supplementalGroups = groups
            if let capabilities = context["capabilities"] {
                $0.capabilities = .with {
                    $0.addCapabilities = (capabilities["add"]?.arrayValue ?? []).compactMap(\.stringValue)
                    $0.dropCapabilities = (capabilities["drop"]?.arrayValue ?? []).compactMap(\.stringValue)
                }
            }
            $0.noNewPrivs = context["allowPrivilegeEscalation"]?.boolValue == false
            if !privileged {
                $0.maskedPaths = Self.maskedPaths
                $0.readonlyPaths = Self.readonlyPaths
            }
        }
    }
}
