import APIMachinery

/// policy/v1 PodDisruptionBudget: status subresource, generation; minAvailable or maxUnavailable (not
/// both) as a non-negative int or percent.
public struct PodDisruptionBudgetStrategy: ResourceStrategy {
    public init() {}
    public var hasStatusSubresource: Bool { true }
    public var tracksGeneration: Bool { true }

    public func prepareForCreate(_ object: inout JSONValue) {
        object.setDefault(["spec"], .object([:]))
        object["status"] = ["currentHealthy": 0, "desiredHealthy": 0, "disruptionsAllowed": 0, "expectedPods": 0]
    }

    public func validate(_ object: JSONValue) -> [FieldError] {
        let spec = object["spec"] ?? .object([:])
        var errors: [FieldError] = []
        let min = spec["minAvailable"], max = spec["maxUnavailable"]
        if let min, !min.isNull, let max, !max.isNull {
            errors.append(.invalid("spec", spec, "minAvailable and maxUnavailable cannot be both set"))
        }
        errors += IntOrPercent.validate(min, field: "spec.minAvailable")
        errors += IntOrPercent.validate(max, field: "spec.maxUnavailable")
        errors += labelSelectorErrors(spec["selector"], field: "spec.selector")
        if let policy = spec["unhealthyPodEvictionPolicy"]?.stringValue, !["AlwaysAllow", "IfHealthyBudget"].contains(policy) {
            errors.append(.notSupported("spec.unhealthyPodEvictionPolicy", policy, supported: ["AlwaysAllow", "IfHealthyBudget"]))
        }
        if let status = object["status"]?.objectValue {
            for key in ["disruptionsAllowed", "currentHealthy", "desiredHealthy", "expectedPods"] {
                if let n = status[key]?.intValue, n < 0 {
                    errors.append(.invalid("status.\(key)", .int(n), "must be greater than or equal to 0"))
                }
            }
        }
        return errors
    }

    public var tableColumns: [TableColumn] {
        [.name,
         TableColumn("Min Available", description: "An eviction is allowed if at least \"minAvailable\" pods selected by \"selector\" will still be available after the eviction, i.e. even in the absence of the evicted pod.  So for example you can prevent all voluntary evictions by specifying \"100%\"."),
         TableColumn("Max Unavailable", description: "An eviction is allowed if at most \"maxUnavailable\" pods selected by \"selector\" are unavailable after the eviction, i.e. even in absence of the evicted pod. For example, one can prevent all voluntary evictions by specifying 0. This is a mutually exclusive setting with \"minAvailable\"."),
         TableColumn("Allowed Disruptions", type: "integer", description: "Number of pod disruptions that are currently allowed."),
         .age]
    }

    public func tableCells(_ object: JSONValue, now: Double) -> [JSONValue] {
        func text(_ v: JSONValue?) -> String {
            guard let v, !v.isNull else { return "N/A" }
            if let i = v.intValue { return String(i) }
            return v.stringValue ?? "N/A"
        }
        return [.string(object.name), .string(text(object["spec"]?["minAvailable"])),
                .string(text(object["spec"]?["maxUnavailable"])),
                .int(object["status"]?["disruptionsAllowed"]?.intValue ?? 0),
                .string(age(of: object, now: now))]
    }
}
