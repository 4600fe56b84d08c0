import APIMachinery
import Storage

/// networking.k8s.io/v1 Ingress: ValidateIngress (rules, paths, backends, TLS hosts), the default
/// IngressClass set on create (as the DefaultIngressClass admission plugin does) and the
/// `kubectl get ing` columns.
public struct IngressStrategy: ResourceStrategy {
    let lock = AsyncLock()
    public init() {}
    public var hasStatusSubresource: Bool { true }
    public var tracksGeneration: Bool { true }
    public var allocationLock: AsyncLock? { lock }

    static let defaultClassAnnotation = "ingressclass.kubernetes.io/is-default-class"

    /// A new Ingress without a class gets the default IngressClass (the newest if several are marked).
    public func allocate(_ object: inout JSONValue, old: JSONValue?, storage: any Storage) async throws(StatusError) {
        guard old == nil, object["spec"]?["ingressClassName"]?.stringValue == nil,
              object.annotations["kubernetes.io/ingress.class"] == nil else { return }
        let listed: ListResult
        do {
            listed = try await storage.list(prefix: "/registry/networking.k8s.io/ingressclasses/", revision: nil, startKey: nil, limit: nil)
        } catch {
            throw StatusError.internal("listing ingress classes: \(error)")
        }
        var chosen: (name: String, created: String)?
        for kv in listed.items {
            guard let ingressClass = try? JSONValue.parse(kv.value),
                  ingressClass.annotations[Self.defaultClassAnnotation] == "true" else { continue }
            let created = ingressClass.creationTimestamp ?? ""
            if let current = chosen, created < current.created || (created == current.created && ingressClass.name > current.name) {
                continue
            }
            chosen = (ingressClass.name, created)
        }
        if let chosen { object[key: "spec", "ingressClassName"] = .string(chosen.name) }
    }

    public func prepareForCreate(_ object: inout JSONValue) {
        object["status"] = ["loadBalancer": [:]]
    }

    static let pathTypes = ["Exact", "ImplementationSpecific", "Prefix"]

    public func validate(_ object: JSONValue) -> [FieldError] {
        var errors: [FieldError] = []
        let spec = object["spec"] ?? [:]
        let rules = spec["rules"]?.arrayValue ?? []
        let defaultBackend = spec["defaultBackend"]
        if rules.isEmpty && (defaultBackend == nil || defaultBackend?.isNull == true) {
            errors.append(FieldError(.invalid, field: "spec", value: "[]networking.IngressRule(nil)",
                                     detail: "either `defaultBackend` or `rules` must be specified"))
        }
        if let defaultBackend, !defaultBackend.isNull {
            errors += Self.validateBackend(defaultBackend, field: "spec.defaultBackend")
        }
        for (path, rule) in elements(spec["rules"], "spec.rules") {
            if let host = rule["host"]?.stringValue, !host.isEmpty {
                errors += invalidMessages(path + ".host", host, Self.hostProblems(host))
            }
            guard let http = rule["http"], !http.isNull else { continue }
            let paths = http["paths"]?.arrayValue ?? []
            if paths.isEmpty { errors.append(.required(path + ".http.paths")) }
            for (pathPath, entry) in elements(http["paths"], path + ".http.paths") {
                let type = entry["pathType"]?.stringValue ?? ""
                let value = entry["path"]?.stringValue ?? ""
                if type.isEmpty {
                    errors.append(.required(pathPath + ".pathType", "pathType must be specified"))
                } else if !Self.pathTypes.contains(type) {
                    errors.append(.notSupported(pathPath + ".pathType", type, supported: Self.pathTypes))
                } else if type == "ImplementationSpecific" {
                    if !value.isEmpty && !value.hasPrefix("/") {
                        errors.append(.invalid(pathPath + ".path", .string(value), "must be an absolute path"))
                    }
                } else if !value.hasPrefix("/") {
                    errors.append(.invalid(pathPath + ".path", .string(value), "must be an absolute path"))
                } else {
                    for bad in ["//", "/./", "/../", "%2f", "%2F"] where value.contains(bad) {
                        errors.append(.invalid(pathPath + ".path", .string(value), "must not contain '\(bad)'"))
                    }
                    for bad in ["/..", "/."] where value.hasSuffix(bad) {
                        errors.append(.invalid(pathPath + ".path", .string(value), "cannot end with '\(bad)'"))
                    }
                }
                errors += Self.validateBackend(entry["backend"] ?? [:], field: pathPath + ".backend")
            }
        }
        for (path, tls) in elements(spec["tls"], "spec.tls") {
            for (hostPath, host) in elements(tls["hosts"], path + ".hosts") {
                let name = host.stringValue ?? ""
                if name.contains("*") {
                    errors += invalidMessages(hostPath, name, Self.wildcardProblems(name))
                } else {
                    errors += invalidMessages(hostPath, name, NameValidation.isDNS1123Subdomain(name))
                }
            }
            if let secret = tls["secretName"]?.stringValue, !secret.isEmpty {
                errors += invalidMessages(path + ".secretName", secret, NameValidation.nameIsDNSSubdomain(secret, prefix: false))
            }
        }
        errors += validateLoadBalancerStatus(object["status"]?["loadBalancer"], field: "status.loadBalancer")
        if let className = spec["ingressClassName"]?.stringValue {
            errors += invalidMessages("spec.ingressClassName", className, NameValidation.nameIsDNSSubdomain(className, prefix: false))
        }
        return errors
    }

