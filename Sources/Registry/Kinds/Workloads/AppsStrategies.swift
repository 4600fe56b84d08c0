import APIMachinery

/// The apps/v1 rules every controller shares: replicas, selector (required, matching, immutable),
/// template with restartPolicy Always.
protocol AppsStrategy: WorkloadStrategy {
    var kindName: String { get }
    func validateSpec(_ object: JSONValue) -> [FieldError]
}

extension AppsStrategy {
    var templatePaths: [[String]] { [["spec", "template"]] }

    func validate(_ object: JSONValue) -> [FieldError] {
        var errors = WorkloadSupport.replicasErrors(object)
        errors += WorkloadSupport.validateAppsSelector(object, kind: kindName)
        let claims = Set((object["spec"]?["volumeClaimTemplates"]?.arrayValue ?? []).map(\.name).filter { !$0.isEmpty })
        errors += PodSpecValidation.validateTemplate(object["spec"]?["template"] ?? .object([:]), path: "spec.template", claimVolumes: claims)
        errors += WorkloadSupport.validateRestartPolicy(object, templatePath: ["spec", "template"], field: "spec.template.spec.restartPolicy", allowed: ["Always"])
        if let deadline = object["spec"]?["template"]?["spec"]?["activeDeadlineSeconds"], !deadline.isNull {
            errors.append(.forbidden("spec.template.spec.activeDeadlineSeconds", "activeDeadlineSeconds in \(["statefulset": "StatefulSet", "daemonset": "DaemonSet"][kindName] ?? "ReplicaSet") is not Supported"))
        }
        errors += PodSpecValidation.nonNegative(object["spec"], "minReadySeconds", path: "spec")
        errors += PodSpecValidation.nonNegative(object["spec"], "revisionHistoryLimit", path: "spec")
        errors += validateSpec(object)
        return errors
    }

    func validateUpdate(_ object: JSONValue, old: JSONValue) -> [FieldError] {
        WorkloadSupport.validateSelectorImmutable(object, old: old)
    }
}

/// apps/v1 Deployment.
struct DeploymentStrategy: AppsStrategy {
    var kindName: String { "deployment" }
    /// Everything but spec and labels, as Kubernetes' deployment status strategy.
    var statusUpdateMetadataFields: [String] { ["annotations", "finalizers", "ownerReferences"] }

    /// Annotation changes bump the generation too: the controller copies them to ReplicaSets.
    func prepareForUpdate(_ object: inout JSONValue, old: JSONValue) {
        defaultAll(&object)
        if object.annotations != old.annotations { object.generation = max(old.generation, 1) + 1 }
    }

    func applyDefaults(_ object: inout JSONValue) {
        var spec = object["spec"] ?? .object([:])
        guard spec.objectValue != nil else { return }
        PodSpecDefaults.setIfMissing(&spec, "replicas", 1)
        var strategy = spec["strategy"] ?? .object([:])
        if strategy.objectValue != nil {
            PodSpecDefaults.setIfEmpty(&strategy, "type", "RollingUpdate")
            if strategy["type"]?.stringValue == "RollingUpdate" {
                var rolling = strategy["rollingUpdate"] ?? .object([:])
                if rolling.isNull { rolling = .object([:]) }
                PodSpecDefaults.setIfMissing(&rolling, "maxUnavailable", "25%")
                PodSpecDefaults.setIfMissing(&rolling, "maxSurge", "25%")
                strategy["rollingUpdate"] = rolling
            }
            spec["strategy"] = strategy
        }
        PodSpecDefaults.setIfMissing(&spec, "revisionHistoryLimit", 10)
        PodSpecDefaults.setIfMissing(&spec, "progressDeadlineSeconds", 600)
        object["spec"] = spec
    }

