import APIMachinery

/// autoscaling/v2 HorizontalPodAutoscaler, the stored version: status subresource; minReplicas 1 and
/// a cpu 80% utilization metric by default, scaling rules completed when behavior is set; every metric
/// source checked as Kubernetes does.
public struct HorizontalPodAutoscalerStrategy: ResourceStrategy {
    public init() {}
    public var hasStatusSubresource: Bool { true }

    public static let defaultCPUUtilization: Int64 = 80
    static let metricSourceTypes = ["ContainerResource", "External", "Object", "Pods", "Resource"]
    static let metricSourceFields = ["Object": "object", "Pods": "pods", "Resource": "resource",
                                     "External": "external", "ContainerResource": "containerResource"]

    public func prepareForCreate(_ object: inout JSONValue) {
        Self.setDefaults(&object)
        // As autoscaling/v2 writes an empty status: currentMetrics is not omitted when empty.
        object["status"] = ["currentMetrics": .null, "desiredReplicas": 0]
    }

    public func prepareForUpdate(_ object: inout JSONValue, old: JSONValue) {
        Self.setDefaults(&object)
    }

    static var defaultCPUMetric: JSONValue {
        ["type": "Resource", "resource": ["name": "cpu", "target": ["type": "Utilization", "averageUtilization": .int(defaultCPUUtilization)]]]
    }

    static func setDefaults(_ object: inout JSONValue) {
        object.setDefault(["spec", "minReplicas"], 1)
        if (object["spec"]?["metrics"]?.arrayValue ?? []).isEmpty {
            object[key: "spec", "metrics"] = [defaultCPUMetric]
        } else if var metrics = object["spec"]?["metrics"]?.arrayValue {
            for i in metrics.indices where metrics[i].objectValue != nil {
                for source in ["object", "pods", "resource", "containerResource", "external"] where metrics[i][source]?.objectValue != nil {
                    if let c = Quantity.canonical(metrics[i][path: [source, "target", "value"]]) { metrics[i].set(path: [source, "target", "value"], to: c) }
                    if let c = Quantity.canonical(metrics[i][path: [source, "target", "averageValue"]]) { metrics[i].set(path: [source, "target", "averageValue"], to: c) }
                }
            }
            object[key: "spec", "metrics"] = .array(metrics)
        }
        if var behavior = object["spec"]?["behavior"], behavior.objectValue != nil {
            behavior["scaleUp"] = completeRules(behavior["scaleUp"], defaults: [
                "stabilizationWindowSeconds": 0, "selectPolicy": "Max",
                "policies": [["type": "Pods", "value": 4, "periodSeconds": 15], ["type": "Percent", "value": 100, "periodSeconds": 15]],
            ])
            behavior["scaleDown"] = completeRules(behavior["scaleDown"], defaults: [
                "selectPolicy": "Max", "policies": [["type": "Percent", "value": 100, "periodSeconds": 15]],
            ])
            object[key: "spec", "behavior"] = behavior
        }
    }

    /// The unset members of scaling rules taken from the defaults (a missing rule set is the defaults).
    static func completeRules(_ rules: JSONValue?, defaults: JSONValue) -> JSONValue {
        guard var rules, rules.objectValue != nil else { return defaults }
        for (key, value) in defaults.objectValue ?? [:] where rules[key] == nil || rules[key]?.isNull == true {
            rules[key] = value
        }
        return rules
    }

