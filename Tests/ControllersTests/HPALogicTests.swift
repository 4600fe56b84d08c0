import APIMachinery
import Controllers
import Foundation
import Testing

@Suite struct HPALogicTests {
    static func pods(_ usages: [Int64], request: Int64? = 100) -> [HPALogic.PodSample] {
        usages.enumerated().map { HPALogic.PodSample(name: "p\($0.offset)", usage: $0.element, requests: [("app", request)]) }
    }

    @Test func utilizationRatio() throws {
        // 2 pods at 100m of 100m requested = 100 %, target 50 %: ratio 2 → 4 replicas.
        let up = try HPALogic.resourceReplicas(current: 2, target: .utilization(50), resource: "cpu", pods: Self.pods([100, 100]))
        #expect(up.replicas == 4 && up.utilization == 100 && up.averageValue == 100)
        // 3 pods at 10 % of a 50 % target: ceil(0.2 × 3) = 1.
        let down = try HPALogic.resourceReplicas(current: 3, target: .utilization(50), resource: "cpu", pods: Self.pods([10, 10, 10]))
        #expect(down.replicas == 1 && down.utilization == 10)
        // 54 % of a 50 % target is within the 10 % tolerance; 56 % is not.
        #expect(try HPALogic.resourceReplicas(current: 3, target: .utilization(50), resource: "cpu", pods: Self.pods([54, 54, 54])).replicas == 3)
        #expect(try HPALogic.resourceReplicas(current: 3, target: .utilization(50), resource: "cpu", pods: Self.pods([56, 56, 56])).replicas == 4)
    }

