import APIMachinery
import Scheduler
import Synchronization

/// The nodes and the pods bound to them, kept incrementally from the informers' events, plus the pods
/// the scheduler has just bound ("assumed") before the informer reports them, so that the next pod
/// is scheduled against up-to-date free resources.
public final class SchedulerCache: Sendable {
    struct State {
        var nodes: [String: NodeInfo] = [:]
        /// Node names in order (rebuilt when nodes come or go).
        var order: [String] = []
        var orderValid = true
        /// Pod key -> the node it is counted on, and its info.
        var pods: [String: (node: String, info: PodInfo)] = [:]
    }
    let state = Mutex(State())

    public init() {}

    public var nodeCount: Int { state.withLock { $0.nodes.count } }

    /// The nodes with their pods, in name order.
    public func snapshot() -> [NodeInfo] {
        state.withLock { state in
            if !state.orderValid {
                state.order = state.nodes.keys.sorted()
                state.orderValid = true
            }
            return state.order.compactMap { state.nodes[$0] }
        }
    }

    public func node(_ name: String) -> NodeInfo? { state.withLock { $0.nodes[name] } }

    // MARK: Nodes

    public func upsertNode(_ node: JSONValue) {
        let name = node.name
        state.withLock { state in
            if let existing = state.nodes[name] {
                state.nodes[name] = existing.replacingNode(node)
            } else {
                var info = NodeInfo(node: node)
                for (_, entry) in state.pods where entry.node == name { info.add(entry.info) }
                state.nodes[name] = info
                state.orderValid = false
            }
        }
    }

    public func removeNode(_ name: String) {
        state.withLock { state in
            if state.nodes.removeValue(forKey: name) != nil { state.orderValid = false }
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
            if let previous = state.pods[info.key] { state.nodes[previous.node]?.remove(previous.info) }
            state.pods[info.key] = (node, info)
            state.nodes[node]?.add(info)
        }
    }

    /// Whether a pod is counted on a node (assumed or reported bound).
    public func isAssumed(_ key: String) -> Bool { state.withLock { $0.pods[key] != nil } }

    public func removePod(key: String) {
        state.withLock { state in
            if let previous = state.pods.removeValue(forKey: key) { state.nodes[previous.node]?.remove(previous.info) }
        }
    }

    static func key(_ pod: JSONValue) -> String {
        "\(pod.namespace.isEmpty ? "default" : pod.namespace)/\(pod.name)"
    }
}
