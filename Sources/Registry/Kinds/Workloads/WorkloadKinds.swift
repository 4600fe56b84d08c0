import APIMachinery

extension Registry {
    /// Pods and everything that runs them: core/v1 pods, podtemplates, replicationcontrollers; apps/v1;
    /// batch/v1.
    static func workloadKinds() -> [ResourceDefinition] {
        []
    }
}
