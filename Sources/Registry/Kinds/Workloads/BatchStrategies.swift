import APIMachinery
import Foundation

/// batch/v1 Job: completions, parallelism and backoff defaults, a generated selector and pod labels
/// unless manualSelector, OnFailure/Never pods.
struct JobStrategy: WorkloadStrategy {
    var templatePaths: [[String]] { [["spec", "template"]] }
    var fieldSelectorLabels: [String] { ["status.successful"] }

    func applyDefaults(_ object: inout JSONValue) {
        var spec = object["spec"] ?? .object([:])
        guard spec.objectValue != nil else { return }
        Self.applyJobSpecDefaults(&spec)
        let templateLabels = spec["template"]?["metadata"]?["labels"]?.objectValue ?? [:]
        if !templateLabels.isEmpty, object.labels.isEmpty { object[key: "metadata", "labels"] = .object(templateLabels) }
        object["spec"] = spec
    }

    /// SetDefaults_Job's spec part.
    static func applyJobSpecDefaults(_ spec: inout JSONValue) {
        let completions = spec["completions"].flatMap { $0.isNull ? nil : $0 }
        let parallelism = spec["parallelism"].flatMap { $0.isNull ? nil : $0 }
        if completions == nil && parallelism == nil {
            spec["completions"] = 1
            spec["parallelism"] = 1
        }
        PodSpecDefaults.setIfMissing(&spec, "parallelism", 1)
        if spec["backoffLimitPerIndex"] != nil && spec["backoffLimitPerIndex"]?.isNull == false {
            PodSpecDefaults.setIfMissing(&spec, "backoffLimit", 2_147_483_647)
        } else {
            PodSpecDefaults.setIfMissing(&spec, "backoffLimit", 6)
        }
        PodSpecDefaults.setIfEmpty(&spec, "completionMode", "NonIndexed")
        PodSpecDefaults.setIfMissing(&spec, "suspend", false)
        if var policy = spec["podFailurePolicy"], policy.objectValue != nil {
            PodSpecDefaults.forEach(&policy, "rules") { rule in
                PodSpecDefaults.forEach(&rule, "onPodConditions") { c in PodSpecDefaults.setIfEmpty(&c, "status", "True") }
            }
            spec["podFailurePolicy"] = policy
            PodSpecDefaults.setIfEmpty(&spec, "podReplacementPolicy", "Failed")
        } else {
            PodSpecDefaults.setIfEmpty(&spec, "podReplacementPolicy", "TerminatingOrFailed")
        }
    }

    func prepareForCreate(_ object: inout JSONValue) {
        object["status"] = initialStatus
        defaultAll(&object)
        guard object["spec"]?["manualSelector"]?.boolValue != true, object["spec"]?.objectValue != nil else { return }
        let uid = object.uid
        object[key: "spec", "selector"] = ["matchLabels": ["batch.kubernetes.io/controller-uid": .string(uid)]]
        var template = object["spec"]?["template"] ?? .object([:])
        guard template.objectValue != nil else { return }
        var labels = template["metadata"]?["labels"]?.objectValue ?? [:]
        labels["batch.kubernetes.io/controller-uid"] = .string(uid)
        labels["batch.kubernetes.io/job-name"] = .string(object.name)
        labels["controller-uid"] = .string(uid)
        labels["job-name"] = .string(object.name)
        template[key: "metadata", "labels"] = .object(labels)
        object[key: "spec", "template"] = template
    }

    func validate(_ object: JSONValue) -> [FieldError] {
        guard let spec = object["spec"], spec.objectValue != nil else { return [.required("spec")] }
        var errors = Self.validateJobSpec(spec, path: "spec", requireSelector: true)
        // Names become pod label values.
        if object.name.utf8.count > 63 {
            errors += validateLabelValue(object.name, field: "metadata.name")
        }
        return errors
    }

