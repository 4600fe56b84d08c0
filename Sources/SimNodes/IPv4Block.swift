/// An IPv4 CIDR block (a node's podCIDR) handing out pod addresses: the lowest free address from
/// `.2` on (the first address is the node's bridge, as with a CNI bridge plugin), never the network
/// or broadcast address. Addresses are held per pod key until released.
public struct PodIPPool: Sendable {
    public let network: UInt32
    public let prefixLength: Int
    var byKey: [String: UInt32] = [:]
    var used: Set<UInt32> = []

    public init?(cidr: String) {
        let parts = cidr.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let address = IPv4.parse(String(parts[0])), let length = Int(parts[1]),
              (8...30).contains(length) else { return nil }
        network = address & (~UInt32(0) << UInt32(32 - length))
        prefixLength = length
    }

    public var cidr: String { "\(IPv4.format(network))/\(prefixLength)" }
    var first: UInt32 { network + 2 }
    var last: UInt32 { network + (UInt32(1) << UInt32(32 - prefixLength)) - 2 }
    public var capacity: Int { Int(last - first) + 1 }
    public var allocatedCount: Int { byKey.count }

    public func contains(_ ip: String) -> Bool {
        guard let address = IPv4.parse(ip) else { return false }
        return address >= first && address <= last
    }

    /// The address of `key`: the one it holds, else the lowest free one (nil when the block is full).
    public mutating func allocate(_ key: String) -> String? {
        if let held = byKey[key] { return IPv4.format(held) }
        var candidate = first
        while candidate <= last {
            if !used.contains(candidate) {
                byKey[key] = candidate
                used.insert(candidate)
                return IPv4.format(candidate)
            }
            candidate += 1
        }
        return nil
    }

    /// Records that `key` holds `ip` (a pod found running after a restart); false if it is outside
    /// the block or held by another key.
    @discardableResult
    public mutating func reserve(_ key: String, ip: String) -> Bool {
        guard contains(ip), let address = IPv4.parse(ip) else { return false }
        if byKey[key] == address { return true }
        guard !used.contains(address) else { return false }
        release(key)
        byKey[key] = address
        used.insert(address)
        return true
    }

    public mutating func release(_ key: String) {
        if let address = byKey.removeValue(forKey: key) { used.remove(address) }
    }

    public func address(of key: String) -> String? { byKey[key].map(IPv4.format) }
}

public enum IPv4 {
    /// Dotted-quad without leading zeros.
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

    /// The InternalIP of simulated node number `index` (1-based): 172.30.0.1, 172.30.0.2, … skipping
    /// `.0` and `.255` in the last octet.
    public static func nodeAddress(index: Int) -> String {
        let i = max(index, 1) - 1
        let third = (i / 254) % 256
        let fourth = i % 254 + 1
        return "172.30.\(third).\(fourth)"
    }
}
