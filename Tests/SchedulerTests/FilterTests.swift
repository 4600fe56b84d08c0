import APIMachinery
import Testing
@testable import Scheduler

/// The failing status of `pod` on each node (nil: fits), through the whole filter chain.
func statuses(_ pod: JSONValue, _ nodes: [JSONValue], pods: [JSONValue] = [], scheduler: Scheduler = Scheduler()) -> [String: FilterStatus?] {
    let infos = Fixture.nodes(nodes, pods: pods)
    var out: [String: FilterStatus?] = [:]
    for node in infos { out[node.name] = scheduler.fits(pod: pod, node: node.name, nodes: infos) }
    return out
}

func reasons(_ pod: JSONValue, _ node: JSONValue, pods: [JSONValue] = [], others: [JSONValue] = []) -> [String] {
    let name = node["metadata"]?["name"]?.stringValue ?? ""
    return (statuses(pod, [node] + others, pods: pods)[name] ?? nil)?.reasons ?? []
}

@Suite struct NodeUnschedulableTests {
    @Test func cordonedNodeRejectsPods() {
        let node = Fixture.node("n1", unschedulable: true)
        let status = statuses(Fixture.pod("p"), [node])["n1"]!
        #expect(status?.reasons == ["node(s) were unschedulable"])
        #expect(status?.code == .unschedulableAndUnresolvable)
        #expect(status?.plugin == "NodeUnschedulable")
    }

    @Test func toleratingPodsAreAllowed() {
        let node = Fixture.node("n1", unschedulable: true)
        let pod = Fixture.pod("p", spec: ["tolerations": [["key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"]]])
        #expect(reasons(pod, node).isEmpty)
        #expect(reasons(Fixture.pod("p"), Fixture.node("n1")).isEmpty)
    }
}

@Suite struct NodeNameTests {
    @Test func nodeNameMustMatch() {
        let pod = Fixture.pod("p", spec: ["nodeName": "n2"])
        let s = statuses(pod, [Fixture.node("n1"), Fixture.node("n2")])
        #expect(s["n1"]!?.reasons == ["node(s) didn't match the requested node name"])
        #expect(s["n2"]! == nil)
    }
}

@Suite struct TaintTolerationFilterTests {
    @Test func untoleratedNoScheduleAndNoExecute() {
        let pod = Fixture.pod("p")
        #expect(reasons(pod, Fixture.node("n1", taints: [Fixture.taint("dedicated", "gpu")]))
            == ["node(s) had untolerated taint {dedicated: gpu}"])
        #expect(reasons(pod, Fixture.node("n1", taints: [Fixture.taint("node.kubernetes.io/unreachable", "", "NoExecute")]))
            == ["node(s) had untolerated taint {node.kubernetes.io/unreachable: }"])
    }

    @Test func preferNoScheduleDoesNotFilter() {
        #expect(reasons(Fixture.pod("p"), Fixture.node("n1", taints: [Fixture.taint("soft", "x", "PreferNoSchedule")])).isEmpty)
    }

    @Test func tolerations() {
        let node = Fixture.node("n1", taints: [Fixture.taint("dedicated", "gpu")])
        let equal = Fixture.pod("p", spec: ["tolerations": [["key": "dedicated", "operator": "Equal", "value": "gpu", "effect": "NoSchedule"]]])
        let wrongValue = Fixture.pod("p", spec: ["tolerations": [["key": "dedicated", "value": "cpu"]]])
        let exists = Fixture.pod("p", spec: ["tolerations": [["key": "dedicated", "operator": "Exists"]]])
        let everything = Fixture.pod("p", spec: ["tolerations": [["operator": "Exists"]]])
        let wrongEffect = Fixture.pod("p", spec: ["tolerations": [["key": "dedicated", "operator": "Exists", "effect": "NoExecute"]]])
        #expect(reasons(equal, node).isEmpty)
        #expect(reasons(exists, node).isEmpty)
        #expect(reasons(everything, node).isEmpty)
        #expect(reasons(wrongValue, node) == ["node(s) had untolerated taint {dedicated: gpu}"])
        #expect(reasons(wrongEffect, node) == ["node(s) had untolerated taint {dedicated: gpu}"])
    }
}

