import APIMachinery

/// core/v1 PersistentVolume: cluster-scoped, status subresource; reclaim policy Retain and volume mode
/// Filesystem by default, phase Pending on create; exactly one volume source.
public struct PersistentVolumeStrategy: ResourceStrategy {
    public init() {}
    public var hasStatusSubresource: Bool { true }

    static let volumeSources = [
        "gcePersistentDisk", "awsElasticBlockStore", "hostPath", "glusterfs", "nfs", "rbd", "quobyte", "cinder",
        "cephfs", "fc", "flocker", "flexVolume", "azureFile", "vsphereVolume", "azureDisk", "photonPersistentDisk",
        "portworxVolume", "scaleIO", "local", "storageos", "csi", "iscsi",
    ]

    public func prepareForCreate(_ object: inout JSONValue) {
        setDefaults(&object)
        object["status"] = ["phase": "Pending", "lastPhaseTransitionTime": .string(nowTimestamp())]
    }

    public func prepareForUpdate(_ object: inout JSONValue, old: JSONValue) {
        setDefaults(&object)
    }

    func setDefaults(_ object: inout JSONValue) {
        canonicalizeQuantities(&object, at: ["spec", "capacity"])
        object.setDefault(["spec", "persistentVolumeReclaimPolicy"], "Retain")
        object.setDefault(["spec", "volumeMode"], "Filesystem")
        if object["spec"]?["hostPath"]?.objectValue != nil { object.setDefault(["spec", "hostPath", "type"], "") }
    }

    public func validate(_ object: JSONValue) -> [FieldError] {
        let spec = object["spec"] ?? .object([:])
        var errors = accessModeErrors(spec["accessModes"], field: "spec.accessModes", requiredMessage: "")
        var capacityErrors: [FieldError] = []
        let capacity = resourceList(spec["capacity"], field: "spec.capacity", errors: &capacityErrors)
        if (spec["capacity"]?.objectValue ?? [:]).isEmpty {
            errors.append(.required("spec.capacity", ""))
        } else {
            for key in (spec["capacity"]?.objectValue ?? [:]).keys.sorted() where key != "storage" {
                errors.append(.notSupported("spec.capacity", key, supported: ["storage"]))
            }
        }
        errors += capacityErrors
        if let storage = capacity["storage"], storage.sign <= 0 {
            errors.append(.invalid("spec.capacity[storage]", .string(storage.canonical), "must be greater than zero"))
        }
        let policy = spec["persistentVolumeReclaimPolicy"]?.stringValue ?? ""
        if !["Delete", "Recycle", "Retain"].contains(policy) {
            errors.append(.notSupported("spec.persistentVolumeReclaimPolicy", policy, supported: ["Delete", "Recycle", "Retain"]))
        }
        if let mode = spec["volumeMode"]?.stringValue, !["Block", "Filesystem"].contains(mode) {
            errors.append(.notSupported("spec.volumeMode", mode, supported: ["Block", "Filesystem"]))
        }
        if let cls = spec["storageClassName"]?.stringValue, !cls.isEmpty {
            errors += validateDNS1123Subdomain(cls, field: "spec.storageClassName")
        }
        let present = Self.volumeSources.filter { spec[$0] != nil && spec[$0]?.isNull == false }
        if present.isEmpty {
            errors.append(.required("spec", "must specify a volume type"))
        }
        for extra in present.dropFirst() {
            errors.append(.forbidden("spec.\(extra)", "may not specify more than 1 volume type"))
        }
        if let source = present.first {
            errors += sourceErrors(source, spec[source] ?? .null, spec: spec)
        }
        return errors
    }