    @Test func averageValueAndErrors() throws {
        // 300m average against 200m: ratio 1.5 × 2 pods = 3.
        let r = try HPALogic.resourceReplicas(current: 2, target: .averageValue(milli: 200), resource: "cpu", pods: Self.pods([300, 300], request: nil))
        #expect(r.replicas == 3 && r.utilization == nil && r.averageValue == 300)
        #expect(throws: HPALogic.MetricError.missingRequest(resource: "cpu", container: "app", pod: "p0")) {
            try HPALogic.resourceReplicas(current: 2, target: .utilization(50), resource: "cpu", pods: Self.pods([1, 1], request: nil))
        }
        #expect(throws: HPALogic.MetricError.noMetrics(resource: "memory")) {
            try HPALogic.resourceReplicas(current: 2, target: .utilization(50), resource: "memory", pods: [])
        }
        #expect("\(HPALogic.MetricError.missingRequest(resource: "cpu", container: "app", pod: "web-1"))"
            == "failed to get cpu utilization: missing request for cpu in container app of Pod web-1")
    }

    @Test func policiesLimitTheRate() {
        let now = Date()
        var recs: [HPALogic.Recommendation] = []
        // Default scale up: max(4 pods, 100 %) per 15 s: from 2, at most 6.
        let up = HPALogic.normalize(desired: 20, current: 2, minReplicas: 1, maxReplicas: 30, behavior: .init(),
                                    recommendations: &recs, events: [], now: now)
        #expect(up.replicas == 6 && up.limited && up.limitedReason == "ScaleUpLimit")
        // Bounded by maxReplicas rather than the rate.
        recs = []
        let capped = HPALogic.normalize(desired: 20, current: 2, minReplicas: 1, maxReplicas: 5, behavior: .init(),
                                        recommendations: &recs, events: [], now: now)
        #expect(capped.replicas == 5 && capped.limitedReason == "TooManyReplicas")
        // A scale-up of 4 pods 5 s ago uses up the Pods policy; Percent of the period start (4) allows 8.
        let events = [HPALogic.ScaleEvent(time: now.addingTimeInterval(-5), change: 4)]
        #expect(HPALogic.scaleUpLimit(current: 8, events: events, rules: .defaultScaleUp, now: now) == 8)
        // Min select: the smaller of 1 pod and 100 %.
        let minRules = HPALogic.Rules(stabilizationWindowSeconds: 0, selectPolicy: .min,
                                      policies: [.init(.pods, value: 1, periodSeconds: 60), .init(.percent, value: 100, periodSeconds: 60)])
        #expect(HPALogic.scaleUpLimit(current: 4, events: [], rules: minRules, now: now) == 5)
        // Scale down by at most 50 % per minute; disabled keeps the current count.
        let half = HPALogic.Rules(stabilizationWindowSeconds: 0, policies: [.init(.percent, value: 50, periodSeconds: 60)])
        recs = []
        let down = HPALogic.normalize(desired: 1, current: 10, minReplicas: 1, maxReplicas: 10,
                                      behavior: .init(scaleUp: .defaultScaleUp, scaleDown: half), recommendations: &recs, events: [], now: now)
        #expect(down.replicas == 5 && down.limitedReason == "ScaleDownLimit")
        let disabled = HPALogic.Rules(stabilizationWindowSeconds: 0, selectPolicy: .disabled, policies: [])
        recs = []
        #expect(HPALogic.normalize(desired: 1, current: 10, minReplicas: 1, maxReplicas: 10,
                                   behavior: .init(scaleUp: .defaultScaleUp, scaleDown: disabled), recommendations: &recs, events: [], now: now).replicas == 10)
        // Below minReplicas: TooFewReplicas.
        recs = []
        let floor = HPALogic.normalize(desired: 1, current: 4, minReplicas: 3, maxReplicas: 10,
                                       behavior: .init(scaleUp: .defaultScaleUp, scaleDown: .init(stabilizationWindowSeconds: 0, policies: [.init(.percent, value: 100, periodSeconds: 15)])),
                                       recommendations: &recs, events: [], now: now)
        #expect(floor.replicas == 3 && floor.limitedReason == "TooFewReplicas")
    }

    @Test func stabilizationWindow() {
        let start = Date()
        var recs: [HPALogic.Recommendation] = []
        let behavior = HPALogic.Behavior()  // scale down: 300 s window
        _ = HPALogic.normalize(desired: 6, current: 6, minReplicas: 1, maxReplicas: 10, behavior: behavior,
                               recommendations: &recs, events: [], now: start)
        // 100 s later the load fell: the window still holds 6.
        let held = HPALogic.normalize(desired: 2, current: 6, minReplicas: 1, maxReplicas: 10, behavior: behavior,
                                      recommendations: &recs, events: [], now: start.addingTimeInterval(100))
        #expect(held.replicas == 6 && held.stabilizedReason == "ScaleDownStabilized")
        // 301 s after the high recommendation it has left the window: down to 2.
        let after = HPALogic.normalize(desired: 2, current: 6, minReplicas: 1, maxReplicas: 10, behavior: behavior,
                                       recommendations: &recs, events: [], now: start.addingTimeInterval(301))
        #expect(after.replicas == 2 && after.stabilizedReason == "ReadyForNewScale")
        // A scale-up window takes the lowest recent recommendation.
        let upWindow = HPALogic.Behavior(scaleUp: .init(stabilizationWindowSeconds: 60, policies: HPALogic.Rules.defaultScaleUp.policies))
        var upRecs = [HPALogic.Recommendation(time: start, replicas: 3)]
        let slow = HPALogic.normalize(desired: 8, current: 2, minReplicas: 1, maxReplicas: 10, behavior: upWindow,
                                      recommendations: &upRecs, events: [], now: start.addingTimeInterval(10))
        #expect(slow.replicas == 3 && slow.stabilizedReason == "ScaleUpStabilized")
    }

    @Test func behaviorFromJSON() {
        let b = HPALogic.Behavior(json: ["scaleDown": ["stabilizationWindowSeconds": 30, "selectPolicy": "Min",
                                                       "policies": [["type": "Pods", "value": 2, "periodSeconds": 20]]]])
        #expect(b.scaleUp == .defaultScaleUp)
        #expect(b.scaleDown == HPALogic.Rules(stabilizationWindowSeconds: 30, selectPolicy: .min, policies: [.init(.pods, value: 2, periodSeconds: 20)]))
        #expect(HPALogic.Behavior(json: nil).scaleDown.stabilizationWindowSeconds == 300)
    }
}
