import APIMachinery

/// events.k8s.io/v1 Event over the stored core/v1 Events (Kubernetes keeps both at /registry/events):
/// note is message, regarding is involvedObject, reportingController is reportingComponent, and the
/// deprecated* fields are the core source, firstTimestamp, lastTimestamp and count.
public struct EventsV1Converter: ObjectConverter {
    public init() {}

    /// events.k8s.io name → core name, for the fields that are renamed.
    static let renamed: [(String, String)] = [
        ("note", "message"), ("regarding", "involvedObject"), ("reportingController", "reportingComponent"),
        ("deprecatedSource", "source"), ("deprecatedFirstTimestamp", "firstTimestamp"),
        ("deprecatedLastTimestamp", "lastTimestamp"), ("deprecatedCount", "count"),
    ]
    static let shared = ["eventTime", "series", "reportingInstance", "action", "reason", "related", "type"]

    public func fromStorage(_ stored: JSONValue) -> JSONValue {
        var out: JSONValue = ["metadata": stored["metadata"] ?? .object([:])]
        for key in Self.shared { out[key] = nonEmpty(stored[key]) }
        for (name, core) in Self.renamed { out[name] = nonEmpty(stored[core]) }
        if let count = out["deprecatedCount"]?.intValue, count == 0 { out["deprecatedCount"] = nil }
        // Fields Kubernetes always writes in this version. A core event without eventTime would read as
        // `eventTime: null`, which typed clients (the official Python client) refuse, since the
        // field is required here: it reads as the event's first (else last) timestamp.
        out["eventTime"] = out["eventTime"] ?? Self.microTime(out["deprecatedFirstTimestamp"] ?? out["deprecatedLastTimestamp"]) ?? .null
        out["regarding"] = out["regarding"] ?? .object([:])
        out["deprecatedSource"] = out["deprecatedSource"] ?? .object([:])
        out["deprecatedFirstTimestamp"] = out["deprecatedFirstTimestamp"] ?? .null
        out["deprecatedLastTimestamp"] = out["deprecatedLastTimestamp"] ?? .null
        return out
    }

    public func toStorage(_ object: JSONValue) -> JSONValue {
        var out: JSONValue = ["metadata": object["metadata"] ?? .object([:])]
        for key in Self.shared { out[key] = nonEmpty(object[key]) }
        for (name, core) in Self.renamed { out[core] = nonEmpty(object[name]) }
        if let count = out["count"]?.intValue, count == 0 { out["count"] = nil }
        // Unset times stay absent: the core form prints a missing lastTimestamp from eventTime.
        out["involvedObject"] = out["involvedObject"] ?? .object([:])
        out["source"] = out["source"] ?? .object([:])
        return out
    }

    /// A metav1.Time (`2026-01-02T03:04:05Z`) as a MicroTime (`2026-01-02T03:04:05.000000Z`).
    static func microTime(_ time: JSONValue?) -> JSONValue? {
        guard let text = time?.stringValue, text.hasSuffix("Z"), !text.contains(".") else { return nil }
        return .string(String(text.dropLast()) + ".000000Z")
    }

    func nonEmpty(_ value: JSONValue?) -> JSONValue? {
        guard let value, !value.isNull else { return nil }
        if let s = value.stringValue, s.isEmpty { return nil }
        return value
    }
}

/// events.k8s.io/v1 Event: the strict rules of events created through this API (eventTime,
/// reportingController, reportingInstance, action and reason required; the deprecated fields unset),
/// reported with the field names of the core form as Kubernetes does; printed like core Events.
public struct EventsV1Strategy: ResourceStrategy {
    public init() {}
    let converter = EventsV1Converter()

    static let regardingFields = ["kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath"]

    public var fieldSelectorLabels: [String] {
        Self.regardingFields.map { "regarding.\($0)" } + ["reason", "reportingController", "source", "type"]
    }

    public func prepareForCreate(_ object: inout JSONValue) { normalize(&object) }
    public func prepareForUpdate(_ object: inout JSONValue, old: JSONValue) { normalize(&object) }

    /// The object as it reads back from storage (the fields this version always writes), with its type meta.
    func normalize(_ object: inout JSONValue) {
        let apiVersion = object["apiVersion"], kind = object["kind"]
        object = converter.fromStorage(converter.toStorage(object))
        object["apiVersion"] = apiVersion
        object["kind"] = kind
    }

