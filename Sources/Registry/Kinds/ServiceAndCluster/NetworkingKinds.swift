import APIMachinery

extension Registry {
    /// core/v1 Services, Endpoints, Nodes and ServiceAccounts; networking.k8s.io/v1 Ingresses,
    /// IngressClasses and NetworkPolicies; discovery.k8s.io/v1 EndpointSlices.
    static func networkingKinds(serviceIPRange: ServiceIPRange = .default) -> [ResourceDefinition] {
        [
            ResourceDefinition(group: "", version: "v1", resource: "services", kind: "Service", namespaced: true,
                               shortNames: ["svc"], categories: ["all"], subresources: ["status"],
                               strategy: ServiceStrategy(range: serviceIPRange)),
            ResourceDefinition(group: "", version: "v1", resource: "endpoints", kind: "Endpoints", singular: "endpoints",
                               namespaced: true, shortNames: ["ep"], strategy: EndpointsStrategy()),
            ResourceDefinition(group: "", version: "v1", resource: "nodes", kind: "Node", namespaced: false,
                               shortNames: ["no"], subresources: ["status"], strategy: NodeStrategy()),
            ResourceDefinition(group: "", version: "v1", resource: "serviceaccounts", kind: "ServiceAccount", namespaced: true,
                               shortNames: ["sa"], strategy: ServiceAccountStrategy()),
            ResourceDefinition(group: "networking.k8s.io", version: "v1", resource: "ingresses", kind: "Ingress", namespaced: true,
                               shortNames: ["ing"], subresources: ["status"], strategy: IngressStrategy()),
            ResourceDefinition(group: "networking.k8s.io", version: "v1", resource: "ingressclasses", kind: "IngressClass",
                               namespaced: false, strategy: IngressClassStrategy()),
            ResourceDefinition(group: "networking.k8s.io", version: "v1", resource: "networkpolicies", kind: "NetworkPolicy",
                               namespaced: true, shortNames: ["netpol"], strategy: NetworkPolicyStrategy()),
            ResourceDefinition(group: "discovery.k8s.io", version: "v1", resource: "endpointslices", kind: "EndpointSlice",
                               namespaced: true, strategy: EndpointSliceStrategy()),
        ]
    }

    /// The built-in definitions with Services allocating from `serviceIPRange`.
    public static func builtInDefinitions(serviceIPRange: ServiceIPRange) -> [ResourceDefinition] {
        builtInDefinitions().map { definition in
            guard definition.group.isEmpty, definition.resource == "services" else { return definition }
            var configured = definition
            configured.strategy = ServiceStrategy(range: serviceIPRange)
            return configured
        }
    }
}

// MARK: Validation shared by the networking kinds

let supportedPortProtocols = ["SCTP", "TCP", "UDP"]

/// IsValidPortNum as field errors.
func validatePortNumber(_ value: JSONValue?, field: String) -> [FieldError] {
    guard let value else { return [] }
    guard let port = value.intValue, (1...65535).contains(port) else {
        return [.invalid(field, value, "must be between 1 and 65535, inclusive")]
    }
    return []
}

/// IsValidPortName (an IANA_SVC_NAME): messages for an invalid port name.
func portNameProblems(_ name: String) -> [String] {
    var problems: [String] = []
    if name.utf8.count > 15 { problems.append("must be no more than 15 characters") }
    if !name.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == UInt8(ascii: "-") }) {
        problems.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
    }
    if !name.utf8.contains(where: { $0 >= 0x61 && $0 <= 0x7A }) { problems.append("must contain at least one letter (a-z)") }
    if name.contains("--") { problems.append("must not contain consecutive hyphens") }
    if name.hasPrefix("-") || name.hasSuffix("-") { problems.append("must not begin or end with a hyphen") }
    return problems
}

/// ValidatePortNumOrName: an int in 1–65535 or an IANA service name.
func validatePortNumOrName(_ value: JSONValue?, field: String) -> [FieldError] {
    guard let value else { return [] }
    if value.intValue != nil { return validatePortNumber(value, field: field) }
    if let name = value.stringValue {
        if name.isEmpty { return [.required(field)] }
        return invalidMessages(field, name, portNameProblems(name))
    }
    return [.invalid(field, value, "must be an integer or a string")]
}

/// A protocol field: required, one of TCP, UDP, SCTP.
func validateProtocol(_ value: JSONValue?, field: String) -> [FieldError] {
    guard let s = value?.stringValue, !s.isEmpty else { return [.required(field)] }
    return supportedPortProtocols.contains(s) ? [] : [.notSupported(field, s, supported: supportedPortProtocols)]
}

/// A string-map field of labels (e.g. a Service selector).
func validateLabelMap(_ value: JSONValue?, field: String) -> [FieldError] {
    guard let value, !value.isNull else { return [] }
    guard case .object(let map) = value else { return [.invalid(field, value, "must be a map of strings")] }
    var labels: [String: String] = [:]
    var errors: [FieldError] = []
    for (k, v) in map {
        if let s = v.stringValue { labels[k] = s } else { errors.append(.invalid("\(field)[\(k)]", v, "must be a string")) }
    }
    return errors + validateLabels(labels, field: field)
}

