import APIMachinery
import Foundation

extension Registry {
    /// POST pods/NAME/eviction honouring PodDisruptionBudgets, as the API server's eviction REST does:
    /// a pod that is not running (Pending, Succeeded, Failed) or already being deleted is deleted at
    /// once; otherwise the one PDB selecting it must allow a disruption (its status, kept by the
    /// disruption controller, must be current). An allowed eviction lowers disruptionsAllowed and
    /// records the pod under disruptedPods before deleting it; a refused one answers 429.
    public func evictPod(namespace: String, name: String, eviction: JSONValue, options: DeleteOptions) async throws(StatusError) -> JSONValue {
        guard let pods = store(group: "", version: "v1", resource: "pods") else { throw StatusError.notFoundPath() }
        try pods.validateEviction(name: name, eviction: eviction)
        let pod = try await pods.get(namespace: namespace, name: name)
        if let budgets = store(group: "policy", version: "v1", resource: "poddisruptionbudgets"), !Self.canIgnoreBudget(pod) {
            try await checkBudget(budgets, pod: pod, dryRun: options.dryRun)
        }
        return try await pods.evict(namespace: namespace, name: name, eviction: eviction, options: options)
    }

    static func canIgnoreBudget(_ pod: JSONValue) -> Bool {
        if pod.deletionTimestamp != nil { return true }
        let phase = pod["status"]?["phase"]?.stringValue ?? "Pending"
        return phase == "Pending" || phase == "Succeeded" || phase == "Failed"
    }

    static func budgetSelects(_ budget: JSONValue, _ pod: JSONValue) -> Bool {
        guard let selectorJSON = budget["spec"]?["selector"], !selectorJSON.isNull,
              let selector = try? LabelSelector(fromJSON: selectorJSON) else { return false }
        return selector.matches(pod.labels)
    }

    static func tooManyRequests(_ message: String) -> StatusError {
        StatusError(code: 429, reason: "TooManyRequests", message: "Cannot evict pod as it would violate the pod's disruption budget.",
                    details: .init(causes: [.init(reason: "DisruptionBudget", message: message)]))
    }

    func checkBudget(_ budgets: GenericStore, pod: JSONValue, dryRun: Bool) async throws(StatusError) {
        for round in 1...5 {
            let all = try await budgets.list(namespace: pod.namespace, options: ListOptions()).items
            let matching = all.filter { Self.budgetSelects($0, pod) }
            if matching.isEmpty { return }
            if matching.count > 1 {
                throw StatusError.internal("This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.")
            }
            var budget = matching[0]
            let status = budget["status"] ?? .object([:])
            if (status["observedGeneration"]?.intValue ?? 0) < budget.generation {
                throw Self.tooManyRequests("The disruption budget \(budget.name) is still being processed by the server.")
            }
            let healthy = status["currentHealthy"]?.intValue ?? 0
            let desired = status["desiredHealthy"]?.intValue ?? 0
            let podReady = (pod["status"]?["conditions"]?.arrayValue ?? [])
                .contains { $0["type"]?.stringValue == "Ready" && $0["status"]?.stringValue == "True" }
            // An unhealthy pod may go while the budget is met (unhealthyPodEvictionPolicy IfHealthyBudget),
            // or always with AlwaysAllow; it does not use up a disruption.
            if !podReady {
                if budget["spec"]?["unhealthyPodEvictionPolicy"]?.stringValue == "AlwaysAllow" || healthy >= desired { return }
            }
            let allowed = status["disruptionsAllowed"]?.intValue ?? 0
            if allowed <= 0 {
                throw Self.tooManyRequests("The disruption budget \(budget.name) needs \(desired) healthy pods and has \(healthy) currently")
            }
            if !podReady { return }
            if dryRun { return }
            var disrupted = status["disruptedPods"]?.objectValue ?? [:]
            if disrupted.count > 2000 {
                throw Self.tooManyRequests("DisruptedPods map too big - too many evictions not confirmed by PDB controller")
            }
            disrupted[pod.name] = .string(RFC3339.format(Date(timeIntervalSince1970: clock())))
            budget[key: "status", "disruptionsAllowed"] = .int(allowed - 1)
            budget[key: "status", "disruptedPods"] = .object(disrupted)
            let written = await attempt { () async throws(StatusError) -> WriteResult in
                try await budgets.update(namespace: budget.namespace, name: budget.name, object: budget, target: .status, options: WriteOptions())
            }
            switch written {
            case .success: return
            case .failure(let error) where error.reason == "Conflict" && round < 5: continue
            case .failure(let error): throw error
            }
        }
    }
}
