import APIMachinery

extension Registry {
    /// The review resources clients ask before they act (`kubectl auth can-i`, `kubectl auth whoami`):
    /// answered, never stored. Until authentication and RBAC arrive with the security issue, every
    /// client is the cluster administrator and every request is allowed, and the answers say so.
    static func accessReviewKinds() -> [ResourceDefinition] {
        let group = "authorization.k8s.io"
        return [
            ResourceDefinition(group: group, version: "v1", resource: "selfsubjectaccessreviews", kind: "SelfSubjectAccessReview",
                               namespaced: false, strategy: AccessReviewStrategy(scope: .selfSubject))
                .answered(by: AccessReviewAnswer()),
            ResourceDefinition(group: group, version: "v1", resource: "selfsubjectrulesreviews", kind: "SelfSubjectRulesReview",
                               namespaced: false, strategy: RulesReviewStrategy())
                .answered(by: RulesReviewAnswer()),
            ResourceDefinition(group: group, version: "v1", resource: "subjectaccessreviews", kind: "SubjectAccessReview",
                               namespaced: false, strategy: AccessReviewStrategy(scope: .subject))
                .answered(by: AccessReviewAnswer()),
            ResourceDefinition(group: group, version: "v1", resource: "localsubjectaccessreviews", kind: "LocalSubjectAccessReview",
                               namespaced: true, strategy: AccessReviewStrategy(scope: .local))
                .answered(by: AccessReviewAnswer()),
            ResourceDefinition(group: "authentication.k8s.io", version: "v1", resource: "selfsubjectreviews", kind: "SelfSubjectReview",
                               namespaced: false, strategy: AnsweredStrategy())
                .answered(by: SelfSubjectReviewAnswer()),
        ]
    }
}

/// Who every client is until the security issue brings authentication (as k3s names its admin).
enum ClusterIdentity {
    static let username = "system:admin"
    static let groups = ["system:masters", "system:authenticated"]
}

/// Strategy of a resource that is answered, not stored: any name (reviews have none).
struct AnsweredStrategy: ResourceStrategy {
    func validateName(_ name: String, prefix: Bool) -> [String] { [] }
}

/// authorization.k8s.io/v1 (Self|Local)SubjectAccessReview: exactly one of resourceAttributes and
/// nonResourceAttributes; a subject for SubjectAccessReview; the namespace of a local review.
struct AccessReviewStrategy: ResourceStrategy {
    enum Scope { case selfSubject, subject, local }
    let scope: Scope

    func validateName(_ name: String, prefix: Bool) -> [String] { [] }

    func validate(_ object: JSONValue) -> [FieldError] {
        var errors: [FieldError] = []
        let spec = object["spec"]
        let resource = spec?["resourceAttributes"].flatMap { $0.isNull ? nil : $0 }
        let nonResource = spec?["nonResourceAttributes"].flatMap { $0.isNull ? nil : $0 }
        if resource != nil && nonResource != nil {
            errors.append(.invalid("spec.nonResourceAttributes", nonResource, "cannot be specified in combination with resourceAttributes"))
        }
        if resource == nil && nonResource == nil {
            errors.append(.invalid("spec.resourceAttributes", .null, "exactly one of nonResourceAttributes or resourceAttributes must be specified"))
        }
        switch scope {
        case .selfSubject:
            break
        case .subject, .local:
            let user = spec?["user"]?.stringValue ?? ""
            let groups = spec?["groups"]?.arrayValue ?? []
            if user.isEmpty && groups.isEmpty {
                errors.append(.invalid("spec.user", .string(user), "at least one of user or group must be specified"))
            }
            if scope == .local {
                if let nonResource {
                    errors.append(.invalid("spec.nonResourceAttributes", nonResource, "disallowed on this kind of request"))
                }
                let namespace = object.namespace
                if let resource, (resource["namespace"]?.stringValue ?? "") != namespace {
                    errors.append(.invalid("spec.resourceAttributes.namespace", resource["namespace"] ?? .string(""),
                                           "must match metadata.namespace"))
                }
            }
        }
        return errors
    }
}

/// Every access review is allowed: nothing is enforced before the security issue.
struct AccessReviewAnswer: CreateAnswerer {
    func answer(_ request: JSONValue, namespace: String, registry: Registry,
                options: WriteOptions) async throws(StatusError) -> JSONValue {
        var response = request
        response["status"] = ["allowed": true]
        return response
    }
}

/// authorization.k8s.io/v1 SelfSubjectRulesReview: spec.namespace is required.
struct RulesReviewStrategy: ResourceStrategy {
    func validateName(_ name: String, prefix: Bool) -> [String] { [] }
    func validate(_ object: JSONValue) -> [FieldError] {
        (object["spec"]?["namespace"]?.stringValue ?? "").isEmpty ? [.required("spec.namespace")] : []
    }
}

/// The rules of the administrator: everything, everywhere (`kubectl auth can-i --list`).
struct RulesReviewAnswer: CreateAnswerer {
    func answer(_ request: JSONValue, namespace: String, registry: Registry,
                options: WriteOptions) async throws(StatusError) -> JSONValue {
        var response = request
        response["status"] = [
            "resourceRules": [["verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]]],
            "nonResourceRules": [["verbs": ["*"], "nonResourceURLs": ["*"]]],
            "incomplete": false,
        ]
        return response
    }
}

/// authentication.k8s.io/v1 SelfSubjectReview: who the client is (`kubectl auth whoami`).
struct SelfSubjectReviewAnswer: CreateAnswerer {
    func answer(_ request: JSONValue, namespace: String, registry: Registry,
                options: WriteOptions) async throws(StatusError) -> JSONValue {
        var response = request
        response["status"] = ["userInfo": ["username": .string(ClusterIdentity.username),
                                           "groups": .array(ClusterIdentity.groups.map { .string($0) })]]
        return response
    }
}