    /// ValidateJobSpec; `requireSelector` is false inside a CronJob's jobTemplate.
    static func validateJobSpec(_ spec: JSONValue, path: String, requireSelector: Bool) -> [FieldError] {
        var errors: [FieldError] = []
        for key in ["parallelism", "completions", "backoffLimit", "activeDeadlineSeconds", "ttlSecondsAfterFinished", "backoffLimitPerIndex", "maxFailedIndexes"] {
            errors += PodSpecValidation.nonNegative(spec, key, path: path)
        }
        let hasFailurePolicy = spec["podFailurePolicy"] != nil && spec["podFailurePolicy"]?.isNull == false
        if let maxFailed = spec["maxFailedIndexes"], !maxFailed.isNull, spec["backoffLimitPerIndex"] == nil || spec["backoffLimitPerIndex"]?.isNull == true {
            errors.append(.required("\(path).backoffLimitPerIndex", "when maxFailedIndexes is specified"))
        }
        let mode = spec["completionMode"]?.stringValue ?? "NonIndexed"
        if !["NonIndexed", "Indexed"].contains(mode) {
            errors.append(.notSupported("\(path).completionMode", mode, supported: ["NonIndexed", "Indexed"]))
        } else if mode == "Indexed", spec["completions"] == nil || spec["completions"]?.isNull == true {
            errors.append(.required("\(path).completions", "when completion mode is Indexed"))
        }
        if mode == "NonIndexed" {
            for key in ["backoffLimitPerIndex", "maxFailedIndexes"] {
                if let v = spec[key], !v.isNull { errors.append(.invalid("\(path).\(key)", v, "requires indexed completion mode")) }
            }
        }
        if let replacement = spec["podReplacementPolicy"]?.stringValue {
            if hasFailurePolicy, replacement != "Failed" {
                errors.append(.notSupported("\(path).podReplacementPolicy", replacement, supported: ["Failed"]))
            } else if !["TerminatingOrFailed", "Failed"].contains(replacement) {
                errors.append(.notSupported("\(path).podReplacementPolicy", replacement, supported: ["Failed", "TerminatingOrFailed"]))
            }
        }
        let template = spec["template"]
        if let selector = spec["selector"], !selector.isNull {
            errors += WorkloadSupport.validateSelector(selector, path: "\(path).selector")
            if let parsed = try? LabelSelector(fromJSON: selector), !parsed.isEverything {
                let labels = template?.labels ?? [:]
                if !parsed.matches(labels) {
                    errors.append(FieldError(.invalid, field: "\(path).template.metadata.labels", value: WorkloadSupport.goMap(labels),
                                             detail: "`selector` does not match template `labels`"))
                }
            }
        } else if requireSelector {
            errors.append(.required("\(path).selector"))
        }
        errors += PodSpecValidation.validateTemplate(template, path: "\(path).template")
        // Templates default restartPolicy to Always, which a Job never accepts.
        let restart = template?["spec"]?["restartPolicy"]?.stringValue ?? ""
        if restart.isEmpty || restart == "Always" {
            errors.append(.required("\(path).template.spec.restartPolicy", "valid values: \"OnFailure\", \"Never\""))
        } else if !["OnFailure", "Never"].contains(restart) {
            errors.append(.notSupported("\(path).template.spec.restartPolicy", restart, supported: ["OnFailure", "Never"]))
        } else if hasFailurePolicy, restart != "Never" {
            errors.append(.invalid("\(path).template.spec.restartPolicy", .string(restart), "only \"Never\" is supported when podFailurePolicy is specified"))
        }
        return errors
    }

