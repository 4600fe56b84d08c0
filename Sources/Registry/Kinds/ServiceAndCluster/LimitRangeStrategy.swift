import APIMachinery

/// core/v1 LimitRange: container limits default from max (default) and from default or min
/// (defaultRequest); min <= defaultRequest <= default <= max for every resource.
public struct LimitRangeStrategy: ResourceStrategy {
    public init() {}

    static let types = ["Container", "Pod", "PersistentVolumeClaim"]

    public func prepareForCreate(_ object: inout JSONValue) { setDefaults(&object) }
    public func prepareForUpdate(_ object: inout JSONValue, old: JSONValue) { setDefaults(&object) }

    func setDefaults(_ object: inout JSONValue) {
        guard var limits = object["spec"]?["limits"]?.arrayValue else { return }
        for i in limits.indices where limits[i].objectValue != nil {
            for name in ["max", "min", "default", "defaultRequest", "maxLimitRequestRatio"] {
                canonicalizeQuantities(&limits[i], at: [name])
            }
        }
        for i in limits.indices where limits[i]["type"]?.stringValue == "Container" && limits[i].objectValue != nil {
            var defaults = limits[i]["default"]?.objectValue ?? [:]
            var requests = limits[i]["defaultRequest"]?.objectValue ?? [:]
            for (key, value) in limits[i]["max"]?.objectValue ?? [:] where defaults[key] == nil { defaults[key] = value }
            for (key, value) in defaults where requests[key] == nil { requests[key] = value }
            for (key, value) in limits[i]["min"]?.objectValue ?? [:] where requests[key] == nil { requests[key] = value }
            limits[i]["default"] = defaults.isEmpty ? nil : .object(defaults)
            limits[i]["defaultRequest"] = requests.isEmpty ? nil : .object(requests)
        }
        object[key: "spec", "limits"] = .array(limits)
    }

    public func validate(_ object: JSONValue) -> [FieldError] {
        var errors: [FieldError] = []
        var seenTypes = Set<String>()
        for (i, limit) in (object["spec"]?["limits"]?.arrayValue ?? []).enumerated() {
            let path = "spec.limits[\(i)]"
            let type = limit["type"]?.stringValue ?? ""
            if !seenTypes.insert(type).inserted {
                errors.append(.duplicate("\(path).type", .string(type)))
            }
            var lists: [String: [String: Quantity]] = [:]
            for name in ["max", "min", "default", "defaultRequest", "maxLimitRequestRatio"] {
                for key in (limit[name]?.objectValue ?? [:]).keys.sorted() {
                    errors += resourceNameErrors(key, field: "\(path).\(name)[\(key)]")
                }
                lists[name] = resourceList(limit[name], field: "\(path).\(name)", errors: &errors)
            }
            let max = lists["max"] ?? [:], min = lists["min"] ?? [:]
            let defaults = lists["default"] ?? [:], requests = lists["defaultRequest"] ?? [:]
            if type == "Pod" {
                if !defaults.isEmpty { errors.append(.forbidden("\(path).default", "may not be specified when `type` is 'Pod'")) }
                if !requests.isEmpty { errors.append(.forbidden("\(path).defaultRequest", "may not be specified when `type` is 'Pod'")) }
            }
            if type == "PersistentVolumeClaim" {
                if min["storage"] == nil && max["storage"] == nil {
                    errors.append(.required("\(path).limits", "either minimum or maximum storage value is required, but neither was provided"))
                }
            }
            for key in min.keys.sorted() {
                let q = min[key]!
                if let m = max[key], q > m {
                    errors.append(.invalid("\(path).min[\(key)]", .string(q.canonical), "min value \(q.canonical) is greater than max value \(m.canonical)"))
                }
                if let d = requests[key], q > d {
                    errors.append(.invalid("\(path).defaultRequest[\(key)]", .string(d.canonical), "min value \(q.canonical) is greater than default request value \(d.canonical)"))
                }
                if let d = defaults[key], q > d {
                    errors.append(.invalid("\(path).default[\(key)]", .string(d.canonical), "min value \(q.canonical) is greater than default value \(d.canonical)"))
                }
            }
            for key in max.keys.sorted() {
                let m = max[key]!
                if let d = requests[key], d > m {
                    errors.append(.invalid("\(path).defaultRequest[\(key)]", .string(d.canonical), "default request value \(d.canonical) is greater than max value \(m.canonical)"))
                }
                if let d = defaults[key], d > m {
                    errors.append(.invalid("\(path).default[\(key)]", .string(d.canonical), "default value \(d.canonical) is greater than max value \(m.canonical)"))
                }
            }
            for key in requests.keys.sorted() {
                let r = requests[key]!
                if let d = defaults[key], r > d {
                    errors.append(.invalid("\(path).defaultRequest[\(key)]", .string(r.canonical), "default request value \(r.canonical) is greater than default limit value \(d.canonical)"))
                }
            }
            for (key, ratio) in (lists["maxLimitRequestRatio"] ?? [:]).sorted(by: { $0.key < $1.key }) {
                if ratio < Quantity(value: 1) {
                    errors.append(.invalid("\(path).maxLimitRequestRatio[\(key)]", .string(ratio.canonical), "ratio \(ratio.canonical) is less than 1"))
                }
                if let m = max[key], let n = min[key], n.sign > 0, ratio.doubleValue > m.doubleValue / n.doubleValue {
                    errors.append(.invalid("\(path).maxLimitRequestRatio[\(key)]", .string(ratio.canonical),
                                           "ratio \(ratio.canonical) is greater than max/min = \(String(format: "%f", m.doubleValue / n.doubleValue))"))
                }
            }
        }
        return errors
    }

    public var tableColumns: [TableColumn] {
        [.name, TableColumn("Created At", type: "date", description: "CreationTimestamp is a timestamp representing the server time when this object was created.")]
    }
}
