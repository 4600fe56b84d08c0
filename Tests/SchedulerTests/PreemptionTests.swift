import APIMachinery
import Testing
@testable import Scheduler

@Suite struct PreemptionTests {
    let nodes = [Fixture.node("n1", cpu: "2"), Fixture.node("n2", cpu: "2")]

    func pdb(_ labels: [String: String], allowed: Int64) -> JSONValue {
        ["metadata": ["name": "pdb", "namespace": "default"], "spec": ["selector": Fixture.selector(labels)],
         "status": ["disruptionsAllowed": .int(allowed)]]
    }

    @Test func evictsTheFewestLowestPriorityPods() throws {
        let pods = [
            Fixture.pod("low-a", node: "n1", cpu: "1", priority: 1), Fixture.pod("low-b", node: "n1", cpu: "1", priority: 1),
            Fixture.pod("mid", node: "n2", cpu: "2", priority: 5),
        ]
        let result = Scheduler().schedule(pod: Fixture.pod("p", cpu: "1", priority: 10), nodes: nodes, pods: pods)
        let error = try #require(result.fitError)
        #expect(error.message == "0/2 nodes are available: 2 Insufficient cpu.")
        let candidate = try #require(error.preemption)
        #expect(candidate.nodeName == "n1")
        #expect(candidate.victims.map(\.name) == ["low-b"])
        #expect(candidate.pdbViolations == 0)
    }

    @Test func equalOrHigherPriorityPodsAreNotVictims() throws {
        let pods = [Fixture.pod("a", node: "n1", cpu: "2", priority: 10), Fixture.pod("b", node: "n2", cpu: "2", priority: 3)]
        let candidate = try #require(Scheduler().schedule(pod: Fixture.pod("p", cpu: "1", priority: 5), nodes: nodes, pods: pods).fitError?.preemption)
        #expect(candidate.nodeName == "n2")
        #expect(candidate.victims.map(\.name) == ["b"])
        let none = Scheduler().schedule(pod: Fixture.pod("p", cpu: "1", priority: 3), nodes: nodes, pods: pods)
        #expect(none.fitError?.preemption == nil)
        #expect(none.message == "0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.")
    }

    @Test func prefersLowerPriorityVictims() throws {
        let pods = [Fixture.pod("a", node: "n1", cpu: "2", priority: 4), Fixture.pod("b", node: "n2", cpu: "2", priority: 2)]
        let candidate = try #require(Scheduler().schedule(pod: Fixture.pod("p", cpu: "1", priority: 5), nodes: nodes, pods: pods).fitError?.preemption)
        #expect(candidate.nodeName == "n2")
    }

    @Test func prefersFewerVictimsAtEqualPriority() throws {
        let pods = [
            Fixture.pod("a1", node: "n1", cpu: "1", priority: 1), Fixture.pod("a2", node: "n1", cpu: "1", priority: 1),
            Fixture.pod("b", node: "n2", cpu: "2", priority: 1),
        ]
        // n1 needs both (sum of priorities 2 offsets), n2 one.
        let candidate = try #require(Scheduler().schedule(pod: Fixture.pod("p", cpu: "2", priority: 5), nodes: nodes, pods: pods).fitError?.preemption)
        #expect(candidate.nodeName == "n2")
        #expect(candidate.victims.map(\.name) == ["b"])
    }

    @Test func podDisruptionBudgetsChangeTheVictim() throws {
        let pods = [
            Fixture.pod("a", node: "n1", cpu: "1", labels: ["app": "a"], priority: 1),
            Fixture.pod("b", node: "n1", cpu: "1", labels: ["app": "b"], priority: 1),
        ]
        let single = [Fixture.node("n1", cpu: "2")]
        let pod = Fixture.pod("p", cpu: "1", priority: 10)
        let plain = try #require(Scheduler().schedule(pod: pod, nodes: single, pods: pods).fitError?.preemption)
        #expect(plain.victims.map(\.name) == ["b"])
        let protectB = try #require(Scheduler().schedule(pod: pod, nodes: single, pods: pods, pdbs: [pdb(["app": "b"], allowed: 0)]).fitError?.preemption)
        #expect(protectB.victims.map(\.name) == ["a"])
        #expect(protectB.pdbViolations == 0)
        // Both protected: a victim is still chosen, counted as a violation.
        let both = try #require(Scheduler().schedule(pod: Fixture.pod("p", cpu: "2", priority: 10), nodes: single, pods: pods,
                                                    pdbs: [pdb(["app": "b"], allowed: 0), pdb(["app": "a"], allowed: 1)]).fitError?.preemption)
        #expect(both.victims.count == 2)
        #expect(both.pdbViolations == 1)
    }

    @Test func prefersNodesWithoutBudgetViolations() throws {
        let pods = [
            Fixture.pod("guarded", node: "n1", cpu: "2", labels: ["app": "g"], priority: 1),
            Fixture.pod("free", node: "n2", cpu: "2", labels: ["app": "f"], priority: 3),
        ]
        let candidate = try #require(Scheduler().schedule(pod: Fixture.pod("p", cpu: "1", priority: 10), nodes: nodes, pods: pods,
                                                         pdbs: [pdb(["app": "g"], allowed: 0)]).fitError?.preemption)
        #expect(candidate.nodeName == "n2")
    }

    @Test func unresolvableNodesAndStillTooSmall() {
        let nodes = [Fixture.node("tainted", cpu: "8", taints: [Fixture.taint("k", "v")]), Fixture.node("small", cpu: "2")]
        let pods = [Fixture.pod("x", node: "small", cpu: "1", priority: 1)]
        let result = Scheduler().schedule(pod: Fixture.pod("p", cpu: "3", priority: 10), nodes: nodes, pods: pods)
        #expect(result.fitError?.preemption == nil)
        #expect(result.message == "0/2 nodes are available: 1 Insufficient cpu, 1 node(s) had untolerated taint {k: v}. preemption: 0/2 nodes are available: 1 Insufficient cpu, 1 Preemption is not helpful for scheduling.")
    }

    @Test func evictingFreesHostPorts() throws {
        let pods = [Fixture.pod("old", node: "n1", priority: 0, ports: [["containerPort": 80, "hostPort": 80]])]
        let pod = Fixture.pod("p", priority: 100, ports: [["containerPort": 80, "hostPort": 80]])
        let candidate = try #require(Scheduler().schedule(pod: pod, nodes: [Fixture.node("n1")], pods: pods).fitError?.preemption)
        #expect(candidate.victims.map(\.name) == ["old"])
    }
}

@Suite struct PreemptionEligibilityTests {
    @Test func waitsForVictimsOnTheNominatedNode() {
        var victim = Fixture.pod("old", node: "n1", cpu: "2", priority: 1)
        victim[key: "metadata", "deletionTimestamp"] = "2026-01-01T00:00:00Z"
        var pod = Fixture.pod("p", cpu: "1", priority: 10)
        pod[key: "status", "nominatedNodeName"] = "n1"
        let result = Scheduler().schedule(pod: pod, nodes: [Fixture.node("n1", cpu: "2")], pods: [victim])
        #expect(result.message == "0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to a terminating pod on the nominated node.")
        // Once the victim is gone (or not terminating) preemption runs again.
        pod[key: "status", "nominatedNodeName"] = nil
        #expect(Scheduler().schedule(pod: pod, nodes: [Fixture.node("n1", cpu: "2")], pods: [victim]).fitError?.preemption?.nodeName == "n1")
    }
}
