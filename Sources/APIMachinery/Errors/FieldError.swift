/// One problem with one field of an object, as Kubernetes' field.Error reports it.
public struct FieldError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable {
        case required = "FieldValueRequired"
        case invalid = "FieldValueInvalid"
        case notSupported = "FieldValueNotSupported"
        case duplicate = "FieldValueDuplicate"
        case forbidden = "FieldValueForbidden"
        case tooLong = "FieldValueTooLong"
        case tooMany = "FieldValueTooMany"
        case typeInvalid = "FieldValueTypeInvalid"
        case notFound = "FieldValueNotFound"
    }

    public var kind: Kind
    /// The dotted field path, e.g. `metadata.name` or `spec.ports[0].port`.
    public var field: String
    /// The offending value as Kubernetes renders it (quoted for strings), if any.
    public var value: String?
    public var detail: String

    public init(_ kind: Kind, field: String, value: String? = nil, detail: String = "") {
        self.kind = kind
        self.field = field
        self.value = value
        self.detail = detail
    }

    public static func required(_ field: String, _ detail: String = "") -> FieldError {
        FieldError(.required, field: field, detail: detail)
    }
    public static func invalid(_ field: String, _ value: JSONValue?, _ detail: String) -> FieldError {
        FieldError(.invalid, field: field, value: render(value), detail: detail)
    }
    public static func invalid(_ field: String, string value: String, _ detail: String) -> FieldError {
        FieldError(.invalid, field: field, value: render(.string(value)), detail: detail)
    }
    public static func notSupported(_ field: String, _ value: String, supported: [String]) -> FieldError {
        let list = supported.map { "\"\($0)\"" }.joined(separator: ", ")
        return FieldError(.notSupported, field: field, value: render(.string(value)), detail: "supported values: \(list)")
    }
    public static func duplicate(_ field: String, _ value: JSONValue) -> FieldError {
        FieldError(.duplicate, field: field, value: render(value))
    }
    public static func forbidden(_ field: String, _ detail: String) -> FieldError {
        FieldError(.forbidden, field: field, detail: detail)
    }
    public static func tooLong(_ field: String, maximum: Int) -> FieldError {
        FieldError(.tooLong, field: field, detail: "may not be more than \(maximum) bytes")
    }

    /// Renders a value the way Kubernetes prints it inside a field error.
    public static func render(_ value: JSONValue?) -> String? {
        guard let value else { return nil }
        switch value {
        case .string(let s): return String(decoding: { var o: [UInt8] = []; JSONValue.writeString(s, into: &o); return o }(), as: UTF8.self)
        case .null: return "null"
        default: return value.serializedString()
        }
    }

    /// The message without the field path: `Invalid value: "x": detail`.
    public var bodyMessage: String {
        var s: String
        switch kind {
        case .required: s = "Required value"
        case .invalid: s = "Invalid value"
        case .notSupported: s = "Unsupported value"
        case .duplicate: s = "Duplicate value"
        case .forbidden: s = "Forbidden"
        case .tooLong: s = "Too long"
        case .tooMany: s = "Too many"
        case .typeInvalid: s = "Invalid value"
        case .notFound: s = "Not found"
        }
        if let value, kind != .required, kind != .forbidden, kind != .tooLong {
            s += ": " + value
        }
        if !detail.isEmpty { s += ": " + detail }
        return s
    }

    public var description: String { field.isEmpty ? bodyMessage : "\(field): \(bodyMessage)" }
}
