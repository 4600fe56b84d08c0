import APIMachinery
import Testing
@testable import Scheduler

@Suite struct InterPodAffinityTests {
    let nodes = [
        Fixture.node("a1", labels: ["zone": "a"]), Fixture.node("a2", labels: ["zone": "a"]),
        Fixture.node("b1", labels: ["zone": "b"]), Fixture.node("nolabel"),
    ]

    func term(_ labels: [String: String], _ key: String, namespaces: [String]? = nil, namespaceSelector: JSONValue? = nil) -> JSONValue {
        var t: [String: JSONValue] = ["labelSelector": Fixture.selector(labels), "topologyKey": .string(key)]
        if let namespaces { t["namespaces"] = .array(namespaces.map { .string($0) }) }
        if let namespaceSelector { t["namespaceSelector"] = namespaceSelector }
        return .object(t)
    }

    func pod(_ name: String, labels: [String: String] = [:], node: String? = nil, namespace: String = "default",
             affinity: [JSONValue] = [], antiAffinity: [JSONValue] = []) -> JSONValue {
        var aff: [String: JSONValue] = [:]
        if !affinity.isEmpty { aff["podAffinity"] = ["requiredDuringSchedulingIgnoredDuringExecution": .array(affinity)] }
        if !antiAffinity.isEmpty { aff["podAntiAffinity"] = ["requiredDuringSchedulingIgnoredDuringExecution": .array(antiAffinity)] }
        return Fixture.pod(name, namespace: namespace, node: node, labels: labels, spec: aff.isEmpty ? [:] : ["affinity": .object(aff)])
    }

    func feasible(_ incoming: JSONValue, _ existing: [JSONValue], scheduler: Scheduler = Scheduler()) -> [String] {
        statuses(incoming, nodes, pods: existing, scheduler: scheduler).filter { $0.value == nil }.keys.sorted()
    }

    @Test func requiredAffinityByZone() {
        let db = pod("db", labels: ["app": "db"], node: "a1")
        let web = pod("web", affinity: [term(["app": "db"], "zone")])
        #expect(feasible(web, [db]) == ["a1", "a2"])
        let s = statuses(web, nodes, pods: [db])
        #expect(s["b1"]!?.reasons == ["node(s) didn't match pod affinity rules"])
        #expect(s["b1"]!?.code == .unschedulableAndUnresolvable)
        #expect(s["nolabel"]!?.reasons == ["node(s) didn't match pod affinity rules"])
    }

    @Test func requiredAffinityByHostname() {
        let db = pod("db", labels: ["app": "db"], node: "a2")
        #expect(feasible(pod("web", affinity: [term(["app": "db"], "kubernetes.io/hostname")]), [db]) == ["a2"])
    }

    @Test func firstPodOfAGroupMayMatchItself() {
        let first = pod("web-0", labels: ["app": "web"], affinity: [term(["app": "web"], "zone")])
        // The node must still have the topology key.
        #expect(feasible(first, []) == ["a1", "a2", "b1"])
        let other = pod("x", labels: ["app": "x"], affinity: [term(["app": "web"], "zone")])
        #expect(feasible(other, []) == [])
    }

    @Test func requiredAntiAffinity() {
        let web0 = pod("web-0", labels: ["app": "web"], node: "a1")
        let web = pod("web-1", labels: ["app": "web"], antiAffinity: [term(["app": "web"], "zone")])
        #expect(feasible(web, [web0]) == ["b1", "nolabel"])
        let s = statuses(web, nodes, pods: [web0])
        #expect(s["a2"]!?.reasons == ["node(s) didn't match pod anti-affinity rules"])
        #expect(s["a2"]!?.code == .unschedulable)
        let byHost = pod("web-1", labels: ["app": "web"], antiAffinity: [term(["app": "web"], "kubernetes.io/hostname")])
        #expect(feasible(byHost, [web0]) == ["a2", "b1", "nolabel"])
    }

