import APIMachinery

extension Registry {
    /// Services and networking, nodes, storage, policy, scheduling, coordination, autoscaling, RBAC and
    /// the other core/v1 kinds.
    static func serviceAndClusterKinds() -> [ResourceDefinition] {
        networkingKinds() + clusterKinds()
    }
}