    func validateUpdate(_ object: JSONValue, old: JSONValue) -> [FieldError] {
        var errors: [FieldError] = []
        let spec = object["spec"] ?? .null
        let oldSpec = old["spec"] ?? .null
        if WorkloadSupport.normalizedSelector(spec["selector"] ?? .null) != WorkloadSupport.normalizedSelector(oldSpec["selector"] ?? .null) {
            errors.append(FieldError(.invalid, field: "spec.selector", value: WorkloadSupport.goSelector(spec["selector"]), detail: "field is immutable"))
        }
        if (spec["completions"] ?? .null) != (oldSpec["completions"] ?? .null) {
            if spec["completionMode"]?.stringValue != "Indexed" {
                errors.append(.invalid("spec.completions", spec["completions"] ?? .null, "field is immutable"))
            } else if let completions = spec["completions"]?.intValue, completions != spec["parallelism"]?.intValue {
                errors.append(.invalid("spec.completions", .int(completions), "can only be modified in tandem with spec.parallelism"))
            }
        }
        for key in ["completionMode", "podFailurePolicy", "backoffLimitPerIndex", "managedBy", "successPolicy"] where (spec[key] ?? .null) != (oldSpec[key] ?? .null) {
            errors.append(.invalid("spec.\(key)", spec[key] ?? .null, "field is immutable"))
        }
        // Only a suspended job that never started may change its scheduling directives; nothing
        // else of the template changes.
        let mutableDirectives = oldSpec["suspend"]?.boolValue == true && old["status"]?["startTime"] == nil
        func template(_ value: JSONValue?) -> JSONValue {
            var t = value ?? .null
            guard mutableDirectives, t.objectValue != nil else { return t }
            t[key: "metadata", "labels"] = nil
            t[key: "metadata", "annotations"] = nil
            for key in ["nodeSelector", "tolerations", "schedulingGates"] { t[key: "spec", key] = nil }
            if var affinity = t["spec"]?["affinity"], affinity.objectValue != nil {
                affinity["nodeAffinity"] = nil
                t[key: "spec", "affinity"] = affinity == .object([:]) ? nil : affinity
            }
            return t
        }
        if template(spec["template"]) != template(oldSpec["template"]) {
            errors.append(FieldError(.invalid, field: "spec.template", value: nil, detail: "field is immutable"))
        }
        return errors
    }

    func selectableFields(_ object: JSONValue) -> [String: String] {
        ["status.successful": String(WorkloadSupport.int(object, "status", "succeeded"))]
    }

    var tableColumns: [TableColumn] {
        [.name,
         TableColumn("Status", description: "Status of the job."),
         TableColumn("Completions", description: "The desired number of successfully finished pods the job should be run with."),
         TableColumn("Duration", description: "Time required to complete the job."),
         .age, WorkloadSupport.containersColumn, WorkloadSupport.imagesColumn, WorkloadSupport.selectorColumn]
    }

    func tableCells(_ object: JSONValue, now: Double) -> [JSONValue] {
        let spec = object["spec"]
        let status = object["status"]
        let succeeded = status?["succeeded"]?.intValue ?? 0
        var completions: String
        if let c = spec?["completions"]?.intValue {
            completions = "\(succeeded)/\(c)"
        } else if let p = spec?["parallelism"]?.intValue, p > 1 {
            completions = "\(succeeded)/1 of \(p)"
        } else {
            completions = "\(succeeded)/1"
        }
        var duration = ""
        if let start = status?["startTime"]?.stringValue.flatMap(parseTimestamp) {
            if let end = status?["completionTime"]?.stringValue.flatMap(parseTimestamp) {
                duration = humanDuration(end - start)
            } else {
                duration = humanDuration(now - start)
            }
        }
        let conditions = status?["conditions"]?.arrayValue ?? []
        func has(_ type: String) -> Bool {
            conditions.first { $0["type"]?.stringValue == type }?["status"]?.stringValue == "True"
        }
        let state: String
        if has("Complete") {
            state = "Complete"
        } else if has("Failed") {
            state = "Failed"
        } else if object.deletionTimestamp != nil {
            state = "Terminating"
        } else if has("Suspended") {
            state = "Suspended"
        } else if has("FailureTarget") {
            state = "FailureTarget"
        } else {
            state = "Running"
        }
        let cells = WorkloadSupport.containerCells(spec?["template"]?["spec"])
        return [.string(object.name), .string(state), .string(completions), .string(duration), .string(age(of: object, now: now)),
                .string(cells.names), .string(cells.images), .string(WorkloadSupport.formatSelector(spec?["selector"]))]
    }
}

