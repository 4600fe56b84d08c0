import APIMachinery
import Storage

/// core/v1 PersistentVolumeClaim: status subresource, volume mode Filesystem and phase Pending by
/// default; access modes and a storage request required; the spec is immutable after creation except
/// growing resources.requests of a bound claim. A new claim without a class gets the default
/// StorageClass (the DefaultStorageClass admission plugin).
public struct PersistentVolumeClaimStrategy: ResourceStrategy {
    let lock = AsyncLock()
    public init() {}
    public var hasStatusSubresource: Bool { true }
    public var allocationLock: AsyncLock? { lock }

    /// A new claim with no `spec.storageClassName` (nor the beta class annotation) gets the default
    /// StorageClass, the newest if several are marked; none if no class is marked. An empty class name
    /// ("") asks for no class and stays.
    public func allocate(_ object: inout JSONValue, old: JSONValue?, storage: any Storage) async throws(StatusError) {
        guard old == nil, object["spec"]?["storageClassName"]?.stringValue == nil,
              object.annotations["volume.beta.kubernetes.io/storage-class"] == nil else { return }
        let listed: ListResult
        do {
            listed = try await storage.list(prefix: "/registry/storage.k8s.io/storageclasses/", revision: nil, startKey: nil, limit: nil)
        } catch {
            throw StatusError.internal("listing storage classes: \(error)")
        }
        var chosen: (name: String, created: String)?
        for kv in listed.items {
            guard let storageClass = try? JSONValue.parse(kv.value), StorageClassStrategy.isDefault(storageClass) else { continue }
            let created = storageClass.creationTimestamp ?? ""
            if let current = chosen, created < current.created || (created == current.created && storageClass.name > current.name) {
                continue
            }
            chosen = (storageClass.name, created)
        }
        if let chosen { object[key: "spec", "storageClassName"] = .string(chosen.name) }
    }

    public func prepareForCreate(_ object: inout JSONValue) {
        setDefaults(&object)
        object["status"] = ["phase": "Pending"]
    }

    public func prepareForUpdate(_ object: inout JSONValue, old: JSONValue) {
        setDefaults(&object)
    }

    func setDefaults(_ object: inout JSONValue) {
        object.setDefault(["spec", "volumeMode"], "Filesystem")
        canonicalizeQuantities(&object, at: ["spec", "resources", "requests"])
        canonicalizeQuantities(&object, at: ["spec", "resources", "limits"])
    }

    public func validate(_ object: JSONValue) -> [FieldError] {
        let spec = object["spec"] ?? .object([:])
        var errors = accessModeErrors(spec["accessModes"], field: "spec.accessModes", requiredMessage: "at least 1 access mode is required")
        errors += labelSelectorErrors(spec["selector"], field: "spec.selector")
        var listErrors: [FieldError] = []
        let requests = resourceList(spec["resources"]?["requests"], field: "spec.resources.requests", errors: &listErrors)
        _ = resourceList(spec["resources"]?["limits"], field: "spec.resources.limits", errors: &listErrors)
        if spec["resources"]?["requests"]?["storage"] == nil {
            errors.append(.required("spec.resources[storage]", ""))
        } else if let storage = requests["storage"], storage.sign <= 0 {
            errors.append(.invalid("spec.resources[storage]", .string(storage.canonical), "must be greater than zero"))
        }
        errors += listErrors
        if let cls = spec["storageClassName"]?.stringValue, !cls.isEmpty {
            errors += validateDNS1123Subdomain(cls, field: "spec.storageClassName")
        }
        if let mode = spec["volumeMode"]?.stringValue, !["Block", "Filesystem"].contains(mode) {
            errors.append(.notSupported("spec.volumeMode", mode, supported: ["Block", "Filesystem"]))
        }
        return errors
    }

    public func validateUpdate(_ object: JSONValue, old: JSONValue) -> [FieldError] {
        var errors: [FieldError] = []
        var newSpec = object["spec"] ?? .object([:])
        var oldSpec = old["spec"] ?? .object([:])
        if (oldSpec["volumeName"]?.stringValue ?? "").isEmpty { oldSpec["volumeName"] = newSpec["volumeName"] }
        let bound = object["status"]?["phase"]?.stringValue == "Bound"
        if bound { newSpec.set(path: ["resources", "requests", "storage"], to: oldSpec[path: ["resources", "requests", "storage"]]) }
        newSpec["volumeAttributesClassName"] = nil
        oldSpec["volumeAttributesClassName"] = nil
        if newSpec != oldSpec {
            errors.append(.forbidden("spec", "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims"))
        }
        if let newSize = Quantity(json: object[path: ["spec", "resources", "requests", "storage"]]),
           let oldSize = Quantity(json: old[path: ["spec", "resources", "requests", "storage"]]),
           newSize < oldSize {
            errors.append(.forbidden("spec.resources.requests.storage", "field can not be less than previous value"))
        }
        return errors
    }

    public var tableColumns: [TableColumn] {
        [.name,
         TableColumn("Status", description: "phase represents the current phase of PersistentVolumeClaim."),
         TableColumn("Volume", description: "volumeName is the binding reference to the PersistentVolume backing this claim."),
         TableColumn("Capacity", description: "capacity represents the actual resources of the underlying volume."),
         TableColumn("Access Modes", description: "accessModes contains the actual access modes the volume backing the PVC has."),
         TableColumn("StorageClass", description: "storageClassName is the name of the StorageClass required by the claim."),
         TableColumn("VolumeAttributesClass", description: "volumeAttributesClassName may be used to set the VolumeAttributesClass used by this claim."),
         .age,
         TableColumn("VolumeMode", priority: 1, description: "volumeMode defines what type of volume is required by the claim.")]
    }

    public func tableCells(_ object: JSONValue, now: Double) -> [JSONValue] {
        let spec = object["spec"]
        let phase = object.deletionTimestamp != nil ? "Terminating" : (object["status"]?["phase"]?.stringValue ?? "")
        let volume = spec?["volumeName"]?.stringValue ?? ""
        var capacity = ""
        var modes = ""
        if !volume.isEmpty {
            modes = accessModesString(object["status"]?["accessModes"])
            capacity = quantityText(object["status"]?["capacity"]?["storage"]) ?? "0"
        }
        let storageClass = object.annotations["volume.beta.kubernetes.io/storage-class"]
            ?? spec?["storageClassName"]?.stringValue ?? ""
        return [.string(object.name), .string(phase), .string(volume), .string(capacity), .string(modes),
                .string(storageClass),
                .string(spec?["volumeAttributesClassName"]?.stringValue ?? "<unset>"),
                .string(age(of: object, now: now)),
                .string(spec?["volumeMode"]?.stringValue ?? "<unset>")]
    }
}
