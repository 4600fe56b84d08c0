import APIMachinery

/// discovery.k8s.io/v1 EndpointSlice: addressType required and immutable, endpoints' addresses by
/// type, ports, `kubectl get endpointslices` columns.
public struct EndpointSliceStrategy: ResourceStrategy {
    public init() {}
    public var tracksGeneration: Bool { true }

    static let addressTypes = ["FQDN", "IPv4", "IPv6"]

    public func prepareForCreate(_ object: inout JSONValue) { setDefaults(&object) }
    public func prepareForUpdate(_ object: inout JSONValue, old: JSONValue) { setDefaults(&object) }

    /// Ports' protocol defaults to TCP; `endpoints` is always present (null when empty, as the typed
    /// server writes it).
    func setDefaults(_ object: inout JSONValue) {
        if object["endpoints"] == nil || object["endpoints"]?.arrayValue?.isEmpty == true { object["endpoints"] = .null }
        guard var ports = object["ports"]?.arrayValue else { return }
        for i in ports.indices where ports[i].objectValue != nil && (ports[i]["protocol"]?.stringValue?.isEmpty ?? true) {
            ports[i]["protocol"] = "TCP"
        }
        object["ports"] = .array(ports)
    }

    public func validate(_ object: JSONValue) -> [FieldError] {
        var errors: [FieldError] = []
        let addressType = object["addressType"]?.stringValue ?? ""
        if addressType.isEmpty {
            errors.append(.required("addressType"))
        } else if !Self.addressTypes.contains(addressType) {
            errors.append(.notSupported("addressType", addressType, supported: Self.addressTypes))
        }
        let endpoints = object["endpoints"]?.arrayValue ?? []
        if endpoints.count > 1000 {
            errors.append(FieldError(.tooMany, field: "endpoints", value: String(endpoints.count), detail: "must have at most 1000 items"))
        }
        for (path, endpoint) in elements(object["endpoints"], "endpoints") {
            let addresses = endpoint["addresses"]?.arrayValue ?? []
            if addresses.isEmpty {
                errors.append(.required(path + ".addresses", "must contain at least 1 address"))
            } else if addresses.count > 100 {
                errors.append(FieldError(.tooMany, field: path + ".addresses", value: String(addresses.count),
                    detail: "must have at most 100 items"))
            }
            for (addressPath, address) in elements(endpoint["addresses"], path + ".addresses") {
                let text = address.stringValue ?? ""
                switch addressType {
                case "IPv4":
                    if ServiceIPRange.parse(text) == nil { errors.append(.invalid(addressPath, address, "must be a valid IPv4 address")) }
                case "IPv6":
                    if !isIPv6(text) { errors.append(.invalid(addressPath, address, "must be a valid IPv6 address")) }
                case "FQDN":
                    errors += NameValidation.isDNS1123Subdomain(text).map { .invalid(addressPath, address, $0) }
                default:
                    break
                }
            }
            for condition in ["ready", "serving", "terminating"] {
                if let value = endpoint["conditions"]?[condition], !value.isNull, value.boolValue == nil {
                    errors.append(.invalid("\(path).conditions.\(condition)", value, "must be a boolean"))
                }
            }
            if let hostname = endpoint["hostname"]?.stringValue {
                errors += validateDNS1123Label(hostname, field: path + ".hostname")
            }
            if let node = endpoint["nodeName"]?.stringValue {
                errors += invalidMessages(path + ".nodeName", node, NameValidation.nameIsDNSSubdomain(node, prefix: false))
            }
        }
        let ports = object["ports"]?.arrayValue ?? []
        if ports.count > 20000 {
            errors.append(FieldError(.tooMany, field: "ports", value: String(ports.count), detail: "must have at most 20000 items"))
        }
        var names = Set<String>()
        for (path, port) in elements(object["ports"], "ports") {
            let name = port["name"]?.stringValue ?? ""
            if !name.isEmpty { errors += validateDNS1123Label(name, field: path + ".name") }
            if !names.insert(name).inserted { errors.append(.duplicate(path + ".name", .string(name))) }
            if let proto = port["protocol"]?.stringValue, !supportedPortProtocols.contains(proto) {
                errors.append(.notSupported(path + ".protocol", proto, supported: supportedPortProtocols))
            }
            if let number = port["port"], !number.isNull {
                if let n = number.intValue, !(0...65535).contains(n) {
                    errors.append(.invalid(path + ".port", number, "must be between 0 and 65535, inclusive"))
                }
            }
            if let appProtocol = port["appProtocol"]?.stringValue {
                errors += validateQualifiedName(appProtocol, field: path + ".appProtocol")
            }
        }
        return errors
    }

    public func validateUpdate(_ object: JSONValue, old: JSONValue) -> [FieldError] {
        if object["addressType"] != old["addressType"] {
            return [.invalid("addressType", object["addressType"] ?? .string(""), "field is immutable")]
        }
        return []
    }

    public var tableColumns: [TableColumn] {
        [.name,
         TableColumn("AddressType", description: "Type of address carried by this EndpointSlice"),
         TableColumn("Ports", description: "Ports of the endpoints"),
         TableColumn("Endpoints", description: "Endpoints in this EndpointSlice"),
         .age]
    }

    public func tableCells(_ object: JSONValue, now: Double) -> [JSONValue] {
        var ports: [String] = []
        var portCount = 0
        for port in object["ports"]?.arrayValue ?? [] {
            if ports.count < 3 {
                if let n = port["port"]?.intValue { ports.append(String(n)) }
                else if let name = port["name"]?.stringValue { ports.append(name) }
                else { ports.append("*") }
            }
            portCount += 1
        }
        var addresses: [String] = []
        var addressCount = 0
        for endpoint in object["endpoints"]?.arrayValue ?? [] {
            for address in endpoint["addresses"]?.arrayValue ?? [] {
                if addresses.count < 3 { addresses.append(address.stringValue ?? "") }
                addressCount += 1
            }
        }
        return [.string(object.name), .string(object["addressType"]?.stringValue ?? ""),
                .string(Self.listWithMore(ports, count: portCount)), .string(Self.listWithMore(addresses, count: addressCount)),
                .string(age(of: object, now: now))]
    }

    static func listWithMore(_ list: [String], count: Int) -> String {
        let joined = list.joined(separator: ",")
        if count > 3 { return "\(joined) + \(count - 3) more..." }
        return joined.isEmpty ? "<unset>" : joined
    }
}
