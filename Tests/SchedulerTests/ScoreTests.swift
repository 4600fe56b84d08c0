import APIMachinery
import Testing
@testable import Scheduler

func pluginScores(_ pod: JSONValue, _ nodes: [JSONValue], pods: [JSONValue] = [], plugin: String) -> [String: Int64] {
    var out: [String: Int64] = [:]
    for score in Scheduler().scores(pod: pod, nodes: Fixture.nodes(nodes, pods: pods)) { out[score.name] = score.plugins[plugin] }
    return out
}

@Suite struct ScoreTests {
    @Test func leastAllocated() {
        let nodes = [Fixture.node("empty"), Fixture.node("busy")]
        let pods = [Fixture.pod("x", node: "busy", cpu: "2")]
        let s = pluginScores(Fixture.pod("p", cpu: "1", memory: "2Gi"), nodes, pods: pods, plugin: "NodeResourcesFit")
        #expect(s["empty"] == 75)
        // cpu (4000 − 3000) / 4000 = 25; memory (8192 − 2048 − 200) / 8192 = 72 (the 200Mi default of x).
        #expect(s["busy"] == 48)
    }

    @Test func balancedAllocation() {
        let nodes = [Fixture.node("n1")]
        #expect(pluginScores(Fixture.pod("p", cpu: "1", memory: "2Gi"), nodes, plugin: "NodeResourcesBalancedAllocation")["n1"] == 100)
        #expect(pluginScores(Fixture.pod("p", cpu: "2", memory: "2Gi"), nodes, plugin: "NodeResourcesBalancedAllocation")["n1"] == 87)
    }

    @Test func preferredNodeAffinityWeightedTwice() {
        let nodes = [Fixture.node("a", labels: ["zone": "a", "gen": "5"]), Fixture.node("b", labels: ["zone": "b"]),
                     Fixture.node("g", labels: ["gen": "5"])]
        let pod = Fixture.pod("p", spec: ["affinity": ["nodeAffinity": ["preferredDuringSchedulingIgnoredDuringExecution": [
            ["weight": 10, "preference": ["matchExpressions": [["key": "zone", "operator": "In", "values": ["a"]]]]],
            ["weight": 5, "preference": ["matchExpressions": [["key": "gen", "operator": "Exists"]]]],
        ]]]])
        #expect(pluginScores(pod, nodes, plugin: "NodeAffinity") == ["a": 200, "b": 0, "g": 66])
    }

    @Test func preferNoScheduleTaints() {
        let soft = { (k: String) in Fixture.taint(k, "", "PreferNoSchedule") }
        let nodes = [Fixture.node("two", taints: [soft("a"), soft("b")]), Fixture.node("one", taints: [soft("a")]), Fixture.node("none")]
        #expect(pluginScores(Fixture.pod("p"), nodes, plugin: "TaintToleration") == ["two": 0, "one": 150, "none": 300])
        let tolerant = Fixture.pod("p", spec: ["tolerations": [["key": "a", "operator": "Exists", "effect": "PreferNoSchedule"]]])
        #expect(pluginScores(tolerant, nodes, plugin: "TaintToleration") == ["two": 0, "one": 300, "none": 300])
    }

    @Test func preferredPodAffinityAndAntiAffinity() {
        let nodes = [Fixture.node("a1", labels: ["zone": "a"]), Fixture.node("b1", labels: ["zone": "b"]), Fixture.node("c1", labels: ["zone": "c"])]
        let pods = [Fixture.pod("db", node: "a1", labels: ["app": "db"]), Fixture.pod("cache", node: "b1", labels: ["app": "cache"])]
        let pod = Fixture.pod("web", spec: ["affinity": [
            "podAffinity": ["preferredDuringSchedulingIgnoredDuringExecution": [
                ["weight": 50, "podAffinityTerm": ["labelSelector": Fixture.selector(["app": "db"]), "topologyKey": "zone"]],
            ]],
            "podAntiAffinity": ["preferredDuringSchedulingIgnoredDuringExecution": [
                ["weight": 50, "podAffinityTerm": ["labelSelector": Fixture.selector(["app": "cache"]), "topologyKey": "zone"]],
            ]],
        ]])
        // Raw: a +50, b −50, c 0 → normalised 100, 0, 50; weight 2.
        #expect(pluginScores(pod, nodes, pods: pods, plugin: "InterPodAffinity") == ["a1": 200, "b1": 0, "c1": 100])
    }

