import APIMachinery

extension Registry {
    /// Services, endpoints and the networking.k8s.io kinds (served by another change).
    static func networkingKinds() -> [ResourceDefinition] { [] }
}
