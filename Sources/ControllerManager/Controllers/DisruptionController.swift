import APIMachinery
import Client
import Controllers
import Foundation

/// Keeps the status of every PodDisruptionBudget: the pods it selects (expectedPods), how many are
/// healthy (Ready, not being deleted, not just evicted: currentHealthy), how many must stay healthy
/// (desiredHealthy, from minAvailable or maxUnavailable, as counts or percentages of the scale of the
/// pods' controllers), how many may go (disruptionsAllowed) and the DisruptionAllowed condition. The
/// eviction subresource reads this status (and records evicted pods under disruptedPods, which this
/// controller forgets once the pod is gone or after two minutes).
public final class DisruptionController: Controller, Sendable {
    public static let name = "disruption"
    /// How long an eviction recorded in disruptedPods waits for the pod's deletion to be seen.
    public static let deletionTimeout: TimeInterval = 120

    let context: ControllerContext
    let budgets: SharedInformer
    let pods: SharedInformer
    let queue = WorkQueue<String>()
    let recorder: EventRecorder

    public init(context: ControllerContext) {
        self.context = context
        budgets = context.informers.informer(for: .podDisruptionBudgets)
        pods = context.informers.informer(for: .pods)
        recorder = context.recorder("controllermanager")
    }

    static func selector(of budget: JSONValue) -> LabelSelector? {
        guard let json = budget["spec"]?["selector"], !json.isNull else { return nil }
        return try? LabelSelector(fromJSON: json)
    }

    func budgetKeys(selecting pod: JSONValue) -> [String] {
        budgets.lister.list(namespace: pod.namespace).compactMap { budget in
            guard let selector = Self.selector(of: budget), selector.matches(pod.labels) else { return nil }
            return Indexer.key(of: budget)
        }
    }

    public func run(workers: Int) async {
        let queue = self.queue
        budgets.addHandler(enqueueingHandler(queue))
        pods.addHandler(ResourceEventHandler(
            onAdd: { [self] pod in for key in budgetKeys(selecting: pod) { await queue.add(key) } },
            onUpdate: { [self] old, pod in for key in Set(budgetKeys(selecting: old) + budgetKeys(selecting: pod)) { await queue.add(key) } },
            onDelete: { [self] pod in for key in budgetKeys(selecting: pod) { await queue.add(key) } }))
        guard await budgets.waitForSync(), await pods.waitForSync() else { return }
        await runWorkers(queue, count: workers, name: Self.name, logger: context.logger) { key in try await self.sync(key) }
    }

    /// The controllers of Kubernetes' built-in workloads that have a scale, by controllerRef kind.
    static let scalable: [String: ResourceID] = [
        "ReplicaSet": .replicaSets, "Deployment": .deployments, "StatefulSet": .statefulSets,
        "ReplicationController": ResourceID(group: "", version: "v1", resource: "replicationcontrollers", namespaced: true),
    ]

    enum ScaleError: Error { case noController(String), unknownController(String) }

    /// The summed replicas of the controllers of `pods` (a ReplicaSet owned by a Deployment counts as
    /// its Deployment).
    func expectedScale(of pods: [JSONValue], namespace: String) async throws -> Int64 {
        var seen = Set<String>()
        var total: Int64 = 0
        for pod in pods {
            guard let ref = OwnerReferences.controllerRef(of: pod), let kind = ref["kind"]?.stringValue,
                  let name = ref["name"]?.stringValue else { throw ScaleError.noController(pod.name) }
            guard let resource = Self.scalable[kind] else { throw ScaleError.unknownController(kind) }
            var owner = try await context.client.get(resource, namespace: namespace, name: name)
            var ownerKind = kind
            if kind == "ReplicaSet", let parent = OwnerReferences.controllerRef(of: owner), parent["kind"]?.stringValue == "Deployment",
               let parentName = parent["name"]?.stringValue,
               let deployment = try? await context.client.get(.deployments, namespace: namespace, name: parentName),
               deployment.uid == parent["uid"]?.stringValue {
                owner = deployment
                ownerKind = "Deployment"
            }
            guard seen.insert("\(ownerKind)/\(owner.uid)").inserted else { continue }
            total += owner["spec"]?["replicas"]?.intValue ?? 1
        }
        return total
    }