    func validateSpec(_ object: JSONValue) -> [FieldError] {
        var errors: [FieldError] = []
        let spec = object["spec"]
        let type = spec?["strategy"]?["type"]?.stringValue ?? ""
        let rolling = spec?["strategy"]?["rollingUpdate"]
        switch type {
        case "Recreate":
            if let rolling, !rolling.isNull {
                errors.append(.forbidden("spec.strategy.rollingUpdate", "may not be specified when strategy `type` is 'Recreate'"))
            }
        case "RollingUpdate":
            let surge = rolling?["maxSurge"]
            let unavailable = rolling?["maxUnavailable"]
            errors += IntOrPercent.validate(surge, field: "spec.strategy.rollingUpdate.maxSurge", percentAtMost100: false)
            errors += IntOrPercent.validate(unavailable, field: "spec.strategy.rollingUpdate.maxUnavailable")
            if WorkloadSupport.isZero(surge) && WorkloadSupport.isZero(unavailable) {
                errors.append(.invalid("spec.strategy.rollingUpdate.maxUnavailable", unavailable ?? .int(0), "may not be 0 when `maxSurge` is 0"))
            }
        default:
            errors.append(.notSupported("spec.strategy.type", type, supported: ["Recreate", "RollingUpdate"]))
        }
        errors += PodSpecValidation.nonNegative(spec, "progressDeadlineSeconds", path: "spec")
        if let deadline = spec?["progressDeadlineSeconds"]?.intValue, let minReady = spec?["minReadySeconds"]?.intValue,
           deadline <= minReady {
            errors.append(.invalid("spec.progressDeadlineSeconds", .int(deadline), "must be greater than minReadySeconds"))
        }
        return errors
    }

    var tableColumns: [TableColumn] {
        [.name,
         TableColumn("Ready", description: "Number of the pod with ready state"),
         TableColumn("Up-to-date", description: "Total number of non-terminated pods targeted by this deployment that have the desired template spec."),
         TableColumn("Available", description: "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment."),
         .age, WorkloadSupport.containersColumn, WorkloadSupport.imagesColumn, WorkloadSupport.selectorColumn]
    }

    func tableCells(_ object: JSONValue, now: Double) -> [JSONValue] {
        let cells = WorkloadSupport.containerCells(object["spec"]?["template"]?["spec"])
        return [.string(object.name),
                .string("\(WorkloadSupport.int(object, "status", "readyReplicas"))/\(WorkloadSupport.int(object, "spec", "replicas"))"),
                .int(WorkloadSupport.int(object, "status", "updatedReplicas")), .int(WorkloadSupport.int(object, "status", "availableReplicas")),
                .string(age(of: object, now: now)), .string(cells.names), .string(cells.images),
                .string(WorkloadSupport.formatSelector(object["spec"]?["selector"]))]
    }
}

/// apps/v1 ReplicaSet.
struct ReplicaSetStrategy: AppsStrategy {
    /// Kubernetes reports an empty ReplicaSet selector with the Deployment wording.
    var kindName: String { "deployment" }
    var initialStatus: JSONValue { ["replicas": 0] }
    var fieldSelectorLabels: [String] { ["status.replicas"] }

    func applyDefaults(_ object: inout JSONValue) {
        guard object["spec"]?.objectValue != nil || object["spec"] == nil else { return }
        var spec = object["spec"] ?? .object([:])
        PodSpecDefaults.setIfMissing(&spec, "replicas", 1)
        object["spec"] = spec
    }

    func validateSpec(_ object: JSONValue) -> [FieldError] { [] }

    func selectableFields(_ object: JSONValue) -> [String: String] {
        ["status.replicas": String(WorkloadSupport.int(object, "status", "replicas"))]
    }

    var tableColumns: [TableColumn] { WorkloadSupport.replicaColumns(owner: "replica set") }

    func tableCells(_ object: JSONValue, now: Double) -> [JSONValue] {
        WorkloadSupport.replicaCells(object, now: now, selector: WorkloadSupport.formatSelector(object["spec"]?["selector"]))
    }
}

/// apps/v1 StatefulSet.
struct StatefulSetStrategy: AppsStrategy {
    var kindName: String { "statefulset" }
    var initialStatus: JSONValue { ["replicas": 0, "availableReplicas": 0] }

