import APIMachinery

extension Registry {
    /// Storage, quotas and limits, autoscaling, events.k8s.io, policy, scheduling, coordination and RBAC.
    static func clusterKinds() -> [ResourceDefinition] {
        let hpaResource = GroupResource(group: "autoscaling", resource: "horizontalpodautoscalers")
        let rbac = "rbac.authorization.k8s.io"
        return [
            ResourceDefinition(group: "", version: "v1", resource: "persistentvolumes", kind: "PersistentVolume", namespaced: false,
                               shortNames: ["pv"], subresources: ["status"], strategy: PersistentVolumeStrategy()),
            ResourceDefinition(group: "", version: "v1", resource: "persistentvolumeclaims", kind: "PersistentVolumeClaim", namespaced: true,
                               shortNames: ["pvc"], subresources: ["status"], strategy: PersistentVolumeClaimStrategy()),
            ResourceDefinition(group: "", version: "v1", resource: "limitranges", kind: "LimitRange", namespaced: true,
                               shortNames: ["limits"], strategy: LimitRangeStrategy()),
            ResourceDefinition(group: "", version: "v1", resource: "resourcequotas", kind: "ResourceQuota", namespaced: true,
                               shortNames: ["quota"], subresources: ["status"], strategy: ResourceQuotaStrategy()),
            ResourceDefinition(group: "events.k8s.io", version: "v1", resource: "events", kind: "Event", namespaced: true,
                               shortNames: ["ev"], strategy: EventsV1Strategy())
                .sharingStorage(of: GroupResource(group: "", resource: "events"), converter: EventsV1Converter()),
            ResourceDefinition(group: "autoscaling", version: "v2", resource: "horizontalpodautoscalers", kind: "HorizontalPodAutoscaler",
                               namespaced: true, shortNames: ["hpa"], categories: ["all"], subresources: ["status"],
                               strategy: HorizontalPodAutoscalerStrategy()),
            ResourceDefinition(group: "autoscaling", version: "v1", resource: "horizontalpodautoscalers", kind: "HorizontalPodAutoscaler",
                               namespaced: true, shortNames: ["hpa"], categories: ["all"], subresources: ["status"],
                               strategy: HorizontalPodAutoscalerV1Strategy())
                .sharingStorage(of: hpaResource, converter: HorizontalPodAutoscalerV1Converter()),
            ResourceDefinition(group: "policy", version: "v1", resource: "poddisruptionbudgets", kind: "PodDisruptionBudget",
                               namespaced: true, shortNames: ["pdb"], subresources: ["status"], strategy: PodDisruptionBudgetStrategy()),
            ResourceDefinition(group: rbac, version: "v1", resource: "clusterrolebindings", kind: "ClusterRoleBinding",
                               namespaced: false, strategy: RoleBindingStrategy(namespaced: false)),
            ResourceDefinition(group: rbac, version: "v1", resource: "clusterroles", kind: "ClusterRole",
                               namespaced: false, strategy: RoleStrategy(namespaced: false)),
            ResourceDefinition(group: rbac, version: "v1", resource: "rolebindings", kind: "RoleBinding",
                               namespaced: true, strategy: RoleBindingStrategy(namespaced: true)),
            ResourceDefinition(group: rbac, version: "v1", resource: "roles", kind: "Role",
                               namespaced: true, strategy: RoleStrategy(namespaced: true)),
            ResourceDefinition(group: "storage.k8s.io", version: "v1", resource: "storageclasses", kind: "StorageClass",
                               namespaced: false, shortNames: ["sc"], strategy: StorageClassStrategy()),
            ResourceDefinition(group: "scheduling.k8s.io", version: "v1", resource: "priorityclasses", kind: "PriorityClass",
                               namespaced: false, shortNames: ["pc"], strategy: PriorityClassStrategy()),
            ResourceDefinition(group: "coordination.k8s.io", version: "v1", resource: "leases", kind: "Lease", namespaced: true,
                               strategy: LeaseStrategy()),
        ]
    }

    /// Creates the built-in PriorityClasses that do not exist yet (system-node-critical and
    /// system-cluster-critical), as kube-apiserver does at start.
    func bootstrapPriorityClasses() async throws {
        guard let store = store(group: "scheduling.k8s.io", version: "v1", resource: "priorityclasses") else { return }
        for known in PriorityClassStrategy.systemClasses {
            if await exists(store, known.name) { continue }
            let object: JSONValue = ["metadata": ["name": .string(known.name)], "value": .int(known.value),
                                     "description": .string(known.description)]
            let result = await attempt { () async throws(StatusError) -> WriteResult in
                try await store.create(namespace: "", object: object, options: WriteOptions())
            }
            if case .failure(let error) = result, error.code != 409 { throw error }
        }
    }
}
