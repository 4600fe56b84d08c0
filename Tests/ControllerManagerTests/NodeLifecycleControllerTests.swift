import APIMachinery
import Client
import ControllerManager
import Foundation
import Testing

@Suite struct NodeLifecycleControllerTests {
    static let options = ControllerOptions(nodeMonitorGracePeriod: .seconds(40), nodeMonitorPeriod: .milliseconds(20))

    func registerNode(_ client: any APIClient, _ name: String, at now: Date) async throws {
        let stamp = JSONValue.string(RFC3339.format(now))
        var node = try await client.create(.nodes, object: ["apiVersion": "v1", "kind": "Node", "metadata": ["name": .string(name)]])
        node["status"] = ["conditions": [
            ["type": "Ready", "status": "True", "reason": "KubeletReady", "message": "kubelet is posting ready status",
             "lastHeartbeatTime": stamp, "lastTransitionTime": stamp],
            ["type": "MemoryPressure", "status": "False", "reason": "KubeletHasSufficientMemory", "message": "ok",
             "lastHeartbeatTime": stamp, "lastTransitionTime": stamp],
        ]]
        _ = try await client.updateStatus(.nodes, object: node)
        try await renewLease(client, name, at: now)
    }

    func renewLease(_ client: any APIClient, _ name: String, at now: Date) async throws {
        let spec: JSONValue = ["holderIdentity": .string(name), "leaseDurationSeconds": 40, "renewTime": .string(RFC3339.formatMicro(now))]
        do {
            _ = try await client.patch(.leases, namespace: "kube-node-lease", name: name, format: .merge, body: ["spec": spec])
        } catch where error.isNotFound {
            _ = try await client.create(.leases, namespace: "kube-node-lease",
                                        object: ["metadata": ["name": .string(name), "namespace": "kube-node-lease"], "spec": spec])
        }
    }

    func taints(_ client: any APIClient, _ node: String) async -> [String] {
        let object = try? await client.get(.nodes, name: node)
        return (object?["spec"]?["taints"]?.arrayValue ?? []).map { "\($0["key"]?.stringValue ?? ""):\($0["effect"]?.stringValue ?? "")" }.sorted()
    }

    func exists(_ client: any APIClient, _ pod: String) async -> Bool {
        guard let object = try? await client.get(.pods, namespace: "default", name: pod) else { return false }
        return object.deletionTimestamp == nil
    }