@Suite struct NodeAffinityFilterTests {
    let zoneA = Fixture.node("a", labels: ["zone": "a", "gen": "5"])
    let zoneB = Fixture.node("b", labels: ["zone": "b", "gen": "3"])
    let none = Fixture.node("c")

    func feasible(_ pod: JSONValue) -> [String] {
        statuses(pod, [zoneA, zoneB, none]).filter { $0.value == nil }.keys.sorted()
    }

    func required(_ terms: JSONValue) -> JSONValue {
        Fixture.pod("p", spec: ["affinity": ["nodeAffinity": ["requiredDuringSchedulingIgnoredDuringExecution": ["nodeSelectorTerms": terms]]]])
    }

    @Test func nodeSelector() {
        #expect(feasible(Fixture.pod("p", spec: ["nodeSelector": ["zone": "a"]])) == ["a"])
        #expect(feasible(Fixture.pod("p", spec: ["nodeSelector": ["zone": "z"]])) == [])
        #expect(reasons(Fixture.pod("p", spec: ["nodeSelector": ["zone": "z"]]), zoneA) == ["node(s) didn't match Pod's node affinity/selector"])
    }

    @Test func operators() {
        func expr(_ key: String, _ op: String, _ values: [String] = []) -> JSONValue {
            ["matchExpressions": [["key": .string(key), "operator": .string(op), "values": .array(values.map { .string($0) })]]]
        }
        #expect(feasible(required([expr("zone", "In", ["a", "b"])])) == ["a", "b"])
        #expect(feasible(required([expr("zone", "NotIn", ["a"])])) == ["b", "c"])
        #expect(feasible(required([expr("zone", "Exists")])) == ["a", "b"])
        #expect(feasible(required([expr("zone", "DoesNotExist")])) == ["c"])
        #expect(feasible(required([expr("gen", "Gt", ["4"])])) == ["a"])
        #expect(feasible(required([expr("gen", "Lt", ["4"])])) == ["b"])
        #expect(feasible(required([expr("gen", "Gt", ["x"])])) == [])
    }

    @Test func termsAreOredExpressionsAnded() {
        let both: JSONValue = ["matchExpressions": [["key": "zone", "operator": "In", "values": ["a"]], ["key": "gen", "operator": "Lt", "values": ["4"]]]]
        #expect(feasible(required([both])) == [])
        let a: JSONValue = ["matchExpressions": [["key": "zone", "operator": "In", "values": ["a"]]]]
        let b: JSONValue = ["matchExpressions": [["key": "zone", "operator": "In", "values": ["b"]]]]
        #expect(feasible(required([a, b])) == ["a", "b"])
        // An empty term matches nothing.
        #expect(feasible(required([["matchExpressions": []]])) == [])
    }

    @Test func matchFieldsOnName() {
        let term: JSONValue = ["matchFields": [["key": "metadata.name", "operator": "In", "values": ["b", "c"]]]]
        #expect(feasible(required([term])) == ["b", "c"])
        let notIn: JSONValue = ["matchFields": [["key": "metadata.name", "operator": "NotIn", "values": ["b"]]]]
        #expect(feasible(required([notIn])) == ["a", "c"])
    }

    @Test func selectorAndAffinityBothApply() {
        var pod = required([["matchExpressions": [["key": "zone", "operator": "Exists"]]]])
        pod[key: "spec", "nodeSelector"] = ["gen": "3"]
        #expect(feasible(pod) == ["b"])
    }
}

@Suite struct NodeResourcesFitTests {
    @Test func insufficientCPUAndMemory() {
        let node = Fixture.node("n1", cpu: "2", memory: "4Gi")
        let existing = [Fixture.pod("a", node: "n1", cpu: "1500m", memory: "3Gi")]
        #expect(reasons(Fixture.pod("p", cpu: "500m", memory: "1Gi"), node, pods: existing).isEmpty)
        #expect(reasons(Fixture.pod("p", cpu: "501m"), node, pods: existing) == ["Insufficient cpu"])
        #expect(reasons(Fixture.pod("p", cpu: "1", memory: "2Gi"), node, pods: existing) == ["Insufficient cpu", "Insufficient memory"])
        let status = statuses(Fixture.pod("p", cpu: "3"), [node])["n1"]!
        #expect(status?.code == .unschedulable)
        #expect(status?.plugin == "NodeResourcesFit")
    }

