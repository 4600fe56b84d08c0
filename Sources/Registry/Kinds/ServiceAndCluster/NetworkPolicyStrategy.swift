import APIMachinery

/// networking.k8s.io/v1 NetworkPolicy: policyTypes and ports' protocol defaulted, peers and ports
/// validated, `kubectl get netpol` columns.
public struct NetworkPolicyStrategy: ResourceStrategy {
    public init() {}
    public var tracksGeneration: Bool { true }

    public func prepareForCreate(_ object: inout JSONValue) { setDefaults(&object) }
    public func prepareForUpdate(_ object: inout JSONValue, old: JSONValue) { setDefaults(&object) }

    func setDefaults(_ object: inout JSONValue) {
        var spec = object["spec"]?.objectValue ?? [:]
        if spec["podSelector"] == nil || spec["podSelector"]?.isNull == true { spec["podSelector"] = [:] }
        for direction in ["ingress", "egress"] {
            guard var rules = spec[direction]?.arrayValue else { continue }
            for i in rules.indices {
                guard var ports = rules[i]["ports"]?.arrayValue else { continue }
                for j in ports.indices where ports[j].objectValue != nil && (ports[j]["protocol"]?.stringValue?.isEmpty ?? true) {
                    ports[j]["protocol"] = "TCP"
                }
                rules[i]["ports"] = .array(ports)
            }
            spec[direction] = .array(rules)
        }
        if spec["policyTypes"]?.arrayValue?.isEmpty ?? true {
            var types: [JSONValue] = ["Ingress"]
            if !(spec["egress"]?.arrayValue?.isEmpty ?? true) { types.append("Egress") }
            spec["policyTypes"] = .array(types)
        }
        object["spec"] = .object(spec)
    }

    public func validate(_ object: JSONValue) -> [FieldError] {
        var errors: [FieldError] = []
        let spec = object["spec"] ?? [:]
        errors += validateLabelSelectorField(spec["podSelector"], field: "spec.podSelector")
        for (direction, peers) in [("ingress", "from"), ("egress", "to")] {
            for (path, rule) in elements(spec[direction], "spec.\(direction)") {
                for (portPath, port) in elements(rule["ports"], path + ".ports") {
                    if let proto = port["protocol"]?.stringValue, !supportedPortProtocols.contains(proto) {
                        errors.append(.notSupported(portPath + ".protocol", proto, supported: supportedPortProtocols))
                    }
                    errors += validatePortNumOrName(port["port"], field: portPath + ".port")
                    if let endPort = port["endPort"]?.intValue {
                        if let start = port["port"]?.intValue {
                            if endPort < start {
                                errors.append(.invalid(portPath + ".endPort", .int(endPort), "must be greater than or equal to `port`"))
                            }
                            errors += validatePortNumber(.int(endPort), field: portPath + ".endPort")
                        } else if port["port"]?.stringValue != nil {
                            errors.append(.forbidden(portPath + ".endPort", "may not be specified when `port` is non-numeric"))
                        } else {
                            errors.append(.required(portPath + ".port", "must be specified when `endPort` is specified"))
                        }
                    }
                }
                for (peerPath, peer) in elements(rule[peers], path + ".\(peers)") {
                    errors += validatePeer(peer, field: peerPath)
                }
            }
        }
        let types = (spec["policyTypes"]?.arrayValue ?? []).map { $0.stringValue ?? "" }
        for (i, type) in types.enumerated() where type != "Ingress" && type != "Egress" {
            errors.append(.notSupported("spec.policyTypes[\(i)]", type, supported: ["Egress", "Ingress"]))
        }
        if types.count > 2 {
            errors.append(.invalid("spec.policyTypes", .array(types.map { .string($0) }), "may not specify more than two policyTypes"))
        }
        return errors
    }

    func validatePeer(_ peer: JSONValue, field: String) -> [FieldError] {
        var errors: [FieldError] = []
        func present(_ key: String) -> Bool { peer[key] != nil && peer[key]?.isNull == false }
        let count = ["podSelector", "namespaceSelector", "ipBlock"].filter(present).count
        if count == 0 {
            errors.append(.required(field, "must specify a peer"))
        } else if present("ipBlock") && count > 1 {
            errors.append(.forbidden(field, "may not specify both ipBlock and another peer"))
        }
        errors += validateLabelSelectorField(peer["podSelector"], field: field + ".podSelector")
        errors += validateLabelSelectorField(peer["namespaceSelector"], field: field + ".namespaceSelector")
        if let block = peer["ipBlock"], !block.isNull {
            let cidr = block["cidr"]?.stringValue ?? ""
            if cidr.isEmpty {
                errors.append(.required(field + ".ipBlock.cidr"))
            } else if !NodeStrategy.isCIDR(cidr) {
                errors.append(.invalid(field + ".ipBlock.cidr", .string(cidr),
                    "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"))
            }
            let exceptions = elements(block["except"], field + ".ipBlock.except")
            for (path, except) in exceptions where !NodeStrategy.isCIDR(except.stringValue ?? "") {
                errors.append(.invalid(path, except, "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"))
            }
        }
        return errors
    }

    public var tableColumns: [TableColumn] {
        [.name, TableColumn("Pod-Selector", description: "Selects the pods to which this NetworkPolicy object applies."), .age]
    }

    public func tableCells(_ object: JSONValue, now: Double) -> [JSONValue] {
        [.string(object.name), .string(formatLabelSelector(object["spec"]?["podSelector"])), .string(age(of: object, now: now))]
    }
}
