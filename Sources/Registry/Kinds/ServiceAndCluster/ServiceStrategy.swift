import APIMachinery
import Storage

/// core/v1 Service: defaults as the API server sets them, ValidateService, ClusterIP and node port
/// allocation from the stored Services, `kubectl get svc` columns.
public struct ServiceStrategy: ResourceStrategy {
    let allocator: ServiceAllocator

    public init(range: ServiceIPRange = .default) {
        allocator = ServiceAllocator(range: range)
    }

    public var hasStatusSubresource: Bool { true }
    /// DELETE answers with the Service, as Kubernetes' service storage does.
    public var returnsDeletedObject: Bool { true }
    public var fieldSelectorLabels: [String] { ["spec.clusterIP", "spec.type"] }
    public var allocationLock: AsyncLock? { allocator.lock }

    public func validateName(_ name: String, prefix: Bool) -> [String] {
        nameIsDNS1035Label(name, prefix: prefix)
    }

    public func allocate(_ object: inout JSONValue, old: JSONValue?, storage: any Storage) async throws(StatusError) {
        try await allocator.allocate(&object, storage: storage)
    }

    // MARK: Defaults

    public func prepareForCreate(_ object: inout JSONValue) {
        object["status"] = ["loadBalancer": [:]]
        setDefaults(&object)
    }

    public func prepareForUpdate(_ object: inout JSONValue, old: JSONValue) {
        keepAllocations(&object, old: old)
        dropTypeDependentFields(&object, old: old)
        setDefaults(&object)
    }

    /// A replacement that leaves out the allocated ClusterIP and node ports keeps them (as `kubectl
    /// replace` of an edited manifest expects), unless the type no longer needs them.
    func keepAllocations(_ object: inout JSONValue, old: JSONValue) {
        guard var spec = object["spec"]?.objectValue, let oldSpec = old["spec"] else { return }
        let type = spec["type"]?.stringValue ?? "ClusterIP"
        let oldIP = oldSpec["clusterIP"]?.stringValue ?? ""
        if type != "ExternalName", !oldIP.isEmpty, (spec["clusterIP"]?.stringValue ?? "").isEmpty,
           (spec["clusterIPs"]?.arrayValue ?? []).isEmpty {
            spec["clusterIP"] = oldSpec["clusterIP"]
            spec["clusterIPs"] = oldSpec["clusterIPs"]
        }
        if type == "NodePort" || type == "LoadBalancer", var ports = spec["ports"]?.arrayValue {
            let oldPorts = oldSpec["ports"]?.arrayValue ?? []
            for i in ports.indices where (ports[i]["nodePort"]?.intValue ?? 0) == 0 {
                let match = oldPorts.first {
                    $0["port"] == ports[i]["port"] && ($0["protocol"]?.stringValue ?? "TCP") == (ports[i]["protocol"]?.stringValue ?? "TCP")
                }
                if let nodePort = match?["nodePort"], (nodePort.intValue ?? 0) != 0 { ports[i]["nodePort"] = nodePort }
            }
            spec["ports"] = .array(ports)
        }
        object["spec"] = .object(spec)
    }

