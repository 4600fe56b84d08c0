import APIMachinery
import Storage

/// core/v1 Node: cluster-scoped, status kept on create (the kubelet registers with it), taints
/// validated, `spec.unschedulable` field selector, `kubectl get nodes` columns; a node created without
/// a podCIDR gets a free block of the cluster CIDR.
public struct NodeStrategy: ResourceStrategy {
    let allocator: NodeCIDRAllocator

    public init(clusterCIDR: ClusterCIDR = .default) { allocator = NodeCIDRAllocator(range: clusterCIDR) }
    public var allocationLock: AsyncLock? { allocator.lock }
    public func allocate(_ object: inout JSONValue, old: JSONValue?, storage: any Storage) async throws(StatusError) {
        try await allocator.allocate(&object, old: old, storage: storage)
    }
    public var hasStatusSubresource: Bool { true }
    public var keepsStatusOnCreate: Bool { true }
    public var fieldSelectorLabels: [String] { ["spec.unschedulable"] }

    static let systemInfoFields = ["architecture", "bootID", "containerRuntimeVersion", "kernelVersion", "kubeProxyVersion",
                                   "kubeletVersion", "machineID", "operatingSystem", "osImage", "systemUUID"]

    public func prepareForCreate(_ object: inout JSONValue) { setDefaults(&object) }
    public func prepareForUpdate(_ object: inout JSONValue, old: JSONValue) { setDefaults(&object) }

    /// The status fields a typed server always prints, and allocatable defaulted from capacity.
    func setDefaults(_ object: inout JSONValue) {
        if object["spec"] == nil || object["spec"]?.isNull == true { object["spec"] = [:] }
        var status = object["status"]?.objectValue ?? [:]
        var info = status["nodeInfo"]?.objectValue ?? [:]
        for field in Self.systemInfoFields where info[field] == nil { info[field] = "" }
        status["nodeInfo"] = .object(info)
        if status["daemonEndpoints"]?["kubeletEndpoint"]?["Port"] == nil {
            var endpoints = status["daemonEndpoints"] ?? [:]
            endpoints[key: "kubeletEndpoint", "Port"] = 0
            status["daemonEndpoints"] = endpoints
        }
        if status["allocatable"] == nil, let capacity = status["capacity"] { status["allocatable"] = capacity }
        object["status"] = .object(status)
    }

    static let effects = ["NoExecute", "NoSchedule", "PreferNoSchedule"]

    public func validate(_ object: JSONValue) -> [FieldError] {
        var errors: [FieldError] = []
        var seen = Set<String>()
        for (path, taint) in elements(object["spec"]?["taints"], "spec.taints") {
            let key = taint["key"]?.stringValue ?? ""
            errors += validateLabelKey(key, field: path + ".key")
            if let value = taint["value"]?.stringValue {
                errors += validateLabelValue(value, field: path + ".value")
            }
            let effect = taint["effect"]?.stringValue ?? ""
            if effect.isEmpty {
                errors.append(.required(path + ".effect"))
            } else if !Self.effects.contains(effect) {
                errors.append(.notSupported(path + ".effect", effect, supported: Self.effects))
            }
            if !seen.insert("\(key)\u{0}\(effect)").inserted {
                var duplicate = FieldError.duplicate(path, taint)
                duplicate.detail = "taints must be unique by key and effect pair"
                errors.append(duplicate)
            }
        }
        if let cidr = object["spec"]?["podCIDR"]?.stringValue, !cidr.isEmpty, !Self.isCIDR(cidr) {
            errors.append(.invalid("spec.podCIDR", .string(cidr), "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"))
        }
        for (path, cidr) in elements(object["spec"]?["podCIDRs"], "spec.podCIDRs") where !Self.isCIDR(cidr.stringValue ?? "") {
            errors.append(.invalid(path, cidr, "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"))
        }
        for (path, address) in elements(object["status"]?["addresses"], "status.addresses") {
            if (address["type"]?.stringValue ?? "").isEmpty { errors.append(.required(path + ".type")) }
        }
        return errors
    }

