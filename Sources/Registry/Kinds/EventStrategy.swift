import APIMachinery

/// core/v1 Event: selectable by its involvedObject, reason, source and type; printed as
/// `kubectl get events` prints it.
public struct EventStrategy: ResourceStrategy {
    public init() {}

    static let involvedFields = ["kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath"]

    public var fieldSelectorLabels: [String] {
        Self.involvedFields.map { "involvedObject.\($0)" } + ["reason", "reportingComponent", "source", "type"]
    }

    public func validate(_ object: JSONValue) -> [FieldError] {
        var errors: [FieldError] = []
        if let involved = object["involvedObject"], !involved.isNull, involved.objectValue == nil {
            errors.append(.invalid("involvedObject", involved, "must be an object"))
        }
        let ns = object["involvedObject"]?["namespace"]?.stringValue ?? ""
        if !ns.isEmpty, ns != object.namespace {
            errors.append(.invalid("involvedObject.namespace", .string(ns), "does not match event.namespace"))
        }
        if let type = object["type"]?.stringValue, !type.isEmpty, type != "Normal", type != "Warning" {
            errors.append(.notSupported("type", type, supported: ["Normal", "Warning"]))
        }
        return errors
    }

    public func selectableFields(_ object: JSONValue) -> [String: String] {
        var fields: [String: String] = [:]
        let involved = object["involvedObject"]
        for f in Self.involvedFields {
            fields["involvedObject.\(f)"] = involved?[f]?.stringValue ?? ""
        }
        fields["reason"] = object["reason"]?.stringValue ?? ""
        fields["reportingComponent"] = object["reportingComponent"]?.stringValue ?? ""
        fields["source"] = object["source"]?["component"]?.stringValue ?? object["reportingComponent"]?.stringValue ?? ""
        fields["type"] = object["type"]?.stringValue ?? ""
        return fields
    }

    public var tableColumns: [TableColumn] {
        [TableColumn("Last Seen", description: "Time when last this event was observed."),
         TableColumn("Type", description: "Type of this event (Normal, Warning)."),
         TableColumn("Reason", description: "This should be a short, machine understandable string."),
         TableColumn("Object", description: "The object that this event is about."),
         TableColumn("Subobject", priority: 1, description: "The subobject of the involved object (fieldPath)."),
         TableColumn("Source", priority: 1, description: "The component reporting this event."),
         TableColumn("Message", description: "A human-readable description of the status of this operation."),
         TableColumn("First Seen", priority: 1, description: "The time at which the event was first recorded."),
         TableColumn("Count", priority: 1, description: "The number of times this event has occurred."),
         TableColumn("Name", format: "name", priority: 1, description: "Name must be unique within a namespace.")]
    }

    public func tableCells(_ object: JSONValue, now: Double) -> [JSONValue] {
        let last = object["lastTimestamp"] ?? object["series"]?["lastObservedTime"] ?? object["eventTime"]
        let first = object["firstTimestamp"] ?? object["eventTime"]
        let involved = object["involvedObject"]
        let kind = (involved?["kind"]?.stringValue ?? "").lowercased()
        let objectName = kind.isEmpty ? (involved?["name"]?.stringValue ?? "") : "\(kind)/\(involved?["name"]?.stringValue ?? "")"
        var source = object["source"]?["component"]?.stringValue ?? ""
        if let host = object["source"]?["host"]?.stringValue, !host.isEmpty { source += ", \(host)" }
        if source.isEmpty { source = object["reportingComponent"]?.stringValue ?? "" }
        let count = object["count"]?.intValue ?? object["series"]?["count"]?.intValue ?? 1
        return [.string(age(ofTimestamp: last ?? nil, now: now)),
                .string(object["type"]?.stringValue ?? ""),
                .string(object["reason"]?.stringValue ?? ""),
                .string(objectName),
                .string(involved?["fieldPath"]?.stringValue ?? ""),
                .string(source),
                .string(object["message"]?.stringValue ?? ""),
                .string(age(ofTimestamp: first ?? nil, now: now)),
                .int(count),
                .string(object.name)]
    }
}
