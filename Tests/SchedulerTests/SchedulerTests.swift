import APIMachinery
import Testing
@testable import Scheduler

@Suite struct ScheduleTests {
    @Test func picksTheLeastAllocatedNode() {
        let nodes = [Fixture.node("n1"), Fixture.node("n2"), Fixture.node("n3")]
        let pods = [Fixture.pod("a", node: "n1", cpu: "3", memory: "6Gi"), Fixture.pod("b", node: "n3", cpu: "1", memory: "1Gi")]
        let result = Scheduler().schedule(pod: Fixture.pod("p", cpu: "500m", memory: "512Mi"), nodes: nodes, pods: pods)
        #expect(result.nodeName == "n2")
        #expect(result.message == nil)
    }

    @Test func onlyFeasibleNodeIsChosen() {
        let nodes = [Fixture.node("small", cpu: "1"), Fixture.node("big", cpu: "8")]
        #expect(Scheduler().schedule(pod: Fixture.pod("p", cpu: "2"), nodes: nodes).nodeName == "big")
    }

    @Test func taintToleranceOutweighsResources() {
        // TaintToleration (weight 3) prefers the untainted node even though it is busier.
        let nodes = [Fixture.node("soft", taints: [Fixture.taint("k", "v", "PreferNoSchedule")]), Fixture.node("busy")]
        let pods = [Fixture.pod("x", node: "busy", cpu: "1", memory: "1Gi")]
        #expect(Scheduler().schedule(pod: Fixture.pod("p", cpu: "100m"), nodes: nodes, pods: pods).nodeName == "busy")
    }

    @Test func tiesAreBrokenDeterministically() {
        let nodes = [Fixture.node("n1"), Fixture.node("n2"), Fixture.node("n3")]
        #expect(Scheduler().schedule(pod: Fixture.pod("p"), nodes: nodes).nodeName == "n1")
        let seeded = Scheduler(seed: 42)
        var chosen = Set<String>()
        for i in 0..<30 {
            let pod = Fixture.pod("p\(i)")
            let first = seeded.schedule(pod: pod, nodes: nodes).nodeName
            #expect(first == seeded.schedule(pod: pod, nodes: nodes).nodeName)
            chosen.insert(first ?? "")
        }
        #expect(chosen == ["n1", "n2", "n3"])
    }

    @Test func spreadsReplicasOverZones() {
        var nodes: [JSONValue] = []
        for zone in ["a", "b", "c"] { for i in 1...2 { nodes.append(Fixture.node("\(zone)\(i)", labels: ["zone": zone])) } }
        var pods: [JSONValue] = []
        let constraint: JSONValue = ["maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule",
                                     "labelSelector": Fixture.selector(["app": "web"])]
        for i in 0..<6 {
            var pod = Fixture.pod("web-\(i)", labels: ["app": "web"], spec: ["topologySpreadConstraints": [constraint]])
            guard let node = Scheduler().schedule(pod: pod, nodes: nodes, pods: pods).nodeName else {
                Issue.record("web-\(i) not scheduled")
                return
            }
            pod[key: "spec", "nodeName"] = .string(node)
            pods.append(pod)
        }
        var perZone: [Character: Int] = [:]
        for pod in pods { perZone[pod["spec"]?["nodeName"]?.stringValue?.first ?? "?", default: 0] += 1 }
        #expect(perZone == ["a": 2, "b": 2, "c": 2])
    }
}

@Suite struct FailedSchedulingMessageTests {
    let three = [Fixture.node("n1"), Fixture.node("n2"), Fixture.node("n3")]

    @Test func nodeAffinity() {
        let result = Scheduler().schedule(pod: Fixture.pod("p", spec: ["nodeSelector": ["disk": "ssd"]]), nodes: three)
        #expect(result.message == "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.")
    }

    @Test func insufficientCPUWithoutVictims() {
        let result = Scheduler().schedule(pod: Fixture.pod("p", cpu: "5"), nodes: three)
        #expect(result.message == "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.")
    }

    @Test func severalResources() {
        let result = Scheduler().schedule(pod: Fixture.pod("p", cpu: "5", memory: "9Gi"), nodes: [Fixture.node("n1")])
        #expect(result.message == "0/1 nodes are available: 1 Insufficient cpu, 1 Insufficient memory. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.")
    }

