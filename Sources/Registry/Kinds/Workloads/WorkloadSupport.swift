import APIMachinery

/// Pieces shared by the controllers' kinds: label selectors, int-or-percent values, Go renderings of
/// values in messages, and the wide table cells.
enum WorkloadSupport {
    // MARK: Go renderings used in Kubernetes' messages

    /// `map[string]string{"a":"b", "c":"d"}` as Go's %#v prints a label map.
    static func goMap(_ map: [String: String]) -> String {
        let body = map.keys.sorted().map { "\(goQuote($0)):\(goQuote(map[$0] ?? ""))" }.joined(separator: ", ")
        return "map[string]string{\(body)}"
    }

    static func goQuote(_ s: String) -> String { FieldError.render(.string(s)) ?? "\"\"" }

    /// `v1.LabelSelector{MatchLabels:map[string]string{...}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}`.
    static func goSelector(_ selector: JSONValue?) -> String {
        guard let selector, !selector.isNull else { return "null" }
        let labels = JSONValue.workloadStringMap(selector["matchLabels"])
        let matchLabels = selector["matchLabels"]?.objectValue == nil ? "map[string]string(nil)" : goMap(labels)
        let expressions = selector["matchExpressions"]?.arrayValue ?? []
        var exprText = "[]v1.LabelSelectorRequirement(nil)"
        if !expressions.isEmpty {
            exprText = "[]v1.LabelSelectorRequirement{" + expressions.map { e in
                let values = (e["values"]?.arrayValue ?? []).compactMap(\.stringValue).map(goQuote).joined(separator: ", ")
                return "v1.LabelSelectorRequirement{Key:\(goQuote(e["key"]?.stringValue ?? "")), Operator:\(goQuote(e["operator"]?.stringValue ?? "")), Values:[]string{\(values)}}"
            }.joined(separator: ", ") + "}"
        }
        return "v1.LabelSelector{MatchLabels:\(matchLabels), MatchExpressions:\(exprText)}"
    }

    // MARK: Label selectors

    /// ValidateLabelSelector (metav1) at `path`.
    static func validateSelector(_ selector: JSONValue, path: String) -> [FieldError] {
        guard selector.objectValue != nil else { return [.invalid(path, selector, "must be an object")] }
        var errors: [FieldError] = []
        if case .object(let labels)? = selector["matchLabels"] {
            errors += validateLabels(labels.compactMapValues(\.stringValue), field: "\(path).matchLabels")
        }
        for (index, expression) in (selector["matchExpressions"]?.arrayValue ?? []).enumerated() {
            let p = "\(path).matchExpressions[\(index)]"
            let op = expression["operator"]?.stringValue ?? ""
            let values = expression["values"]?.arrayValue ?? []
            switch op {
            case "In", "NotIn":
                if values.isEmpty { errors.append(.required("\(p).values", "must be specified when `operator` is 'In' or 'NotIn'")) }
            case "Exists", "DoesNotExist":
                if !values.isEmpty { errors.append(.forbidden("\(p).values", "may not be specified when `operator` is 'Exists' or 'DoesNotExist'")) }
            default:
                errors.append(.invalid("\(p).operator", .string(op), "not a valid selector operator"))
            }
            errors += validateLabelKey(expression["key"]?.stringValue ?? "", field: "\(p).key")
            for (i, value) in values.enumerated() {
                errors += validateLabelValue(value.stringValue ?? "", field: "\(p).values[\(i)]")
            }
        }
        return errors
    }

    static func isEmptySelector(_ selector: JSONValue) -> Bool {
        (selector["matchLabels"]?.objectValue ?? [:]).isEmpty && (selector["matchExpressions"]?.arrayValue ?? []).isEmpty
    }

    /// The apps/v1 rules: selector required and non-empty, the template's labels must match it.
    static func validateAppsSelector(_ object: JSONValue, kind: String, templatePath: String = "spec.template") -> [FieldError] {
        guard let selector = object["spec"]?["selector"], !selector.isNull else { return [.required("spec.selector")] }
        var errors = validateSelector(selector, path: "spec.selector")
        guard errors.isEmpty else { return errors }
        if isEmptySelector(selector) {
            errors.append(FieldError(.invalid, field: "spec.selector", value: goSelector(selector), detail: "empty selector is invalid for \(kind)"))
            return errors
        }
        let template = object[path: templatePath.split(separator: ".").map(String.init)]
        let labels = template?.labels ?? [:]
        if let parsed = try? LabelSelector(fromJSON: selector), !parsed.matches(labels) {
            let rendered = template?["metadata"]?["labels"]?.objectValue == nil ? "map[string]string(nil)" : goMap(labels)
            errors.append(FieldError(.invalid, field: "\(templatePath).metadata.labels", value: rendered,
                                     detail: "`selector` does not match template `labels`"))
        }
        return errors
    }

    /// The selector of apps/v1 kinds may not change.
    static func validateSelectorImmutable(_ object: JSONValue, old: JSONValue) -> [FieldError] {
        let new = object["spec"]?["selector"] ?? .null
        let previous = old["spec"]?["selector"] ?? .null
        guard normalizedSelector(new) != normalizedSelector(previous) else { return [] }
        return [FieldError(.invalid, field: "spec.selector", value: goSelector(new), detail: "field is immutable")]
    }

