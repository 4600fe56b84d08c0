import APIMachinery

/// ValidateService and ValidateServiceUpdate: every field error of a Service, with Kubernetes' paths
/// and messages.
extension ServiceStrategy {
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
                errors += invalidMessages("spec.externalName", name, NameValidation.isDNS1123Subdomain(clean))
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
            errors.append(FieldError(.invalid, field: "spec.clusterIPs", value: ipsValue,
                detail: "must be empty when `clusterIP` is not specified"))
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
                        errors.append(FieldError(.invalid, field: "spec.clusterIPs", value: ipsValue,
                            detail: "'None' must be the first and only value"))
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
                    errors.append(FieldError(.invalid, field: "spec.clusterIPs", value: ipsValue,
                        detail: "may specify no more than one IP for each IP family"))
                }
                if !headless {
                    for (i, ip) in clusterIPs.enumerated() where i < families.count {
                        if families[i] == "IPv4" && ip.contains(":") {
                            errors.append(.invalid("spec.clusterIPs[\(i)]", .string(ip),
                                "expected an IPv4 value as indicated by `ipFamilies[\(i)]`"))
                        } else if families[i] == "IPv6" && !ip.contains(":") {
                            errors.append(.invalid("spec.clusterIPs[\(i)]", .string(ip),
                                "expected an IPv6 value as indicated by `ipFamilies[\(i)]`"))
                        }
                    }
                }
            }
            // This cluster is single-stack IPv4 (headless services without a selector may ask for more).
            let policy = spec["ipFamilyPolicy"]?.stringValue
            let selectorless = spec["selector"]?.objectValue?.isEmpty ?? true
            if !(headless && selectorless) {
                if policy == "SingleStack" && families.count > 1 {
                    errors.append(.invalid("spec.ipFamilyPolicy", .string("SingleStack"),
                        "must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified"))
                }
                if policy == "SingleStack" && clusterIPs.count > 1 {
                    errors.append(.invalid("spec.ipFamilyPolicy", .string("SingleStack"),
                        "must be 'RequireDualStack' or 'PreferDualStack' when multiple cluster IPs are specified"))
                }
                if policy == "RequireDualStack" {
                    errors.append(.invalid("spec.ipFamilyPolicy", .string("RequireDualStack"),
                        "this cluster is not configured for dual-stack services"))
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
                errors.append(FieldError(.duplicate, field: path,
                    value: "core.ServicePort{Name:\(FieldError.render(.string(name)) ?? "\"\""), Protocol:\(FieldError.render(.string(proto)) ?? "\"\""), Port:\(port["port"]?.intValue ?? 0)}"))
            }
        }

        errors += validateLabelMap(spec["selector"], field: "spec.selector")

        if let affinity = spec["sessionAffinity"]?.stringValue {
            if !Self.affinities.contains(affinity) {
                errors.append(.notSupported("spec.sessionAffinity", affinity, supported: Self.affinities))
            } else if affinity == "ClientIP" {
                let timeout = spec["sessionAffinityConfig"]?["clientIP"]?["timeoutSeconds"]?.intValue ?? 0
                if !(1...86400).contains(timeout) {
                    errors.append(.invalid("spec.sessionAffinityConfig.clientIP.timeoutSeconds", .int(timeout),
                        "must be greater than 0 and less than 86400"))
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
                errors.append(.invalid("spec.healthCheckNodePort", .int(health),
                    "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"))
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
}
