import APIMachinery
import Client
import Scheduler
@testable import SchedulerService
import Testing

@Suite struct SchedulerCacheTests {
    func bound(_ name: String, to node: String, cpu: String = "500m") -> JSONValue {
        var p = pod(name, cpu: cpu)
        p[key: "spec", "nodeName"] = .string(node)
        return p
    }

    @Test func snapshotsListNodesInNameOrderWithTheirPods() {
        let cache = SchedulerCache()
        // A pod reported before its node is counted once the node arrives.
        cache.upsertPod(bound("early", to: "n-b"))
        for name in ["n-c", "n-a", "n-b"] { cache.upsertNode(node(name)) }
        let snapshot = cache.snapshot()
        #expect(snapshot.map(\.name) == ["n-a", "n-b", "n-c"])
        #expect(snapshot[1].pods.map(\.key) == ["default/early"])
        #expect(cache.node("n-b")?.requested[ResourceName.cpu].milliValue == 500)

        cache.removeNode("n-b")
        #expect(cache.snapshot().map(\.name) == ["n-a", "n-c"])
        #expect(cache.node("n-b") == nil)
        cache.upsertNode(node("n-0"))
        #expect(cache.snapshot().map(\.name) == ["n-0", "n-a", "n-c"])
        // An earlier snapshot is a value: later changes do not show in it.
        #expect(snapshot.count == 3)
    }

    @Test func assumedPodsMoveAndLeave() {
        let cache = SchedulerCache()
        for name in ["n-1", "n-2"] { cache.upsertNode(node(name)) }
        let p = pod("web", cpu: "1")
        #expect(!cache.isAssumed("default/web"))
        cache.assume(p, node: "n-1")
        #expect(cache.isAssumed("default/web"))
        #expect(cache.node("n-1")?.pods.count == 1)
        // The informer reports it bound elsewhere: counted there only.
        cache.upsertPod(bound("web", to: "n-2", cpu: "1"))
        #expect(cache.node("n-1")?.pods.isEmpty == true)
        #expect(cache.node("n-2")?.requested[ResourceName.cpu].milliValue == 1000)
        cache.removePod(key: "default/web")
        #expect(!cache.isAssumed("default/web"))
        #expect(cache.node("n-2")?.pods.isEmpty == true)
    }
}

@Suite struct SchedulerBindingTests {
    /// Bindings run in the background: many pods at once still fill each node only up to its pod count.
    @Test func concurrentBindingsNeverOvercommitANode() async throws {
        let client = try await makeClient()
        for i in 1...4 { _ = try await client.create(.nodes, object: node("n\(i)", pods: 10)) }
        try await withScheduler(client) { _ in
            for i in 0..<44 { _ = try await client.create(.pods, namespace: "default", object: pod("p\(i)")) }
            try await eventually("40 pods bound", timeout: .seconds(20)) {
                let pods = (try? await client.list(.pods, namespace: "default"))?.items ?? []
                return pods.filter { !($0["spec"]?["nodeName"]?.stringValue ?? "").isEmpty }.count == 40
            }
            try await Task.sleep(for: .milliseconds(300))
            let pods = try await client.list(.pods, namespace: "default").items
            var perNode: [String: Int] = [:]
            for p in pods { if let n = p["spec"]?["nodeName"]?.stringValue, !n.isEmpty { perNode[n, default: 0] += 1 } }
            #expect(perNode == ["n1": 10, "n2": 10, "n3": 10, "n4": 10])
            let pending = pods.filter { ($0["spec"]?["nodeName"]?.stringValue ?? "").isEmpty }
            #expect(pending.count == 4)
        }
    }
}
