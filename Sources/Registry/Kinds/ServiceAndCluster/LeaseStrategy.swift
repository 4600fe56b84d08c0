import APIMachinery

/// coordination.k8s.io/v1 Lease: durations positive, transitions non-negative; printed with its holder.
public struct LeaseStrategy: ResourceStrategy {
    public init() {}

    public func prepareForCreate(_ object: inout JSONValue) { object.setDefault(["spec"], .object([:])) }
    public func prepareForUpdate(_ object: inout JSONValue, old: JSONValue) { object.setDefault(["spec"], .object([:])) }

    public func validate(_ object: JSONValue) -> [FieldError] {
        var errors: [FieldError] = []
        let spec = object["spec"]
        if let d = spec?["leaseDurationSeconds"], let n = d.intValue, n <= 0 {
            errors.append(.invalid("spec.leaseDurationSeconds", d, "must be greater than 0"))
        }
        if let t = spec?["leaseTransitions"], let n = t.intValue, n < 0 {
            errors.append(.invalid("spec.leaseTransitions", t, "must be greater than or equal to 0"))
        }
        if let strategy = spec?["strategy"]?.stringValue, !strategy.isEmpty {
            errors += validateQualifiedName(strategy, field: "spec.strategy")
        }
        if let preferred = spec?["preferredHolder"]?.stringValue, !preferred.isEmpty,
           (spec?["strategy"]?.stringValue ?? "").isEmpty {
            errors.append(.forbidden("spec.preferredHolder", "may only be specified if `strategy` is defined"))
        }
        return errors
    }

    public var tableColumns: [TableColumn] {
        [.name, TableColumn("Holder", description: "holderIdentity contains the identity of the holder of a current lease. If Coordinated Leader Election is used, the holder identity must be equal to the elected LeaseCandidate.metadata.name field."), .age]
    }

    public func tableCells(_ object: JSONValue, now: Double) -> [JSONValue] {
        [.string(object.name), .string(object["spec"]?["holderIdentity"]?.stringValue ?? ""), .string(age(of: object, now: now))]
    }
}
