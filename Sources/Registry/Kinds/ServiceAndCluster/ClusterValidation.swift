import APIMachinery
import Foundation

/// The text of a quantity value (a string or a number in JSON).
func quantityText(_ value: JSONValue?) -> String? { Quantity.text(of: value) }

/// The text of a quantity value for messages (the original text; any other JSON as written).
func quantityDisplayText(_ value: JSONValue) -> String { quantityText(value) ?? value.serializedString() }

/// The parsed quantities of a resource list (`{"cpu": "1", ...}`), with errors for unparsable ones.
func resourceList(_ value: JSONValue?, field: String, errors: inout [FieldError]) -> [String: Quantity] {
    guard let value, !value.isNull else { return [:] }
    guard case .object(let map) = value else {
        errors.append(.invalid(field, value, "must be a map of resource names to quantities"))
        return [:]
    }
    var out: [String: Quantity] = [:]
    for key in map.keys.sorted() {
        guard let q = Quantity(json: map[key]) else {
            errors.append(.invalid("\(field)[\(key)]", map[key], Quantity.formatMessage))
            continue
        }
        out[key] = q
    }
    return out
}

/// Every error of a resource name used as a key of a resource list (validateResourceName).
func resourceNameErrors(_ name: String, field: String) -> [FieldError] {
    var errors = NameValidation.isQualifiedName(name).map { FieldError.invalid(field, string: name, $0) }
    if errors.isEmpty, !name.contains("/"), !standardResourceNames.contains(name), !name.hasPrefix("requests."),
       !name.hasPrefix("limits."), !name.hasPrefix("hugepages-"), !name.hasPrefix("count/") {
        errors.append(.invalid(field, string: name, "must be a standard resource type or fully qualified"))
    }
    return errors
}

let standardResourceNames: Set<String> = [
    "cpu", "memory", "storage", "ephemeral-storage", "pods", "services", "replicationcontrollers", "resourcequotas",
    "secrets", "configmaps", "persistentvolumeclaims", "services.nodeports", "services.loadbalancers",
]

/// Errors of a metav1.LabelSelector at `field` (ValidateLabelSelector).
func labelSelectorErrors(_ selector: JSONValue?, field: String) -> [FieldError] {
    guard let selector, !selector.isNull else { return [] }
    guard selector.objectValue != nil else { return [.invalid(field, selector, "must be a label selector")] }
    var errors: [FieldError] = []
    if let labels = selector["matchLabels"]?.objectValue {
        for key in labels.keys.sorted() {
            errors += validateLabelKey(key, field: "\(field).matchLabels")
            errors += validateLabelValue(labels[key]?.stringValue ?? "", field: "\(field).matchLabels")
        }
    }
    for (i, expression) in (selector["matchExpressions"]?.arrayValue ?? []).enumerated() {
        let path = "\(field).matchExpressions[\(i)]"
        let op = expression["operator"]?.stringValue ?? ""
        let values = expression["values"]?.arrayValue ?? []
        switch op {
        case "In", "NotIn":
            if values.isEmpty {
                errors.append(.required("\(path).values", "must be specified when `operator` is 'In' or 'NotIn'"))
            }
        case "Exists", "DoesNotExist":
            if !values.isEmpty {
                errors.append(.forbidden("\(path).values", "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"))
            }
        default:
            errors.append(.invalid("\(path).operator", .string(op), "not a valid selector operator"))
        }
        errors += validateLabelKey(expression["key"]?.stringValue ?? "", field: "\(path).key")
    }
    return errors
}

/// kubectl's short form of access modes (`RWO,ROX,RWX,RWOP`).
func accessModesString(_ modes: JSONValue?) -> String {
    let list = (modes?.arrayValue ?? []).compactMap(\.stringValue)
    var out: [String] = []
    for (mode, short) in [("ReadWriteOnce", "RWO"), ("ReadOnlyMany", "ROX"), ("ReadWriteMany", "RWX"), ("ReadWriteOncePod", "RWOP")]
    where list.contains(mode) {
        out.append(short)
    }
    return out.joined(separator: ",")
}

let persistentVolumeAccessModes = ["ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"]

/// Errors of a list of access modes at `field`; `required` adds the message for an empty list.
func accessModeErrors(_ modes: JSONValue?, field: String, requiredMessage: String) -> [FieldError] {
    let list = modes?.arrayValue ?? []
    if list.isEmpty { return [.required(field, requiredMessage)] }
    var errors: [FieldError] = []
    for mode in list {
        let s = mode.stringValue ?? ""
        if !persistentVolumeAccessModes.contains(s) {
            errors.append(.notSupported(field, s, supported: persistentVolumeAccessModes))
        }
    }
    if list.contains("ReadWriteOncePod") && list.count > 1 {
        errors.append(.forbidden(field, "may not use ReadWriteOncePod with other access modes"))
    }
    return errors
}

/// `metav1.Time` of now.
func nowTimestamp() -> String {
    RFC3339.format(Date())
}

extension JSONValue {
    /// Sets a member of an object value at a path of keys, creating the objects on the way.
    mutating func setDefault(_ path: [String], _ value: JSONValue) {
        if self[path: path] == nil || self[path: path]?.isNull == true { set(path: path, to: value) }
    }
}

/// Rewrites every quantity of the resource list at `path` (`{"cpu": "1000m"}`) to its canonical form.
func canonicalizeQuantities(_ object: inout JSONValue, at path: [String]) {
    guard var list = object[path: path], list.objectValue != nil else { return }
    Quantity.canonicalizeList(&list)
    object.set(path: path, to: list)
}
