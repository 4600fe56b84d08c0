import APIMachinery

/// core/v1 Namespace: cluster-scoped; `spec.finalizers` ["kubernetes"] holds a deleted namespace in
/// phase Terminating until its content is gone.
public struct NamespaceStrategy: ResourceStrategy {
    public init() {}
    public static let kubernetesFinalizer = "kubernetes"
    public var hasStatusSubresource: Bool { true }
    public var fieldSelectorLabels: [String] { ["status.phase"] }

    public func validateName(_ name: String, prefix: Bool) -> [String] {
        NameValidation.nameIsDNSLabel(name, prefix: prefix)
    }

    public func prepareForCreate(_ object: inout JSONValue) {
        object["status"] = ["phase": "Active"]
        if object["spec"]?["finalizers"] == nil {
            object[key: "spec", "finalizers"] = [.string(Self.kubernetesFinalizer)]
        }
        var labels = object.labels
        labels["kubernetes.io/metadata.name"] = object.name
        object.labels = labels
    }

    public func prepareForUpdate(_ object: inout JSONValue, old: JSONValue) {
        // spec.finalizers change only through /finalize.
        object["spec"] = old["spec"]
        var labels = object.labels
        labels["kubernetes.io/metadata.name"] = object.name
        object.labels = labels
    }

    public func validate(_ object: JSONValue) -> [FieldError] {
        var errors: [FieldError] = []
        if let finalizers = object["spec"]?["finalizers"]?.arrayValue {
            for (i, f) in finalizers.enumerated() {
                guard let s = f.stringValue else {
                    errors.append(.invalid("spec.finalizers[\(i)]", f, "must be a string"))
                    continue
                }
                errors += validateQualifiedName(s, field: "spec.finalizers[\(i)]")
            }
        }
        return errors
    }

    public func beginDeletion(_ object: inout JSONValue) -> Bool {
        guard !(object["spec"]?["finalizers"]?.arrayValue?.isEmpty ?? true) else { return false }
        object[key: "status", "phase"] = "Terminating"
        return true
    }

    /// The namespaces the system needs can not be deleted.
    public static let undeletable: Set<String> = ["default", "kube-system", "kube-public"]

    public func checkDeletion(_ object: JSONValue) -> StatusError? {
        guard Self.undeletable.contains(object.name) else { return nil }
        return StatusError(code: 403, reason: "Forbidden",
                           message: "namespaces \"\(object.name)\" is forbidden: this namespace may not be deleted",
                           details: .init(name: object.name, group: "", kind: "namespaces"))
    }

    public func isFinalized(_ object: JSONValue) -> Bool {
        object.finalizers.isEmpty && (object["spec"]?["finalizers"]?.arrayValue?.isEmpty ?? true)
    }

    public func selectableFields(_ object: JSONValue) -> [String: String] {
        ["status.phase": object["status"]?["phase"]?.stringValue ?? ""]
    }

    public var tableColumns: [TableColumn] {
        [.name, TableColumn("Status", description: "The status of the namespace"), .age]
    }

    public func tableCells(_ object: JSONValue, now: Double) -> [JSONValue] {
        [.string(object.name), .string(object["status"]?["phase"]?.stringValue ?? ""), .string(age(of: object, now: now))]
    }
}

/// The age cell of an object, as kubectl prints it.
func age(of object: JSONValue, now: Double) -> String {
    guard let created = object.creationTimestamp, let seconds = parseTimestamp(created) else { return "<unknown>" }
    return humanDuration(now - seconds)
}

/// Age of a timestamp field, `<unknown>` if unset.
func age(ofTimestamp value: JSONValue?, now: Double) -> String {
    guard let s = value?.stringValue, let seconds = parseTimestamp(s) else { return "<unknown>" }
    return humanDuration(now - seconds)
}