    public func validate(_ object: JSONValue) -> [FieldError] {
        let spec = object["spec"] ?? .object([:])
        var errors: [FieldError] = []
        let minReplicas = spec["minReplicas"]?.intValue
        let maxReplicas = spec["maxReplicas"]?.intValue ?? 0
        if let minReplicas, minReplicas < 1 {
            errors.append(.invalid("spec.minReplicas", .int(minReplicas), "must be greater than or equal to 1"))
        }
        if maxReplicas < 1 {
            errors.append(.invalid("spec.maxReplicas", .int(maxReplicas), "must be greater than 0"))
        }
        if let minReplicas, maxReplicas < minReplicas {
            errors.append(.invalid("spec.maxReplicas", .int(maxReplicas), "must be greater than or equal to `minReplicas`"))
        }
        errors += Self.referenceErrors(spec["scaleTargetRef"], field: "spec.scaleTargetRef")
        for (i, metric) in (spec["metrics"]?.arrayValue ?? []).enumerated() {
            errors += metricErrors(metric, field: "spec.metrics[\(i)]")
        }
        if let behavior = spec["behavior"], behavior.objectValue != nil {
            errors += rulesErrors(behavior["scaleUp"], field: "spec.behavior.scaleUp")
            errors += rulesErrors(behavior["scaleDown"], field: "spec.behavior.scaleDown")
        }
        for key in ["currentReplicas", "desiredReplicas"] {
            if let n = object["status"]?[key]?.intValue, n < 0 {
                errors.append(.invalid("status.\(key)", .int(n), "must be greater than or equal to 0"))
            }
        }
        return errors
    }

    static func referenceErrors(_ ref: JSONValue?, field: String) -> [FieldError] {
        var errors: [FieldError] = []
        for key in ["kind", "name"] {
            let value = ref?[key]?.stringValue ?? ""
            if value.isEmpty {
                errors.append(.required("\(field).\(key)", ""))
            } else {
                errors += NameValidation.pathSegmentName(value, prefix: false).map { .invalid("\(field).\(key)", string: value, $0) }
            }
        }
        return errors
    }

    func metricErrors(_ metric: JSONValue, field: String) -> [FieldError] {
        var errors: [FieldError] = []
        let type = metric["type"]?.stringValue ?? ""
        if type.isEmpty {
            errors.append(.required("\(field).type", "must specify a metric source type"))
        }
        if !Self.metricSourceTypes.contains(type) {
            errors.append(.notSupported("\(field).type", type, supported: Self.metricSourceTypes))
        }
        var present: [String] = []
        for key in ["object", "pods", "resource", "external", "containerResource"] {
            guard let source = metric[key], !source.isNull else { continue }
            present.append(key)
            if present.count == 1 { errors += sourceErrors(key, source, field: "\(field).\(key)") }
        }
        let expected = Self.metricSourceFields[type]
        if let expected, !present.contains(expected) {
            errors.append(.required("\(field).\(expected)", "must populate information for the given metric source"))
        }
        if present.count != 1 {
            for key in present.sorted() where key != expected {
                errors.append(.forbidden("\(field).\(key)", "must populate the given metric source only"))
            }
        }
        return errors
    }

    func sourceErrors(_ kind: String, _ source: JSONValue, field: String) -> [FieldError] {
        var errors: [FieldError] = []
        let target = source["target"] ?? .object([:])
        func identifier() {
            if (source["metric"]?["name"]?.stringValue ?? "").isEmpty {
                errors.append(.required("\(field).metric.name", "must specify a metric name"))
            }
            errors += labelSelectorErrors(source["metric"]?["selector"], field: "\(field).metric.selector")
        }
        let has = { (key: String) in target[key] != nil && target[key]?.isNull == false }
        switch kind {
        case "object":
            errors += Self.referenceErrors(source["describedObject"], field: "\(field).describedObject")
            identifier()
            errors += targetErrors(target, field: "\(field).target")
            if !has("value") && !has("averageValue") {
                errors.append(.required("\(field).target.averageValue", "must set either a target value or averageValue"))
            }
        case "pods":
            identifier()
            errors += targetErrors(target, field: "\(field).target")
            if !has("averageValue") {
                errors.append(.required("\(field).target.averageValue", "must specify a positive target averageValue"))
            }
        case "external":
            identifier()
            errors += targetErrors(target, field: "\(field).target")
            if !has("value") && !has("averageValue") {
                errors.append(.required("\(field).target.averageValue", "must set either a target value for metric or a per-pod target"))
            }
            if has("value") && has("averageValue") {
                errors.append(.forbidden("\(field).target.value", "may not set both a target value for metric and a per-pod target"))
            }
        default:  // resource, containerResource
            if (source["name"]?.stringValue ?? "").isEmpty {
                errors.append(.required("\(field).name", "must specify a resource name"))
            }
            if kind == "containerResource", (source["container"]?.stringValue ?? "").isEmpty {
                errors.append(.required("\(field).container", "must specify a container"))
            }
            errors += targetErrors(target, field: "\(field).target")
            if !has("averageUtilization") && !has("averageValue") {
                errors.append(.required("\(field).target.averageUtilization", "must set either a target raw value or a target utilization"))
            }
            if has("averageUtilization") && has("averageValue") {
                errors.append(.forbidden("\(field).target.averageValue", "may not set both a target raw value and a target utilization"))
            }
        }
        return errors
    }

