import APIMachinery
import Testing
@testable import Scheduler

@Suite struct ResourcesTests {
    @Test func sumOfContainersPlusOverhead() {
        let pod: JSONValue = ["spec": [
            "containers": [
                ["name": "a", "resources": ["requests": ["cpu": "250m", "memory": "64Mi"]]],
                ["name": "b", "resources": ["requests": ["cpu": "750m", "memory": "64Mi", "example.com/gpu": "1"]]],
            ],
            "overhead": ["cpu": "100m", "memory": "10Mi"],
        ]]
        let r = PodRequests.compute(pod)
        #expect(r["cpu"] == Quantity("1100m"))
        #expect(r["memory"] == Quantity("138Mi"))
        #expect(r["example.com/gpu"] == Quantity("1"))
    }

    @Test func initContainersTakeTheMaximum() {
        let pod: JSONValue = ["spec": [
            "initContainers": [
                ["name": "i1", "resources": ["requests": ["cpu": "2", "memory": "1Gi"]]],
                ["name": "i2", "resources": ["requests": ["cpu": "500m", "memory": "3Gi"]]],
            ],
            "containers": [["name": "a", "resources": ["requests": ["cpu": "1", "memory": "2Gi"]]]],
        ]]
        let r = PodRequests.compute(pod)
        #expect(r["cpu"] == Quantity("2"))
        #expect(r["memory"] == Quantity("3Gi"))
    }

    @Test func sidecarsAddToContainersAndLaterInitContainers() {
        let pod: JSONValue = ["spec": [
            "initContainers": [
                ["name": "sidecar", "restartPolicy": "Always", "resources": ["requests": ["cpu": "500m"]]],
                ["name": "init", "resources": ["requests": ["cpu": "2"]]],
            ],
            "containers": [["name": "a", "resources": ["requests": ["cpu": "1"]]]],
        ]]
        // max(1 + 0.5, 2 + 0.5) = 2.5
        #expect(PodRequests.compute(pod)["cpu"] == Quantity("2500m"))
    }

    @Test func nonZeroDefaultsForScoring() {
        let pod = Fixture.pod("p")
        let r = PodRequests.compute(pod, nonZero: true)
        #expect(r["cpu"].milliValue == 100)
        #expect(r["memory"].value == 200 * 1024 * 1024)
        #expect(PodRequests.compute(pod)["cpu"].isZero)
    }

    @Test func nodeInfoCountsPodsAndPorts() {
        let port: JSONValue = ["containerPort": 80, "hostPort": 8080]
        let pods = [
            Fixture.pod("a", node: "n1", cpu: "1", memory: "1Gi", ports: [port]),
            Fixture.pod("b", node: "n1", cpu: "500m"),
            Fixture.pod("c", node: "n2", cpu: "1"),
        ]
        var done = Fixture.pod("d", node: "n1", cpu: "3")
        done[key: "status", "phase"] = "Succeeded"
        let infos = Fixture.nodes([Fixture.node("n1"), Fixture.node("n2")], pods: pods + [done])
        #expect(infos[0].pods.count == 2)
        #expect(infos[0].requested["cpu"] == Quantity("1500m"))
        #expect(infos[0].requested["memory"] == Quantity("1Gi"))
        #expect(infos[0].nonZeroRequested["memory"] == Quantity("1224Mi"))
        #expect(infos[0].usedPorts == [HostPort(port: 8080)])
        #expect(infos[0].allowedPodNumber == 110)
        var n1 = infos[0]
        let removed = n1.remove(PodInfo(pods[0]))
        #expect(removed)
        #expect(n1.usedPorts.isEmpty)
        #expect(n1.requested["cpu"] == Quantity("500m"))
    }
}

@Suite struct NodeInfoUpdateTests {
    @Test func replacingTheNodeKeepsItsPods() {
        let info = NodeInfo(node: Fixture.node("n1", cpu: "2"), pods: [Fixture.pod("a", node: "n1", cpu: "1")])
        let updated = info.replacingNode(Fixture.node("n1", cpu: "4", labels: ["zone": "b"], unschedulable: true))
        #expect(updated.pods.map(\.name) == ["a"])
        #expect(updated.requested["cpu"] == Quantity("1"))
        #expect(updated.allocatable["cpu"] == Quantity("4"))
        #expect(updated.labels["zone"] == "b")
        #expect(updated.unschedulable)
        #expect(!info.unschedulable)
    }
}
