/// A Kubernetes API error: the metav1.Status returned for every failed request.
public struct StatusError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Cause: Sendable, Hashable {
        public var reason: String
        public var message: String
        public var field: String?
        public init(reason: String, message: String, field: String? = nil) {
            self.reason = reason
            self.message = message
            self.field = field
        }
    }

    public struct Details: Sendable, Hashable {
        public var name: String?
        public var group: String?
        public var kind: String?
        public var uid: String?
        public var causes: [Cause]
        public var retryAfterSeconds: Int?
        public init(name: String? = nil, group: String? = nil, kind: String? = nil, uid: String? = nil,
                    causes: [Cause] = [], retryAfterSeconds: Int? = nil) {
            self.name = name
            self.group = group
            self.kind = kind
            self.uid = uid
            self.causes = causes
            self.retryAfterSeconds = retryAfterSeconds
        }
    }

    public var code: Int
    public var reason: String
    public var message: String
    public var details: Details?

    public init(code: Int, reason: String, message: String, details: Details? = nil) {
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
    }

    public var description: String { "\(code) \(reason): \(message)" }

    /// The metav1.Status object.
    public var status: JSONValue {
        var o: [String: JSONValue] = [
            "kind": "Status", "apiVersion": "v1", "metadata": .object([:]),
            "status": "Failure", "message": .string(message), "reason": .string(reason), "code": .int(Int64(code)),
        ]
        if reason.isEmpty { o["reason"] = nil }
        if let d = details {
            var dj: [String: JSONValue] = [:]
            if let n = d.name { dj["name"] = .string(n) }
            if let g = d.group { dj["group"] = .string(g) }
            if let k = d.kind { dj["kind"] = .string(k) }
            if let u = d.uid { dj["uid"] = .string(u) }
            if let r = d.retryAfterSeconds { dj["retryAfterSeconds"] = .int(Int64(r)) }
            if !d.causes.isEmpty {
                dj["causes"] = .array(d.causes.map { c in
                    var cj: [String: JSONValue] = ["reason": .string(c.reason), "message": .string(c.message)]
                    if let f = c.field { cj["field"] = .string(f) }
                    return .object(cj)
                })
            }
            o["details"] = .object(dj)
        }
        return .object(o)
    }
}

/// A group-qualified resource, printed as Kubernetes prints it in messages: `configmaps`, `deployments.apps`.
public struct GroupResource: Sendable, Hashable, CustomStringConvertible {
    public var group: String
    public var resource: String
    public init(group: String, resource: String) {
        self.group = group
        self.resource = resource
    }
    public var description: String { group.isEmpty ? resource : "\(resource).\(group)" }
}

extension StatusError {
    public static func notFound(_ resource: GroupResource, name: String) -> StatusError {
        StatusError(code: 404, reason: "NotFound", message: "\(resource) \"\(name)\" not found",
                    details: Details(name: name, group: resource.group, kind: resource.resource))
    }
    public static func alreadyExists(_ resource: GroupResource, name: String) -> StatusError {
        StatusError(code: 409, reason: "AlreadyExists", message: "\(resource) \"\(name)\" already exists",
                    details: Details(name: name, group: resource.group, kind: resource.resource))
    }
    public static func conflict(_ resource: GroupResource, name: String, _ detail: String =
        "the object has been modified; please apply your changes to the latest version and try again") -> StatusError {
        StatusError(code: 409, reason: "Conflict", message: "Operation cannot be fulfilled on \(resource) \"\(name)\": \(detail)",
                    details: Details(name: name, group: resource.group, kind: resource.resource))
    }
    /// 422 Invalid with every field error as a cause.
    public static func invalid(kind: String, group: String, name: String, errors: [FieldError]) -> StatusError {
        let list = errors.map(\.description)
        let joined = list.count == 1 ? list[0] : "[" + list.joined(separator: ", ") + "]"
        let causes = errors.map { Cause(reason: $0.kind.rawValue, message: $0.bodyMessage, field: $0.field) }
        let qualified = group.isEmpty ? kind : "\(kind).\(group)"
        return StatusError(code: 422, reason: "Invalid", message: "\(qualified) \"\(name)\" is invalid: \(joined)",
                           details: Details(name: name, group: group, kind: kind, causes: causes))
    }
    public static func badRequest(_ message: String) -> StatusError {
        StatusError(code: 400, reason: "BadRequest", message: message)
    }
    public static func methodNotAllowed(_ message: String = "the server does not allow this method on the requested resource") -> StatusError {
        StatusError(code: 405, reason: "MethodNotAllowed", message: message)
    }
    public static func notFoundPath(_ message: String = "the server could not find the requested resource") -> StatusError {
        StatusError(code: 404, reason: "NotFound", message: message, details: Details())
    }
    public static func expired(_ message: String) -> StatusError {
        StatusError(code: 410, reason: "Expired", message: message)
    }
    public static func tooLarge(_ message: String) -> StatusError {
        StatusError(code: 413, reason: "RequestEntityTooLarge", message: message)
    }
    public static func unsupportedMediaType(_ contentType: String) -> StatusError {
        StatusError(code: 415, reason: "UnsupportedMediaType", message:
            "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf")
    }
    public static func notAcceptable(_ message: String) -> StatusError {
        StatusError(code: 406, reason: "NotAcceptable", message: message)
    }
    public static func `internal`(_ message: String) -> StatusError {
        StatusError(code: 500, reason: "InternalError", message: "Internal error occurred: \(message)")
    }
    public static func serviceUnavailable(_ message: String) -> StatusError {
        StatusError(code: 503, reason: "ServiceUnavailable", message: message)
    }
    public static func timeout(_ message: String) -> StatusError {
        StatusError(code: 504, reason: "Timeout", message: message)
    }
}
