import APIMachinery
import Scheduler
import Synchronization

/// The nodes and the pods bound to them, kept incrementally from the informers' events, plus the pods
/// the scheduler has just bound ("assumed") before the informer reports them, so that the next pod
/// is scheduled against up-to-date free resources.
public final class SchedulerCache: Sendable {
    struct State {
        /// The nodes in name order: a snapshot is this array, shared until the next change.
        var nodes: [NodeInfo] = []
        /// Node name -> its index in `nodes`.
        var index: [String: Int] = [:]
        /// Pod key -> the node it is counted on, and its info.
        var pods: [String: (node: String, info: PodInfo)] = [:]

        mutating func reindex() {
            index = [:]
            for (i, node) in nodes.enumerated() { index[node.name] = i }
        }

        mutating func withNode(_ name: String, _ body: (inout NodeInfo) -> Void) {
            guard let i = index[name] else { return }
            body(&nodes[i])
        }
    }
    let state = Mutex(State())

    public init() {}

    public var nodeCount: Int { state.withLock { $0.nodes.count } }

    /// The nodes with their pods, in name order.
    public func snapshot() -> [NodeInfo] {
        state.withLock { $0.nodes }
    }

    public func node(_ name: String) -> NodeInfo? { state.withLock { state in state.index[name].map { state.nodes[$0] } } }

    // MARK: Nodes

    public func upsertNode(_ node: JSONValue) {
        let name = node.name
        state.withLock { state in
            if let i = state.index[name] {
                state.nodes[i] = state.nodes[i].replacingNode(node)
            } else {
                var info = NodeInfo(node: node)
                for (_, entry) in state.pods where entry.node == name { info.add(entry.info) }
                let at = state.nodes.partitioningIndex { $0.name > name }
                state.nodes.insert(info, at: at)
                state.reindex()
            }
        }
    }

    public func removeNode(_ name: String) {
        state.withLock { state in
            guard let i = state.index[name] else { return }
            state.nodes.remove(at: i)
            state.reindex()
        }
    }

    // MARK: Pods

    /// Counts a pod on its node (`spec.nodeName`); a pod that finished (Succeeded, Failed) or has no
    /// node is removed.
    public func upsertPod(_ pod: JSONValue) {
        let node = pod["spec"]?["nodeName"]?.stringValue ?? ""
        let phase = pod["status"]?["phase"]?.stringValue
        if node.isEmpty || phase == "Succeeded" || phase == "Failed" {
            removePod(key: Self.key(pod))
            return
        }
        place(PodInfo(pod), on: node)
    }

    /// Counts a pod on `node` right after binding it, before the informer reports the binding.
    public func assume(_ pod: JSONValue, node: String) {
        var bound = pod
        bound[key: "spec", "nodeName"] = .string(node)
        place(PodInfo(bound), on: node)
    }

    func place(_ info: PodInfo, on node: String) {
        state.withLock { state in
            if let previous = state.pods[info.key] { state.withNode(previous.node) { $0.remove(previous.info) } }
            state.pods[info.key] = (node, info)
            state.withNode(node) { $0.add(info) }
        }
    }

    /// Whether a pod is counted on a node (assumed or reported bound).
    public func isAssumed(_ key: String) -> Bool { state.withLock { $0.pods[key] != nil } }

    public func removePod(key: String) {
        state.withLock { state in
            if let previous = state.pods.removeValue(forKey: key) { state.withNode(previous.node) { $0.remove(previous.info) } }
        }
    }

    static func key(_ pod: JSONValue) -> String {
        "\(pod.namespace.isEmpty ? "default" : pod.namespace)/\(pod.name)"
    }
}

extension Array {
    /// The first index whose element satisfies `predicate`, for an array partitioned by it (binary search).
    func partitioningIndex(where predicate: (Element) -> Bool) -> Int {
        var low = 0, high = count
        while low < high {
            let mid = (low + high) / 2
            if predicate(self[mid]) { high = mid } else { low = mid + 1 }
        }
        return low
    }
}
