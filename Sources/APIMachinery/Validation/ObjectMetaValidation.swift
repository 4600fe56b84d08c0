/// The total size limit of all annotation keys and values on one object (256 KiB).
public let totalAnnotationSizeLimit = 256 * 1024

/// ValidateLabels: each key a qualified name, each value a label value. Errors use `field` as the path.
public func validateLabels(_ labels: [String: String], field: String) -> [FieldError] {
    var errors: [FieldError] = []
    for key in labels.keys.sorted() {
        errors += validateLabelKey(key, field: field)
        errors += validateLabelValue(labels[key] ?? "", field: field)
    }
    return errors
}

/// ValidateAnnotations: each key a qualified name (case-insensitive) and the total size ≤ 256 KiB.
public func validateAnnotations(_ annotations: [String: String], field: String) -> [FieldError] {
    var errors: [FieldError] = []
    var total = 0
    for key in annotations.keys.sorted() {
        for message in NameValidation.isQualifiedName(key.lowercased()) {
            errors.append(.invalid(field, string: key, message))
        }
        total += key.utf8.count + (annotations[key]?.utf8.count ?? 0)
    }
    if total > totalAnnotationSizeLimit {
        errors.append(.tooLong(field, maximum: totalAnnotationSizeLimit))
    }
    return errors
}

/// ValidateFinalizers: each a qualified name; `orphan` and `foregroundDeletion` are exclusive.
public func validateFinalizers(_ finalizers: [String], field: String) -> [FieldError] {
    var errors: [FieldError] = []
    for finalizer in finalizers {
        errors += validateQualifiedName(finalizer, field: field)
    }
    if finalizers.contains("orphan") && finalizers.contains("foregroundDeletion") {
        errors.append(.invalid(field, .array(finalizers.map { .string($0) }),
                               "finalizer orphan and foregroundDeletion cannot be both set"))
    }
    return errors
}

/// ValidateOwnerReferences: apiVersion (with a version), kind, name and uid are required, and at most
/// one reference may be the controller.
public func validateOwnerReferences(_ references: [JSONValue], field: String) -> [FieldError] {
    var errors: [FieldError] = []
    var firstController: String?
    for reference in references {
        let apiVersion = reference["apiVersion"]?.stringValue ?? ""
        let kind = reference["kind"]?.stringValue ?? ""
        let name = reference["name"]?.stringValue ?? ""
        let uid = reference["uid"]?.stringValue ?? ""
        let slashes = apiVersion.split(separator: "/", omittingEmptySubsequences: false)
        let version = slashes.count == 2 ? String(slashes[1]) : apiVersion
        if version.isEmpty { errors.append(.invalid(field + ".apiVersion", string: apiVersion, "version must not be empty")) }
        if kind.isEmpty { errors.append(.invalid(field + ".kind", string: kind, "kind must not be empty")) }
        if name.isEmpty { errors.append(.invalid(field + ".name", string: name, "name must not be empty")) }
        if uid.isEmpty { errors.append(.invalid(field + ".uid", string: uid, "uid must not be empty")) }
        if reference["controller"]?.boolValue == true {
            let current = kind + "/" + name
            if let firstController {
                errors.append(.invalid(field, .array(references),
                                       "Only one reference can have Controller set to true. Found \"true\" in references for \(firstController) and \(current)"))
            } else {
                firstController = current
            }
        }
    }
    return errors
}

/// ValidateObjectMeta for a create or update: `meta` is the object's `metadata` (nil when absent).
/// `nameValidator` checks names (and, with `prefix: true`, generateName); it returns messages.
public func validateObjectMeta(
    _ meta: JSONValue?, namespaced: Bool,
    nameValidator: (_ name: String, _ prefix: Bool) -> [String] = NameValidation.nameIsDNSSubdomain,
    field: String = "metadata"
) -> [FieldError] {
    var errors: [FieldError] = []
    let name = meta?["name"]?.stringValue ?? ""
    let generateName = meta?["generateName"]?.stringValue ?? ""
    let namespace = meta?["namespace"]?.stringValue ?? ""
    if !generateName.isEmpty {
        for message in nameValidator(generateName, true) {
            errors.append(.invalid(field + ".generateName", string: generateName, message))
        }
    }
    if name.isEmpty {
        if generateName.isEmpty {
            errors.append(.required(field + ".name", "name or generateName is required"))
        }
    } else {
        for message in nameValidator(name, false) {
            errors.append(.invalid(field + ".name", string: name, message))
        }
    }
    if namespaced {
        if namespace.isEmpty {
            errors.append(.required(field + ".namespace"))
        } else {
            for message in NameValidation.nameIsDNSLabel(namespace, prefix: false) {
                errors.append(.invalid(field + ".namespace", string: namespace, message))
            }
        }
    } else if !namespace.isEmpty {
        errors.append(.forbidden(field + ".namespace", "not allowed on this type"))
    }
    if let generation = meta?["generation"]?.intValue, generation < 0 {
        errors.append(.invalid(field + ".generation", .int(generation), "must be greater than or equal to 0"))
    }
    errors += validateLabels(stringMap(meta?["labels"]), field: field + ".labels")
    errors += validateAnnotations(stringMap(meta?["annotations"]), field: field + ".annotations")
    errors += validateOwnerReferences(meta?["ownerReferences"]?.arrayValue ?? [], field: field + ".ownerReferences")
    let finalizers = (meta?["finalizers"]?.arrayValue ?? []).compactMap(\.stringValue)
    errors += validateFinalizers(finalizers, field: field + ".finalizers")
    return errors
}

/// The string-valued members of a JSON object (non-strings are skipped).
func stringMap(_ value: JSONValue?) -> [String: String] {
    guard let object = value?.objectValue else { return [:] }
    var out: [String: String] = [:]
    for (key, value) in object {
        if let s = value.stringValue { out[key] = s }
    }
    return out
}