    func applyDefaults(_ object: inout JSONValue) {
        var spec = object["spec"] ?? .object([:])
        guard spec.objectValue != nil else { return }
        PodSpecDefaults.setIfEmpty(&spec, "podManagementPolicy", "OrderedReady")
        var strategy = spec["updateStrategy"] ?? .object([:])
        if strategy.objectValue != nil {
            if (strategy["type"]?.stringValue ?? "").isEmpty {
                strategy["type"] = "RollingUpdate"
                PodSpecDefaults.setIfMissing(&strategy, "rollingUpdate", .object([:]))
            }
            if strategy["type"]?.stringValue == "RollingUpdate", var rolling = strategy["rollingUpdate"], rolling.objectValue != nil {
                PodSpecDefaults.setIfMissing(&rolling, "partition", 0)
                strategy["rollingUpdate"] = rolling
            }
            spec["updateStrategy"] = strategy
        }
        var retention = spec["persistentVolumeClaimRetentionPolicy"] ?? .object([:])
        if retention.isNull { retention = .object([:]) }
        PodSpecDefaults.setIfEmpty(&retention, "whenDeleted", "Retain")
        PodSpecDefaults.setIfEmpty(&retention, "whenScaled", "Retain")
        spec["persistentVolumeClaimRetentionPolicy"] = retention
        PodSpecDefaults.setIfMissing(&spec, "replicas", 1)
        PodSpecDefaults.setIfMissing(&spec, "revisionHistoryLimit", 10)
        PodSpecDefaults.forEach(&spec, "volumeClaimTemplates", PodSpecDefaults.applyClaimTemplate)
        object["spec"] = spec
    }

    func validateSpec(_ object: JSONValue) -> [FieldError] {
        var errors: [FieldError] = []
        let spec = object["spec"]
        let policy = spec?["podManagementPolicy"]?.stringValue ?? ""
        if !["OrderedReady", "Parallel"].contains(policy) {
            errors.append(.invalid("spec.podManagementPolicy", .string(policy), "must be 'OrderedReady' or 'Parallel'"))
        }
        let type = spec?["updateStrategy"]?["type"]?.stringValue ?? ""
        switch type {
        case "OnDelete":
            if let rolling = spec?["updateStrategy"]?["rollingUpdate"], !rolling.isNull {
                errors.append(.invalid("spec.updateStrategy.rollingUpdate", rolling, "only allowed for updateStrategy 'RollingUpdate'"))
            }
        case "RollingUpdate":
            errors += PodSpecValidation.nonNegative(spec?["updateStrategy"]?["rollingUpdate"], "partition", path: "spec.updateStrategy.rollingUpdate")
        default:
            errors.append(.invalid("spec.updateStrategy", .string(type), "must be 'RollingUpdate' or 'OnDelete'"))
        }
        for key in ["whenDeleted", "whenScaled"] {
            let value = spec?["persistentVolumeClaimRetentionPolicy"]?[key]?.stringValue ?? ""
            if !["Retain", "Delete"].contains(value) {
                errors.append(.notSupported("spec.persistentVolumeClaimRetentionPolicy.\(key)", value, supported: ["Retain", "Delete"]))
            }
        }
        if let start = spec?["ordinals"]?["start"]?.intValue, start < 0 {
            errors.append(.invalid("spec.ordinals.start", .int(start), "must be greater than or equal to 0"))
        }
        var claimNames = Set<String>()
        for (index, claim) in (spec?["volumeClaimTemplates"]?.arrayValue ?? []).enumerated() {
            let name = claim.name
            let p = "spec.volumeClaimTemplates[\(index)].metadata.name"
            if name.isEmpty {
                errors.append(.required(p))
            } else {
                errors += validateDNS1123Subdomain(name, field: p)
                if claimNames.contains(name) { errors.append(.duplicate(p, .string(name))) }
                claimNames.insert(name)
            }
        }
        return errors
    }

    /// Only replicas, ordinals, template, updateStrategy, persistentVolumeClaimRetentionPolicy and
    /// minReadySeconds may change (the selector included: one error for the whole spec).
    func validateUpdate(_ object: JSONValue, old: JSONValue) -> [FieldError] {
        func masked(_ o: JSONValue) -> JSONValue {
            var spec = o["spec"] ?? .null
            for key in ["replicas", "ordinals", "template", "updateStrategy", "persistentVolumeClaimRetentionPolicy", "minReadySeconds"] {
                spec[key] = nil
            }
            if let selector = spec["selector"] { spec["selector"] = WorkloadSupport.normalizedSelector(selector) }
            return spec
        }
        if masked(object) != masked(old) {
            return [.forbidden("spec", "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden")]
        }
        return []
    }