    @Test func mixedReasonsAreCountedSortedAndJoined() {
        let nodes = [
            Fixture.node("t1", taints: [Fixture.taint("k", "v")]), Fixture.node("t2", taints: [Fixture.taint("k", "v")]),
            Fixture.node("c", unschedulable: true), Fixture.node("small", memory: "1Gi"),
        ]
        let result = Scheduler().schedule(pod: Fixture.pod("p", memory: "2Gi"), nodes: nodes)
        #expect(result.message == "0/4 nodes are available: 1 Insufficient memory, 1 node(s) were unschedulable, 2 node(s) had untolerated taint {k: v}. preemption: 0/4 nodes are available: 1 No preemption victims found for incoming pod, 3 Preemption is not helpful for scheduling.")
        #expect(result.fitError?.statuses["t1"]?.plugin == "TaintToleration")
    }

    @Test func ports() {
        let used = [Fixture.pod("a", node: "n1", ports: [["containerPort": 80, "hostPort": 80]])]
        let result = Scheduler().schedule(pod: Fixture.pod("p", ports: [["containerPort": 80, "hostPort": 80]]), nodes: [Fixture.node("n1")], pods: used)
        #expect(result.message == "0/1 nodes are available: 1 node(s) didn't have free ports for the requested pod ports. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.")
    }

    @Test func antiAffinityAndSpread() {
        let nodes = [Fixture.node("n1"), Fixture.node("n2")]
        let pods = [Fixture.pod("w0", node: "n1", labels: ["app": "web"]), Fixture.pod("w1", node: "n2", labels: ["app": "web"])]
        let anti = Fixture.pod("w2", labels: ["app": "web"], spec: ["affinity": ["podAntiAffinity": ["requiredDuringSchedulingIgnoredDuringExecution": [
            ["labelSelector": Fixture.selector(["app": "web"]), "topologyKey": "kubernetes.io/hostname"],
        ]]]])
        #expect(Scheduler().schedule(pod: anti, nodes: nodes, pods: pods).message
            == "0/2 nodes are available: 2 node(s) didn't match pod anti-affinity rules. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.")
        let spread = Fixture.pod("w2", labels: ["app": "web"], spec: ["topologySpreadConstraints": [
            ["maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule", "labelSelector": Fixture.selector(["app": "web"])],
        ]])
        #expect(Scheduler().schedule(pod: spread, nodes: nodes, pods: pods).message
            == "0/2 nodes are available: 2 node(s) didn't match pod topology spread constraints (missing required label). preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.")
    }

    @Test func preemptionPolicyNever() {
        let result = Scheduler().schedule(pod: Fixture.pod("p", cpu: "5", spec: ["preemptionPolicy": "Never"]), nodes: three)
        #expect(result.message == "0/3 nodes are available: 3 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never.")
    }

    @Test func noNodes() {
        #expect(Scheduler().schedule(pod: Fixture.pod("p"), nodes: [JSONValue]()).message == "no nodes available to schedule pods")
    }
}

@Suite struct NodesToScoreTests {
    @Test func adaptivePercentage() {
        let s = Scheduler()
        #expect(s.numFeasibleNodesToFind(50) == 50)
        #expect(s.numFeasibleNodesToFind(100) == 100)
        #expect(s.numFeasibleNodesToFind(1000) == 420)
        #expect(s.numFeasibleNodesToFind(5000) == 500)
        #expect(s.numFeasibleNodesToFind(10000) == 500)
        #expect(s.numFeasibleNodesToFind(150) == 100)
        #expect(Scheduler(percentageOfNodesToScore: 100).numFeasibleNodesToFind(1000) == 1000)
        #expect(Scheduler(percentageOfNodesToScore: 20).numFeasibleNodesToFind(1000) == 200)
    }

    @Test func filteringStopsAndRotates() {
        let nodes = (0..<200).map { Fixture.node(String(format: "n%03d", $0)) }
        let infos = Fixture.nodes(nodes)
        let result = Scheduler().schedule(pod: Fixture.pod("p"), nodes: infos, startIndex: 150)
        guard case .scheduled(let node, let scores, let evaluated) = result else {
            Issue.record("not scheduled")
            return
        }
        // 200 nodes: 50 − 1 = 49% → 98, raised to the minimum of 100.
        #expect(evaluated == 100)
        #expect(scores.count == 100)
        // All nodes score the same: the first evaluated (from the start index) wins.
        #expect(node == "n150")
        #expect(Set(scores.map(\.name)).contains("n049"))
        #expect(!Set(scores.map(\.name)).contains("n050"))
    }
}