    @Test func existingPodsAntiAffinity() {
        let guardPod = pod("guard", labels: ["app": "guard"], node: "b1", antiAffinity: [term(["app": "web"], "zone")])
        let web = pod("web", labels: ["app": "web"])
        #expect(feasible(web, [guardPod]) == ["a1", "a2", "nolabel"])
        #expect(statuses(web, nodes, pods: [guardPod])["b1"]!?.reasons == ["node(s) didn't satisfy existing pods anti-affinity rules"])
        #expect(feasible(pod("other", labels: ["app": "other"]), [guardPod]).count == 4)
    }

    @Test func affinityIsCheckedBeforeAntiAffinity() {
        let guardPod = pod("guard", labels: ["app": "guard"], node: "b1", antiAffinity: [term(["app": "web"], "zone")])
        let db = pod("db", labels: ["app": "db"], node: "a1")
        let web = pod("web", labels: ["app": "web"], affinity: [term(["app": "db"], "zone")], antiAffinity: [term(["app": "guard"], "zone")])
        let s = statuses(web, nodes, pods: [guardPod, db])
        #expect(s["b1"]!?.reasons == ["node(s) didn't match pod affinity rules"])
        #expect(s["a1"]! == nil)
        let loner = pod("web", labels: ["app": "web"], antiAffinity: [term(["app": "guard"], "zone")])
        #expect(statuses(loner, nodes, pods: [guardPod])["b1"]!?.reasons == ["node(s) didn't match pod anti-affinity rules"])
    }

    @Test func namespaces() {
        let db = pod("db", labels: ["app": "db"], node: "a1", namespace: "data")
        // Default: only the incoming pod's namespace.
        #expect(feasible(pod("web", affinity: [term(["app": "db"], "zone")]), [db]) == [])
        #expect(feasible(pod("web", affinity: [term(["app": "db"], "zone", namespaces: ["data"])]), [db]) == ["a1", "a2"])
        // An empty namespaceSelector selects every namespace.
        #expect(feasible(pod("web", affinity: [term(["app": "db"], "zone", namespaceSelector: [:])]), [db]) == ["a1", "a2"])
        let labelled = Scheduler(namespaceLabels: ["data": ["team": "x"]])
        let bySelector = pod("web", affinity: [term(["app": "db"], "zone", namespaceSelector: Fixture.selector(["team": "x"]))])
        #expect(feasible(bySelector, [db], scheduler: labelled) == ["a1", "a2"])
        #expect(feasible(bySelector, [db]) == [])
    }

    @Test func nullLabelSelectorMatchesNothing() {
        let db = pod("db", labels: ["app": "db"], node: "a1")
        let anti = pod("web", antiAffinity: [["topologyKey": "zone"]])
        #expect(feasible(anti, [db]).count == 4)
    }
}

@Suite struct PodTopologySpreadTests {
    let nodes = [
        Fixture.node("a1", labels: ["zone": "a"]), Fixture.node("a2", labels: ["zone": "a"]),
        Fixture.node("b1", labels: ["zone": "b"]), Fixture.node("nolabel"),
    ]

    func spreading(_ name: String = "new", maxSkew: Int64 = 1, key: String = "zone", when: String = "DoNotSchedule",
                   extra: [String: JSONValue] = [:], spec: [String: JSONValue] = [:]) -> JSONValue {
        var c: [String: JSONValue] = ["maxSkew": .int(maxSkew), "topologyKey": .string(key), "whenUnsatisfiable": .string(when),
                                      "labelSelector": Fixture.selector(["app": "web"])]
        for (k, v) in extra { c[k] = v }
        var s = spec
        s["topologySpreadConstraints"] = [.object(c)]
        return Fixture.pod(name, labels: ["app": "web"], spec: s)
    }

    func web(_ name: String, _ node: String) -> JSONValue { Fixture.pod(name, node: node, labels: ["app": "web"]) }