/// A LabelSelector field (matchLabels and matchExpressions) as ValidateLabelSelector checks it.
func validateLabelSelectorField(_ value: JSONValue?, field: String) -> [FieldError] {
    guard let value, !value.isNull else { return [] }
    var errors = validateLabelMap(value["matchLabels"], field: field + ".matchLabels")
    for (i, expression) in (value["matchExpressions"]?.arrayValue ?? []).enumerated() {
        let path = "\(field).matchExpressions[\(i)]"
        let op = expression["operator"]?.stringValue ?? ""
        let values = expression["values"]?.arrayValue ?? []
        switch op {
        case "In", "NotIn":
            if values.isEmpty { errors.append(.required(path + ".values", "must be specified when `operator` is 'In' or 'NotIn'")) }
        case "Exists", "DoesNotExist":
            if !values.isEmpty {
                errors.append(.forbidden(path + ".values", "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"))
            }
        default:
            errors.append(.invalid(path + ".operator", .string(op), "not a valid selector operator"))
        }
        errors += validateQualifiedName(expression["key"]?.stringValue ?? "", field: path + ".key")
    }
    return errors
}

/// IsValidIP (strict IPv4, or IPv6) as messages.
func ipProblems(_ text: String) -> [String] {
    if ServiceIPRange.parse(text) != nil { return [] }
    if text.contains(":"), isIPv6(text) { return [] }
    return ["must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"]
}

func isIPv6(_ text: String) -> Bool {
    let halves = text.components(separatedBy: "::")
    guard halves.count <= 2 else { return false }
    var groups = 0
    for half in halves where !half.isEmpty {
        for group in half.split(separator: ":", omittingEmptySubsequences: false) {
            guard (1...4).contains(group.count), group.allSatisfy(\.isHexDigit) else { return false }
            groups += 1
        }
    }
    return halves.count == 2 ? groups < 8 : groups == 8
}

/// labels.FormatLabels: `k=v,...` sorted by key, `<none>` when empty.
func formatLabelMap(_ value: JSONValue?) -> String {
    guard case .object(let map)? = value, !map.isEmpty else { return "<none>" }
    return map.keys.sorted().map { "\($0)=\(map[$0]?.stringValue ?? "")" }.joined(separator: ",")
}

/// A selector as metav1.FormatLabelSelector prints it.
func formatLabelSelector(_ value: JSONValue?) -> String {
    guard let value, !value.isNull else { return "<none>" }
    var parts: [String] = []
    if case .object(let map)? = value["matchLabels"] {
        parts += map.keys.sorted().map { "\($0)=\(map[$0]?.stringValue ?? "")" }
    }
    for expression in value["matchExpressions"]?.arrayValue ?? [] {
        let key = expression["key"]?.stringValue ?? ""
        let values = (expression["values"]?.arrayValue ?? []).compactMap(\.stringValue)
        switch expression["operator"]?.stringValue ?? "" {
        case "In": parts.append("\(key) in (\(values.joined(separator: ",")))")
        case "NotIn": parts.append("\(key) notin (\(values.joined(separator: ",")))")
        case "Exists": parts.append(key)
        case "DoesNotExist": parts.append("!\(key)")
        default: break
        }
    }
    if parts.isEmpty { return "<none>" }
    return parts.joined(separator: ",")
}

/// The elements of an array field with their paths.
func elements(_ value: JSONValue?, _ field: String) -> [(path: String, value: JSONValue)] {
    (value?.arrayValue ?? []).enumerated().map { ("\(field)[\($0.offset)]", $0.element) }
}

/// IsDNS1035Label (Service names): lower-case alphanumerics and '-', starting with a letter.
func dns1035LabelProblems(_ value: String) -> [String] {
    var problems: [String] = []
    if value.utf8.count > 63 { problems.append(NameValidation.maxLengthError(63)) }
    let bytes = Array(value.utf8)
    let valid = !bytes.isEmpty && (0x61...0x7A).contains(bytes[0])
        && bytes.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == UInt8(ascii: "-") }
        && bytes.last != UInt8(ascii: "-")
    if !valid {
        problems.append(NameValidation.regexError(
            "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character",
            "[a-z]([-a-z0-9]*[a-z0-9])?", examples: ["my-name", "abc-123"]))
    }
    return problems
}

/// NameIsDNS1035Label: a generateName prefix may end with '-'.
func nameIsDNS1035Label(_ name: String, prefix: Bool) -> [String] {
    if prefix && name.utf8.count > 1 && name.hasSuffix("-") { return dns1035LabelProblems(String(name.dropLast()) + "a") }
    return dns1035LabelProblems(name)
}

/// A string list as Kubernetes prints a Go `[]string` value in a field error.
func goStrings(_ values: [String]) -> String {
    if values.isEmpty { return "[]string(nil)" }
    return "[]string{" + values.map { FieldError.render(.string($0)) ?? "\"\"" }.joined(separator: ", ") + "}"
}

/// ValidateLoadBalancerStatus of `status.loadBalancer` (Services and Ingresses).
func validateLoadBalancerStatus(_ status: JSONValue?, field: String) -> [FieldError] {
    var errors: [FieldError] = []
    for (path, ingress) in elements(status?["ingress"], field + ".ingress") {
        if let ip = ingress["ip"]?.stringValue, !ip.isEmpty, !ipProblems(ip).isEmpty {
            errors.append(.invalid(path + ".ip", .string(ip), "must be a valid IP address"))
        }
        if let host = ingress["hostname"]?.stringValue, !host.isEmpty {
            errors += invalidMessages(path + ".hostname", host, NameValidation.isDNS1123Subdomain(host))
            if ipProblems(host).isEmpty {
                errors.append(.invalid(path + ".hostname", .string(host), "must be a DNS name, not an IP address"))
            }
        }
    }
    return errors
}

/// Field errors for the problem messages of one string value.
func invalidMessages(_ field: String, _ value: String, _ messages: [String]) -> [FieldError] {
    messages.map { FieldError.invalid(field, string: value, $0) }
}