    public func selectableFields(_ object: JSONValue) -> [String: String] {
        var fields: [String: String] = [:]
        for f in Self.regardingFields { fields["regarding.\(f)"] = object["regarding"]?[f]?.stringValue ?? "" }
        fields["reason"] = object["reason"]?.stringValue ?? ""
        fields["reportingController"] = object["reportingController"]?.stringValue ?? ""
        let source = object["deprecatedSource"]?["component"]?.stringValue ?? ""
        fields["source"] = source.isEmpty ? (object["reportingController"]?.stringValue ?? "") : source
        fields["type"] = object["type"]?.stringValue ?? ""
        return fields
    }

    public func validate(_ object: JSONValue) -> [FieldError] {
        let event = converter.toStorage(object)
        var errors: [FieldError] = []
        func text(_ key: String) -> String { event[key]?.stringValue ?? "" }
        let namespace = event.namespace
        let involvedNamespace = event["involvedObject"]?["namespace"]?.stringValue ?? ""
        let hasEventTime = !(event["eventTime"]?.isNull ?? true)
        if !hasEventTime {
            if involvedNamespace.isEmpty ? (!namespace.isEmpty && namespace != "default") : namespace != involvedNamespace {
                errors.append(.invalid("involvedObject.namespace", .string(involvedNamespace), "does not match event.namespace"))
            }
        } else {
            if involvedNamespace.isEmpty && namespace != "default" && namespace != "kube-system" {
                errors.append(.invalid("involvedObject.namespace", .string(involvedNamespace), "does not match event.namespace"))
            }
            let controller = text("reportingComponent")
            if controller.isEmpty { errors.append(.required("reportingController", "")) }
            errors += validateQualifiedName(controller, field: "reportingController")
            for (key, limit) in [("reportingInstance", 128), ("action", 128), ("reason", 128)] {
                if text(key).isEmpty { errors.append(.required(key, "")) }
                if text(key).count > limit { errors.append(.invalid(key, .string(""), "can have at most \(limit) characters")) }
            }
            if text("message").count > 1024 {
                errors.append(.invalid("message", .string(""), "can have at most 1024 characters"))
            }
        }
        // Strict rules of events.k8s.io/v1.
        if let series = event["series"], !series.isNull {
            if (series["count"]?.intValue ?? 0) < 2 { errors.append(.invalid("series.count", .string(""), "should be at least 2")) }
            if series["lastObservedTime"] == nil || series["lastObservedTime"]?.isNull == true {
                errors.append(.required("series.lastObservedTime", ""))
            }
        }
        if !hasEventTime { errors.append(.required("eventTime", "")) }
        let type = text("type")
        if type != "Normal" && type != "Warning" {
            errors.append(.invalid("type", .string(""), "has invalid value: \(type)"))
        }
        if !(event["firstTimestamp"]?.isNull ?? true) { errors.append(.invalid("firstTimestamp", .string(""), "needs to be unset")) }
        if !(event["lastTimestamp"]?.isNull ?? true) { errors.append(.invalid("lastTimestamp", .string(""), "needs to be unset")) }
        if (event["count"]?.intValue ?? 0) != 0 { errors.append(.invalid("count", .string(""), "needs to be unset")) }
        if !(event["source"]?["component"]?.stringValue ?? "").isEmpty || !(event["source"]?["host"]?.stringValue ?? "").isEmpty {
            errors.append(.invalid("source", .string(""), "needs to be unset"))
        }
        return errors
    }

    public func validateUpdate(_ object: JSONValue, old: JSONValue) -> [FieldError] {
        let new = converter.toStorage(object), previous = converter.toStorage(old)
        var errors: [FieldError] = []
        for key in ["involvedObject", "reason", "message", "source", "firstTimestamp", "lastTimestamp", "count", "action",
                    "related", "type", "eventTime"] where (new[key] ?? .null) != (previous[key] ?? .null) {
            errors.append(.invalid(key, new[key], "field is immutable"))
        }
        return errors
    }

    public var tableColumns: [TableColumn] { EventStrategy().tableColumns }

    public func tableCells(_ object: JSONValue, now: Double) -> [JSONValue] {
        EventStrategy().tableCells(converter.toStorage(object), now: now)
    }
}
