import APIMachinery
import Foundation

/// The HorizontalPodAutoscaler's decisions, as kube-controller-manager makes them (pure, no I/O):
/// replicas for a Resource metric from pod usage (Utilization of requests, or AverageValue) with
/// the 10 % tolerance, then stabilization windows, scaling policies and min/max replicas.
public enum HPALogic {
    public static let tolerance = 0.1

    /// What a Resource metric targets: a percentage of the pods' requests or an average (milli-units).
    public enum Target: Sendable, Equatable {
        case utilization(Int64)
        case averageValue(milli: Int64)
    }

    /// One counted pod: its usage of the resource (milli-units, all containers) and each container's
    /// request (nil: no request).
    public struct PodSample: Sendable, Equatable {
        public var name: String
        public var usage: Int64
        public var requests: [(container: String, milli: Int64?)]
        public init(name: String, usage: Int64, requests: [(container: String, milli: Int64?)]) {
            self.name = name
            self.usage = usage
            self.requests = requests
        }
        public static func == (a: PodSample, b: PodSample) -> Bool {
            a.name == b.name && a.usage == b.usage && a.requests.map(\.container) == b.requests.map(\.container)
                && a.requests.map(\.milli) == b.requests.map(\.milli)
        }
    }

    /// A metric's recommendation and the current value for status.currentMetrics.
    public struct MetricResult: Sendable, Equatable {
        public var replicas: Int
        /// Percent of requests (Utilization targets only).
        public var utilization: Int64?
        /// Average usage per pod, milli-units.
        public var averageValue: Int64
    }

    public enum MetricError: Error, Equatable, CustomStringConvertible {
        case noMetrics(resource: String)
        case missingRequest(resource: String, container: String, pod: String)

        public var description: String {
            switch self {
            case .noMetrics(let resource):
                return "unable to get metrics for resource \(resource): no metrics returned from resource metrics API"
            case .missingRequest(let resource, let container, let pod):
                return "failed to get \(resource) utilization: missing request for \(resource) in container \(container) of Pod \(pod)"
            }
        }
    }

    /// The replicas a Resource metric asks for, from the pods that count (Running, Ready, with metrics).
    public static func resourceReplicas(current: Int, target: Target, resource: String,
                                        pods: [PodSample]) throws(MetricError) -> MetricResult {
        guard !pods.isEmpty else { throw .noMetrics(resource: resource) }
        let total = pods.reduce(Int64(0)) { $0 + $1.usage }
        let average = total / Int64(pods.count)
        switch target {
        case .utilization(let percent):
            var requested: Int64 = 0
            for pod in pods {
                for request in pod.requests {
                    guard let milli = request.milli else {
                        throw .missingRequest(resource: resource, container: request.container, pod: pod.name)
                    }
                    requested += milli
                }
            }
            guard requested > 0 else {
                throw .missingRequest(resource: resource, container: pods[0].requests.first?.container ?? "", pod: pods[0].name)
            }
            let utilization = total * 100 / requested
            let ratio = Double(utilization) / Double(max(1, percent))
            return MetricResult(replicas: replicas(current: current, ratio: ratio, counted: pods.count),
                                utilization: utilization, averageValue: average)
        case .averageValue(let milli):
            let ratio = Double(average) / Double(max(1, milli))
            return MetricResult(replicas: replicas(current: current, ratio: ratio, counted: pods.count), utilization: nil,
                                averageValue: average)
        }
    }

    /// ceil(ratio × counted pods), or the current replicas within the tolerance.
    public static func replicas(current: Int, ratio: Double, counted: Int) -> Int {
        if abs(1.0 - ratio) <= tolerance { return current }
        return Int((ratio * Double(counted)).rounded(.up))
    }

    // MARK: Behavior

    public struct Policy: Sendable, Equatable {
        public enum Kind: String, Sendable { case pods = "Pods", percent = "Percent" }
        public var kind: Kind
        public var value: Int
        public var periodSeconds: Int
        public init(_ kind: Kind, value: Int, periodSeconds: Int) {
            self.kind = kind
            self.value = value
            self.periodSeconds = periodSeconds
        }
    }

