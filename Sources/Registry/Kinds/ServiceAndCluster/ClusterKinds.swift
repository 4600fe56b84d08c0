import APIMachinery

extension Registry {
    /// Placeholder: another helper owns this file.
    static func clusterKinds() -> [ResourceDefinition] { [] }
}
