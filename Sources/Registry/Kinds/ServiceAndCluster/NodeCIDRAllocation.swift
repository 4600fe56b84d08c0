import APIMachinery
import Storage

/// An IPv4 cluster CIDR such as `10.42.0.0/16` (k3s' default): the range nodes' pod CIDRs are cut
/// from, one `/nodePrefixLength` block (a /24 by default) per node.
public struct ClusterCIDR: Sendable, Hashable, CustomStringConvertible {
    public let network: UInt32
    public let prefixLength: Int
    public let nodePrefixLength: Int

    public static let `default` = ClusterCIDR(cidr: "10.42.0.0/16")!

    /// Parses `a.b.c.d/n` with 8 ≤ n ≤ nodePrefixLength.
    public init?(cidr: String, nodePrefixLength: Int = 24) {
        let parts = cidr.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let address = ServiceIPRange.parse(String(parts[0])), let length = Int(parts[1]),
              String(length) == parts[1], (8...30).contains(nodePrefixLength), (8...nodePrefixLength).contains(length)
        else { return nil }
        network = address & (~UInt32(0) << UInt32(32 - length))
        prefixLength = length
        self.nodePrefixLength = nodePrefixLength
    }

    public var description: String { "\(ServiceIPRange.format(network))/\(prefixLength)" }

    /// How many node blocks the range holds.
    public var blockCount: UInt32 { UInt32(1) << UInt32(nodePrefixLength - prefixLength) }

    /// The network address of block `index`.
    public func blockNetwork(_ index: UInt32) -> UInt32 { network + index << UInt32(32 - nodePrefixLength) }

    /// `a.b.c.0/24` of block `index`.
    public func block(_ index: UInt32) -> String { "\(ServiceIPRange.format(blockNetwork(index)))/\(nodePrefixLength)" }

    /// The block index of a CIDR text inside this range with the node prefix length, else nil.
    public func blockIndex(of cidr: String) -> UInt32? {
        let parts = cidr.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let address = ServiceIPRange.parse(String(parts[0])), Int(parts[1]) == nodePrefixLength else { return nil }
        let mask: UInt32 = ~UInt32(0) << UInt32(32 - prefixLength)
        guard address & mask == network else { return nil }
        return (address - network) >> UInt32(32 - nodePrefixLength)
    }
}

/// Gives each node created without `spec.podCIDR` the lowest free block of the cluster CIDR (what
/// kube-controller-manager's node IPAM does with `--allocate-node-cidrs`), none when all are taken. The blocks in use are read
/// from the stored nodes under the allocation lock, so a deleted node frees its block.
struct NodeCIDRAllocator: Sendable {
    let range: ClusterCIDR
    let lock = AsyncLock()

    /// The block indexes the stored nodes other than `name` use.
    func used(storage: any Storage, excluding name: String) async throws(StatusError) -> Set<UInt32> {
        let listed: ListResult
        do {
            listed = try await storage.list(prefix: "/registry/nodes/", revision: nil, startKey: nil, limit: nil)
        } catch {
            throw StatusError.internal("listing nodes to allocate a podCIDR: \(error)")
        }
        var used = Set<UInt32>()
        for kv in listed.items {
            guard let node = try? JSONValue.parse(kv.value), node.name != name else { continue }
            var cidrs = (node["spec"]?["podCIDRs"]?.arrayValue ?? []).compactMap(\.stringValue)
            if let cidr = node["spec"]?["podCIDR"]?.stringValue { cidrs.append(cidr) }
            for cidr in cidrs { if let index = range.blockIndex(of: cidr) { used.insert(index) } }
        }
        return used
    }

    /// Allocates on create, and on an update of a node that has none yet ("" to valid).
    func allocate(_ node: inout JSONValue, old: JSONValue?, storage: any Storage) async throws(StatusError) {
        let current = node["spec"]?["podCIDR"]?.stringValue ?? ""
        if !current.isEmpty {
            if node["spec"]?["podCIDRs"]?.arrayValue?.isEmpty ?? true { node[key: "spec", "podCIDRs"] = [.string(current)] }
            return
        }
        let used = try await used(storage: storage, excluding: node.name)
        // A full range leaves the node without one (registration never fails for it, as with the
        // node IPAM controller, which reports CIDRNotAvailable instead).
        guard let free = (0..<range.blockCount).first(where: { !used.contains($0) }) else { return }
        let cidr = range.block(free)
        node[key: "spec", "podCIDR"] = .string(cidr)
        node[key: "spec", "podCIDRs"] = [.string(cidr)]
    }
}

extension Registry {
    /// The built-in definitions with Services allocating from `serviceIPRange` and Nodes given pod
    /// CIDRs from `clusterCIDR`.
    public static func builtInDefinitions(serviceIPRange: ServiceIPRange, clusterCIDR: ClusterCIDR) -> [ResourceDefinition] {
        builtInDefinitions(serviceIPRange: serviceIPRange).map { definition in
            guard definition.group.isEmpty, definition.resource == "nodes" else { return definition }
            var configured = definition
            configured.strategy = NodeStrategy(clusterCIDR: clusterCIDR)
            return configured
        }
    }
}