    func feasible(_ pod: JSONValue, _ existing: [JSONValue], nodes: [JSONValue]? = nil) -> [String] {
        statuses(pod, nodes ?? self.nodes, pods: existing).filter { $0.value == nil }.keys.sorted()
    }

    @Test func maxSkewByZone() {
        // a: 1, b: 0 → placing in a gives skew 2.
        #expect(feasible(spreading(), [web("w0", "a1")]) == ["b1"])
        let s = statuses(spreading(), nodes, pods: [web("w0", "a1")])
        #expect(s["a2"]!?.reasons == ["node(s) didn't match pod topology spread constraints"])
        #expect(s["a2"]!?.code == .unschedulable)
        #expect(s["nolabel"]!?.reasons == ["node(s) didn't match pod topology spread constraints (missing required label)"])
        #expect(s["nolabel"]!?.code == .unschedulableAndUnresolvable)
        // Balanced: any zone.
        #expect(feasible(spreading(), [web("w0", "a1"), web("w1", "b1")]) == ["a1", "a2", "b1"])
        #expect(feasible(spreading(maxSkew: 2), [web("w0", "a1")]) == ["a1", "a2", "b1"])
    }

    @Test func onlyMatchingPodsInTheNamespaceCount() {
        let other = Fixture.pod("o", node: "a1", labels: ["app": "other"])
        let elsewhere = Fixture.pod("e", namespace: "ns2", node: "a1", labels: ["app": "web"])
        #expect(feasible(spreading(), [other, elsewhere]) == ["a1", "a2", "b1"])
    }

    @Test func minDomains() {
        // Only zone a has nodes; with minDomains 2 the global minimum is 0, so one pod in a is the limit.
        let nodes = [Fixture.node("a1", labels: ["zone": "a"]), Fixture.node("a2", labels: ["zone": "a"])]
        #expect(feasible(spreading(), [web("w0", "a1")], nodes: nodes) == ["a1", "a2"])
        let withMin = spreading(extra: ["minDomains": 2])
        #expect(feasible(withMin, [web("w0", "a1")], nodes: nodes) == [])
        #expect(feasible(withMin, [], nodes: nodes) == ["a1", "a2"])
    }

    @Test func nodeAffinityPolicy() {
        // Pods on b1 while the pod may only go to zone a: with Honor (default) zone b is not a domain.
        let onlyA = ["nodeSelector": JSONValue.object(["zone": "a"])]
        let existing = [web("w0", "a1"), web("w1", "b1"), web("w2", "b1")]
        #expect(feasible(spreading(spec: onlyA), existing) == ["a1", "a2"])
        // With Ignore, zone b's 2 pods count; a has 1 → placing in a gives 2 − 1 = 1 ≤ 1.
        #expect(feasible(spreading(extra: ["nodeAffinityPolicy": "Ignore"], spec: onlyA), existing) == ["a1", "a2"])
        let crowded = [web("w0", "a1"), web("w3", "a2"), web("w1", "b1")]
        #expect(feasible(spreading(extra: ["nodeAffinityPolicy": "Ignore"], spec: onlyA), crowded) == [])
        #expect(feasible(spreading(spec: onlyA), crowded) == ["a1", "a2"])
    }

    @Test func nodeTaintsPolicy() {
        let nodes = [Fixture.node("a1", labels: ["zone": "a"]), Fixture.node("b1", labels: ["zone": "b"], taints: [Fixture.taint("k", "v")])]
        // Ignore (default): the tainted zone b (0 pods) is the minimum, so zone a (1 pod) is full.
        #expect(feasible(spreading(), [web("w0", "a1")], nodes: nodes) == [])
        #expect(feasible(spreading(extra: ["nodeTaintsPolicy": "Honor"]), [web("w0", "a1")], nodes: nodes) == ["a1"])
    }

    @Test func scheduleAnywayDoesNotFilter() {
        #expect(feasible(spreading(when: "ScheduleAnyway"), [web("w0", "a1"), web("w1", "a2")]) == ["a1", "a2", "b1", "nolabel"])
    }
}
