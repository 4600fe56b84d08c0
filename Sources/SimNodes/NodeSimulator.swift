import APIMachinery
import Client
import Foundation
import Synchronization

/// Simulated nodes in one process: each registers a Node, renews its Lease, refreshes its Ready
/// condition and "runs" the pods bound to it by reporting their status, all through an `APIClient`
/// (the HTTP one in `swiftlet sim-nodes`). Cancelling `run()` stops every heartbeat, as when a
/// kubelet dies: the nodes stay registered.
public final class NodeSimulator: Sendable {
    public let client: any APIClient
    public let options: SimNodeOptions
    let log: @Sendable (String) -> Void

    struct SimNode: Sendable {
        var index: Int
        var name: String
        var uid: String
        var hostIP: String
        var pool: PodIPPool?
    }
    let nodes = Mutex<[String: SimNode]>([:])
    let queue = WorkQueue<String>()

    public init(client: any APIClient, options: SimNodeOptions, log: @escaping @Sendable (String) -> Void = { _ in }) {
        self.client = client
        self.options = options
        self.log = log
    }

    public var nodeNames: [String] { nodes.withLock { $0.keys.sorted() } }

    static func now() -> String { RFC3339.format(Date()) }
    static func microNow() -> String { RFC3339.formatMicro(Date()) }