    @Test func ephemeralStorageAndExtendedResources() {
        let node = Fixture.node("n1", extra: ["ephemeral-storage": "10Gi", "example.com/gpu": "2"])
        #expect(reasons(Fixture.pod("p", requests: ["ephemeral-storage": "11Gi"]), node) == ["Insufficient ephemeral-storage"])
        #expect(reasons(Fixture.pod("p", requests: ["example.com/gpu": "2"]), node).isEmpty)
        #expect(reasons(Fixture.pod("p", requests: ["example.com/gpu": "3"]), node) == ["Insufficient example.com/gpu"])
        #expect(reasons(Fixture.pod("p", requests: ["example.com/fpga": "1"]), node) == ["Insufficient example.com/fpga"])
    }

    @Test func podCount() {
        let node = Fixture.node("n1", pods: 2)
        let existing = [Fixture.pod("a", node: "n1"), Fixture.pod("b", node: "n1")]
        #expect(reasons(Fixture.pod("p"), node, pods: [existing[0]]).isEmpty)
        #expect(reasons(Fixture.pod("p", cpu: "5"), node, pods: existing) == ["Too many pods", "Insufficient cpu"])
    }

    @Test func zeroRequestsAlwaysFitResources() {
        let node = Fixture.node("n1", cpu: "1")
        #expect(reasons(Fixture.pod("p"), node, pods: [Fixture.pod("a", node: "n1", cpu: "1")]).isEmpty)
    }

    @Test func overheadCounts() {
        let node = Fixture.node("n1", cpu: "1")
        let pod = Fixture.pod("p", cpu: "900m", spec: ["overhead": ["cpu": "200m"]])
        #expect(reasons(pod, node) == ["Insufficient cpu"])
    }
}

@Suite struct NodePortsTests {
    let node = Fixture.node("n1")

    @Test func conflicts() {
        let used = [Fixture.pod("a", node: "n1", ports: [["containerPort": 80, "hostPort": 8080]])]
        let same = Fixture.pod("p", ports: [["containerPort": 80, "hostPort": 8080]])
        #expect(reasons(same, node, pods: used) == ["node(s) didn't have free ports for the requested pod ports"])
        let otherPort = Fixture.pod("p", ports: [["containerPort": 80, "hostPort": 8081]])
        #expect(reasons(otherPort, node, pods: used).isEmpty)
        let udp = Fixture.pod("p", ports: [["containerPort": 80, "hostPort": 8080, "protocol": "UDP"]])
        #expect(reasons(udp, node, pods: used).isEmpty)
        let noHostPort = Fixture.pod("p", ports: [["containerPort": 8080]])
        #expect(reasons(noHostPort, node, pods: used).isEmpty)
    }

    @Test func hostIPs() {
        let specific = [Fixture.pod("a", node: "n1", ports: [["containerPort": 80, "hostPort": 8080, "hostIP": "10.0.0.1"]])]
        let otherIP = Fixture.pod("p", ports: [["containerPort": 80, "hostPort": 8080, "hostIP": "10.0.0.2"]])
        let wildcard = Fixture.pod("p", ports: [["containerPort": 80, "hostPort": 8080]])
        #expect(reasons(otherIP, node, pods: specific).isEmpty)
        #expect(reasons(wildcard, node, pods: specific) == ["node(s) didn't have free ports for the requested pod ports"])
    }
}

@Suite struct FilterOrderTests {
    @Test func firstFailingPluginIsReported() {
        // Both cordoned and too small: NodeUnschedulable runs first.
        let node = Fixture.node("n1", cpu: "1", unschedulable: true)
        #expect(reasons(Fixture.pod("p", cpu: "2"), node) == ["node(s) were unschedulable"])
        // Taint before affinity before resources.
        let tainted = Fixture.node("n1", cpu: "1", taints: [Fixture.taint("k", "v")])
        #expect(reasons(Fixture.pod("p", cpu: "2", spec: ["nodeSelector": ["x": "y"]]), tainted) == ["node(s) had untolerated taint {k: v}"])
        #expect(reasons(Fixture.pod("p", cpu: "2", spec: ["nodeSelector": ["x": "y"]]), Fixture.node("n1", cpu: "1"))
            == ["node(s) didn't match Pod's node affinity/selector"])
    }
}