    static func normalizedSelector(_ selector: JSONValue) -> JSONValue {
        var s = selector
        if (s["matchLabels"]?.objectValue ?? [:]).isEmpty { s["matchLabels"] = nil }
        if (s["matchExpressions"]?.arrayValue ?? []).isEmpty { s["matchExpressions"] = nil }
        return s
    }

    /// Template restartPolicy must be one of `allowed`.
    static func validateRestartPolicy(_ object: JSONValue, templatePath: [String], field: String, allowed: [String]) -> [FieldError] {
        let policy = object[path: templatePath + ["spec", "restartPolicy"]]?.stringValue ?? ""
        if policy.isEmpty || allowed.contains(policy) { return [] }
        return [.notSupported(field, policy, supported: allowed)]
    }

    static func replicasErrors(_ object: JSONValue) -> [FieldError] {
        PodSpecValidation.nonNegative(object["spec"], "replicas", path: "spec")
    }

    // MARK: Int or percent

    /// True for an unset IntOrString or one that is 0 or "0%" (validation is `IntOrPercent.validate`).
    static func isZero(_ value: JSONValue?) -> Bool {
        guard let value else { return true }
        if let i = value.intValue { return i == 0 }
        if let s = value.stringValue { return s == "0%" || s == "0" }
        return value.isNull
    }

    // MARK: Tables

    /// Container names and images, comma-separated, as kubectl's wide output prints them.
    static func containerCells(_ spec: JSONValue?) -> (names: String, images: String) {
        let containers = spec?["containers"]?.arrayValue ?? []
        return (containers.map { $0["name"]?.stringValue ?? "" }.joined(separator: ","),
                containers.map { $0["image"]?.stringValue ?? "" }.joined(separator: ","))
    }

    /// metav1.FormatLabelSelector: `<none>` for an empty selector, `<error>` for an invalid one.
    static func formatSelector(_ selector: JSONValue?) -> String {
        guard let selector, !selector.isNull else { return "<none>" }
        guard let parsed = try? LabelSelector(fromJSON: selector) else { return "<error>" }
        let s = parsed.string
        return s.isEmpty ? "<none>" : s
    }

    /// labels.FormatLabels of a map: `a=b,c=d`, or `<none>`.
    static func formatLabels(_ value: JSONValue?) -> String {
        let map = JSONValue.workloadStringMap(value)
        if map.isEmpty { return "<none>" }
        return map.keys.sorted().map { "\($0)=\(map[$0] ?? "")" }.joined(separator: ",")
    }

    static func int(_ object: JSONValue, _ path: String...) -> Int64 { object[path: path]?.intValue ?? 0 }

    /// The columns of a replica controller (ReplicaSet, ReplicationController): `owner` names it in the
    /// Ready column's description.
    static func replicaColumns(owner: String) -> [TableColumn] {
        [.name,
         TableColumn("Desired", type: "integer", description: "Replicas is the number of desired replicas."),
         TableColumn("Current", type: "integer", description: "Replicas is the most recently observed number of replicas."),
         TableColumn("Ready", type: "integer", description: "The number of ready replicas for this \(owner)."),
         .age, containersColumn, imagesColumn, selectorColumn]
    }

    /// The cells of a replica controller; `selector` is its selector as printed.
    static func replicaCells(_ object: JSONValue, now: Double, selector: String) -> [JSONValue] {
        let cells = containerCells(object["spec"]?["template"]?["spec"])
        return [.string(object.name), .int(int(object, "spec", "replicas")), .int(int(object, "status", "replicas")),
                .int(int(object, "status", "readyReplicas")), .string(age(of: object, now: now)),
                .string(cells.names), .string(cells.images), .string(selector)]
    }

    static let containersColumn = TableColumn("Containers", priority: 1, description: "Names of each container in the template.")
    static let imagesColumn = TableColumn("Images", priority: 1, description: "Images referenced by each container in the template.")
    static let selectorColumn = TableColumn("Selector", priority: 1, description: "Label selector for pods.")
}

extension JSONValue {
    /// The string values of a JSON object.
    static func workloadStringMap(_ value: JSONValue?) -> [String: String] {
        guard case .object(let o)? = value else { return [:] }
        return o.compactMapValues(\.stringValue)
    }
}

/// Status `{}` on create and template defaults: what every controller kind's PrepareForCreate does.
protocol WorkloadStrategy: ResourceStrategy {
    /// Paths of pod templates inside the object.
    var templatePaths: [[String]] { get }
    /// Kind-level defaults (replicas, strategies).
    func applyDefaults(_ object: inout JSONValue)
    /// The status a new object gets: the kind's empty status as Kubernetes serialises it (fields
    /// without omitempty appear as 0).
    var initialStatus: JSONValue { get }
}

extension WorkloadStrategy {
    var hasStatusSubresource: Bool { true }
    var tracksGeneration: Bool { true }
    var initialStatus: JSONValue { .object([:]) }

    func defaultAll(_ object: inout JSONValue) {
        applyDefaults(&object)
        for path in templatePaths { PodSpecDefaults.applyTemplate(in: &object, at: path) }
    }

    func prepareForCreate(_ object: inout JSONValue) {
        object["status"] = initialStatus
        defaultAll(&object)
    }

    func prepareForUpdate(_ object: inout JSONValue, old: JSONValue) {
        defaultAll(&object)
    }
}