    @Test func existingPodsPreferredAntiAffinityScores() {
        let nodes = [Fixture.node("a1", labels: ["zone": "a"]), Fixture.node("b1", labels: ["zone": "b"])]
        let shy = Fixture.pod("shy", node: "a1", spec: ["affinity": ["podAntiAffinity": ["preferredDuringSchedulingIgnoredDuringExecution": [
            ["weight": 10, "podAffinityTerm": ["labelSelector": Fixture.selector(["app": "web"]), "topologyKey": "zone"]],
        ]]]])
        #expect(pluginScores(Fixture.pod("web", labels: ["app": "web"]), nodes, pods: [shy], plugin: "InterPodAffinity") == ["a1": 0, "b1": 200])
        #expect(pluginScores(Fixture.pod("x", labels: ["app": "x"]), nodes, pods: [shy], plugin: "InterPodAffinity") == ["a1": 0, "b1": 0])
    }

    @Test func topologySpreadScheduleAnyway() {
        let nodes = [Fixture.node("a1", labels: ["zone": "a"]), Fixture.node("b1", labels: ["zone": "b"]), Fixture.node("nolabel")]
        let pods = [Fixture.pod("w0", node: "a1", labels: ["app": "web"]), Fixture.pod("w1", node: "a1", labels: ["app": "web"])]
        let pod = Fixture.pod("w2", labels: ["app": "web"], spec: ["topologySpreadConstraints": [
            ["maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "ScheduleAnyway", "labelSelector": Fixture.selector(["app": "web"])],
        ]])
        #expect(pluginScores(pod, nodes, pods: pods, plugin: "PodTopologySpread") == ["a1": 0, "b1": 200, "nolabel": 0])
    }

    @Test func imageLocality() {
        let image: JSONValue = ["names": ["docker.io/library/nginx:latest"], "sizeBytes": 524_288_000]
        let nodes = [Fixture.node("cached", images: [image]), Fixture.node("cold")]
        #expect(pluginScores(Fixture.pod("p"), nodes, plugin: "ImageLocality") == ["cached": 23, "cold": 0])
        #expect(ImageLocalityScore.normalized("nginx") == "docker.io/library/nginx:latest")
        #expect(ImageLocalityScore.normalized("bitnami/redis:7") == "docker.io/bitnami/redis:7")
        #expect(ImageLocalityScore.normalized("registry.k8s.io/pause:3.10") == "registry.k8s.io/pause:3.10")
    }
}

@Suite struct SystemDefaultSpreadTests {
    let nodes = [Fixture.node("a1", labels: ["topology.kubernetes.io/zone": "a"]), Fixture.node("a2", labels: ["topology.kubernetes.io/zone": "a"]),
                 Fixture.node("b1", labels: ["topology.kubernetes.io/zone": "b"]), Fixture.node("nozone")]

    func scores(_ scheduler: Scheduler, _ pods: [JSONValue]) -> [String: Int64] {
        var out: [String: Int64] = [:]
        for s in scheduler.scores(pod: Fixture.pod("new", labels: ["app": "web"]), nodes: Fixture.nodes(nodes, pods: pods)) {
            out[s.name] = s.plugins["PodTopologySpread"]
        }
        return out
    }

    @Test func defaultsSpreadPodsOfTheSameService() throws {
        let selector = try LabelSelector(fromJSON: Fixture.selector(["app": "web"]))
        let withDefaults = Scheduler(defaultSpreadSelector: { pod in pod["metadata"]?["labels"]?["app"] == "web" ? selector : nil })
        let pods = [Fixture.pod("w0", node: "a1", labels: ["app": "web"]), Fixture.pod("w1", node: "a1", labels: ["app": "web"])]
        let s = scores(withDefaults, pods)
        // a1 holds both replicas, a2 shares their zone, b1 is an empty zone; nozone counts on hostname only.
        // Raw (count + maxSkew − 1) × log(domains + 2): a1 15, a2 12, b1 9, nozone 4 → 100 × (15 + 4 − s) / 15, weighted 2.
        #expect(s == ["a1": 52, "a2": 92, "b1": 132, "nozone": 200])
        // Without the defaults (or for pods outside the selector) the plugin does not score.
        #expect(scores(Scheduler(), pods) == ["a1": 0, "a2": 0, "b1": 0, "nozone": 0])
    }

    @Test func ownConstraintsWin() throws {
        let selector = try LabelSelector(fromJSON: Fixture.selector(["app": "web"]))
        let pod = Fixture.pod("p", labels: ["app": "web"], spec: ["topologySpreadConstraints": [
            ["maxSkew": 1, "topologyKey": "rack", "whenUnsatisfiable": "ScheduleAnyway", "labelSelector": Fixture.selector(["app": "web"])],
        ]])
        #expect(PodInfo(pod, defaultSpreadSelector: selector).spreadConstraints.map(\.topologyKey) == ["rack"])
        #expect(PodInfo(Fixture.pod("q"), defaultSpreadSelector: selector).spreadConstraints.map(\.topologyKey)
            == ["kubernetes.io/hostname", "topology.kubernetes.io/zone"])
        #expect(PodInfo(Fixture.pod("q"), defaultSpreadSelector: selector).systemDefaultedSpread)
    }
}