    func sourceErrors(_ source: String, _ value: JSONValue, spec: JSONValue) -> [FieldError] {
        let path = "spec.\(source)"
        var errors: [FieldError] = []
        func required(_ key: String) {
            if (value[key]?.stringValue ?? "").isEmpty { errors.append(.required("\(path).\(key)", "")) }
        }
        switch source {
        case "hostPath":
            required("path")
            if let type = value["type"]?.stringValue,
               !["", "DirectoryOrCreate", "Directory", "FileOrCreate", "File", "Socket", "CharDevice", "BlockDevice"].contains(type) {
                errors.append(.notSupported("\(path).type", type, supported: ["", "BlockDevice", "CharDevice", "Directory", "DirectoryOrCreate", "File", "FileOrCreate", "Socket"]))
            }
        case "nfs":
            required("server")
            required("path")
            if let p = value["path"]?.stringValue, !p.isEmpty, !p.hasPrefix("/") {
                errors.append(.invalid("\(path).path", .string(p), "must be an absolute path"))
            }
        case "local":
            required("path")
            if spec["nodeAffinity"] == nil || spec["nodeAffinity"]?.isNull == true {
                errors.append(.required("spec.nodeAffinity", "Local volume requires node affinity"))
            }
        case "csi":
            required("driver")
            required("volumeHandle")
        default:
            break
        }
        return errors
    }

    public func validateUpdate(_ object: JSONValue, old: JSONValue) -> [FieldError] {
        var errors: [FieldError] = []
        if let oldMode = old["spec"]?["volumeMode"], object["spec"]?["volumeMode"] != oldMode {
            errors.append(.invalid("spec.volumeMode", object["spec"]?["volumeMode"], "field is immutable"))
        }
        if Self.volumeSources.contains(where: { (object["spec"]?[$0] ?? .null) != (old["spec"]?[$0] ?? .null) }) {
            errors.append(.forbidden("spec.persistentvolumesource", "spec.persistentvolumesource is immutable after creation"))
        }
        return errors
    }

    public var tableColumns: [TableColumn] {
        [.name,
         TableColumn("Capacity", description: "capacity is the description of the persistent volume's resources and capacity."),
         TableColumn("Access Modes", description: "accessModes contains all ways the volume can be mounted."),
         TableColumn("Reclaim Policy", description: "persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim."),
         TableColumn("Status", description: "phase indicates if a volume is available, bound to a claim, or released by a claim."),
         TableColumn("Claim", description: "claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim."),
         TableColumn("StorageClass", description: "storageClassName is the name of StorageClass to which this persistent volume belongs."),
         TableColumn("VolumeAttributesClass", description: "Name of VolumeAttributesClass to which this persistent volume belongs."),
         TableColumn("Reason", description: "reason is a brief CamelCase string that describes any failure and is meant for machine parsing and tidy display in the CLI."),
         .age,
         TableColumn("VolumeMode", priority: 1, description: "volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state.")]
    }

    public func tableCells(_ object: JSONValue, now: Double) -> [JSONValue] {
        let spec = object["spec"]
        var claim = ""
        if let ref = spec?["claimRef"], ref.objectValue != nil {
            claim = "\(ref["namespace"]?.stringValue ?? "")/\(ref["name"]?.stringValue ?? "")"
        }
        let phase = object.deletionTimestamp != nil ? "Terminating" : (object["status"]?["phase"]?.stringValue ?? "")
        let storageClass = spec?["storageClassName"]?.stringValue
            ?? object.annotations["volume.beta.kubernetes.io/storage-class"] ?? ""
        return [.string(object.name),
                .string(quantityText(spec?["capacity"]?["storage"]) ?? "0"),
                .string(accessModesString(spec?["accessModes"])),
                .string(spec?["persistentVolumeReclaimPolicy"]?.stringValue ?? ""),
                .string(phase),
                .string(claim),
                .string(storageClass),
                .string(spec?["volumeAttributesClassName"]?.stringValue ?? "<unset>"),
                .string(object["status"]?["reason"]?.stringValue ?? ""),
                .string(age(of: object, now: now)),
                .string(spec?["volumeMode"]?.stringValue ?? "<unset>")]
    }
}
