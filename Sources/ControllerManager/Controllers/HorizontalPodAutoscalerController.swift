import APIMachinery
import Client
import Controllers
import Foundation
import Logging
import Synchronization

extension ResourceID {
    static let horizontalPodAutoscalers = ResourceID(group: "autoscaling", version: "v2", resource: "horizontalpodautoscalers", namespaced: true)
    static let podMetrics = ResourceID(group: "metrics.k8s.io", version: "v1beta1", resource: "pods", namespaced: true)
}

/// kube-controller-manager's horizontal pod autoscaler: every `horizontalPodAutoscalerSyncPeriod`
/// (15 s) each HPA reads its target's scale subresource, the metrics.k8s.io usage of the target's
/// Running and Ready pods, computes the replicas its Resource metrics ask for (`HPALogic`), applies
/// the stabilization windows and scaling policies of spec.behavior, writes the scale and reports
/// status (currentReplicas, desiredReplicas, currentMetrics, lastScaleTime, the AbleToScale,
/// ScalingActive and ScalingLimited conditions) and SuccessfulRescale events.
public final class HorizontalPodAutoscalerController: Controller, Sendable {
    public static let name = "horizontalpodautoscaling"

    struct History: Sendable {
        var recommendations: [HPALogic.Recommendation] = []
        var events: [HPALogic.ScaleEvent] = []
    }

    let context: ControllerContext
    let hpas: SharedInformer
    let pods: SharedInformer
    let queue = WorkQueue<String>()
    let history = Mutex<[String: History]>([:])
    let recorder: EventRecorder

    public init(context: ControllerContext) {
        self.context = context
        hpas = context.informers.informer(for: .horizontalPodAutoscalers)
        pods = context.informers.informer(for: .pods)
        recorder = context.recorder("horizontal-pod-autoscaler")
    }