    var tableColumns: [TableColumn] {
        [.name,
         TableColumn("Ready", description: "Number of the pod with ready state"),
         .age, WorkloadSupport.containersColumn, WorkloadSupport.imagesColumn]
    }

    func tableCells(_ object: JSONValue, now: Double) -> [JSONValue] {
        let cells = WorkloadSupport.containerCells(object["spec"]?["template"]?["spec"])
        return [.string(object.name),
                .string("\(WorkloadSupport.int(object, "status", "readyReplicas"))/\(WorkloadSupport.int(object, "spec", "replicas"))"),
                .string(age(of: object, now: now)), .string(cells.names), .string(cells.images)]
    }
}

/// apps/v1 DaemonSet: its template generation shows as the `deprecated.daemonset.template.generation`
/// annotation, 1 on create and bumped by every template change.
struct DaemonSetStrategy: AppsStrategy {
    var kindName: String { "daemonset" }
    var initialStatus: JSONValue { ["currentNumberScheduled": 0, "desiredNumberScheduled": 0, "numberMisscheduled": 0, "numberReady": 0] }
    static let templateGenerationKey = "deprecated.daemonset.template.generation"

    func prepareForCreate(_ object: inout JSONValue) {
        object["status"] = initialStatus
        defaultAll(&object)
        let requested = Int64(object.annotations[Self.templateGenerationKey] ?? "") ?? 0
        setTemplateGeneration(&object, max(requested, 1))
    }

    func prepareForUpdate(_ object: inout JSONValue, old: JSONValue) {
        defaultAll(&object)
        let previous = Int64(old.annotations[Self.templateGenerationKey] ?? "") ?? 1
        let changed = (object["spec"]?["template"] ?? .null) != (old["spec"]?["template"] ?? .null)
        setTemplateGeneration(&object, changed ? previous + 1 : previous)
    }

    func setTemplateGeneration(_ object: inout JSONValue, _ generation: Int64) {
        var annotations = object["metadata"]?["annotations"]?.objectValue ?? [:]
        annotations[Self.templateGenerationKey] = .string(String(generation))
        object[key: "metadata", "annotations"] = .object(annotations)
    }

    func applyDefaults(_ object: inout JSONValue) {
        var spec = object["spec"] ?? .object([:])
        guard spec.objectValue != nil else { return }
        var strategy = spec["updateStrategy"] ?? .object([:])
        if strategy.objectValue != nil {
            PodSpecDefaults.setIfEmpty(&strategy, "type", "RollingUpdate")
            if strategy["type"]?.stringValue == "RollingUpdate" {
                var rolling = strategy["rollingUpdate"] ?? .object([:])
                if rolling.isNull { rolling = .object([:]) }
                PodSpecDefaults.setIfMissing(&rolling, "maxUnavailable", 1)
                PodSpecDefaults.setIfMissing(&rolling, "maxSurge", 0)
                strategy["rollingUpdate"] = rolling
            }
            spec["updateStrategy"] = strategy
        }
        PodSpecDefaults.setIfMissing(&spec, "revisionHistoryLimit", 10)
        object["spec"] = spec
    }

    func validateSpec(_ object: JSONValue) -> [FieldError] {
        var errors: [FieldError] = []
        let strategy = object["spec"]?["updateStrategy"]
        let type = strategy?["type"]?.stringValue ?? ""
        switch type {
        case "OnDelete": break
        case "RollingUpdate":
            let surge = strategy?["rollingUpdate"]?["maxSurge"]
            let unavailable = strategy?["rollingUpdate"]?["maxUnavailable"]
            guard let rolling = strategy?["rollingUpdate"], !rolling.isNull else {
                errors.append(.required("spec.updateStrategy.rollingUpdate"))
                break
            }
            errors += IntOrPercent.validate(unavailable, field: "spec.updateStrategy.rollingUpdate.maxUnavailable")
            errors += IntOrPercent.validate(surge, field: "spec.updateStrategy.rollingUpdate.maxSurge")
            let hasUnavailable = !WorkloadSupport.isZero(unavailable), hasSurge = !WorkloadSupport.isZero(surge)
            if hasUnavailable && hasSurge {
                errors.append(.invalid("spec.updateStrategy.rollingUpdate.maxSurge", surge, "may not be set when maxUnavailable is non-zero"))
            } else if !hasUnavailable && !hasSurge {
                errors.append(.required("spec.updateStrategy.rollingUpdate.maxUnavailable", "cannot be 0 when maxSurge is 0"))
            }
        default:
            errors.append(.notSupported("spec.updateStrategy.type", type, supported: ["OnDelete", "RollingUpdate"]))
        }
        return errors
    }

