import APIMachinery

/// core/v1 ServiceAccount: `kubectl get sa` columns.
public struct ServiceAccountStrategy: ResourceStrategy {
    public init() {}

    public func validate(_ object: JSONValue) -> [FieldError] {
        var errors: [FieldError] = []
        for (path, ref) in elements(object["imagePullSecrets"], "imagePullSecrets") {
            if (ref["name"]?.stringValue ?? "").isEmpty { errors.append(.required(path + ".name")) }
        }
        return errors
    }

    public var tableColumns: [TableColumn] {
        [.name, TableColumn("Secrets", type: "string",
            description: "Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use."), .age]
    }

    public func tableCells(_ object: JSONValue, now: Double) -> [JSONValue] {
        [.string(object.name), .int(Int64(object["secrets"]?.arrayValue?.count ?? 0)), .string(age(of: object, now: now))]
    }
}
