import APIMachinery
import Foundation
import Testing
@testable import Controllers

@Suite struct ReplicaSetLogicTests {
    @Test func slowStartBatches() {
        #expect(ReplicaSetLogic.slowStartBatches(count: 0) == [])
        #expect(ReplicaSetLogic.slowStartBatches(count: 1) == [1])
        #expect(ReplicaSetLogic.slowStartBatches(count: 7) == [1, 2, 4])
        #expect(ReplicaSetLogic.slowStartBatches(count: 10) == [1, 2, 4, 3])
        #expect(ReplicaSetLogic.slowStartBatches(count: 500).reduce(0, +) == 500)
        #expect(ReplicaSetLogic.slowStartBatches(count: 500).count == 9)
    }

    @Test func diffIsCappedAtBurst() {
        #expect(ReplicaSetLogic.replicaDiff(active: 0, desired: 1000) == 500)
        #expect(ReplicaSetLogic.replicaDiff(active: 10, desired: 3) == -7)
        #expect(ReplicaSetLogic.replicaDiff(active: 900, desired: 0) == -500)
        #expect(ReplicaSetLogic.replicaDiff(active: 3, desired: 3) == 0)
    }

    func first(_ a: JSONValue, _ b: JSONValue, colocated: [String: Int] = [:]) -> String {
        ReplicaSetLogic.deletionOrder([b, a], colocated: colocated)[0].name
    }

    @Test func rankingCriteria() {
        #expect(first(pod("unassigned", node: "", phase: "Pending", ready: false), pod("assigned", phase: "Pending", ready: false)) == "unassigned")
        #expect(first(pod("pending", phase: "Pending"), pod("unknown", phase: "Unknown")) == "pending")
        #expect(first(pod("unknown", phase: "Unknown"), pod("running")) == "unknown")
        #expect(first(pod("notready", ready: false), pod("ready")) == "notready")
        #expect(first(pod("cheap", cost: "-5"), pod("default")) == "cheap")
        #expect(first(pod("default"), pod("dear", cost: "100")) == "default")
        #expect(first(pod("crowded", node: "n1"), pod("alone", node: "n2"), colocated: ["n1": 3, "n2": 1]) == "crowded")
        #expect(first(pod("recent", readySince: "2026-01-02T00:00:00Z"), pod("old", readySince: "2026-01-01T00:00:00Z")) == "recent")
        #expect(first(pod("flaky", restarts: 4), pod("steady", restarts: 1)) == "flaky")
        #expect(first(pod("newer", created: "2026-01-03T00:00:00Z"), pod("older", created: "2026-01-02T00:00:00Z")) == "newer")
        // Earlier criteria win over later ones.
        #expect(first(pod("notready-old", ready: false, created: "2025-01-01T00:00:00Z", cost: "100"), pod("ready-new", created: "2026-06-01T00:00:00Z")) == "notready-old")
    }

    @Test func logScaleBucketsOfAge() {
        let now = date("2026-01-01T01:00:00Z")
        // 100 s and 110 s old share a bucket (2^36 ns ≈ 68.7 s .. 2^37 ns ≈ 137 s): the tie falls through to the name.
        let a = pod("a", created: "2026-01-01T00:58:20Z"), b = pod("b", created: "2026-01-01T00:58:10Z")
        #expect(ReplicaSetLogic.deletionOrder([b, a], now: now).map(\.name) == ["a", "b"])
        #expect(ReplicaSetLogic.deletionOrder([a, b], now: now).map(\.name) == ["a", "b"])
        // Exactly compared, the newer (a, created later) goes first either way; b newer when it is younger.
        let c = pod("c", created: "2026-01-01T00:59:50Z")
        #expect(ReplicaSetLogic.deletionOrder([a, c], now: now).map(\.name) == ["c", "a"])
        let z = pod("z", created: "2026-01-01T00:58:20Z"), y = pod("y", created: "2026-01-01T00:58:10Z")
        #expect(ReplicaSetLogic.deletionOrder([y, z]).map(\.name) == ["z", "y"])
        #expect(ReplicaSetLogic.deletionOrder([y, z], now: now).map(\.name) == ["y", "z"])
        #expect(ReplicaSetLogic.ageBucket(date("2026-01-01T01:00:00Z"), now: now) == -1)
        #expect(ReplicaSetLogic.ageBucket(date("2026-01-01T00:59:59Z"), now: now) == 29)
    }

    @Test func podsToDelete() {
        let pods = [pod("a"), pod("b", ready: false), pod("c", node: "", phase: "Pending", ready: false), pod("d", restarts: 2)]
        #expect(ReplicaSetLogic.podsToDelete(pods, count: 2).map(\.name) == ["c", "b"])
        #expect(ReplicaSetLogic.deletionOrder(pods).map(\.name) == ["c", "b", "d", "a"])
        #expect(ReplicaSetLogic.podsPerNode(pods) == ["n1": 3])
    }

    @Test func readinessAndAvailability() {
        let now = date("2026-01-01T00:00:30Z")
        let ready = pod("p", readySince: "2026-01-01T00:00:00Z")
        #expect(PodStatus.isReady(ready))
        #expect(PodStatus.isAvailable(ready, minReadySeconds: 0, now: now))
        #expect(PodStatus.isAvailable(ready, minReadySeconds: 30, now: now))
        #expect(!PodStatus.isAvailable(ready, minReadySeconds: 31, now: now))
        #expect(!PodStatus.isAvailable(pod("q", ready: false), minReadySeconds: 0, now: now))
        #expect(!PodStatus.isReady(["status": ["phase": "Running"]]))
        #expect(PodStatus.deletionCost(pod("x", cost: "junk")) == 0)
    }

    @Test func statusCounts() {
        let rs: JSONValue = ["metadata": ["name": "web", "generation": 2],
                             "spec": ["replicas": 4, "minReadySeconds": 10, "template": ["metadata": ["labels": ["app": "web", "tier": "fe"]]]]]
        let now = date("2026-01-01T00:00:30Z")
        var done = pod("done", labels: ["app": "web", "tier": "fe"])
        done.set(path: ["status", "phase"], to: "Succeeded")
        let pods = [pod("a", readySince: "2026-01-01T00:00:00Z", labels: ["app": "web", "tier": "fe"]),
                    pod("b", readySince: "2026-01-01T00:00:25Z", labels: ["app": "web", "tier": "fe"]),
                    pod("c", ready: false), done]
        #expect(ReplicaSetLogic.status(replicaSet: rs, pods: pods, now: now) ==
                ["replicas": 3, "fullyLabeledReplicas": 2, "readyReplicas": 2, "availableReplicas": 1, "observedGeneration": 2])
    }
}