    var tableColumns: [TableColumn] {
        [.name,
         TableColumn("Desired", type: "integer", description: "The total number of nodes that should be running the daemon pod."),
         TableColumn("Current", type: "integer", description: "The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod."),
         TableColumn("Ready", type: "integer", description: "numberReady is the number of nodes that should be running the daemon pod and have one or more of the daemon pod running and ready."),
         TableColumn("Up-to-date", type: "integer", description: "The total number of nodes that are running updated daemon pod"),
         TableColumn("Available", type: "integer", description: "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available (ready for at least spec.minReadySeconds)"),
         TableColumn("Node Selector", description: "NodeSelector is a selector which must be true for the pod to fit on a node."),
         .age, WorkloadSupport.containersColumn, WorkloadSupport.imagesColumn, WorkloadSupport.selectorColumn]
    }

    func tableCells(_ object: JSONValue, now: Double) -> [JSONValue] {
        let cells = WorkloadSupport.containerCells(object["spec"]?["template"]?["spec"])
        return [.string(object.name),
                .int(WorkloadSupport.int(object, "status", "desiredNumberScheduled")),
                .int(WorkloadSupport.int(object, "status", "currentNumberScheduled")),
                .int(WorkloadSupport.int(object, "status", "numberReady")),
                .int(WorkloadSupport.int(object, "status", "updatedNumberScheduled")),
                .int(WorkloadSupport.int(object, "status", "numberAvailable")),
                .string(WorkloadSupport.formatLabels(object["spec"]?["template"]?["spec"]?["nodeSelector"])),
                .string(age(of: object, now: now)), .string(cells.names), .string(cells.images),
                .string(WorkloadSupport.formatSelector(object["spec"]?["selector"]))]
    }
}

/// apps/v1 ControllerRevision: immutable data, non-negative revision (always present, 0 if unset).
struct ControllerRevisionStrategy: ResourceStrategy {
    func prepareForCreate(_ object: inout JSONValue) {
        PodSpecDefaults.setIfMissing(&object, "revision", 0)
    }

    func prepareForUpdate(_ object: inout JSONValue, old: JSONValue) {
        PodSpecDefaults.setIfMissing(&object, "revision", 0)
    }
    func validate(_ object: JSONValue) -> [FieldError] {
        var errors: [FieldError] = []
        if object["data"] == nil || object["data"]?.isNull == true { errors.append(.required("data", "data is mandatory")) }
        guard let revision = object["revision"], !revision.isNull else { return errors }
        guard let value = revision.intValue else { return errors + [.invalid("revision", revision, "must be an integer")] }
        if value < 0 { errors.append(.invalid("revision", .int(value), "must be greater than or equal to 0")) }
        return errors
    }

    func validateUpdate(_ object: JSONValue, old: JSONValue) -> [FieldError] {
        (object["data"] ?? .null) == (old["data"] ?? .null) ? [] : [.invalid("data", object["data"], "field is immutable")]
    }

    var tableColumns: [TableColumn] {
        [.name,
         TableColumn("Controller", description: "Controller of the object"),
         TableColumn("Revision", description: "Revision indicates the revision of the state represented by Data."),
         .age]
    }

    func tableCells(_ object: JSONValue, now: Double) -> [JSONValue] {
        var controller = "<none>"
        if let owner = object["metadata"]?["ownerReferences"]?.arrayValue?.first(where: { $0["controller"]?.boolValue == true }) {
            let apiVersion = owner["apiVersion"]?.stringValue ?? ""
            let group = apiVersion.contains("/") ? String(apiVersion.split(separator: "/")[0]) : ""
            let kind = owner["kind"]?.stringValue ?? ""
            let groupKind = group.isEmpty ? kind : "\(kind).\(group)"
            controller = "\(groupKind.lowercased())/\(owner["name"]?.stringValue ?? "")"
        }
        return [.string(object.name), .string(controller), .int(object["revision"]?.intValue ?? 0), .string(age(of: object, now: now))]
    }
}
