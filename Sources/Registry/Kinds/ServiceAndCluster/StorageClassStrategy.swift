import APIMachinery

/// storage.k8s.io/v1 StorageClass: cluster-scoped; reclaimPolicy Delete and volumeBindingMode
/// Immediate by default; provisioner required; parameters, provisioner, reclaimPolicy and
/// volumeBindingMode fixed after creation. Printed with "(default)" after the default class.
public struct StorageClassStrategy: ResourceStrategy {
    public init() {}

    public func prepareForCreate(_ object: inout JSONValue) { setDefaults(&object) }
    public func prepareForUpdate(_ object: inout JSONValue, old: JSONValue) { setDefaults(&object) }

    func setDefaults(_ object: inout JSONValue) {
        object.setDefault(["reclaimPolicy"], "Delete")
        object.setDefault(["volumeBindingMode"], "Immediate")
    }

    public func validate(_ object: JSONValue) -> [FieldError] {
        var errors: [FieldError] = []
        let provisioner = object["provisioner"]?.stringValue ?? ""
        if provisioner.isEmpty {
            errors.append(.required("provisioner", ""))
        } else {
            errors += NameValidation.isQualifiedName(provisioner.lowercased()).map { .invalid("provisioner", string: provisioner, $0) }
        }
        if let parameters = object["parameters"]?.objectValue {
            if parameters.count > 512 {
                errors.append(FieldError(.tooLong, field: "parameters", detail: "Provisioner Parameters exceeded max allowed"))
            }
            var size = 0
            for (key, value) in parameters {
                if key.isEmpty { errors.append(.invalid("parameters", .string(key), "field can not be empty.")) }
                size += key.utf8.count + (value.stringValue?.utf8.count ?? 0)
            }
            if size > 256 * 1024 {
                errors.append(.tooLong("parameters", maximum: 256 * 1024))
            }
        }
        let policy = object["reclaimPolicy"]?.stringValue ?? ""
        if !["Delete", "Retain"].contains(policy) {
            errors.append(.notSupported("reclaimPolicy", policy, supported: ["Delete", "Retain"]))
        }
        let mode = object["volumeBindingMode"]?.stringValue ?? ""
        if !["Immediate", "WaitForFirstConsumer"].contains(mode) {
            errors.append(.notSupported("volumeBindingMode", mode, supported: ["Immediate", "WaitForFirstConsumer"]))
        }
        return errors
    }

    public func validateUpdate(_ object: JSONValue, old: JSONValue) -> [FieldError] {
        var errors: [FieldError] = []
        if (object["parameters"] ?? .null) != (old["parameters"] ?? .null) {
            errors.append(.forbidden("parameters", "updates to parameters are forbidden."))
        }
        if object["provisioner"] != old["provisioner"] {
            errors.append(.forbidden("provisioner", "updates to provisioner are forbidden."))
        }
        if object["reclaimPolicy"] != old["reclaimPolicy"] {
            errors.append(.forbidden("reclaimPolicy", "updates to reclaimPolicy are forbidden."))
        }
        if object["volumeBindingMode"] != old["volumeBindingMode"] {
            errors.append(.invalid("volumeBindingMode", object["volumeBindingMode"], "field is immutable"))
        }
        return errors
    }

    static func isDefault(_ object: JSONValue) -> Bool {
        object.annotations["storageclass.kubernetes.io/is-default-class"] == "true"
            || object.annotations["storageclass.beta.kubernetes.io/is-default-class"] == "true"
    }

    public var tableColumns: [TableColumn] {
        [.name,
         TableColumn("Provisioner", description: "provisioner indicates the type of the provisioner."),
         TableColumn("ReclaimPolicy", description: "reclaimPolicy controls the reclaimPolicy for dynamically provisioned PersistentVolumes of this storage class. Defaults to Delete."),
         TableColumn("VolumeBindingMode", description: "volumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound.  When unset, VolumeBindingImmediate is used. This field is only honored by servers that enable the VolumeScheduling feature."),
         TableColumn("AllowVolumeExpansion", description: "allowVolumeExpansion shows whether the storage class allow volume expand."),
         .age]
    }

    public func tableCells(_ object: JSONValue, now: Double) -> [JSONValue] {
        [.string(Self.isDefault(object) ? object.name + " (default)" : object.name),
         .string(object["provisioner"]?.stringValue ?? ""),
         .string(object["reclaimPolicy"]?.stringValue ?? "Delete"),
         .string(object["volumeBindingMode"]?.stringValue ?? "Immediate"),
         .bool(object["allowVolumeExpansion"]?.boolValue ?? false),
         .string(age(of: object, now: now))]
    }
}