    /// A rule host: a DNS name (wildcard allowed as the first label), never an IP address.
    static func hostProblems(_ host: String) -> [String] {
        if ipProblems(host).isEmpty { return ["must be a DNS name, not an IP address"] }
        if host.contains("*") { return wildcardProblems(host) }
        return NameValidation.isDNS1123Subdomain(host)
    }

    static func wildcardProblems(_ host: String) -> [String] {
        var problems: [String] = []
        if host.utf8.count > 253 { problems.append(NameValidation.maxLengthError(253)) }
        let rest = host.hasPrefix("*.") ? String(host.dropFirst(2)) : ""
        if rest.isEmpty || !NameValidation.isDNS1123Subdomain(rest).isEmpty || rest.contains("*") {
            problems.append(NameValidation.regexError(
                "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character",
                "\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*", examples: ["*.example.com"]))
        }
        return problems
    }

    static func validateBackend(_ backend: JSONValue, field: String) -> [FieldError] {
        var errors: [FieldError] = []
        let resource = backend["resource"].flatMap { $0.isNull ? nil : $0 }
        let service = backend["service"].flatMap { $0.isNull ? nil : $0 }
        switch (resource, service) {
        case (.some, .some):
            errors.append(.invalid(field, .string(""), "cannot set both resource and service backends"))
        case (.some(let resource), nil):
            if (resource["kind"]?.stringValue ?? "").isEmpty { errors.append(.required(field + ".resource.kind")) }
            if (resource["name"]?.stringValue ?? "").isEmpty { errors.append(.required(field + ".resource.name")) }
        case (nil, .some(let service)):
            let name = service["name"]?.stringValue ?? ""
            if name.isEmpty {
                errors.append(.required(field + ".service.name"))
            } else {
                errors += invalidMessages(field + ".service.name", name, nameIsDNS1035Label(name, prefix: false))
            }
            let portName = service["port"]?["name"]?.stringValue ?? ""
            let portNumber = service["port"]?["number"]?.intValue ?? 0
            if !portName.isEmpty && portNumber != 0 {
                errors.append(.invalid(field, .string(""), "cannot set both port name & port number"))
            } else if !portName.isEmpty {
                errors += invalidMessages(field + ".service.port.name", portName, portNameProblems(portName))
            } else if portNumber != 0 {
                errors += validatePortNumber(.int(portNumber), field: field + ".service.port.number")
            } else {
                errors.append(.required(field, "port name or number is required"))
            }
        case (nil, nil):
            errors.append(.invalid(field, .string(""), "resource or service backend is required"))
        }
        return errors
    }

    public var tableColumns: [TableColumn] {
        [.name,
         TableColumn("Class", description: "The name of the IngressClass resource that should be used for this Ingress."),
         TableColumn("Hosts", description: "Hosts that incoming requests are matched against before the ingress rule"),
         TableColumn("Address", description: "Address is a list containing ingress points for the load-balancer"),
         TableColumn("Ports", description: "Ports of TLS configurations that open"),
         .age]
    }