    static func isCIDR(_ text: String) -> Bool {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let length = Int(parts[1]) else { return false }
        let ip = String(parts[0])
        if ServiceIPRange.parse(ip) != nil { return (0...32).contains(length) }
        return isIPv6(ip) && (0...128).contains(length)
    }

    public func validateUpdate(_ object: JSONValue, old: JSONValue) -> [FieldError] {
        var errors: [FieldError] = []
        let oldCIDR = old["spec"]?["podCIDR"]?.stringValue ?? ""
        if !oldCIDR.isEmpty, object["spec"]?["podCIDR"]?.stringValue != oldCIDR {
            errors.append(.forbidden("spec.podCIDR", "node updates may not change podCIDR except from \"\" to valid"))
        }
        let oldProvider = old["spec"]?["providerID"]?.stringValue ?? ""
        if !oldProvider.isEmpty, object["spec"]?["providerID"]?.stringValue != oldProvider {
            errors.append(.forbidden("spec.providerID", "node updates may not change providerID except from \"\" to valid"))
        }
        return errors
    }

    public func selectableFields(_ object: JSONValue) -> [String: String] {
        ["spec.unschedulable": object["spec"]?["unschedulable"]?.boolValue == true ? "true" : "false"]
    }

    public var tableColumns: [TableColumn] {
        [.name,
         TableColumn("Status", description: "The status of the node"),
         TableColumn("Roles", description: "The roles of the node"),
         .age,
         TableColumn("Version", description: "Kubelet Version reported by the node."),
         TableColumn("Internal-IP", priority: 1,
             description: "List of addresses reachable to the node. Queried from cloud provider, if available."),
         TableColumn("External-IP", priority: 1,
             description: "List of addresses reachable to the node. Queried from cloud provider, if available."),
         TableColumn("OS-Image", priority: 1,
             description: "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy))."),
         TableColumn("Kernel-Version", priority: 1,
             description: "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64)."),
         TableColumn("Container-Runtime", priority: 1,
             description: "ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).")]
    }

    public func tableCells(_ object: JSONValue, now: Double) -> [JSONValue] {
        var status: [String] = []
        if let ready = (object["status"]?["conditions"]?.arrayValue ?? []).last(where: { $0["type"]?.stringValue == "Ready" }) {
            status.append(ready["status"]?.stringValue == "True" ? "Ready" : "NotReady")
        }
        if status.isEmpty { status.append("Unknown") }
        if object["spec"]?["unschedulable"]?.boolValue == true { status.append("SchedulingDisabled") }
        var roles = Set<String>()
        for (key, value) in object.labels {
            if key.hasPrefix("node-role.kubernetes.io/") {
                let role = String(key.dropFirst("node-role.kubernetes.io/".count))
                if !role.isEmpty { roles.insert(role) }
            } else if key == "kubernetes.io/role", !value.isEmpty {
                roles.insert(value)
            }
        }
        let info = object["status"]?["nodeInfo"]
        func infoField(_ name: String) -> String {
            let s = info?[name]?.stringValue ?? ""
            return s.isEmpty ? "<unknown>" : s
        }
        func address(_ type: String) -> String {
            let addresses = object["status"]?["addresses"]?.arrayValue ?? []
            return addresses.first { $0["type"]?.stringValue == type }?["address"]?.stringValue ?? "<none>"
        }
        return [.string(object.name), .string(status.joined(separator: ",")),
                .string(roles.isEmpty ? "<none>" : roles.sorted().joined(separator: ",")),
                .string(age(of: object, now: now)), .string(info?["kubeletVersion"]?.stringValue ?? ""),
                .string(address("InternalIP")), .string(address("ExternalIP")),
                .string(infoField("osImage")), .string(infoField("kernelVersion")), .string(infoField("containerRuntimeVersion"))]
    }
}