    /// Expected pods and desired healthy pods of `budget` over `selected` pods.
    func counts(_ budget: JSONValue, selected: [JSONValue]) async throws -> (expected: Int64, desired: Int64) {
        let spec = budget["spec"] ?? .object([:])
        if let max = spec["maxUnavailable"], !max.isNull, let value = try? IntOrPercent.parse(max) {
            let expected = try await expectedScale(of: selected, namespace: budget.namespace)
            return (expected, Swift.max(0, expected - value.scaled(total: expected, roundUp: true)))
        }
        if let min = spec["minAvailable"], !min.isNull, let value = try? IntOrPercent.parse(min) {
            switch value {
            case .int(let count): return (Int64(selected.count), count)
            case .percent:
                let expected = try await expectedScale(of: selected, namespace: budget.namespace)
                return (expected, value.scaled(total: expected, roundUp: true))
            }
        }
        return (Int64(selected.count), 0)
    }

    func sync(_ key: String) async throws {
        let (namespace, name) = Indexer.split(key)
        guard let budget = budgets.lister.get(namespace: namespace, name: name) else { return }
        let selector = Self.selector(of: budget)
        let selected = selector.map { pods.lister.list(namespace: namespace, selector: $0) } ?? []
        let now = context.now()
        var status = budget["status"]?.objectValue ?? [:]

        // Forget recorded evictions whose pod is gone or being deleted, or that timed out.
        var disrupted: [String: JSONValue] = [:]
        var nextExpiry: TimeInterval?
        for (podName, time) in status["disruptedPods"]?.objectValue ?? [:] {
            guard let pod = selected.first(where: { $0.name == podName }), pod.deletionTimestamp == nil,
                  let at = time.stringValue.flatMap(RFC3339.parse) else { continue }
            let expiry = at.timeIntervalSince(now) + Self.deletionTimeout
            if expiry <= 0 { continue }
            disrupted[podName] = time
            nextExpiry = min(nextExpiry ?? expiry, expiry)
        }
        let healthy = Int64(selected.filter { PodStatus.isReady($0) && $0.deletionTimestamp == nil && disrupted[$0.name] == nil }.count)

        let expected: Int64, desired: Int64, allowed: Int64
        var condition: [String: JSONValue]
        do {
            (expected, desired) = try await counts(budget, selected: selected.filter { $0.deletionTimestamp == nil })
            allowed = max(0, healthy - desired)
            condition = allowed > 0 ? ["status": "True", "reason": "SufficientPods", "message": ""]
                : ["status": "False", "reason": "InsufficientPods", "message": ""]
        } catch let error as ScaleError {
            switch error {
            case .noController(let pod):
                await recorder.record(budget, type: .warning, reason: "NoControllers", message: "found no controllers for pod \"\(pod)\"")
            case .unknownController(let kind):
                await recorder.record(budget, type: .warning, reason: "CalculateExpectedPodCountFailed",
                                      message: "Failed to calculate the number of expected pods: found no controller of kind \(kind)")
            }
            (expected, desired, allowed) = (status["expectedPods"]?.intValue ?? 0, status["desiredHealthy"]?.intValue ?? 0, 0)
            condition = ["status": "False", "reason": "SyncFailed", "message": "found no controllers for the pods"]
        }
        condition["type"] = "DisruptionAllowed"
        condition["observedGeneration"] = .int(budget.generation)
        let previous = (status["conditions"]?.arrayValue ?? []).first { $0["type"]?.stringValue == "DisruptionAllowed" }
        if let previous, previous["status"] == condition["status"], let time = previous["lastTransitionTime"] {
            condition["lastTransitionTime"] = time
        } else {
            condition["lastTransitionTime"] = .string(RFC3339.format(now))
        }
        let others = (status["conditions"]?.arrayValue ?? []).filter { $0["type"]?.stringValue != "DisruptionAllowed" }
        let old = status
        status["currentHealthy"] = .int(healthy)
        status["desiredHealthy"] = .int(desired)
        status["expectedPods"] = .int(expected)
        status["disruptionsAllowed"] = .int(allowed)
        status["observedGeneration"] = .int(budget.generation)
        status["disruptedPods"] = disrupted.isEmpty ? nil : .object(disrupted)
        status["conditions"] = .array(others + [.object(condition)])
        if status != old {
            var updated = budget
            updated["status"] = .object(status)
            _ = try await context.client.updateStatus(.podDisruptionBudgets, namespace: namespace, object: updated)
        }
        if let nextExpiry { await queue.addAfter(key, delay: .milliseconds(Int64(nextExpiry * 1000) + 10)) }
    }
}