    public struct Rules: Sendable, Equatable {
        public enum Select: String, Sendable { case max = "Max", min = "Min", disabled = "Disabled" }
        public var stabilizationWindowSeconds: Int
        public var selectPolicy: Select
        public var policies: [Policy]
        public init(stabilizationWindowSeconds: Int, selectPolicy: Select = .max, policies: [Policy]) {
            self.stabilizationWindowSeconds = stabilizationWindowSeconds
            self.selectPolicy = selectPolicy
            self.policies = policies
        }

        public static let defaultScaleUp = Rules(stabilizationWindowSeconds: 0, policies: [
            Policy(.pods, value: 4, periodSeconds: 15), Policy(.percent, value: 100, periodSeconds: 15)])
        public static let defaultScaleDown = Rules(stabilizationWindowSeconds: 300, policies: [Policy(.percent, value: 100, periodSeconds: 15)])

        /// spec.behavior.scaleUp / scaleDown, unset members from `defaults`.
        public init(json: JSONValue?, defaults: Rules) {
            self = defaults
            guard let json, json.objectValue != nil else { return }
            if let window = json["stabilizationWindowSeconds"]?.intValue { stabilizationWindowSeconds = Int(window) }
            if let select = json["selectPolicy"]?.stringValue.flatMap(Select.init(rawValue:)) { selectPolicy = select }
            if let policies = json["policies"]?.arrayValue, !policies.isEmpty {
                self.policies = policies.compactMap { p in
                    guard let kind = p["type"]?.stringValue.flatMap(Policy.Kind.init(rawValue:)), let value = p["value"]?.intValue,
                          let period = p["periodSeconds"]?.intValue else { return nil }
                    return Policy(kind, value: Int(value), periodSeconds: Int(period))
                }
            }
        }
    }

    public struct Behavior: Sendable, Equatable {
        public var scaleUp: Rules
        public var scaleDown: Rules
        public init(scaleUp: Rules = .defaultScaleUp, scaleDown: Rules = .defaultScaleDown) {
            self.scaleUp = scaleUp
            self.scaleDown = scaleDown
        }
        public init(json: JSONValue?) {
            self.init(scaleUp: Rules(json: json?["scaleUp"], defaults: .defaultScaleUp),
                      scaleDown: Rules(json: json?["scaleDown"], defaults: .defaultScaleDown))
        }
    }

    public struct Recommendation: Sendable, Equatable {
        public var time: Date
        public var replicas: Int
        public init(time: Date, replicas: Int) {
            self.time = time
            self.replicas = replicas
        }
    }

    /// A rescale this controller made: + for up, − for down.
    public struct ScaleEvent: Sendable, Equatable {
        public var time: Date
        public var change: Int
        public init(time: Date, change: Int) {
            self.time = time
            self.change = change
        }
    }

    /// The replicas to set, with the AbleToScale and ScalingLimited conditions' reasons and messages.
    public struct Decision: Sendable, Equatable {
        public var replicas: Int
        public var stabilizedReason: String
        public var stabilizedMessage: String
        public var limited: Bool
        public var limitedReason: String
        public var limitedMessage: String
    }

