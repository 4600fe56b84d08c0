import APIMachinery

extension Registry {
    /// Namespaces, ConfigMaps, Secrets and core/v1 Events.
    static func basicKinds() -> [ResourceDefinition] {
        [
            ResourceDefinition(group: "", version: "v1", resource: "namespaces", kind: "Namespace", namespaced: false,
                               shortNames: ["ns"], verbs: ["create", "delete", "get", "list", "patch", "update", "watch"], subresources: ["status", "finalize"], strategy: NamespaceStrategy()),
            ResourceDefinition(group: "", version: "v1", resource: "configmaps", kind: "ConfigMap", namespaced: true,
                               shortNames: ["cm"], strategy: ConfigMapStrategy()),
            ResourceDefinition(group: "", version: "v1", resource: "secrets", kind: "Secret", namespaced: true,
                               strategy: SecretStrategy()),
            ResourceDefinition(group: "", version: "v1", resource: "events", kind: "Event", namespaced: true,
                               shortNames: ["ev"], strategy: EventStrategy()),
        ]
    }
}
