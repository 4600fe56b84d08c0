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

    // MARK: Validation

    static let types = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"]
    static let affinities = ["ClientIP", "None"]
    static let policies = ["PreferDualStack", "RequireDualStack", "SingleStack"]
    static let trafficPolicies = ["Cluster", "Local"]

    public func validate(_ object: JSONValue) -> [FieldError] {
        var errors: [FieldError] = []
        let spec = object["spec"] ?? [:]
        let type = spec["type"]?.stringValue ?? ""
        let clusterIP = spec["clusterIP"]?.stringValue ?? ""
        let clusterIPs = (spec["clusterIPs"]?.arrayValue ?? []).map { $0.stringValue ?? "" }
        let headless = clusterIP == "None"
        let ports = spec["ports"]?.arrayValue ?? []

        if !Self.types.contains(type) {
            errors.append(type.isEmpty ? .required("spec.type") : .notSupported("spec.type", type, supported: Self.types))
        }
        if ports.isEmpty && type != "ExternalName" && !headless {
            errors.append(.required("spec.ports"))
        }
        if type == "ExternalName" {
            if !clusterIP.isEmpty {
                errors.append(.forbidden("spec.clusterIP", "may not be set for ExternalName services"))
            }
            if !clusterIPs.isEmpty {
                errors.append(.forbidden("spec.clusterIPs", "may not be set for ExternalName services"))
            }
            if let families = spec["ipFamilies"]?.arrayValue, !families.isEmpty {
                errors.append(.forbidden("spec.ipFamilies", "may not be set for ExternalName services"))
            }
            if let policy = spec["ipFamilyPolicy"], !policy.isNull {
                errors.append(.forbidden("spec.ipFamilyPolicy", "may not be set for ExternalName services"))
            }
            let name = spec["externalName"]?.stringValue ?? ""
            if name.isEmpty {
                errors.append(.required("spec.externalName"))
            } else {
                let clean = name.hasSuffix(".") ? String(name.dropLast()) : name
                errors += NameValidation.isDNS1123Subdomain(clean).map { .invalid("spec.externalName", .string(name), $0) }
            }
        }

        // ClusterIPs, IP families and policy.
        let ipsValue = goStrings(clusterIPs)
        if !clusterIP.isEmpty {
            if clusterIPs.isEmpty {
                errors.append(.required("spec.clusterIPs"))
            } else if clusterIPs[0] != clusterIP {
                errors.append(FieldError(.invalid, field: "spec.clusterIPs", value: ipsValue, detail: "first value must match `clusterIP`"))
            }
        } else if !clusterIPs.isEmpty {
            errors.append(FieldError(.invalid, field: "spec.clusterIPs", value: ipsValue, detail: "must be empty when `clusterIP` is not specified"))
        }
        let families = (spec["ipFamilies"]?.arrayValue ?? []).map { $0.stringValue ?? "" }
        if type != "ExternalName" {
            var seenFamilies = Set<String>()
            for (i, family) in families.enumerated() {
                if family != "IPv4" && family != "IPv6" {
                    errors.append(.notSupported("spec.ipFamilies[\(i)]", family, supported: ["IPv4", "IPv6"]))
                }
                if !seenFamilies.insert(family).inserted {
                    errors.append(.duplicate("spec.ipFamilies[\(i)]", .string(family)))
                }
            }
            if let policy = spec["ipFamilyPolicy"]?.stringValue, !Self.policies.contains(policy) {
                errors.append(.notSupported("spec.ipFamilyPolicy", policy, supported: Self.policies))
            }
            var invalidIPs = false
            for (i, ip) in clusterIPs.enumerated() {
                if i == 0 && ip == "None" {
                    if clusterIPs.count > 1 {
                        invalidIPs = true
                        errors.append(FieldError(.invalid, field: "spec.clusterIPs", value: ipsValue, detail: "'None' must be the first and only value"))
                    }
                    continue
                }
                let problems = ipProblems(ip)
                invalidIPs = invalidIPs || !problems.isEmpty
                errors += problems.map { .invalid("spec.clusterIPs[\(i)]", .string(ip), $0) }
            }
            if clusterIPs.count > 2 {
                errors.append(FieldError(.invalid, field: "spec.clusterIPs", value: ipsValue, detail: "may only hold up to 2 values"))
            }
            if !invalidIPs {
                if clusterIPs.count > 1, Set(clusterIPs.map { $0.contains(":") }).count == 1 {
                    errors.append(FieldError(.invalid, field: "spec.clusterIPs", value: ipsValue, detail: "may specify no more than one IP for each IP family"))
                }
                if !headless {
                    for (i, ip) in clusterIPs.enumerated() where i < families.count {
                        if families[i] == "IPv4" && ip.contains(":") {
                            errors.append(.invalid("spec.clusterIPs[\(i)]", .string(ip), "expected an IPv4 value as indicated by `ipFamilies[\(i)]`"))
                        } else if families[i] == "IPv6" && !ip.contains(":") {
                            errors.append(.invalid("spec.clusterIPs[\(i)]", .string(ip), "expected an IPv6 value as indicated by `ipFamilies[\(i)]`"))
                        }
                    }
                }
            }
            // This cluster is single-stack IPv4 (headless services without a selector may ask for more).
            let policy = spec["ipFamilyPolicy"]?.stringValue
            let selectorless = spec["selector"]?.objectValue?.isEmpty ?? true
            if !(headless && selectorless) {
                if policy == "SingleStack" && families.count > 1 {
                    errors.append(.invalid("spec.ipFamilyPolicy", .string("SingleStack"), "must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified"))
                }
                if policy == "SingleStack" && clusterIPs.count > 1 {
                    errors.append(.invalid("spec.ipFamilyPolicy", .string("SingleStack"), "must be 'RequireDualStack' or 'PreferDualStack' when multiple cluster IPs are specified"))
                }
                if policy == "RequireDualStack" {
                    errors.append(.invalid("spec.ipFamilyPolicy", .string("RequireDualStack"), "this cluster is not configured for dual-stack services"))
                }
                for (i, family) in families.enumerated() where family == "IPv6" {
                    errors.append(.invalid("spec.ipFamilies[\(i)]", .string(family), "not configured on this cluster"))
                }
            }
        }
        if headless && (type == "NodePort" || type == "LoadBalancer") {
            errors.append(.invalid("spec.clusterIPs[0]", .string(clusterIP), "may not be set to 'None' for \(type) services"))
        }

        // Ports
        let requireName = ports.count > 1
        var names = Set<String>()
        var portKeys = Set<String>()
        var nodePortKeys = Set<String>()
        for (i, port) in ports.enumerated() {
            let path = "spec.ports[\(i)]"
            let name = port["name"]?.stringValue ?? ""
            if requireName && name.isEmpty {
                errors.append(.required(path + ".name"))
            } else if !name.isEmpty {
                errors += validateDNS1123Label(name, field: path + ".name")
                if !names.insert(name).inserted { errors.append(.duplicate(path + ".name", .string(name))) }
            }
            errors += validatePortNumber(port["port"] ?? .int(0), field: path + ".port")
            errors += validateProtocol(port["protocol"], field: path + ".protocol")
            errors += validatePortNumOrName(port["targetPort"], field: path + ".targetPort")
            if let appProtocol = port["appProtocol"]?.stringValue {
                errors += validateQualifiedName(appProtocol, field: path + ".appProtocol")
            }
            let nodePort = port["nodePort"]?.intValue ?? 0
            let proto = port["protocol"]?.stringValue ?? ""
            if type == "ClusterIP" && nodePort != 0 {
                errors.append(.forbidden(path + ".nodePort", "may not be used when `type` is 'ClusterIP'"))
            }
            if nodePort != 0 {
                errors += validatePortNumber(.int(nodePort), field: path + ".nodePort")
                if !nodePortKeys.insert("\(nodePort)/\(proto)").inserted {
                    errors.append(.duplicate(path + ".nodePort", .int(nodePort)))
                }
            }
            let key = "\(port["port"]?.intValue ?? 0)/\(proto)"
            if !portKeys.insert(key).inserted {
                errors.append(FieldError(.duplicate, field: path, value: "core.ServicePort{Name:\(FieldError.render(.string(name)) ?? "\"\""), Protocol:\(FieldError.render(.string(proto)) ?? "\"\""), Port:\(port["port"]?.intValue ?? 0)}"))
            }
        }

        errors += validateLabelMap(spec["selector"], field: "spec.selector")

        if let affinity = spec["sessionAffinity"]?.stringValue {
            if !Self.affinities.contains(affinity) {
                errors.append(.notSupported("spec.sessionAffinity", affinity, supported: Self.affinities))
            } else if affinity == "ClientIP" {
                let timeout = spec["sessionAffinityConfig"]?["clientIP"]?["timeoutSeconds"]?.intValue ?? 0
                if !(1...86400).contains(timeout) {
                    errors.append(.invalid("spec.sessionAffinityConfig.clientIP.timeoutSeconds", .int(timeout), "must be greater than 0 and less than 86400"))
                }
            } else if let config = spec["sessionAffinityConfig"], !config.isNull, config.objectValue?.isEmpty == false {
                errors.append(.invalid("spec.sessionAffinityConfig", config, "must not be set when session affinity is None"))
            }
        } else {
            errors.append(.required("spec.sessionAffinity"))
        }

        let externallyAccessible = type == "NodePort" || type == "LoadBalancer" || !(spec["externalIPs"]?.arrayValue?.isEmpty ?? true)
        if let policy = spec["externalTrafficPolicy"]?.stringValue, !policy.isEmpty {
            if !externallyAccessible {
                errors.append(.invalid("spec.externalTrafficPolicy", .string(policy), "may only be set for externally-accessible services"))
            } else if !Self.trafficPolicies.contains(policy) {
                errors.append(.notSupported("spec.externalTrafficPolicy", policy, supported: Self.trafficPolicies))
            }
        } else if type == "NodePort" || type == "LoadBalancer" {
            errors.append(.required("spec.externalTrafficPolicy"))
        }
        if let policy = spec["internalTrafficPolicy"]?.stringValue {
            if !Self.trafficPolicies.contains(policy) {
                errors.append(.notSupported("spec.internalTrafficPolicy", policy, supported: Self.trafficPolicies))
            }
        } else if type != "ExternalName" {
            errors.append(.required("spec.internalTrafficPolicy"))
        }
        if let allocate = spec["allocateLoadBalancerNodePorts"], !allocate.isNull, type != "LoadBalancer" {
            errors.append(.forbidden("spec.allocateLoadBalancerNodePorts", "may only be used when `type` is 'LoadBalancer'"))
        }
        if let ranges = spec["loadBalancerSourceRanges"]?.arrayValue, !ranges.isEmpty {
            if type != "LoadBalancer" {
                errors.append(.forbidden("spec.loadBalancerSourceRanges", "may only be used when `type` is 'LoadBalancer'"))
            }
            for (path, range) in elements(spec["loadBalancerSourceRanges"], "spec.loadBalancerSourceRanges") {
                let text = String((range.stringValue ?? "").filter { $0 != " " })
                if !NodeStrategy.isCIDR(text) {
                    errors.append(.invalid(path, range, "must be a list of IP ranges. For example, 10.240.0.0/24,10.250.0.0/24 "))
                }
            }
        }
        if let lbClass = spec["loadBalancerClass"]?.stringValue {
            if type != "LoadBalancer" {
                errors.append(.forbidden("spec.loadBalancerClass", "may only be used when `type` is 'LoadBalancer'"))
            } else {
                errors += validateQualifiedName(lbClass, field: "spec.loadBalancerClass")
            }
        }
        for (path, ip) in elements(spec["externalIPs"], "spec.externalIPs") {
            errors += ipProblems(ip.stringValue ?? "").map { .invalid(path, ip, $0) }
        }
        errors += validateLoadBalancerStatus(object["status"]?["loadBalancer"], field: "status.loadBalancer")
        if let health = spec["healthCheckNodePort"]?.intValue, health != 0 {
            if type != "LoadBalancer" || spec["externalTrafficPolicy"]?.stringValue != "Local" {
                errors.append(.invalid("spec.healthCheckNodePort", .int(health), "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"))
            }
        }
        return errors
    }

    public func validateUpdate(_ object: JSONValue, old: JSONValue) -> [FieldError] {
        var errors: [FieldError] = []
        let type = object["spec"]?["type"]?.stringValue ?? ""
        let oldType = old["spec"]?["type"]?.stringValue ?? ""
        guard type != "ExternalName", oldType != "ExternalName" else { return errors }
        let oldIPs = (old["spec"]?["clusterIPs"]?.arrayValue ?? []).compactMap(\.stringValue)
        let newIPs = (object["spec"]?["clusterIPs"]?.arrayValue ?? []).compactMap(\.stringValue)
        if oldIPs == ["None"] && newIPs == ["None"] { return errors }
        let value = goStrings(newIPs)
        if oldIPs.count == newIPs.count {
            for (i, ip) in oldIPs.enumerated() where ip != newIPs[i] {
                errors.append(FieldError(.invalid, field: "spec.clusterIPs[\(i)]", value: value, detail: "may not change once set"))
            }
        } else if oldIPs.count > newIPs.count {
            if newIPs.isEmpty {
                errors.append(FieldError(.invalid, field: "spec.clusterIPs[0]", value: value, detail: "primary clusterIP can not be unset"))
            } else if newIPs[0] != oldIPs[0] {
                errors.append(FieldError(.invalid, field: "spec.clusterIPs[0]", value: value, detail: "may not change once set"))
            }
        } else if let first = oldIPs.first, newIPs[0] != first {
            errors.append(FieldError(.invalid, field: "spec.clusterIPs[0]", value: value, detail: "may not change once set"))
        }
        return errors
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
         TableColumn("External-IP", description: "externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service."),
         TableColumn("Port(s)", description: "The list of ports that are exposed by this service."),
         .age,
         TableColumn("Selector", priority: 1, description: "Route service traffic to pods with label keys and values matching this selector.")]
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