    /// Stabilizes `desired` over the recommendations of the windows (recording it), then limits it by
    /// the scaling policies (given the recent scale events) and min/max replicas.
    public static func normalize(desired: Int, current: Int, minReplicas: Int, maxReplicas: Int, behavior: Behavior,
                                 recommendations: inout [Recommendation], events: [ScaleEvent], now: Date) -> Decision {
        // Stabilization: the lowest recommendation of the scale-up window, the highest of the scale-down window.
        var up = desired, down = desired
        let upCutoff = now.addingTimeInterval(-Double(behavior.scaleUp.stabilizationWindowSeconds))
        let downCutoff = now.addingTimeInterval(-Double(behavior.scaleDown.stabilizationWindowSeconds))
        for r in recommendations {
            if r.time > upCutoff { up = min(up, r.replicas) }
            if r.time > downCutoff { down = max(down, r.replicas) }
        }
        var stabilized = current
        if stabilized < up { stabilized = up }
        if stabilized > down { stabilized = down }
        let longest = Double(max(behavior.scaleUp.stabilizationWindowSeconds, behavior.scaleDown.stabilizationWindowSeconds))
        recommendations.removeAll { now.timeIntervalSince($0.time) >= longest }
        recommendations.append(Recommendation(time: now, replicas: desired))
        var decision = Decision(replicas: stabilized, stabilizedReason: "ReadyForNewScale",
                                stabilizedMessage: "recommended size matches current size", limited: false,
                                limitedReason: "DesiredWithinRange", limitedMessage: "the desired count is within the acceptable range")
        if stabilized != desired {
            if desired > stabilized {
                decision.stabilizedReason = "ScaleUpStabilized"
                decision.stabilizedMessage = "recent recommendations were lower than current one, applying the lowest recent recommendation"
            } else {
                decision.stabilizedReason = "ScaleDownStabilized"
                decision.stabilizedMessage = "recent recommendations were higher than current one, applying the highest recent recommendation"
            }
        }
        // Rate limits and bounds.
        if stabilized > current {
            var limit = scaleUpLimit(current: current, events: events, rules: behavior.scaleUp, now: now)
            if limit < current { limit = current }
            var maximum = maxReplicas
            var reason = "TooManyReplicas", message = "the desired replica count is more than the maximum replica count"
            if maximum > limit {
                maximum = limit
                reason = "ScaleUpLimit"
                message = "the desired replica count is increasing faster than the maximum scale rate"
            }
            if stabilized > maximum { decision.replicas = maximum; decision.limited = true; decision.limitedReason = reason; decision.limitedMessage = message }
        } else if stabilized < current {
            var limit = scaleDownLimit(current: current, events: events, rules: behavior.scaleDown, now: now)
            if limit > current { limit = current }
            var minimum = minReplicas
            var reason = "TooFewReplicas", message = "the desired replica count is less than the minimum replica count"
            if minimum < limit {
                minimum = limit
                reason = "ScaleDownLimit"
                message = "the desired replica count is decreasing faster than the maximum scale rate"
            }
            if stabilized < minimum { decision.replicas = minimum; decision.limited = true; decision.limitedReason = reason; decision.limitedMessage = message }
        }
        return decision
    }

    static func change(in events: [ScaleEvent], periodSeconds: Int, now: Date, up: Bool) -> Int {
        let cutoff = now.addingTimeInterval(-Double(periodSeconds))
        return events.filter { $0.time > cutoff && ($0.change > 0) == up }.reduce(0) { $0 + abs($1.change) }
    }

    /// The most replicas the scale-up policies allow now.
    public static func scaleUpLimit(current: Int, events: [ScaleEvent], rules: Rules, now: Date) -> Int {
        if rules.selectPolicy == .disabled || rules.policies.isEmpty { return current }
        var result = rules.selectPolicy == .max ? Int.min : Int.max
        for policy in rules.policies {
            let start = current - change(in: events, periodSeconds: policy.periodSeconds, now: now, up: true)
            let proposed = policy.kind == .pods ? start + policy.value
                : Int((Double(start) * (1 + Double(policy.value) / 100)).rounded(.up))
            result = rules.selectPolicy == .max ? max(result, proposed) : min(result, proposed)
        }
        return result
    }

    /// The fewest replicas the scale-down policies allow now.
    public static func scaleDownLimit(current: Int, events: [ScaleEvent], rules: Rules, now: Date) -> Int {
        if rules.selectPolicy == .disabled || rules.policies.isEmpty { return current }
        var result = rules.selectPolicy == .max ? Int.max : Int.min
        for policy in rules.policies {
            let start = current + change(in: events, periodSeconds: policy.periodSeconds, now: now, up: false)
            let proposed = policy.kind == .pods ? start - policy.value
                : Int(Double(start) * (1 - Double(policy.value) / 100))
            result = rules.selectPolicy == .max ? min(result, proposed) : max(result, proposed)
        }
        return result
    }
}