    func targetErrors(_ target: JSONValue, field: String) -> [FieldError] {
        var errors: [FieldError] = []
        let type = target["type"]?.stringValue ?? ""
        if type.isEmpty {
            errors.append(.required("\(field).type", "must specify a metric target type"))
        }
        if !["Utilization", "Value", "AverageValue"].contains(type) {
            errors.append(.invalid("\(field).type", .string(type), "must be either Utilization, Value, or AverageValue"))
        }
        for key in ["value", "averageValue"] {
            guard let value = target[key], !value.isNull else { continue }
            guard let q = Quantity(json: value) else {
                errors.append(.invalid("\(field).\(key)", value, Quantity.formatMessage))
                continue
            }
            if q.sign <= 0 { errors.append(.invalid("\(field).\(key)", .string(q.canonical), "must be positive")) }
        }
        if let u = target["averageUtilization"]?.intValue, u < 1 {
            errors.append(.invalid("\(field).averageUtilization", .int(u), "must be greater than 0"))
        }
        return errors
    }

    func rulesErrors(_ rules: JSONValue?, field: String) -> [FieldError] {
        guard let rules, rules.objectValue != nil else { return [] }
        var errors: [FieldError] = []
        if let w = rules["stabilizationWindowSeconds"]?.intValue {
            if w < 0 { errors.append(.invalid("\(field).stabilizationWindowSeconds", .int(w), "must be greater than or equal to zero")) }
            if w > 3600 { errors.append(.invalid("\(field).stabilizationWindowSeconds", .int(w), "must be less than or equal to 3600")) }
        }
        if let p = rules["selectPolicy"]?.stringValue, !["Disabled", "Max", "Min"].contains(p) {
            errors.append(.notSupported("\(field).selectPolicy", p, supported: ["Disabled", "Max", "Min"]))
        }
        let policies = rules["policies"]?.arrayValue ?? []
        if policies.isEmpty {
            errors.append(.required("\(field).policies", "must specify at least one Policy"))
        }
        for (i, policy) in policies.enumerated() {
            let path = "\(field).policies[\(i)]"
            let type = policy["type"]?.stringValue ?? ""
            if !["Percent", "Pods"].contains(type) {
                errors.append(.notSupported("\(path).type", type, supported: ["Percent", "Pods"]))
            }
            let value = policy["value"]?.intValue ?? 0
            if value <= 0 { errors.append(.invalid("\(path).value", .int(value), "must be greater than zero")) }
            let period = policy["periodSeconds"]?.intValue ?? 0
            if period <= 0 { errors.append(.invalid("\(path).periodSeconds", .int(period), "must be greater than zero")) }
            if period > 1800 { errors.append(.invalid("\(path).periodSeconds", .int(period), "must be less than or equal to 1800")) }
        }
        return errors
    }