/// batch/v1 CronJob: a cron schedule (robfig/cron's standard syntax), an IANA time zone, history limits.
struct CronJobStrategy: WorkloadStrategy {
    var templatePaths: [[String]] { [["spec", "jobTemplate", "spec", "template"]] }

    func validateName(_ name: String, prefix: Bool) -> [String] {
        var errors = NameValidation.nameIsDNSSubdomain(name, prefix: prefix)
        if !prefix, name.utf8.count > 52 { errors.append("must be no more than 52 characters") }
        return errors
    }

    func applyDefaults(_ object: inout JSONValue) {
        var spec = object["spec"] ?? .object([:])
        guard spec.objectValue != nil else { return }
        PodSpecDefaults.setIfEmpty(&spec, "concurrencyPolicy", "Allow")
        PodSpecDefaults.setIfMissing(&spec, "suspend", false)
        PodSpecDefaults.setIfMissing(&spec, "successfulJobsHistoryLimit", 3)
        PodSpecDefaults.setIfMissing(&spec, "failedJobsHistoryLimit", 1)
        if var template = spec["jobTemplate"], template.objectValue != nil {
            if var metadata = template["metadata"], metadata.objectValue != nil, metadata["creationTimestamp"] == nil {
                metadata["creationTimestamp"] = .null
                template["metadata"] = metadata
            } else if template["metadata"] == nil {
                template["metadata"] = ["creationTimestamp": .null]
            }
            spec["jobTemplate"] = template
        }
        object["spec"] = spec
    }

    func validate(_ object: JSONValue) -> [FieldError] {
        guard let spec = object["spec"], spec.objectValue != nil else { return [.required("spec")] }
        var errors: [FieldError] = []
        let schedule = spec["schedule"]?.stringValue ?? ""
        if schedule.isEmpty {
            errors.append(.required("spec.schedule"))
        } else {
            if let message = CronSchedule.validate(schedule, isKnownZone: { CronJobStrategy.validateTimeZone($0, field: "").isEmpty }) {
                errors.append(.invalid("spec.schedule", string: schedule, message))
            }
            // On update (the object has a resourceVersion) validateUpdate applies the TZ rules with the old schedule.
            if object.resourceVersion.isEmpty, schedule.contains("TZ") {
                errors.append(.invalid("spec.schedule", string: schedule, "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"))
            }
        }
        if object.resourceVersion.isEmpty, let zone = spec["timeZone"], !zone.isNull {
            errors += Self.validateTimeZone(zone.stringValue ?? "", field: "spec.timeZone")
        }
        let policy = spec["concurrencyPolicy"]?.stringValue ?? ""
        if policy.isEmpty {
            errors.append(.required("spec.concurrencyPolicy"))
        } else if !["Allow", "Forbid", "Replace"].contains(policy) {
            errors.append(.notSupported("spec.concurrencyPolicy", policy, supported: ["Allow", "Forbid", "Replace"]))
        }
        for key in ["startingDeadlineSeconds", "successfulJobsHistoryLimit", "failedJobsHistoryLimit"] {
            errors += PodSpecValidation.nonNegative(spec, key, path: "spec")
        }
        let jobSpec = spec["jobTemplate"]?["spec"] ?? .object([:])
        errors += JobStrategy.validateJobSpec(jobSpec, path: "spec.jobTemplate.spec", requireSelector: false)
        if let selector = jobSpec["selector"], !selector.isNull {
            errors.append(FieldError(.invalid, field: "spec.jobTemplate.spec.selector", value: WorkloadSupport.goSelector(selector),
                                     detail: "`selector` will be auto-generated"))
        }
        if jobSpec["manualSelector"]?.boolValue == true {
            errors.append(FieldError(.notSupported, field: "spec.jobTemplate.spec.manualSelector", value: "true",
                                     detail: "supported values: \"nil\", \"false\""))
        }
        return errors
    }

