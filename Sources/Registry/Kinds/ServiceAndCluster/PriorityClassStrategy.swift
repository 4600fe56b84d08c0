import APIMachinery

/// scheduling.k8s.io/v1 PriorityClass: cluster-scoped; preemptionPolicy PreemptLowerPriority by
/// default; user values up to one billion; the `system-` names reserved for the built-in classes;
/// value and preemptionPolicy immutable.
public struct PriorityClassStrategy: ResourceStrategy {
    public init() {}

    public static let highestUserDefinablePriority: Int64 = 1_000_000_000
    public static let systemPrefix = "system-"

    /// The built-in classes every cluster has: name, value and description.
    public static let systemClasses: [(name: String, value: Int64, description: String)] = [
        ("system-node-critical", 2_000_001_000, "Used for system critical pods that must not be moved from their current node."),
        ("system-cluster-critical", 2_000_000_000, "Used for system critical pods that must run in the cluster, but can be moved to another node if necessary."),
    ]

    public func prepareForCreate(_ object: inout JSONValue) { setDefaults(&object) }
    public func prepareForUpdate(_ object: inout JSONValue, old: JSONValue) { setDefaults(&object) }

    func setDefaults(_ object: inout JSONValue) {
        object.setDefault(["preemptionPolicy"], "PreemptLowerPriority")
        object.setDefault(["value"], 0)
    }

    public func validate(_ object: JSONValue) -> [FieldError] {
        var errors: [FieldError] = []
        let value = object["value"]?.intValue ?? 0
        if let v = object["value"], !v.isNull, v.intValue == nil {
            errors.append(.invalid("value", v, "must be an integer"))
        }
        if object.name.hasPrefix(Self.systemPrefix) {
            if let known = Self.systemClasses.first(where: { $0.name == object.name }) {
                if known.value != value {
                    errors.append(.forbidden("metadata.name", "priority class names with '\(Self.systemPrefix)' prefix are reserved for system use only. error: value of \(known.name) PriorityClass must be \(known.value)"))
                } else if object["globalDefault"]?.boolValue == true {
                    errors.append(.forbidden("metadata.name", "priority class names with '\(Self.systemPrefix)' prefix are reserved for system use only. error: globalDefault of \(known.name) PriorityClass must be false"))
                }
            } else {
                errors.append(.forbidden("metadata.name", "priority class names with '\(Self.systemPrefix)' prefix are reserved for system use only. error: \(object.name) is not a known system priority class"))
            }
        } else if value > Self.highestUserDefinablePriority {
            errors.append(.forbidden("value", "maximum allowed value of a user defined priority is \(Self.highestUserDefinablePriority)"))
        }
        if let policy = object["preemptionPolicy"]?.stringValue, !["Never", "PreemptLowerPriority"].contains(policy) {
            errors.append(.notSupported("preemptionPolicy", policy, supported: ["Never", "PreemptLowerPriority"]))
        }
        return errors
    }

    public func validateUpdate(_ object: JSONValue, old: JSONValue) -> [FieldError] {
        var errors: [FieldError] = []
        if (object["value"]?.intValue ?? 0) != (old["value"]?.intValue ?? 0) {
            errors.append(.forbidden("value", "may not be changed in an update."))
        }
        if object["preemptionPolicy"] != old["preemptionPolicy"] {
            errors.append(.invalid("preemptionPolicy", object["preemptionPolicy"], "field is immutable"))
        }
        return errors
    }

    public var tableColumns: [TableColumn] {
        [.name,
         TableColumn("Value", type: "integer", description: "value represents the integer value of this priority class. This is the actual priority that pods receive when they have the name of this class in their pod spec."),
         TableColumn("Global-Default", type: "boolean", description: "globalDefault specifies whether this PriorityClass should be considered as the default priority for pods that do not have any priority class. Only one PriorityClass can be marked as `globalDefault`. However, if more than one PriorityClasses exists with their `globalDefault` field set to true, the smallest value of such global default PriorityClasses will be used as the default priority."),
         .age,
         TableColumn("PreemptionPolicy", description: "preemptionPolicy is the Policy for preempting pods with lower priority. One of Never, PreemptLowerPriority. Defaults to PreemptLowerPriority if unset.")]
    }

    public func tableCells(_ object: JSONValue, now: Double) -> [JSONValue] {
        [.string(object.name), .int(object["value"]?.intValue ?? 0), .bool(object["globalDefault"]?.boolValue ?? false),
         .string(age(of: object, now: now)), .string(object["preemptionPolicy"]?.stringValue ?? "")]
    }
}
