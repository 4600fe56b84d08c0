import APIMachinery

/// Answers the POST of a resource that is never stored (SubjectAccessReview, SelfSubjectReview,
/// Binding): the request object, checked like any other, becomes the response (usually with a status).
public protocol CreateAnswerer: Sendable {
    func answer(_ request: JSONValue, namespace: String, registry: Registry,
                options: WriteOptions) async throws(StatusError) -> JSONValue
}

extension GenericStore {
    /// POST of an answered resource: type meta, unknown fields and the strategy's validation as for a
    /// create, then the answer; nothing is written.
    public func answer(namespace: String, object: JSONValue, registry: Registry,
                       options: WriteOptions) async throws(StatusError) -> WriteResult {
        guard let answerer = definition.answerer else { throw StatusError.methodNotAllowed() }
        var object = object
        try checkTypeMeta(&object)
        let warnings = try checkUnknownFields(&object, options: options)
        strategy.prepareForCreate(&object)
        let errors = strategy.validate(object)
        if !errors.isEmpty {
            throw StatusError.invalid(kind: definition.kind, group: definition.group, name: object.name, errors: errors)
        }
        var result = WriteResult(object: try await answerer.answer(object, namespace: namespace, registry: registry, options: options),
                                 created: true)
        result.warnings = warnings
        return result
    }
}