    /// A schedule may keep a TZ it already had (but not with timeZone); timeZone is checked when it changes.
    func validateUpdate(_ object: JSONValue, old: JSONValue) -> [FieldError] {
        var errors: [FieldError] = []
        let schedule = object["spec"]?["schedule"]?.stringValue ?? ""
        let zone = object["spec"]?["timeZone"]
        let hasZone = zone != nil && zone?.isNull == false
        if schedule.contains("TZ") {
            if (old["spec"]?["schedule"]?.stringValue ?? "").contains("TZ") {
                if hasZone {
                    errors.append(.invalid("spec.schedule", string: schedule, "cannot use both timeZone field and TZ or CRON_TZ in schedule"))
                }
            } else {
                errors.append(.invalid("spec.schedule", string: schedule, "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"))
            }
        }
        if hasZone, zone != old["spec"]?["timeZone"] {
            errors += Self.validateTimeZone(zone?.stringValue ?? "", field: "spec.timeZone")
        }
        return errors
    }

    static func validateTimeZone(_ zone: String, field: String) -> [FieldError] {
        if zone.isEmpty { return [.invalid(field, string: zone, "timeZone must be nil or non-empty string")] }
        for part in zone.split(separator: "/", omittingEmptySubsequences: false) {
            let validChars = part.utf8.count >= 1 && part.utf8.count <= 14 && part.allSatisfy {
                $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == "_" || $0 == "+")
            }
            if part == "." || part == ".." || part.hasPrefix("-") || !validChars {
                return [.invalid(field, string: zone, "unknown time zone \(zone)")]
            }
        }
        if zone.lowercased() == "local" {
            return [.invalid(field, string: zone, "timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones")]
        }
        if zone == "UTC" { return [] }
        var isDirectory: ObjCBool = false
        let path = "/usr/share/zoneinfo/" + zone
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue { return [] }
        if !FileManager.default.fileExists(atPath: "/usr/share/zoneinfo"), TimeZone(identifier: zone) != nil { return [] }
        return [.invalid(field, string: zone, "unknown time zone \(zone)")]
    }

    var tableColumns: [TableColumn] {
        [.name,
         TableColumn("Schedule", description: "The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron."),
         TableColumn("Timezone", description: "The time zone name for the given schedule, see https://en.wikipedia.org/wiki/List_of_tz_database_time_zones."),
         TableColumn("Suspend", type: "boolean", description: "This flag tells the controller to suspend subsequent executions."),
         TableColumn("Active", type: "integer", description: "A list of pointers to currently running jobs."),
         TableColumn("Last Schedule", description: "Information when was the last time the job was successfully scheduled."),
         .age, WorkloadSupport.containersColumn, WorkloadSupport.imagesColumn, WorkloadSupport.selectorColumn]
    }

    func tableCells(_ object: JSONValue, now: Double) -> [JSONValue] {
        let spec = object["spec"]
        var suspend = "<unset>"
        if let s = spec?["suspend"]?.boolValue { suspend = s ? "True" : "False" }
        var last = "<none>"
        if let t = object["status"]?["lastScheduleTime"]?.stringValue.flatMap(parseTimestamp) { last = humanDuration(now - t) }
        let zone = spec?["timeZone"]?.stringValue ?? "<none>"
        let jobSpec = spec?["jobTemplate"]?["spec"]
        let cells = WorkloadSupport.containerCells(jobSpec?["template"]?["spec"])
        return [.string(object.name), .string(spec?["schedule"]?.stringValue ?? ""), .string(zone), .string(suspend),
                .int(Int64(object["status"]?["active"]?.arrayValue?.count ?? 0)), .string(last), .string(age(of: object, now: now)),
                .string(cells.names), .string(cells.images), .string(WorkloadSupport.formatSelector(jobSpec?["selector"]))]
    }
}
