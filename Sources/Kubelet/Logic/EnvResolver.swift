import APIMachinery
import Foundation

/// The environment of one container, as the kubelet builds it: Service variables (the pod's
/// namespace's Services when `enableServiceLinks`, and always the `kubernetes` Service), then
/// `envFrom` sources in order (with their prefix), then `env` in order, each `value` expanded
/// against what is defined before it. A later definition of a name replaces an earlier one in place.
public struct EnvResolver: Sendable {
    /// ConfigMaps and Secrets by namespace and name (nil when absent).
    public var configMap: @Sendable (String, String) -> JSONValue?
    public var secret: @Sendable (String, String) -> JSONValue?
    /// The Services whose variables the pod may see: its namespace's, and `kubernetes` in `default`.
    public var services: [JSONValue]
    /// The node's allocatable resources: what `limits.*` resourceFieldRefs answer when no limit is set.
    public var nodeAllocatable: [String: Quantity]

    public init(configMap: @escaping @Sendable (String, String) -> JSONValue? = { _, _ in nil },
                secret: @escaping @Sendable (String, String) -> JSONValue? = { _, _ in nil },
                services: [JSONValue] = [], nodeAllocatable: [String: Quantity] = [:]) {
        self.configMap = configMap
        self.secret = secret
        self.services = services
        self.nodeAllocatable = nodeAllocatable
    }