    /// Fields a type change leaves without meaning are dropped when the client kept them unchanged.
    func dropTypeDependentFields(_ object: inout JSONValue, old: JSONValue) {
        guard var spec = object["spec"]?.objectValue, let oldSpec = old["spec"] else { return }
        let type = spec["type"]?.stringValue ?? "ClusterIP"
        let oldType = oldSpec["type"]?.stringValue ?? "ClusterIP"
        if type == "LoadBalancer", spec["externalTrafficPolicy"]?.stringValue != "Local",
           spec["healthCheckNodePort"] == oldSpec["healthCheckNodePort"] {
            spec["healthCheckNodePort"] = nil
        }
        guard type != oldType else {
            object["spec"] = .object(spec)
            return
        }
        if type == "ExternalName" {
            if spec["clusterIP"] == oldSpec["clusterIP"] { spec["clusterIP"] = nil }
            if spec["clusterIPs"] == oldSpec["clusterIPs"] { spec["clusterIPs"] = nil }
            if spec["ipFamilies"] == oldSpec["ipFamilies"] { spec["ipFamilies"] = nil }
            if spec["ipFamilyPolicy"] == oldSpec["ipFamilyPolicy"] { spec["ipFamilyPolicy"] = nil }
            if spec["internalTrafficPolicy"] == oldSpec["internalTrafficPolicy"] { spec["internalTrafficPolicy"] = nil }
        }
        if type != "NodePort" && type != "LoadBalancer", var ports = spec["ports"]?.arrayValue {
            let oldPorts = oldSpec["ports"]?.arrayValue ?? []
            for i in ports.indices where ports[i]["nodePort"] != nil {
                if oldPorts.contains(where: { $0["nodePort"] == ports[i]["nodePort"] }) { ports[i]["nodePort"] = nil }
            }
            spec["ports"] = .array(ports)
            if spec["externalTrafficPolicy"] == oldSpec["externalTrafficPolicy"] { spec["externalTrafficPolicy"] = nil }
        }
        if type != "LoadBalancer" {
            for field in ["allocateLoadBalancerNodePorts", "loadBalancerClass", "healthCheckNodePort", "loadBalancerSourceRanges"]
            where spec[field] == oldSpec[field] {
                spec[field] = nil
            }
        }
        if oldType == "ExternalName", spec["externalName"] == oldSpec["externalName"] { spec["externalName"] = nil }
        object["spec"] = .object(spec)
    }

    func setDefaults(_ object: inout JSONValue) {
        guard var spec = object["spec"]?.objectValue else {
            if object["spec"] == nil || object["spec"]?.isNull == true {
                object["spec"] = [:]
                setDefaults(&object)
            }
            return
        }
        func isEmpty(_ key: String) -> Bool {
            guard let v = spec[key] else { return true }
            return v.isNull || v.stringValue == ""
        }
        if isEmpty("type") { spec["type"] = "ClusterIP" }
        let type = spec["type"]?.stringValue ?? ""
        if isEmpty("sessionAffinity") { spec["sessionAffinity"] = "None" }
        if spec["sessionAffinity"]?.stringValue == "ClientIP",
           spec["sessionAffinityConfig"]?["clientIP"]?["timeoutSeconds"] == nil {
            var config = spec["sessionAffinityConfig"]?.objectValue.map(JSONValue.object) ?? [:]
            config[key: "clientIP", "timeoutSeconds"] = 10800
            spec["sessionAffinityConfig"] = config
        }
        if var ports = spec["ports"]?.arrayValue {
            for i in ports.indices where ports[i].objectValue != nil {
                if ports[i]["protocol"]?.stringValue?.isEmpty ?? true { ports[i]["protocol"] = "TCP" }
                let target = ports[i]["targetPort"]
                if target == nil || target?.isNull == true || target?.intValue == 0 || target?.stringValue == "" {
                    ports[i]["targetPort"] = ports[i]["port"]
                }
            }
            spec["ports"] = .array(ports)
        }
        // ClusterIP and ClusterIPs mirror each other.
        let clusterIP = spec["clusterIP"]?.stringValue ?? ""
        let clusterIPs = spec["clusterIPs"]?.arrayValue ?? []
        if !clusterIP.isEmpty && clusterIPs.isEmpty { spec["clusterIPs"] = [.string(clusterIP)] }
        if clusterIP.isEmpty, let first = clusterIPs.first?.stringValue, !first.isEmpty { spec["clusterIP"] = .string(first) }
        if spec["clusterIPs"]?.arrayValue?.isEmpty == true { spec["clusterIPs"] = nil }

        if type != "ExternalName" {
            let headless = spec["clusterIP"]?.stringValue == "None"
            let selectorless = spec["selector"]?.objectValue?.isEmpty ?? true
            if isEmpty("ipFamilyPolicy") {
                let families = spec["ipFamilies"]?.arrayValue?.count ?? 0
                let ips = spec["clusterIPs"]?.arrayValue?.count ?? 0
                spec["ipFamilyPolicy"] = headless && selectorless ? "RequireDualStack"
                    : (families > 1 || ips > 1 ? "RequireDualStack" : "SingleStack")
            }
            if spec["ipFamilies"]?.arrayValue?.isEmpty ?? true {
                let first = spec["clusterIPs"]?.arrayValue?.first?.stringValue ?? ""
                spec["ipFamilies"] = [first.contains(":") ? "IPv6" : "IPv4"]
            }
            if isEmpty("internalTrafficPolicy") { spec["internalTrafficPolicy"] = "Cluster" }
        }
        if type == "NodePort" || type == "LoadBalancer" {
            if isEmpty("externalTrafficPolicy") { spec["externalTrafficPolicy"] = "Cluster" }
        }
        if type == "LoadBalancer", spec["allocateLoadBalancerNodePorts"] == nil || spec["allocateLoadBalancerNodePorts"]?.isNull == true {
            spec["allocateLoadBalancerNodePorts"] = true
        }
        object["spec"] = .object(spec)
    }