    public var tableColumns: [TableColumn] {
        [.name,
         TableColumn("Reference", description: "scaleTargetRef points to the target resource to scale, and is used to the pods for which metrics should be collected, as well as to actually change the replica count."),
         TableColumn("Targets", description: "metrics contains the specifications for which to use to calculate the desired replica count (the maximum replica count across all metrics will be used)."),
         TableColumn("MinPods", description: "minReplicas is the lower limit for the number of replicas to which the autoscaler can scale down."),
         TableColumn("MaxPods", type: "integer", description: "maxReplicas is the upper limit for the number of replicas to which the autoscaler can scale up. It cannot be less that minReplicas."),
         TableColumn("Replicas", type: "integer", description: "currentReplicas is current number of replicas of pods managed by this autoscaler, as last seen by the autoscaler."),
         .age]
    }

    public func tableCells(_ object: JSONValue, now: Double) -> [JSONValue] {
        let spec = object["spec"]
        let ref = spec?["scaleTargetRef"]
        let minPods = spec?["minReplicas"]?.intValue.map { String($0) } ?? "<unset>"
        return [.string(object.name),
                .string("\(ref?["kind"]?.stringValue ?? "")/\(ref?["name"]?.stringValue ?? "")"),
                .string(Self.formatMetrics(spec?["metrics"]?.arrayValue ?? [], object["status"]?["currentMetrics"]?.arrayValue ?? [])),
                .string(minPods),
                .int(spec?["maxReplicas"]?.intValue ?? 0),
                .int(object["status"]?["currentReplicas"]?.intValue ?? 0),
                .string(age(of: object, now: now))]
    }

    /// The TARGETS cell: `current/target` per metric, at most two, then `+ N more...`.
    static func formatMetrics(_ specs: [JSONValue], _ statuses: [JSONValue]) -> String {
        if specs.isEmpty { return "<none>" }
        var list: [String] = []
        for (i, spec) in specs.enumerated() {
            let status: JSONValue? = i < statuses.count ? statuses[i] : nil
            func q(_ v: JSONValue?) -> String? { quantityText(v) }
            switch spec["type"]?.stringValue {
            case "External", "Object":
                let key = spec["type"]?.stringValue == "External" ? "external" : "object"
                let target = spec[key]?["target"]
                if let average = q(target?["averageValue"]) {
                    let current = q(status?[key]?["current"]?["averageValue"]) ?? "<unknown>"
                    list.append("\(current)/\(average) (avg)")
                } else {
                    let current = status?[key] != nil ? (q(status?[key]?["current"]?["value"]) ?? "0") : "<unknown>"
                    list.append("\(current)/\(q(target?["value"]) ?? "0")")
                }
            case "Pods":
                let current = status?["pods"] != nil ? (q(status?["pods"]?["current"]?["averageValue"]) ?? "0") : "<unknown>"
                list.append("\(current)/\(q(spec["pods"]?["target"]?["averageValue"]) ?? "0")")
            case "Resource", "ContainerResource":
                let key = spec["type"]?.stringValue == "Resource" ? "resource" : "containerResource"
                let source = spec[key]
                let name = source?["name"]?.stringValue ?? ""
                if let average = q(source?["target"]?["averageValue"]) {
                    let current = status?[key] != nil ? (q(status?[key]?["current"]?["averageValue"]) ?? "0") : "<unknown>"
                    list.append("\(name): \(current)/\(average)")
                } else {
                    var current = "<unknown>"
                    if let u = status?[key]?["current"]?["averageUtilization"]?.intValue { current = "\(u)%" }
                    var target = "<auto>"
                    if let u = source?["target"]?["averageUtilization"]?.intValue { target = "\(u)%" }
                    list.append("\(name): \(current)/\(target)")
                }
            default:
                list.append("<unknown type>")
            }
        }
        if list.count > 2 {
            return list[..<2].joined(separator: ", ") + " + \(list.count - 2) more..."
        }
        return list.joined(separator: ", ")
    }
}