    /// Why a container cannot be created (the kubelet reports it as CreateContainerConfigError).
    public struct ConfigError: Error, Equatable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
        public init(message: String) { self.message = message }
    }

    /// The resolved environment, and the keys of envFrom sources skipped as invalid names (one
    /// message per source, worded as the kubelet's InvalidEnvironmentVariableNames event).
    public struct Result: Equatable {
        public var env: [Variable]
        public var warnings: [String]
    }

    public struct Variable: Equatable, Sendable {
        public var name: String
        public var value: String
        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    public func resolve(pod: JSONValue, container: JSONValue) throws(ConfigError) -> Result {
        var env = OrderedEnv()
        var warnings: [String] = []
        let namespace = pod.namespace.isEmpty ? "default" : pod.namespace
        for variable in serviceVariables(namespace: namespace, links: pod["spec"]?["enableServiceLinks"]?.boolValue ?? true) {
            env.set(variable.name, variable.value)
        }
        for source in container["envFrom"]?.arrayValue ?? [] {
            let prefix = source["prefix"]?.stringValue ?? ""
            let data: [(String, String)]
            let what: String
            if let ref = source["configMapRef"] {
                let name = ref["name"]?.stringValue ?? ""
                guard let object = configMap(namespace, name) else {
                    if ref["optional"]?.boolValue == true { continue }
                    throw ConfigError(message: "configmap \"\(name)\" not found")
                }
                data = Self.strings(configMap: object)
                what = "configMap \(namespace)/\(name)"
            } else if let ref = source["secretRef"] {
                let name = ref["name"]?.stringValue ?? ""
                guard let object = secret(namespace, name) else {
                    if ref["optional"]?.boolValue == true { continue }
                    throw ConfigError(message: "secret \"\(name)\" not found")
                }
                data = Self.strings(secret: object)
                what = "secret \(namespace)/\(name)"
            } else {
                continue
            }
            var invalid: [String] = []
            for (key, value) in data.sorted(by: { $0.0 < $1.0 }) {
                let name = prefix + key
                guard Self.isEnvVarName(name) else {
                    invalid.append(name)
                    continue
                }
                env.set(name, value)
            }
            if !invalid.isEmpty {
                warnings.append("Keys [\(invalid.joined(separator: ", "))] from the EnvFrom \(what) were skipped since they are considered invalid environment variable names.")
            }
        }
        for variable in container["env"]?.arrayValue ?? [] {
            let name = variable["name"]?.stringValue ?? ""
            if let from = variable["valueFrom"] {
                guard let value = try value(from: from, pod: pod, container: container, namespace: namespace) else { continue }
                env.set(name, value)
            } else {
                let raw = variable["value"]?.stringValue ?? ""
                env.set(name, EnvExpansion.expand(raw) { env.value($0) })
            }
        }
        return Result(env: env.variables, warnings: warnings)
    }

    /// A `valueFrom` source; nil when an optional source or key is missing.
    func value(from source: JSONValue, pod: JSONValue, container: JSONValue, namespace: String) throws(ConfigError) -> String? {
        if let ref = source["configMapKeyRef"] {
            let name = ref["name"]?.stringValue ?? "", key = ref["key"]?.stringValue ?? ""
            let optional = ref["optional"]?.boolValue == true
            guard let object = configMap(namespace, name) else {
                if optional { return nil }
                throw ConfigError(message: "configmap \"\(name)\" not found")
            }
            guard let value = Self.strings(configMap: object).first(where: { $0.0 == key })?.1 else {
                if optional { return nil }
                throw ConfigError(message: "couldn't find key \(key) in ConfigMap \(namespace)/\(name)")
            }
            return value
        }
        if let ref = source["secretKeyRef"] {
            let name = ref["name"]?.stringValue ?? "", key = ref["key"]?.stringValue ?? ""
            let optional = ref["optional"]?.boolValue == true
            guard let object = secret(namespace, name) else {
                if optional { return nil }
                throw ConfigError(message: "secret \"\(name)\" not found")
            }
            guard let value = Self.strings(secret: object).first(where: { $0.0 == key })?.1 else {
                if optional { return nil }
                throw ConfigError(message: "couldn't find key \(key) in Secret \(namespace)/\(name)")
            }
            return value
        }
        if let ref = source["fieldRef"] {
            return try Self.fieldValue(ref["fieldPath"]?.stringValue ?? "", pod: pod)
        }
        if let ref = source["resourceFieldRef"] {
            return try resourceValue(ref, pod: pod, container: container)
        }
        return nil
    }

    /// The downward API's pod fields (the subset env may use).
    public static func fieldValue(_ path: String, pod: JSONValue) throws(ConfigError) -> String {
        func mapEntry(_ prefix: String, _ map: JSONValue?) -> String? {
            guard path.hasPrefix(prefix + "['"), path.hasSuffix("']") else { return nil }
            let key = String(path.dropFirst(prefix.count + 2).dropLast(2))
            return map?[key]?.stringValue ?? ""
        }
        switch path {
        case "metadata.name": return pod.name
        case "metadata.namespace": return pod.namespace
        case "metadata.uid": return pod.uid
        case "spec.nodeName": return pod["spec"]?["nodeName"]?.stringValue ?? ""
        case "spec.serviceAccountName": return pod["spec"]?["serviceAccountName"]?.stringValue ?? ""
        case "status.hostIP": return pod["status"]?["hostIP"]?.stringValue ?? ""
        case "status.podIP": return pod["status"]?["podIP"]?.stringValue ?? ""
        case "status.hostIPs":
            return (pod["status"]?["hostIPs"]?.arrayValue ?? []).compactMap { $0["ip"]?.stringValue }.joined(separator: ",")
        case "status.podIPs":
            return (pod["status"]?["podIPs"]?.arrayValue ?? []).compactMap { $0["ip"]?.stringValue }.joined(separator: ",")
        default:
            if let value = mapEntry("metadata.labels", pod["metadata"]?["labels"]) { return value }
            if let value = mapEntry("metadata.annotations", pod["metadata"]?["annotations"]) { return value }
            throw ConfigError(message: "unsupported fieldPath: \(path)")
        }
    }

    /// A container's request or limit divided by the divisor, rounded up; an unset limit is the node's
    /// allocatable amount, an unset request zero.
    func resourceValue(_ ref: JSONValue, pod: JSONValue, container: JSONValue) throws(ConfigError) -> String {
        var target = container
        if let name = ref["containerName"]?.stringValue, !name.isEmpty {
            let all = (pod["spec"]?["containers"]?.arrayValue ?? []) + (pod["spec"]?["initContainers"]?.arrayValue ?? [])
            guard let named = all.first(where: { $0["name"]?.stringValue == name }) else {
                throw ConfigError(message: "container \(name) not found")
            }
            target = named
        }
        let resource = ref["resource"]?.stringValue ?? ""
        let parts = resource.split(separator: ".", maxSplits: 1).map(String.init)
        guard parts.count == 2, parts[0] == "limits" || parts[0] == "requests" else {
            throw ConfigError(message: "unsupported container resource: \(resource)")
        }
        let divisor = Quantity(json: ref["divisor"]).flatMap { $0.isZero ? nil : $0 } ?? Quantity(value: 1)
        var amount = Quantity(json: target["resources"]?[parts[0]]?[parts[1]])
        if amount == nil, parts[0] == "limits" { amount = nodeAllocatable[parts[1]] }
        let quantity = amount ?? Quantity(value: 0)
        if parts[1] == "cpu" {
            let milli = quantity.milliValue, per = max(1, divisor.milliValue)
            return String((milli + per - 1) / per)
        }
        let value = quantity.value, per = max(1, divisor.value)
        return String(value >= 0 ? (value + per - 1) / per : value / per)
    }

    // MARK: Services

    /// `{NAME}_SERVICE_HOST`, `{NAME}_SERVICE_PORT`, `{NAME}_SERVICE_PORT_{PORT}` and the Docker link
    /// variables, for every Service with a cluster IP the pod may see.
    func serviceVariables(namespace: String, links: Bool) -> [Variable] {
        var chosen: [String: JSONValue] = [:]
        for service in services {
            let ip = service["spec"]?["clusterIP"]?.stringValue ?? ""
            guard !ip.isEmpty, ip != "None" else { continue }
            if service.namespace == "default" && service.name == "kubernetes" {
                chosen[service.name] = service
            } else if links && service.namespace == namespace {
                chosen[service.name] = service
            }
        }
        var out: [Variable] = []
        for name in chosen.keys.sorted() {
            out += Self.variables(of: chosen[name]!)
        }
        return out
    }

    static func variables(of service: JSONValue) -> [Variable] {
        let prefix = service.name.uppercased().replacingOccurrences(of: "-", with: "_")
        let ip = service["spec"]?["clusterIP"]?.stringValue ?? ""
        let ports = service["spec"]?["ports"]?.arrayValue ?? []
        guard let first = ports.first, let firstPort = first["port"]?.intValue else { return [] }
        var out = [Variable("\(prefix)_SERVICE_HOST", ip), Variable("\(prefix)_SERVICE_PORT", String(firstPort))]
        for port in ports {
            if let name = port["name"]?.stringValue, !name.isEmpty, let number = port["port"]?.intValue {
                out.append(Variable("\(prefix)_SERVICE_PORT_\(name.uppercased().replacingOccurrences(of: "-", with: "_"))", String(number)))
            }
        }
        let host = ip.contains(":") ? "[\(ip)]" : ip
        let firstProtocol = (first["protocol"]?.stringValue ?? "TCP").lowercased()
        out.append(Variable("\(prefix)_PORT", "\(firstProtocol)://\(host):\(firstPort)"))
        for port in ports {
            guard let number = port["port"]?.intValue else { continue }
            let proto = port["protocol"]?.stringValue ?? "TCP"
            let base = "\(prefix)_PORT_\(number)_\(proto.uppercased())"
            out.append(Variable(base, "\(proto.lowercased())://\(host):\(number)"))
            out.append(Variable(base + "_PROTO", proto.lowercased()))
            out.append(Variable(base + "_PORT", String(number)))
            out.append(Variable(base + "_ADDR", ip))
        }
        return out
    }

    // MARK: Helpers

    static func strings(configMap: JSONValue) -> [(String, String)] {
        var out: [(String, String)] = []
        for (key, value) in configMap["data"]?.objectValue ?? [:] { out.append((key, value.stringValue ?? "")) }
        for (key, value) in configMap["binaryData"]?.objectValue ?? [:] {
            let bytes = Data(base64Encoded: value.stringValue ?? "") ?? Data()
            out.append((key, String(decoding: bytes, as: UTF8.self)))
        }
        return out
    }

    static func strings(secret: JSONValue) -> [(String, String)] {
        var out: [(String, String)] = []
        for (key, value) in secret["data"]?.objectValue ?? [:] {
            let bytes = Data(base64Encoded: value.stringValue ?? "") ?? Data()
            out.append((key, String(decoding: bytes, as: UTF8.self)))
        }
        for (key, value) in secret["stringData"]?.objectValue ?? [:] { out.append((key, value.stringValue ?? "")) }
        return out
    }

    /// Kubernetes' environment variable names: letters, digits, `_`, `-` and `.`, not starting with a digit.
    public static func isEnvVarName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, !("0"..."9").contains(first) else { return false }
        return name.unicodeScalars.allSatisfy { c in
            ("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c) || c == "_" || c == "-" || c == "."
        }
    }
}

/// Names in first-definition order, a later definition replacing the value.
struct OrderedEnv {
    private(set) var variables: [EnvResolver.Variable] = []
    private var index: [String: Int] = [:]

    mutating func set(_ name: String, _ value: String) {
        if let at = index[name] {
            variables[at].value = value
        } else {
            index[name] = variables.count
            variables.append(EnvResolver.Variable(name, value))
        }
    }

    func value(_ name: String) -> String? { index[name].map { variables[$0].value } }
}
