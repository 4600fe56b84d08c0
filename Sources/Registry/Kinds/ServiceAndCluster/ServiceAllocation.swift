import APIMachinery
import Storage

/// An IPv4 service CIDR such as `10.43.0.0/16`: the range ClusterIPs are allocated from. The network
/// and broadcast addresses are never handed out; the first usable address is the `kubernetes` Service's.
public struct ServiceIPRange: Sendable, Hashable, CustomStringConvertible {
    public let network: UInt32
    public let prefixLength: Int

    public static let `default` = ServiceIPRange(cidr: "10.43.0.0/16")!

    /// Parses `a.b.c.d/n` with 12 ≤ n ≤ 30 (Kubernetes refuses service ranges larger than /12).
    public init?(cidr: String) {
        let parts = cidr.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let address = Self.parse(String(parts[0])), let length = Int(parts[1]),
              (12...30).contains(length), String(length) == parts[1] else { return nil }
        let mask: UInt32 = length == 0 ? 0 : ~UInt32(0) << UInt32(32 - length)
        network = address & mask
        prefixLength = length
    }

    public var description: String { "\(Self.format(network))/\(prefixLength)" }
    var size: UInt32 { UInt32(1) << UInt32(32 - prefixLength) }
    public var first: UInt32 { network + 1 }
    public var last: UInt32 { network + size - 2 }
    public func contains(_ address: UInt32) -> Bool { address >= first && address <= last }
    /// The ClusterIP of the `kubernetes` Service.
    public var kubernetesServiceIP: String { Self.format(first) }

    /// Addresses at the start of the range reserved for static allocation: dynamic allocation prefers
    /// the rest, as Kubernetes does (min(max(16, size/16), 256)).
    var staticBand: UInt32 { min(max(16, size / 16), 256) }

    /// Dotted-quad IPv4 without leading zeros, as Kubernetes' strict parser accepts it.
    public static func parse(_ text: String) -> UInt32? {
        let octets = text.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4 else { return nil }
        var value: UInt32 = 0
        for octet in octets {
            guard !octet.isEmpty, octet.count <= 3, octet.allSatisfy({ $0.isASCII && $0.isNumber }),
                  octet == "0" || !octet.hasPrefix("0"), let n = UInt32(octet), n <= 255 else { return nil }
            value = value << 8 | n
        }
        return value
    }

    public static func format(_ address: UInt32) -> String {
        "\(address >> 24).\(address >> 16 & 0xFF).\(address >> 8 & 0xFF).\(address & 0xFF)"
    }
}

/// The node port range of NodePort and LoadBalancer services.
public let serviceNodePortRange: ClosedRange<Int64> = 30000...32767

/// Allocates ClusterIPs and node ports for Services. The addresses and ports in use are those of the
/// Services stored, read under the allocation lock, so a deleted Service frees its own and a restart
/// loses nothing.
struct ServiceAllocator: Sendable {
    let range: ServiceIPRange
    let lock = AsyncLock()

    static let nodePortNotInRange =
        "provided port is not in the valid range. The range of valid ports is \(serviceNodePortRange.lowerBound)-\(serviceNodePortRange.upperBound)"

    struct Used {
        var addresses: Set<UInt32> = []
        var nodePorts: Set<Int64> = []
    }

    /// What every stored Service but `namespace/name` uses.
    func used(storage: any Storage, excluding namespace: String, _ name: String) async throws(StatusError) -> Used {
        let listed: ListResult
        do {
            listed = try await storage.list(prefix: "/registry/services/", revision: nil, startKey: nil, limit: nil)
        } catch {
            throw StatusError.internal("listing services to allocate from: \(error)")
        }
        var used = Used()
        let own = "/registry/services/\(namespace)/\(name)"
        for kv in listed.items where kv.key != own {
            guard let service = try? JSONValue.parse(kv.value) else { continue }
            for ip in service["spec"]?["clusterIPs"]?.arrayValue ?? [] {
                if let s = ip.stringValue, let address = ServiceIPRange.parse(s) { used.addresses.insert(address) }
            }
            if let s = service["spec"]?["clusterIP"]?.stringValue, let address = ServiceIPRange.parse(s) {
                used.addresses.insert(address)
            }
            for port in service["spec"]?["ports"]?.arrayValue ?? [] {
                if let nodePort = port["nodePort"]?.intValue, nodePort != 0 { used.nodePorts.insert(nodePort) }
            }
            if let port = service["spec"]?["healthCheckNodePort"]?.intValue, port != 0 { used.nodePorts.insert(port) }
        }
        return used
    }

