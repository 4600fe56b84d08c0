import APIMachinery

/// core/v1 ConfigMap: `data` and `binaryData` with valid, distinct keys, at most 1 MiB in total;
/// immutable once `immutable: true`.
public struct ConfigMapStrategy: ResourceStrategy {
    public init() {}
    static let maximumTotalBytes = 1024 * 1024

    public func validate(_ object: JSONValue) -> [FieldError] {
        var errors: [FieldError] = []
        var total = 0
        var seen = Set<String>()
        for field in ["data", "binaryData"] {
            guard let value = object[field], !value.isNull else { continue }
            guard case .object(let map) = value else {
                errors.append(.invalid(field, value, "must be a map of strings"))
                continue
            }
            for key in map.keys.sorted() {
                errors += validateConfigMapKey(key, field: "\(field)[\(key)]")
                if !seen.insert(key).inserted {
                    errors.append(.invalid("data[\(key)]", .string(key), "duplicate of key present in binaryData"))
                }
                guard let s = map[key]?.stringValue else {
                    errors.append(.invalid("\(field)[\(key)]", map[key], "must be a string"))
                    continue
                }
                total += field == "binaryData" ? (s.utf8.count * 3) / 4 : s.utf8.count
            }
        }
        if total > Self.maximumTotalBytes {
            errors.append(FieldError(.tooLong, field: "", detail: "must have at most \(Self.maximumTotalBytes) bytes"))
        }
        if let immutable = object["immutable"], !immutable.isNull, immutable.boolValue == nil {
            errors.append(.invalid("immutable", immutable, "must be a boolean"))
        }
        return errors
    }

    public func validateUpdate(_ object: JSONValue, old: JSONValue) -> [FieldError] {
        guard old["immutable"]?.boolValue == true else { return [] }
        var errors: [FieldError] = []
        if object["immutable"]?.boolValue != true {
            errors.append(.forbidden("immutable", "field is immutable when `immutable` is set"))
        }
        if (object["data"] ?? .null) != (old["data"] ?? .null) {
            errors.append(.forbidden("data", "field is immutable when `immutable` is set"))
        }
        if (object["binaryData"] ?? .null) != (old["binaryData"] ?? .null) {
            errors.append(.forbidden("binaryData", "field is immutable when `immutable` is set"))
        }
        return errors
    }

    public var tableColumns: [TableColumn] {
        [.name, TableColumn("Data", type: "string", description: "Data contains the configuration data."), .age]
    }

    public func tableCells(_ object: JSONValue, now: Double) -> [JSONValue] {
        let count = (object["data"]?.objectValue?.count ?? 0) + (object["binaryData"]?.objectValue?.count ?? 0)
        return [.string(object.name), .int(Int64(count)), .string(age(of: object, now: now))]
    }
}