    @Test func silentNodeBecomesUnknownTaintedAndItsPodsAreEvictedByTolerations() async throws {
        let clock = ManualClock()
        let cluster = try await TestCluster(now: clock.now, options: Self.options)
        let client = cluster.client
        try await registerNode(client, "n1", at: clock.now())
        try await registerNode(client, "n2", at: clock.now())
        let unreachable = "node.kubernetes.io/unreachable"
        // A toleration of unreachable that does not match it (another value): admission adds none.
        let untolerated = NodeFixtures.pod("untolerated", tolerations: [["key": .string(unreachable), "operator": "Equal", "value": "x",
                                                                      "effect": "NoExecute"]])
        // Created through the API: DefaultTolerationSeconds gives them 300 s.
        let defaulted = NodeFixtures.pod("defaulted")
        let short = NodeFixtures.pod("short", tolerations: [["key": .string(unreachable), "operator": "Exists", "effect": "NoExecute",
                                                          "tolerationSeconds": 30]])
        let forever = NodeFixtures.pod("forever", tolerations: [["key": .string(unreachable), "operator": "Exists", "effect": "NoExecute"]])
        for pod in [untolerated, defaulted, short, forever] { try await NodeFixtures.runPod(client, pod, ip: "10.42.0.2", ready: true) }
        let stored = try await client.get(.pods, namespace: "default", name: "defaulted")
        #expect((stored["spec"]?["tolerations"]?.arrayValue ?? []).count == 2)

        let task = cluster.start(NodeLifecycleController(context: cluster.context))
        defer { task.cancel() }
        try await Task.sleep(for: .milliseconds(200))
        #expect(await taints(client, "n1").isEmpty)

        // n2 keeps renewing; n1 goes silent past the grace period.
        try await renewLease(client, "n2", at: clock.now().addingTimeInterval(41))
        // Advance only once the controller's lease informer has the renewal (a loaded machine lags).
        let leases = cluster.context.informers.informer(for: .leases, namespace: "kube-node-lease")
        #expect(await eventually {
            leases.lister.get(namespace: "kube-node-lease", name: "n2")?["spec"]?["renewTime"]?.stringValue
                == RFC3339.formatMicro(clock.now().addingTimeInterval(41))
        })
        clock.advance(41)
        #expect(await eventually { await taints(client, "n1") == ["\(unreachable):NoExecute", "\(unreachable):NoSchedule"] })
        let node = try await client.get(.nodes, name: "n1")
        let ready = node["status"]?["conditions"]?.arrayValue?.first { $0["type"] == "Ready" }
        #expect(ready?["status"] == "Unknown")
        #expect(ready?["reason"] == "NodeStatusUnknown")
        #expect(ready?["message"] == "Kubelet stopped posting node status.")
        let memory = node["status"]?["conditions"]?.arrayValue?.first { $0["type"] == "MemoryPressure" }
        #expect(memory?["status"] == "Unknown")
        #expect(await taints(client, "n2").isEmpty)

        // Pods on the silent node are not ready; the one tolerating nothing goes at once.
        #expect(await eventually { !(await exists(client, "untolerated")) })
        let forePod = try await client.get(.pods, namespace: "default", name: "forever")
        #expect(forePod["status"]?["conditions"]?.arrayValue?.first { $0["type"] == "Ready" }?["status"] == "False")
        #expect(await exists(client, "short"))
        // The countdown starts when the controller first sees the pod under the taint, which may be
        // just after an advance on a loaded machine: advance again (well short of the 300 s) if so.
        var shortGone = false
        for _ in 0..<3 where !shortGone {
            clock.advance(31)
            shortGone = await eventually(timeout: .seconds(4)) { !(await exists(client, "short")) }
        }
        #expect(shortGone)
        #expect(await exists(client, "defaulted"))
        clock.advance(300)
        #expect(await eventually { !(await exists(client, "defaulted")) })
        try await Task.sleep(for: .milliseconds(100))
        #expect(await exists(client, "forever"))

        let events = try await client.list(.events, namespace: "default").items
        #expect(events.contains { $0["reason"] == "NodeNotReady" && $0["message"] == "Node n1 status is now: NodeNotReady" })
        #expect(events.contains { $0["reason"] == "TaintManagerEviction" && $0["message"] == "Marking for deletion Pod default/short" })
        #expect(events.contains { $0["reason"] == "RegisteredNode" && $0["message"] == "Node n2 event: Registered Node n2 in Controller" })

        // The kubelet comes back: Ready again, taints removed.
        var back = try await client.get(.nodes, name: "n1")
        let stamp = JSONValue.string(RFC3339.format(clock.now()))
        back["status"] = ["conditions": [["type": "Ready", "status": "True", "reason": "KubeletReady", "message": "ready",
                                          "lastHeartbeatTime": stamp, "lastTransitionTime": stamp]]]
        _ = try await client.updateStatus(.nodes, object: back)
        try await renewLease(client, "n1", at: clock.now())
        #expect(await eventually { await taints(client, "n1").isEmpty })
        #expect(try await client.get(.nodes, name: "n1")["status"]?["conditions"]?.arrayValue?.first?["status"] == "True")

        // Evicted pods were marked as disrupted by the taint manager.
        let evicted = try await client.get(.pods, namespace: "default", name: "short")
        let target = evicted["status"]?["conditions"]?.arrayValue?.first { $0["type"] == "DisruptionTarget" }
        #expect(target?["reason"] == "DeletionByTaintManager")

        _ = try await client.delete(.nodes, name: "n2")
        #expect(await eventually {
            let events = (try? await client.list(.events, namespace: "default").items) ?? []
            return events.contains { $0["reason"] == "RemovingNode" && $0["message"] == "Node n2 event: Removing Node n2 from Controller" }
        })
    }

    @Test func evictionTimeFollowsTheShortestMatchingToleration() {
        let now = Date(timeIntervalSince1970: 1_000)
        let taint: JSONValue = ["key": "node.kubernetes.io/unreachable", "effect": "NoExecute", "timeAdded": .string(RFC3339.format(now))]
        let t = { (seconds: Int64?) -> JSONValue in
            var toleration: JSONValue = ["key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"]
            if let seconds { toleration["tolerationSeconds"] = .int(seconds) }
            return toleration
        }
        #expect(NodeLifecycleController.evictionTime(tolerations: [], taints: [taint], now: now) == .distantPast)
        #expect(NodeLifecycleController.evictionTime(tolerations: [t(nil)], taints: [taint], now: now) == nil)
        #expect(NodeLifecycleController.evictionTime(tolerations: [t(300), t(20)], taints: [taint], now: now) == now.addingTimeInterval(20))
        #expect(NodeLifecycleController.evictionTime(tolerations: [["operator": "Exists"]], taints: [taint], now: now) == nil)
        let noSchedule: JSONValue = ["key": "x", "effect": "NoSchedule"]
        #expect(NodeLifecycleController.evictionTime(tolerations: [], taints: [noSchedule], now: now) == nil)
    }

    @Test func nodeReportingNotReadyGetsTheNotReadyTaintsUntilReadyAgain() async throws {
        let clock = ManualClock()
        let cluster = try await TestCluster(now: clock.now, options: Self.options)
        let client = cluster.client
        try await registerNode(client, "n1", at: clock.now())
        let task = cluster.start(NodeLifecycleController(context: cluster.context))
        defer { task.cancel() }
        func report(_ status: String) async throws {
            var node = try await client.get(.nodes, name: "n1")
            let stamp = JSONValue.string(RFC3339.format(clock.now()))
            node["status"] = ["conditions": [["type": "Ready", "status": .string(status), "reason": "KubeletNotReady", "message": "x",
                                              "lastHeartbeatTime": stamp, "lastTransitionTime": stamp]]]
            _ = try await client.updateStatus(.nodes, object: node)
        }
        try await report("False")
        let notReady = "node.kubernetes.io/not-ready"
        #expect(await eventually { await taints(client, "n1") == ["\(notReady):NoExecute", "\(notReady):NoSchedule"] })
        // Heartbeats go on: the node is not marked Unknown.
        #expect(try await client.get(.nodes, name: "n1")["status"]?["conditions"]?.arrayValue?.first?["status"] == "False")
        try await report("True")
        #expect(await eventually { await taints(client, "n1").isEmpty })
    }
}