    /// Assigns the ClusterIP and node ports `service` needs and does not have yet; checks requested ones.
    func allocate(_ service: inout JSONValue, storage: any Storage) async throws(StatusError) {
        let type = service["spec"]?["type"]?.stringValue ?? "ClusterIP"
        let clusterIP = service["spec"]?["clusterIP"]?.stringValue ?? ""
        let needsIP = type != "ExternalName" && clusterIP != "None"
        let needsNodePorts = type == "NodePort"
            || (type == "LoadBalancer" && service["spec"]?["allocateLoadBalancerNodePorts"]?.boolValue != false)
        let ports = service["spec"]?["ports"]?.arrayValue ?? []
        let requestsNodePorts = ports.contains { ($0["nodePort"]?.intValue ?? 0) != 0 }
        let healthCheckNodePort = service["spec"]?["healthCheckNodePort"]?.intValue ?? 0
        let needsHealthCheck = type == "LoadBalancer" && service["spec"]?["externalTrafficPolicy"]?.stringValue == "Local"
        guard needsIP || needsNodePorts || requestsNodePorts || needsHealthCheck || healthCheckNodePort != 0 else { return }
        var used = try await used(storage: storage, excluding: service.namespace, service.name)

        if needsIP {
            if clusterIP.isEmpty {
                guard let address = freeAddress(used.addresses) else {
                    throw StatusError.internal("failed to allocate a serviceIP: range is full")
                }
                let text = ServiceIPRange.format(address)
                service[key: "spec", "clusterIP"] = .string(text)
                service[key: "spec", "clusterIPs"] = [.string(text)]
            } else if let address = ServiceIPRange.parse(clusterIP) {
                var problem: String?
                if !range.contains(address) {
                    problem = "the provided IP (\(clusterIP)) is not in the valid range. The range of valid IPs is \(range)"
                } else if used.addresses.contains(address) {
                    problem = "provided IP is already allocated"
                }
                if let problem {
                    let ips = (service["spec"]?["clusterIPs"]?.arrayValue ?? [.string(clusterIP)]).compactMap(\.stringValue)
                    let value = "[]string{" + ips.map { FieldError.render(.string($0)) ?? "" }.joined(separator: ", ") + "}"
                    throw StatusError.invalid(kind: "Service", group: "", name: service.name, errors: [
                        FieldError(.invalid, field: "spec.clusterIPs", value: value,
                            detail: "failed to allocate IP \(clusterIP): \(problem)"),
                    ])
                }
            }
        }

        try allocateNodePorts(&service, ports: ports, allocate: needsNodePorts, used: &used)

        // LoadBalancer services with externalTrafficPolicy Local get a health check node port.
        if healthCheckNodePort != 0 {
            var problem: String?
            if !serviceNodePortRange.contains(healthCheckNodePort) {
                problem = Self.nodePortNotInRange
            } else if used.nodePorts.contains(healthCheckNodePort) {
                problem = "provided port is already allocated"
            }
            if let problem {
                throw StatusError.invalid(kind: "Service", group: "", name: service.name, errors: [
                    .invalid("spec.healthCheckNodePort", .int(healthCheckNodePort),
                        "failed to allocate requested HealthCheck NodePort \(healthCheckNodePort): \(problem)"),
                ])
            }
        } else if needsHealthCheck {
            guard let free = freeNodePort(used.nodePorts) else {
                throw StatusError.internal("failed to allocate a nodePort: range is full")
            }
            service[key: "spec", "healthCheckNodePort"] = .int(free)
        }
    }

    /// Checks the requested node ports of `ports` and, with `allocate`, assigns the missing ones (one per
    /// service port number, shared by its protocols).
    func allocateNodePorts(_ service: inout JSONValue, ports: [JSONValue], allocate: Bool, used: inout Used) throws(StatusError) {
        guard !ports.isEmpty else { return }
        var updated = ports
        var byPort: [Int64: Int64] = [:]  // node ports of this service by service port, reused across protocols
        var own: Set<Int64> = []
        for (i, port) in ports.enumerated() {
            guard let nodePort = port["nodePort"]?.intValue, nodePort != 0 else { continue }
            if !own.contains(nodePort) {
                var problem: String?
                if !serviceNodePortRange.contains(nodePort) {
                    problem = Self.nodePortNotInRange
                } else if used.nodePorts.contains(nodePort) {
                    problem = "provided port is already allocated"
                }
                if let problem {
                    throw StatusError.invalid(kind: "Service", group: "", name: service.name, errors: [
                        .invalid("spec.ports[\(i)].nodePort", .int(nodePort), problem),
                    ])
                }
            }
            own.insert(nodePort)
            if let p = port["port"]?.intValue { byPort[p] = nodePort }
        }
        used.nodePorts.formUnion(own)
        guard allocate else { return }
        for (i, port) in ports.enumerated() where (port["nodePort"]?.intValue ?? 0) == 0 {
            let servicePort = port["port"]?.intValue ?? 0
            let nodePort: Int64
            if let reused = byPort[servicePort] {
                nodePort = reused
            } else {
                guard let free = freeNodePort(used.nodePorts) else {
                    throw StatusError.internal("failed to allocate a nodePort: range is full")
                }
                nodePort = free
                used.nodePorts.insert(free)
                byPort[servicePort] = free
            }
            updated[i]["nodePort"] = .int(nodePort)
        }
        service[key: "spec", "ports"] = .array(updated)
    }

    /// A random free address, from above the static band first.
    func freeAddress(_ used: Set<UInt32>) -> UInt32? {
        let band = min(range.staticBand, range.last - range.first)
        let dynamic = (range.first + band)...range.last
        let all = range.first...range.last
        for candidates in [dynamic, all] {
            for _ in 0..<64 {
                let candidate = UInt32.random(in: candidates)
                if !used.contains(candidate) { return candidate }
            }
            if let found = scan(candidates, from: UInt32.random(in: candidates), used: used) { return found }
        }
        return nil
    }

    func scan(_ candidates: ClosedRange<UInt32>, from start: UInt32, used: Set<UInt32>) -> UInt32? {
        var candidate = start
        for _ in 0..<(Int(candidates.upperBound - candidates.lowerBound) + 1) {
            if !used.contains(candidate) { return candidate }
            candidate = candidate == candidates.upperBound ? candidates.lowerBound : candidate + 1
        }
        return nil
    }

    func freeNodePort(_ used: Set<Int64>) -> Int64? {
        let start = Int64.random(in: serviceNodePortRange)
        var candidate = start
        for _ in 0..<serviceNodePortRange.count {
            if !used.contains(candidate) { return candidate }
            candidate = candidate == serviceNodePortRange.upperBound ? serviceNodePortRange.lowerBound : candidate + 1
        }
        return nil
    }
}
