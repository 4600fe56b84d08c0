import APIMachinery
import Foundation

/// core/v1 Secret: `stringData` merged into base64 `data`, `type` defaulted to Opaque and immutable,
/// the keys each well-known type requires.
public struct SecretStrategy: ResourceStrategy {
    public init() {}
    static let maximumTotalBytes = 1024 * 1024
    public var fieldSelectorLabels: [String] { ["type"] }

    public func prepareForCreate(_ object: inout JSONValue) {
        normalize(&object)
    }

    public func prepareForUpdate(_ object: inout JSONValue, old: JSONValue) {
        normalize(&object)
    }

    /// Moves stringData into data (base64) and defaults the type.
    func normalize(_ object: inout JSONValue) {
        if object["type"]?.stringValue?.isEmpty ?? true { object["type"] = "Opaque" }
        guard case .object(let stringData)? = object["stringData"] else {
            if object["stringData"]?.isNull == true { object["stringData"] = nil }
            return
        }
        var data = object["data"]?.objectValue ?? [:]
        for (key, value) in stringData {
            if let s = value.stringValue {
                data[key] = .string(Data(s.utf8).base64EncodedString())
            } else {
                data[key] = value  // left for validation to reject
            }
        }
        object["data"] = .object(data)
        object["stringData"] = nil
    }

    public func validate(_ object: JSONValue) -> [FieldError] {
        var errors: [FieldError] = []
        if let stringData = object["stringData"], !stringData.isNull {
            errors.append(.invalid("stringData", stringData, "must be a map of strings"))
        }
        var total = 0
        var keys = Set<String>()
        if let value = object["data"], !value.isNull {
            if case .object(let map) = value {
                for key in map.keys.sorted() {
                    keys.insert(key)
                    errors += validateConfigMapKey(key, field: "data[\(key)]")
                    guard let s = map[key]?.stringValue else {
                        errors.append(.invalid("data[\(key)]", map[key], "must be a base64-encoded string"))
                        continue
                    }
                    guard let decoded = Data(base64Encoded: s) else {
                        errors.append(.invalid("data[\(key)]", .string("<secret contents redacted>"), "illegal base64 data"))
                        continue
                    }
                    total += decoded.count
                }
            } else {
                errors.append(.invalid("data", value, "must be a map of base64-encoded strings"))
            }
        }
        if total > Self.maximumTotalBytes {
            errors.append(FieldError(.tooLong, field: "data", detail: "may not be more than \(Self.maximumTotalBytes) bytes"))
        }
        let type = object["type"]?.stringValue ?? "Opaque"
        for key in Self.requiredKeys[type] ?? [] where !keys.contains(key) {
            errors.append(.required("data[\(key)]"))
        }
        if type == "kubernetes.io/service-account-token", object.annotations["kubernetes.io/service-account.name"] == nil {
            errors.append(.required("metadata.annotations[kubernetes.io/service-account.name]"))
        }
        return errors
    }

    static let requiredKeys: [String: [String]] = [
        "kubernetes.io/dockercfg": [".dockercfg"],
        "kubernetes.io/dockerconfigjson": [".dockerconfigjson"],
        "kubernetes.io/tls": ["tls.crt", "tls.key"],
        "kubernetes.io/ssh-auth": ["ssh-privatekey"],
    ]

    public func validateUpdate(_ object: JSONValue, old: JSONValue) -> [FieldError] {
        var errors: [FieldError] = []
        if object["type"] != old["type"] {
            errors.append(.invalid("type", object["type"], "field is immutable"))
        }
        if old["immutable"]?.boolValue == true {
            if object["immutable"]?.boolValue != true {
                errors.append(.forbidden("immutable", "field is immutable when `immutable` is set"))
            }
            if (object["data"] ?? .null) != (old["data"] ?? .null) {
                errors.append(.forbidden("data", "field is immutable when `immutable` is set"))
            }
        }
        return errors
    }

    public func selectableFields(_ object: JSONValue) -> [String: String] {
        ["type": object["type"]?.stringValue ?? ""]
    }

    public var tableColumns: [TableColumn] {
        [.name, TableColumn("Type", description: "The type of the secret"),
         TableColumn("Data", description: "The number of entries in the secret"), .age]
    }

    public func tableCells(_ object: JSONValue, now: Double) -> [JSONValue] {
        [.string(object.name), .string(object["type"]?.stringValue ?? ""),
         .int(Int64(object["data"]?.objectValue?.count ?? 0)), .string(age(of: object, now: now))]
    }
}
