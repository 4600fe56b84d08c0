import APIMachinery

extension Registry {
    /// Pods and everything that runs them: core/v1 pods, podtemplates, replicationcontrollers; apps/v1;
    /// batch/v1.
    static func workloadKinds() -> [ResourceDefinition] {
        [
            ResourceDefinition(group: "", version: "v1", resource: "pods", kind: "Pod", namespaced: true,
                               shortNames: ["po"], categories: ["all"], subresources: ["status", "binding", "eviction", "ephemeralcontainers"],
                               strategy: PodStrategy()),
            ResourceDefinition(group: "", version: "v1", resource: "podtemplates", kind: "PodTemplate", namespaced: true,
                               strategy: PodTemplateStrategy()),
            ResourceDefinition(group: "", version: "v1", resource: "replicationcontrollers", kind: "ReplicationController", namespaced: true,
                               shortNames: ["rc"], categories: ["all"], subresources: ["status", "scale"],
                               strategy: ReplicationControllerStrategy(), scale: ScaleSubresource(selectorIsMap: true)),
            ResourceDefinition(group: "", version: "v1", resource: "bindings", kind: "Binding", namespaced: true,
                               strategy: BindingStrategy()).answered(by: BindingAnswer()),
            ResourceDefinition(group: "apps", version: "v1", resource: "deployments", kind: "Deployment", namespaced: true,
                               shortNames: ["deploy"], categories: ["all"], subresources: ["status", "scale"],
                               strategy: DeploymentStrategy(), scale: ScaleSubresource()),
            ResourceDefinition(group: "apps", version: "v1", resource: "replicasets", kind: "ReplicaSet", namespaced: true,
                               shortNames: ["rs"], categories: ["all"], subresources: ["status", "scale"],
                               strategy: ReplicaSetStrategy(), scale: ScaleSubresource()),
            ResourceDefinition(group: "apps", version: "v1", resource: "statefulsets", kind: "StatefulSet", namespaced: true,
                               shortNames: ["sts"], categories: ["all"], subresources: ["status", "scale"],
                               strategy: StatefulSetStrategy(), scale: ScaleSubresource()),
            ResourceDefinition(group: "apps", version: "v1", resource: "daemonsets", kind: "DaemonSet", namespaced: true,
                               shortNames: ["ds"], categories: ["all"], subresources: ["status"],
                               strategy: DaemonSetStrategy()),
            ResourceDefinition(group: "apps", version: "v1", resource: "controllerrevisions", kind: "ControllerRevision", namespaced: true,
                               strategy: ControllerRevisionStrategy()),
            ResourceDefinition(group: "batch", version: "v1", resource: "jobs", kind: "Job", namespaced: true,
                               categories: ["all"], subresources: ["status"], strategy: JobStrategy()),
            ResourceDefinition(group: "batch", version: "v1", resource: "cronjobs", kind: "CronJob", namespaced: true,
                               shortNames: ["cj"], categories: ["all"], subresources: ["status"], strategy: CronJobStrategy()),
        ]
    }
}
