import APIMachinery

/// core/v1 ResourceQuota: status subresource; hard limits are non-negative quantities of valid
/// resource names; printed with the used/hard pairs of requests and limits.
public struct ResourceQuotaStrategy: ResourceStrategy {
    public init() {}
    public var hasStatusSubresource: Bool { true }

    static let scopes = ["BestEffort", "CrossNamespacePodAffinity", "NotBestEffort", "NotTerminating", "PriorityClass", "Terminating"]

    public func prepareForCreate(_ object: inout JSONValue) {
        object.setDefault(["spec"], .object([:]))
        canonicalizeQuantities(&object, at: ["spec", "hard"])
        // Filled by the quota controller; Kubernetes writes the empty status.
        object["status"] = .object([:])
    }

    public func prepareForUpdate(_ object: inout JSONValue, old: JSONValue) {
        object.setDefault(["spec"], .object([:]))
        canonicalizeQuantities(&object, at: ["spec", "hard"])
    }

    public func validate(_ object: JSONValue) -> [FieldError] {
        var errors: [FieldError] = []
        for (field, value) in [("spec.hard", object["spec"]?["hard"]), ("status.hard", object["status"]?["hard"]), ("status.used", object["status"]?["used"])] {
            for key in (value?.objectValue ?? [:]).keys.sorted() {
                errors += resourceNameErrors(key, field: "\(field)[\(key)]")
            }
            for (key, q) in resourceList(value, field: field, errors: &errors).sorted(by: { $0.key < $1.key }) where q.sign < 0 {
                errors.append(.invalid("\(field)[\(key)]", .string(q.canonical), "must be greater than or equal to 0"))
            }
        }
        for (i, scope) in (object["spec"]?["scopes"]?.arrayValue ?? []).enumerated() {
            let s = scope.stringValue ?? ""
            if !Self.scopes.contains(s) {
                errors.append(.notSupported("spec.scopes[\(i)]", s, supported: Self.scopes))
            }
        }
        for (i, expression) in (object["spec"]?["scopeSelector"]?["matchExpressions"]?.arrayValue ?? []).enumerated() {
            let s = expression["scopeName"]?.stringValue ?? ""
            if !Self.scopes.contains(s) {
                errors.append(.notSupported("spec.scopeSelector.matchExpressions[\(i)].scopeName", s, supported: Self.scopes))
            }
        }
        return errors
    }

    public var tableColumns: [TableColumn] {
        [.name, .age,
         TableColumn("Request", description: "Request represents a minimum amount of cpu/memory that a container may consume."),
         TableColumn("Limit", description: "Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.")]
    }

    public func tableCells(_ object: JSONValue, now: Double) -> [JSONValue] {
        let hard = object["status"]?["hard"]?.objectValue ?? [:]
        let used = object["status"]?["used"]?.objectValue ?? [:]
        var request: [String] = []
        var limit: [String] = []
        for key in hard.keys.sorted() {
            let text = "\(key): \(quantityText(used[key]) ?? "0")/\(quantityText(hard[key]) ?? "0")"
            let parts = key.split(separator: ".", omittingEmptySubsequences: false)
            if parts.count > 1 && parts[0] == "limits" { limit.append(text) } else { request.append(text) }
        }
        return [.string(object.name), .string(age(of: object, now: now)),
                .string(request.joined(separator: ", ")), .string(limit.joined(separator: ", "))]
    }
}
