import APIMachinery

/// core/v1 Endpoints: ValidateEndpoints (addresses, ports) and the `kubectl get ep` columns.
public struct EndpointsStrategy: ResourceStrategy {
    public init() {}

    public func prepareForCreate(_ object: inout JSONValue) { setDefaults(&object) }
    public func prepareForUpdate(_ object: inout JSONValue, old: JSONValue) { setDefaults(&object) }

    /// Ports' protocol defaults to TCP.
    func setDefaults(_ object: inout JSONValue) {
        guard var subsets = object["subsets"]?.arrayValue else { return }
        for i in subsets.indices {
            guard var ports = subsets[i]["ports"]?.arrayValue else { continue }
            for j in ports.indices where ports[j].objectValue != nil && (ports[j]["protocol"]?.stringValue?.isEmpty ?? true) {
                ports[j]["protocol"] = "TCP"
            }
            subsets[i]["ports"] = .array(ports)
        }
        object["subsets"] = .array(subsets)
    }

    public func validate(_ object: JSONValue) -> [FieldError] {
        var errors: [FieldError] = []
        for (path, subset) in elements(object["subsets"], "subsets") {
            let addresses = subset["addresses"]?.arrayValue ?? []
            let notReady = subset["notReadyAddresses"]?.arrayValue ?? []
            if addresses.isEmpty && notReady.isEmpty {
                errors.append(.required(path, "must specify `addresses` or `notReadyAddresses`"))
            }
            for (field, list) in [("addresses", subset["addresses"]), ("notReadyAddresses", subset["notReadyAddresses"])] {
                for (addressPath, address) in elements(list, "\(path).\(field)") {
                    let ip = address["ip"]?.stringValue ?? ""
                    if ip.isEmpty {
                        errors.append(.required(addressPath + ".ip"))
                    } else {
                        errors += invalidMessages(addressPath + ".ip", ip, ipProblems(ip))
                    }
                    if let hostname = address["hostname"]?.stringValue, !hostname.isEmpty {
                        errors += validateDNS1123Label(hostname, field: addressPath + ".hostname")
                    }
                    if let node = address["nodeName"]?.stringValue, !node.isEmpty {
                        errors += invalidMessages(addressPath + ".nodeName", node, NameValidation.nameIsDNSSubdomain(node, prefix: false))
                    }
                }
            }
            let ports = subset["ports"]?.arrayValue ?? []
            for (portPath, port) in elements(subset["ports"], "\(path).ports") {
                let name = port["name"]?.stringValue ?? ""
                if ports.count > 1 && name.isEmpty {
                    errors.append(.required(portPath + ".name"))
                } else if !name.isEmpty {
                    errors += validateDNS1123Label(name, field: portPath + ".name")
                }
                errors += validatePortNumber(port["port"] ?? .int(0), field: portPath + ".port")
                errors += validateProtocol(port["protocol"], field: portPath + ".protocol")
                if let appProtocol = port["appProtocol"]?.stringValue {
                    errors += validateQualifiedName(appProtocol, field: portPath + ".appProtocol")
                }
            }
        }
        return errors
    }

    public var tableColumns: [TableColumn] {
        [.name, TableColumn("Endpoints", description: "Endpoints of the service"), .age]
    }

    public func tableCells(_ object: JSONValue, now: Double) -> [JSONValue] {
        [.string(object.name), .string(Self.format(object["subsets"])), .string(age(of: object, now: now))]
    }

    /// At most three `ip:port` entries, then ` + N more...`; `<none>` without subsets.
    static func format(_ subsets: JSONValue?) -> String {
        let list = subsets?.arrayValue ?? []
        if list.isEmpty { return "<none>" }
        var shown: [String] = []
        var count = 0
        var more = false
        for subset in list {
            let addresses = (subset["addresses"]?.arrayValue ?? []).map { $0["ip"]?.stringValue ?? "" }
            let ports = subset["ports"]?.arrayValue ?? []
            if ports.isEmpty {
                count += addresses.count
                for ip in addresses {
                    if shown.count == 3 { more = true; break }
                    shown.append(ip)
                }
                continue
            }
            for port in ports {
                count += addresses.count
                for ip in addresses {
                    if shown.count == 3 { more = true; break }
                    let number = port["port"]?.intValue ?? 0
                    shown.append(ip.contains(":") ? "[\(ip)]:\(number)" : "\(ip):\(number)")
                }
            }
        }
        let joined = shown.joined(separator: ",")
        return more ? "\(joined) + \(count - 3) more..." : joined
    }
}