    public func tableCells(_ object: JSONValue, now: Double) -> [JSONValue] {
        let spec = object["spec"] ?? [:]
        let rules = spec["rules"]?.arrayValue ?? []
        var hosts: [String] = []
        var more = false
        for rule in rules {
            if hosts.count == 3 { more = true }
            if !more, let host = rule["host"]?.stringValue, !host.isEmpty { hosts.append(host) }
        }
        var hostCell = hosts.isEmpty ? "*" : hosts.joined(separator: ",")
        if more && !hosts.isEmpty { hostCell += " + \(rules.count - 3) more..." }
        let address = (object["status"]?["loadBalancer"]?["ingress"]?.arrayValue ?? []).compactMap { entry -> String? in
            if let ip = entry["ip"]?.stringValue, !ip.isEmpty { return ip }
            if let host = entry["hostname"]?.stringValue, !host.isEmpty { return host }
            return nil
        }.joined(separator: ",")
        let tls = spec["tls"]?.arrayValue ?? []
        return [.string(object.name), .string(spec["ingressClassName"]?.stringValue ?? "<none>"), .string(hostCell),
                .string(address), .string(tls.isEmpty ? "80" : "80, 443"), .string(age(of: object, now: now))]
    }
}

/// networking.k8s.io/v1 IngressClass: cluster-scoped, immutable controller, `kubectl get ingressclass` columns.
public struct IngressClassStrategy: ResourceStrategy {
    public init() {}
    public var tracksGeneration: Bool { true }

    public func validate(_ object: JSONValue) -> [FieldError] {
        var errors: [FieldError] = []
        let controller = object["spec"]?["controller"]?.stringValue ?? ""
        if controller.isEmpty {
            errors.append(.required("spec.controller"))
        } else {
            if controller.utf8.count > 250 {
                errors.append(FieldError(.tooLong, field: "spec.controller", detail: "may not be more than 250 bytes"))
            }
            let parts = controller.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
            if parts.count != 2 || parts[1].isEmpty {
                errors.append(.invalid("spec.controller", .string(controller), "must be a domain-prefixed path (such as \"acme.io/foo\")"))
            } else {
                errors += invalidMessages("spec.controller", String(parts[0]), NameValidation.isDNS1123Subdomain(String(parts[0])))
            }
        }
        if let parameters = object["spec"]?["parameters"], !parameters.isNull {
            let path = "spec.parameters"
            if (parameters["kind"]?.stringValue ?? "").isEmpty { errors.append(.required(path + ".kind", "kind is required")) }
            if (parameters["name"]?.stringValue ?? "").isEmpty { errors.append(.required(path + ".name", "name is required")) }
            let scope = parameters["scope"]?.stringValue ?? "Cluster"
            let namespace = parameters["namespace"]?.stringValue ?? ""
            if scope != "Cluster" && scope != "Namespace" {
                errors.append(.notSupported(path + ".scope", scope, supported: ["Cluster", "Namespace"]))
            } else if scope == "Namespace" && namespace.isEmpty {
                errors.append(.required(path + ".namespace", "`parameters.scope` is set to 'Namespace'"))
            } else if scope == "Cluster" && !namespace.isEmpty {
                errors.append(.forbidden(path + ".namespace", "`parameters.scope` is set to 'Cluster'"))
            }
        }
        return errors
    }

    public func validateUpdate(_ object: JSONValue, old: JSONValue) -> [FieldError] {
        if object["spec"]?["controller"] != old["spec"]?["controller"] {
            return [.invalid("spec.controller", object["spec"]?["controller"] ?? .string(""), "field is immutable")]
        }
        return []
    }

    public var tableColumns: [TableColumn] {
        [.name,
         TableColumn("Controller", description: "Controller that is responsible for handling this class."),
         TableColumn("Parameters", description: "A reference to a resource with additional parameters."),
         .age]
    }

    public func tableCells(_ object: JSONValue, now: Double) -> [JSONValue] {
        var parameters = "<none>"
        if let p = object["spec"]?["parameters"], !p.isNull {
            parameters = p["kind"]?.stringValue ?? ""
            if let group = p["apiGroup"]?.stringValue { parameters += "." + group }
            parameters += "/" + (p["name"]?.stringValue ?? "")
        }
        return [.string(object.name), .string(object["spec"]?["controller"]?.stringValue ?? ""), .string(parameters),
                .string(age(of: object, now: now))]
    }
}