    public func run(workers: Int) async {
        let queue = self.queue
        hpas.addHandler(ResourceEventHandler(
            onAdd: { await queue.add(Indexer.key(of: $0)) },
            onUpdate: { old, new in if old["spec"] != new["spec"] { await queue.add(Indexer.key(of: new)) } },
            onDelete: { [self] hpa in _ = self.history.withLock { $0.removeValue(forKey: Indexer.key(of: hpa)) } }))
        guard await hpas.waitForSync(), await pods.waitForSync() else { return }
        let period = context.options.horizontalPodAutoscalerSyncPeriod
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [hpas] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: period)
                    for hpa in hpas.lister.list() { await queue.add(Indexer.key(of: hpa)) }
                }
            }
            group.addTask { [self] in
                await runWorkers(queue, count: workers, name: Self.name, logger: context.logger) { [self] key in try await sync(key) }
            }
            await group.next()
            group.cancelAll()
        }
    }

    /// The resource of a scale target kind.
    static func targetResource(_ ref: JSONValue?) -> ResourceID? {
        switch ref?["kind"]?.stringValue {
        case "Deployment": return .deployments
        case "StatefulSet": return .statefulSets
        case "ReplicaSet": return .replicaSets
        default: return nil
        }
    }

    /// How an event and a condition name a metric: "cpu resource utilization (percentage of request)" or "cpu resource".
    static func metricName(_ resource: String, _ target: HPALogic.Target) -> String {
        if case .utilization = target { return "\(resource) resource utilization (percentage of request)" }
        return "\(resource) resource"
    }

    static func target(of metric: JSONValue) -> (resource: String, target: HPALogic.Target)? {
        guard metric["type"]?.stringValue == "Resource", let resource = metric["resource"]?["name"]?.stringValue else { return nil }
        let target = metric["resource"]?["target"]
        switch target?["type"]?.stringValue {
        case "Utilization":
            guard let percent = target?["averageUtilization"]?.intValue else { return nil }
            return (resource, .utilization(percent))
        case "AverageValue":
            guard let value = Quantity(json: target?["averageValue"]) else { return nil }
            return (resource, .averageValue(milli: value.milliValue))
        default: return nil
        }
    }

    func sync(_ key: String) async throws {
        let (namespace, name) = Indexer.split(key)
        guard let hpa = hpas.lister.get(namespace: namespace, name: name), hpa.deletionTimestamp == nil else {
            _ = history.withLock { $0.removeValue(forKey: key) }
            return
        }
        let now = context.now()
        var conditions = hpa["status"]?["conditions"]?.arrayValue ?? []
        func condition(_ type: String, _ status: Bool, _ reason: String, _ message: String) {
            var c = DeploymentLogic.condition(type: type, status: status ? "True" : "False", reason: reason, message: message, now: now)
            c["lastUpdateTime"] = nil
            if let old = conditions.first(where: { $0["type"]?.stringValue == type }), old["status"] == c["status"] {
                c["lastTransitionTime"] = old["lastTransitionTime"]
            }
            conditions = conditions.filter { $0["type"]?.stringValue != type } + [c]
        }
        var status = hpa["status"] ?? [:]
        func writeStatus() async throws {
            conditions.sort { Self.conditionOrder($0) < Self.conditionOrder($1) }
            status["conditions"] = .array(conditions)
            var updated = hpa
            updated["status"] = status
            guard updated != hpa else { return }
            _ = try await context.client.updateStatus(.horizontalPodAutoscalers, namespace: namespace, object: updated)
        }

        let ref = hpa["spec"]?["scaleTargetRef"]
        let targetName = ref?["name"]?.stringValue ?? ""
        guard let resource = Self.targetResource(ref) else {
            let message = "the HPA controller was unable to get the target's current scale: no matches for kind \"\(ref?["kind"]?.stringValue ?? "")\" in group \"\(ref?["apiVersion"]?.stringValue ?? "")\""
            condition("AbleToScale", false, "FailedGetScale", message)
            _ = await recorder.record(hpa, type: .warning, reason: "FailedGetScale", message: message)
            try await writeStatus()
            return
        }
        var scale: JSONValue
        do {
            scale = try await context.client.get(resource, namespace: namespace, name: targetName, subresource: "scale")
        } catch {
            let message = "the HPA controller was unable to get the target's current scale: \(error.message)"
            condition("AbleToScale", false, "FailedGetScale", message)
            _ = await recorder.record(hpa, type: .warning, reason: "FailedGetScale", message: message)
            try await writeStatus()
            return
        }
        condition("AbleToScale", true, "SucceededGetScale", "the HPA controller was able to get the target's current scale")
        let current = Int(scale["spec"]?["replicas"]?.intValue ?? 0)
        let minReplicas = Int(hpa["spec"]?["minReplicas"]?.intValue ?? 1)
        let maxReplicas = Int(hpa["spec"]?["maxReplicas"]?.intValue ?? Int64(max(1, minReplicas)))
        status["currentReplicas"] = .int(Int64(current))

        var desired = current
        var rescaleReason = ""
        if current == 0 && minReplicas != 0 {
            condition("ScalingActive", false, "ScalingDisabled", "scaling is disabled since the replica count of the target is zero")
            status["desiredReplicas"] = 0
            try await writeStatus()
            return
        } else if current > maxReplicas {
            desired = maxReplicas
            rescaleReason = "Current number of replicas above Spec.MaxReplicas"
            condition("ScalingLimited", true, "TooManyReplicas", "the desired replica count is more than the maximum replica count")
        } else if current < minReplicas {
            desired = minReplicas
            rescaleReason = "Current number of replicas below Spec.MinReplicas"
            condition("ScalingLimited", true, "TooFewReplicas", "the desired replica count is less than the minimum replica count")
        } else {
            let selector = scale["status"]?["selector"]?.stringValue ?? ""
            let computed: (replicas: Int, metric: String, metrics: [JSONValue])
            do {
                computed = try await computeReplicas(hpa, namespace: namespace, selector: selector, current: current)
            } catch let error as HPALogic.MetricError {
                let message = "the HPA was unable to compute the replica count: \(error)"
                condition("ScalingActive", false, "FailedGetResourceMetric", message)
                _ = await recorder.record(hpa, type: .warning, reason: "FailedGetResourceMetric", message: "\(error)")
                status["desiredReplicas"] = status["desiredReplicas"] ?? .int(Int64(current))
                try await writeStatus()
                return
            }
            condition("ScalingActive", true, "ValidMetricFound",
                      "the HPA was able to successfully calculate a replica count from \(computed.metric)")
            status["currentMetrics"] = .array(computed.metrics)
            let behavior = HPALogic.Behavior(json: hpa["spec"]?["behavior"])
            let decision = history.withLock { all -> HPALogic.Decision in
                var h = all[key] ?? History()
                let longest = Double(max(60, behavior.scaleUp.policies.map(\.periodSeconds).max() ?? 0,
                                         behavior.scaleDown.policies.map(\.periodSeconds).max() ?? 0))
                h.events.removeAll { now.timeIntervalSince($0.time) > longest }
                let d = HPALogic.normalize(desired: computed.replicas, current: current, minReplicas: minReplicas, maxReplicas: maxReplicas,
                                           behavior: behavior, recommendations: &h.recommendations, events: h.events, now: now)
                all[key] = h
                return d
            }
            desired = decision.replicas
            condition("AbleToScale", true, decision.stabilizedReason, decision.stabilizedMessage)
            condition("ScalingLimited", decision.limited, decision.limitedReason, decision.limitedMessage)
            rescaleReason = desired > current ? "\(computed.metric) above target" : "All metrics below target"
        }

        if desired != current {
            scale["spec"] = ["replicas": .int(Int64(desired))]
            do {
                _ = try await context.client.update(resource, namespace: namespace, object: scale, subresource: "scale", query: WriteQuery())
            } catch {
                condition("AbleToScale", false, "FailedUpdateScale", "the HPA controller was unable to update the target scale: \(error.message)")
                _ = await recorder.record(hpa, type: .warning, reason: "FailedRescale",
                                          message: "New size: \(desired); reason: \(rescaleReason); error: \(error.message)")
                try await writeStatus()
                throw error
            }
            history.withLock { $0[key, default: History()].events.append(HPALogic.ScaleEvent(time: now, change: desired - current)) }
            condition("AbleToScale", true, "SucceededRescale", "the HPA controller was able to update the target scale to \(desired)")
            _ = await recorder.record(hpa, type: .normal, reason: "SuccessfulRescale", message: "New size: \(desired); reason: \(rescaleReason)")
            context.logger.info("horizontalpodautoscaling: \(key): New size: \(desired); reason: \(rescaleReason)")
            status["lastScaleTime"] = .string(RFC3339.format(now))
        }
        status["desiredReplicas"] = .int(Int64(desired))
        if let generation = hpa["metadata"]?["generation"] { status["observedGeneration"] = generation }
        try await writeStatus()
    }

    static func conditionOrder(_ c: JSONValue) -> Int {
        ["AbleToScale", "ScalingActive", "ScalingLimited"].firstIndex(of: c["type"]?.stringValue ?? "") ?? 3
    }

    /// The largest replica count the HPA's metrics ask for, the name of that metric, and status.currentMetrics.
    func computeReplicas(_ hpa: JSONValue, namespace: String, selector: String,
                         current: Int) async throws -> (replicas: Int, metric: String, metrics: [JSONValue]) {
        let labels = try LabelSelector.parse(selector)
        let counted = pods.lister.list(namespace: namespace, selector: labels).filter {
            $0.deletionTimestamp == nil && $0["status"]?["phase"]?.stringValue == "Running" && PodStatus.isReady($0)
        }
        var usage: [String: [String: JSONValue]] = [:]  // pod → container → usage
        let list = try await context.client.list(.podMetrics, namespace: namespace, query: ListQuery(labelSelector: selector))
        for item in list.items {
            var containers: [String: JSONValue] = [:]
            for c in item["containers"]?.arrayValue ?? [] { containers[c["name"]?.stringValue ?? ""] = c["usage"] ?? [:] }
            usage[item.name] = containers
        }
        var best: (replicas: Int, metric: String)? = nil
        var currentMetrics: [JSONValue] = []
        var firstError: HPALogic.MetricError? = nil
        for metric in hpa["spec"]?["metrics"]?.arrayValue ?? [] {
            guard let (resource, target) = Self.target(of: metric) else { continue }
            let samples = counted.compactMap { pod -> HPALogic.PodSample? in
                guard let containers = usage[pod.name] else { return nil }
                let used = containers.values.reduce(Int64(0)) { $0 + (Quantity(json: $1[resource])?.milliValue ?? 0) }
                let requests = (pod["spec"]?["containers"]?.arrayValue ?? []).map { c -> (container: String, milli: Int64?) in
                    (c["name"]?.stringValue ?? "", Quantity(json: c["resources"]?["requests"]?[resource])?.milliValue)
                }
                return HPALogic.PodSample(name: pod.name, usage: used, requests: requests)
            }
            do {
                let result = try HPALogic.resourceReplicas(current: current, target: target, resource: resource, pods: samples)
                var currentValue: [String: JSONValue] = ["averageValue": .string(Quantity(milliValue: result.averageValue).description)]
                if let utilization = result.utilization { currentValue["averageUtilization"] = .int(utilization) }
                currentMetrics.append(["type": "Resource", "resource": ["name": .string(resource), "current": .object(currentValue)]])
                if best == nil || result.replicas > best!.replicas { best = (result.replicas, Self.metricName(resource, target)) }
            } catch {
                if firstError == nil { firstError = error }
            }
        }
        if let firstError { throw firstError }
        guard let best else { throw HPALogic.MetricError.noMetrics(resource: "cpu") }
        return (best.replicas, best.metric, currentMetrics)
    }
}
