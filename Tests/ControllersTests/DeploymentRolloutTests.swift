import APIMachinery
import Testing
@testable import Controllers

@Suite struct DeploymentRolloutTests {
    let template: JSONValue = ["metadata": ["labels": ["app": "web"]], "spec": ["containers": [["name": "web", "image": "nginx:1.26"]]]]

    func rs(_ name: String, image: String, hash: String, created: String) -> JSONValue {
        ["metadata": ["name": .string(name), "namespace": "default", "creationTimestamp": .string(created)],
         "spec": ["template": ["metadata": ["labels": ["app": "web", "pod-template-hash": .string(hash)]],
                               "spec": ["containers": [["name": "web", "image": .string(image)]]]]]]
    }

    @Test func findsTheNewReplicaSet() {
        let deployment: JSONValue = ["spec": ["template": template]]
        let old = rs("web-a", image: "nginx:1.25", hash: "a", created: "2026-01-01T00:00:00Z")
        let new = rs("web-b", image: "nginx:1.26", hash: "b", created: "2026-01-02T00:00:00Z")
        let dup = rs("web-c", image: "nginx:1.26", hash: "c", created: "2026-01-03T00:00:00Z")
        let (found, olds) = DeploymentRollout.split(deployment: deployment, replicaSets: [dup, old, new])
        #expect(found?.name == "web-b")
        #expect(Set(olds.map(\.name)) == ["web-a", "web-c"])
        #expect(DeploymentRollout.split(deployment: deployment, replicaSets: [old]).new == nil)
    }

    @Test func surgeBoundsTheNewReplicaSet() {
        let bounds = RollingUpdateBounds(maxSurge: 1, maxUnavailable: 0)
        let new: JSONValue = ["metadata": ["name": "new"], "spec": ["replicas": 0]]
        let old: JSONValue = ["metadata": ["name": "old"], "spec": ["replicas": 3]]
        #expect(DeploymentRollout.newReplicaSetReplicas(desired: 3, newReplicaSet: new, allReplicaSets: [new, old], bounds: bounds) == 1)
        let new1: JSONValue = ["metadata": ["name": "new"], "spec": ["replicas": 1]]
        #expect(DeploymentRollout.newReplicaSetReplicas(desired: 3, newReplicaSet: new1, allReplicaSets: [new1, old], bounds: bounds) == 1)
        let wide = RollingUpdateBounds(maxSurge: 10, maxUnavailable: 0)
        #expect(DeploymentRollout.newReplicaSetReplicas(desired: 3, newReplicaSet: new, allReplicaSets: [new, old], bounds: wide) == 3)
        let over: JSONValue = ["metadata": ["name": "new"], "spec": ["replicas": 5]]
        #expect(DeploymentRollout.newReplicaSetReplicas(desired: 3, newReplicaSet: over, allReplicaSets: [over], bounds: bounds) == 3)
    }

    @Test func unavailabilityBoundsTheOldOnes() {
        let bounds = RollingUpdateBounds(maxSurge: 1, maxUnavailable: 0)
        let newPending: JSONValue = ["metadata": ["name": "new"], "spec": ["replicas": 1], "status": ["availableReplicas": 0]]
        let old: JSONValue = ["metadata": ["name": "old", "creationTimestamp": "2026-01-01T00:00:00Z"], "spec": ["replicas": 3],
                              "status": ["availableReplicas": 3]]
        #expect(DeploymentRollout.oldReplicasScaleDownBudget(desired: 3, newReplicaSet: newPending, allReplicaSets: [newPending, old], bounds: bounds) == 0)
        let newReady: JSONValue = ["metadata": ["name": "new"], "spec": ["replicas": 1], "status": ["availableReplicas": 1]]
        #expect(DeploymentRollout.oldReplicasScaleDownBudget(desired: 3, newReplicaSet: newReady, allReplicaSets: [newReady, old], bounds: bounds) == 1)
        #expect(DeploymentRollout.scaleDownOld([old], budget: 1) == ["old": 2])
    }

    @Test func scaleDownTakesUnhealthyFirstThenOldest() {
        let older: JSONValue = ["metadata": ["name": "v1", "creationTimestamp": "2026-01-01T00:00:00Z"], "spec": ["replicas": 2], "status": ["availableReplicas": 2]]
        let newer: JSONValue = ["metadata": ["name": "v2", "creationTimestamp": "2026-01-02T00:00:00Z"], "spec": ["replicas": 3], "status": ["availableReplicas": 1]]
        #expect(DeploymentRollout.scaleDownOld([newer, older], budget: 2) == ["v2": 1])
        #expect(DeploymentRollout.scaleDownOld([newer, older], budget: 3) == ["v2": 1, "v1": 1])
        #expect(DeploymentRollout.scaleDownOld([newer, older], budget: 10) == ["v2": 0, "v1": 0])
        #expect(DeploymentRollout.scaleDownOld([newer, older], budget: 0) == [:])
    }

    @Test func replicaAnnotations() {
        #expect(DeploymentRollout.replicaAnnotations(desired: 4, maxSurge: 1) ==
                ["deployment.kubernetes.io/desired-replicas": "4", "deployment.kubernetes.io/max-replicas": "5"])
    }
}