    public func selectableFields(_ object: JSONValue) -> [String: String] {
        ["spec.clusterIP": object["spec"]?["clusterIP"]?.stringValue ?? "",
         "spec.type": object["spec"]?["type"]?.stringValue ?? ""]
    }

    // MARK: Table

    public var tableColumns: [TableColumn] {
        [.name,
         TableColumn("Type", description: "type determines how the Service is exposed."),
         TableColumn("Cluster-IP", description: "clusterIP is the IP address of the service and is usually assigned randomly."),
         TableColumn("External-IP",
             description: "externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service."),
         TableColumn("Port(s)", description: "The list of ports that are exposed by this service."),
         .age,
         TableColumn("Selector", priority: 1,
             description: "Route service traffic to pods with label keys and values matching this selector.")]
    }

    public func tableCells(_ object: JSONValue, now: Double) -> [JSONValue] {
        let spec = object["spec"] ?? [:]
        let type = spec["type"]?.stringValue ?? ""
        let internalIP = spec["clusterIPs"]?.arrayValue?.first?.stringValue ?? "<none>"
        return [.string(object.name), .string(type), .string(internalIP), .string(Self.externalIP(object)),
                .string(Self.portString(spec["ports"])), .string(age(of: object, now: now)),
                .string(formatLabelMap(spec["selector"]))]
    }

    static func externalIP(_ object: JSONValue) -> String {
        let spec = object["spec"] ?? [:]
        let externalIPs = (spec["externalIPs"]?.arrayValue ?? []).compactMap(\.stringValue)
        switch spec["type"]?.stringValue ?? "" {
        case "ClusterIP", "NodePort":
            return externalIPs.isEmpty ? "<none>" : externalIPs.joined(separator: ",")
        case "LoadBalancer":
            let ingress = (object["status"]?["loadBalancer"]?["ingress"]?.arrayValue ?? []).compactMap { entry -> String? in
                if let ip = entry["ip"]?.stringValue, !ip.isEmpty { return ip }
                if let host = entry["hostname"]?.stringValue, !host.isEmpty { return host }
                return nil
            }
            let lb = ingress.joined(separator: ",")
            if !externalIPs.isEmpty { return (externalIPs + (lb.isEmpty ? [] : [lb])).joined(separator: ",") }
            return lb.isEmpty ? "<pending>" : lb
        case "ExternalName":
            return spec["externalName"]?.stringValue ?? ""
        default:
            return "<unknown>"
        }
    }

    /// `80/TCP,443:30443/TCP`, `<none>` without ports.
    static func portString(_ ports: JSONValue?) -> String {
        let list = ports?.arrayValue ?? []
        if list.isEmpty { return "<none>" }
        return list.map { port in
            let number = port["port"]?.intValue ?? 0
            let proto = port["protocol"]?.stringValue ?? ""
            if let nodePort = port["nodePort"]?.intValue, nodePort > 0 { return "\(number):\(nodePort)/\(proto)" }
            return "\(number)/\(proto)"
        }.joined(separator: ",")
    }
}