    /// Registers every node, then heartbeats and runs pods until the task is cancelled.
    public func run() async throws {
        try await register()
        let pods = SharedInformer(client: client, resource: .pods, fieldSelector: "spec.nodeName!=",
                                  indexers: [Indexer.namespaceIndex: Indexer.byNamespace, Indexer.nodeNameIndex: Indexer.byNodeName])
        let handler = ResourceEventHandler(
            onAdd: { [self] pod in await enqueue(pod) },
            onUpdate: { [self] _, pod in await enqueue(pod) },
            onDelete: { [self] pod in await enqueue(pod) })
        pods.addHandler(handler)
        let workers = max(1, options.workers)
        await withTaskCancellationHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await pods.run() }
                group.addTask { await self.renewLeases() }
                group.addTask { await self.refreshStatus() }
                for _ in 0..<workers {
                    group.addTask { await self.work(lister: pods.lister) }
                }
                await group.next()
                group.cancelAll()
            }
        } onCancel: {
            Task { await self.queue.shutDown() }
        }
    }

    // MARK: Registration and heartbeats

    func register() async throws {
        await withTaskGroup(of: Void.self) { group in
            for start in stride(from: 1, through: options.count, by: 32) {
                for index in start..<min(start + 32, options.count + 1) {
                    group.addTask { await self.registerRetrying(index: index) }
                }
                await group.waitForAll()
            }
        }
        try Task.checkCancellation()
    }

    func registerRetrying(index: Int) async {
        var delay = Duration.milliseconds(200)
        while !Task.isCancelled {
            do {
                try await register(index: index)
                return
            } catch {
                log("registering node \(options.nodeName(index)): \(error.message); retrying")
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(10))
            }
        }
    }

    func register(index: Int) async throws(StatusError) {
        let name = options.nodeName(index)
        let desired = SimObjects.node(index: index, options: options, now: Self.now())
        var node: JSONValue
        do {
            node = try await client.create(.nodes, object: desired)
        } catch where error.isAlreadyExists {
            // Registered before (a restarted simulator): report healthy again.
            let existing = try await client.get(.nodes, name: name)
            var status = desired["status"] ?? [:]
            status["conditions"] = .array(SimObjects.nodeConditions(now: Self.now(), previous: existing["status"]?["conditions"]?.arrayValue ?? []))
            node = try await client.patch(.nodes, namespace: "", name: name, format: .merge, body: ["status": status],
                                          subresource: "status", query: WriteQuery())
        }
        let cidr = node["spec"]?["podCIDR"]?.stringValue ?? ""
        let pool = PodIPPool(cidr: cidr)
        if pool == nil { log("node \(name) has no podCIDR: its pods get no pod IP") }
        let entry = SimNode(index: index, name: name, uid: node.uid, hostIP: IPv4.nodeAddress(index: index), pool: pool)
        nodes.withLock { $0[name] = entry }
        try await renewLease(name: name, uid: node.uid)
    }

    func renewLease(name: String, uid: String) async throws(StatusError) {
        let now = Self.microNow()
        let body: JSONValue = ["spec": ["holderIdentity": .string(name), "leaseDurationSeconds": .int(options.leaseDurationSeconds),
                                        "renewTime": .string(now)]]
        do {
            _ = try await client.patch(.leases, namespace: SimObjects.leaseNamespace, name: name, format: .merge, body: body,
                                       subresource: nil, query: WriteQuery())
        } catch where error.isNotFound {
            let lease = SimObjects.lease(node: name, nodeUID: uid, durationSeconds: options.leaseDurationSeconds, renewTime: now)
            _ = try await client.create(.leases, namespace: SimObjects.leaseNamespace, object: lease)
        }
    }

    /// Calls `body` for every node, 32 at a time.
    func forEachNode(_ body: @escaping @Sendable (SimNode) async -> Void) async {
        let all = nodes.withLock { Array($0.values) }
        await withTaskGroup(of: Void.self) { group in
            for start in stride(from: 0, to: all.count, by: 32) {
                for node in all[start..<min(start + 32, all.count)] { group.addTask { await body(node) } }
                await group.waitForAll()
            }
        }
    }

    func renewLeases() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: options.leaseInterval)
            if Task.isCancelled { return }
            await forEachNode { node in
                do { try await self.renewLease(name: node.name, uid: node.uid) } catch {
                    self.log("renewing the lease of \(node.name): \(error)")
                }
            }
        }
    }

    func refreshStatus() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: options.statusInterval)
            if Task.isCancelled { return }
            await forEachNode { node in
                do {
                    let current = try await self.client.get(.nodes, name: node.name)
                    let conditions = SimObjects.nodeConditions(now: Self.now(), previous: current["status"]?["conditions"]?.arrayValue ?? [])
                    _ = try await self.client.patch(.nodes, namespace: "", name: node.name, format: .merge,
                                                    body: ["status": ["conditions": .array(conditions)]],
                                                    subresource: "status", query: WriteQuery())
                } catch {
                    self.log("refreshing the status of \(node.name): \(error)")
                }
            }
        }
    }

    // MARK: Pods

    func enqueue(_ pod: JSONValue) async {
        let nodeName = pod["spec"]?["nodeName"]?.stringValue ?? ""
        guard nodes.withLock({ $0[nodeName] != nil }) else { return }
        await queue.add(Indexer.key(of: pod))
    }

    func work(lister: Lister) async {
        while let key = await queue.get() {
            do {
                try await sync(key: key, lister: lister)
                await queue.forget(key)
            } catch {
                if !error.isNotFound && !error.isConflict { log("pod \(key): \(error.message)") }
                await queue.addRateLimited(key)
            }
            await queue.done(key)
        }
    }

    /// Takes (or re-takes) the pod's address on its node; nil when the node has no pool or is full.
    func podIP(for pod: JSONValue, key: String, node: String) -> String? {
        nodes.withLock { nodes -> String? in
            guard var pool = nodes[node]?.pool else { return nil }
            defer { nodes[node]?.pool = pool }
            if let held = pod["status"]?["podIP"]?.stringValue, pool.reserve(key, ip: held) { return held }
            return pool.allocate(key)
        }
    }

    func release(key: String) {
        nodes.withLock { nodes in
            for name in Array(nodes.keys) where nodes[name]?.pool?.address(of: key) != nil { nodes[name]?.pool?.release(key) }
        }
    }

    func sync(key: String, lister: Lister) async throws(StatusError) {
        let (namespace, name) = Indexer.split(key)
        guard let pod = lister.get(namespace: namespace, name: name) else {
            release(key: key)
            return
        }
        let nodeName = pod["spec"]?["nodeName"]?.stringValue ?? ""
        guard let node = nodes.withLock({ $0[nodeName] }) else { return }
        let now = Date()
        switch SimPodStatus.action(for: pod, now: now.timeIntervalSince1970) {
        case .none:
            if SimPodStatus.isTerminal(pod) { release(key: key) }
        case .run:
            let ip = podIP(for: pod, key: key, node: nodeName)
            try await writeStatus(pod, SimPodStatus.running(pod, hostIP: node.hostIP, podIP: ip, now: RFC3339.format(now)))
            if SimPodStatus.runsToCompletion(pod) {
                await queue.addAfter(key, delay: .milliseconds(Int64(SimPodStatus.runSeconds(pod) * 1000) + 50))
            }
        case .complete(let exitCode):
            let ip = podIP(for: pod, key: key, node: nodeName)
            try await writeStatus(pod, SimPodStatus.completed(pod, exitCode: exitCode, hostIP: node.hostIP, podIP: ip, now: RFC3339.format(now)))
            release(key: key)
        case .completeLater(let seconds):
            await queue.addAfter(key, delay: .milliseconds(Int64(seconds * 1000) + 50))
        case .stopAndDelete:
            if !SimPodStatus.isTerminal(pod) {
                let ip = pod["status"]?["podIP"]?.stringValue
                _ = try? await writeStatus(pod, SimPodStatus.completed(pod, exitCode: 0, hostIP: node.hostIP, podIP: ip, now: RFC3339.format(now)))
            }
            release(key: key)
            do {
                _ = try await client.delete(.pods, namespace: namespace, name: name,
                                            options: DeleteQuery(gracePeriodSeconds: 0, preconditionUID: pod.uid))
            } catch where error.isNotFound || error.isConflict {
                // Gone already, or a new pod of the same name.
            }
        }
    }

    func writeStatus(_ pod: JSONValue, _ status: JSONValue) async throws(StatusError) {
        var updated = pod
        updated["status"] = status
        _ = try await client.update(.pods, namespace: pod.namespace, object: updated, subresource: "status", query: WriteQuery())
    }
}
