import APIMachinery

let rbacGroup = "rbac.authorization.k8s.io"

/// rbac.authorization.k8s.io/v1 Role and ClusterRole: every rule names verbs and either resources
/// (with API groups) or, cluster-wide only, non-resource URLs.
public struct RoleStrategy: ResourceStrategy {
    let namespaced: Bool
    public init(namespaced: Bool) { self.namespaced = namespaced }

    public func validateName(_ name: String, prefix: Bool) -> [String] {
        NameValidation.pathSegmentName(name, prefix: prefix)
    }

    /// `rules` is always written (null when there are none), as Kubernetes serializes it.
    public func prepareForCreate(_ object: inout JSONValue) {
        if object["rules"] == nil { object["rules"] = .null }
    }

    public func prepareForUpdate(_ object: inout JSONValue, old: JSONValue) {
        if object["rules"] == nil { object["rules"] = .null }
    }

    public func validate(_ object: JSONValue) -> [FieldError] {
        var errors: [FieldError] = []
        for (i, rule) in (object["rules"]?.arrayValue ?? []).enumerated() {
            errors += Self.ruleErrors(rule, namespaced: namespaced, field: "rules[\(i)]")
        }
        if !namespaced, let selectors = object["aggregationRule"]?["clusterRoleSelectors"]?.arrayValue {
            for (i, selector) in selectors.enumerated() {
                errors += labelSelectorErrors(selector, field: "aggregationRule.clusterRoleSelectors[\(i)]")
            }
        }
        return errors
    }

    static func ruleErrors(_ rule: JSONValue, namespaced: Bool, field: String) -> [FieldError] {
        var errors: [FieldError] = []
        func count(_ key: String) -> Int { rule[key]?.arrayValue?.count ?? 0 }
        if count("verbs") == 0 {
            errors.append(.required("\(field).verbs", "verbs must contain at least one value"))
        }
        if count("nonResourceURLs") > 0 {
            if namespaced {
                errors.append(.invalid("\(field).nonResourceURLs", rule["nonResourceURLs"], "namespaced rules cannot apply to non-resource URLs"))
            }
            if count("apiGroups") > 0 || count("resources") > 0 || count("resourceNames") > 0 {
                errors.append(.invalid("\(field).nonResourceURLs", rule["nonResourceURLs"], "rules cannot apply to both regular resources and non-resource URLs"))
            }
            return errors
        }
        if count("apiGroups") == 0 {
            errors.append(.required("\(field).apiGroups", "resource rules must supply at least one api group"))
        }
        if count("resources") == 0 {
            errors.append(.required("\(field).resources", "resource rules must supply at least one resource"))
        }
        return errors
    }

    public var tableColumns: [TableColumn] {
        [.name, TableColumn("Created At", type: "date", description: "CreationTimestamp is a timestamp representing the server time when this object was created.")]
    }
}

/// rbac.authorization.k8s.io/v1 RoleBinding and ClusterRoleBinding: a required, immutable roleRef
/// and subjects of kind User, Group or ServiceAccount; API groups defaulted as Kubernetes does.
public struct RoleBindingStrategy: ResourceStrategy {
    let namespaced: Bool
    public init(namespaced: Bool) { self.namespaced = namespaced }

    public func validateName(_ name: String, prefix: Bool) -> [String] {
        NameValidation.pathSegmentName(name, prefix: prefix)
    }

    public func prepareForCreate(_ object: inout JSONValue) { setDefaults(&object) }
    public func prepareForUpdate(_ object: inout JSONValue, old: JSONValue) { setDefaults(&object) }

    func setDefaults(_ object: inout JSONValue) {
        if object["roleRef"]?.objectValue != nil, (object["roleRef"]?["apiGroup"]?.stringValue ?? "").isEmpty {
            object[key: "roleRef", "apiGroup"] = .string(rbacGroup)
        }
        guard var subjects = object["subjects"]?.arrayValue else { return }
        for i in subjects.indices where subjects[i].objectValue != nil && (subjects[i]["apiGroup"]?.stringValue ?? "").isEmpty {
            switch subjects[i]["kind"]?.stringValue {
            case "User", "Group": subjects[i]["apiGroup"] = .string(rbacGroup)
            case "ServiceAccount": subjects[i]["apiGroup"] = nil  // "" is omitted (omitempty)
            default: break
            }
        }
        object["subjects"] = .array(subjects)
    }

    public func validate(_ object: JSONValue) -> [FieldError] {
        var errors: [FieldError] = []
        let ref = object["roleRef"]
        let group = ref?["apiGroup"]?.stringValue ?? ""
        if group != rbacGroup {
            errors.append(.notSupported("roleRef.apiGroup", group, supported: [rbacGroup]))
        }
        let kind = ref?["kind"]?.stringValue ?? ""
        let kinds = namespaced ? ["Role", "ClusterRole"] : ["ClusterRole"]
        if !kinds.contains(kind) {
            errors.append(.notSupported("roleRef.kind", kind, supported: kinds))
        }
        let name = ref?["name"]?.stringValue ?? ""
        if name.isEmpty {
            errors.append(.required("roleRef.name", ""))
        } else {
            errors += NameValidation.pathSegmentName(name, prefix: false).map { .invalid("roleRef.name", string: name, $0) }
        }
        for (i, subject) in (object["subjects"]?.arrayValue ?? []).enumerated() {
            errors += subjectErrors(subject, field: "subjects[\(i)]")
        }
        return errors
    }

    func subjectErrors(_ subject: JSONValue, field: String) -> [FieldError] {
        var errors: [FieldError] = []
        let name = subject["name"]?.stringValue ?? ""
        let group = subject["apiGroup"]?.stringValue ?? ""
        if name.isEmpty { errors.append(.required("\(field).name", "")) }
        switch subject["kind"]?.stringValue ?? "" {
        case "ServiceAccount":
            if !name.isEmpty {
                errors += NameValidation.isDNS1123Subdomain(name).map { .invalid("\(field).name", string: name, $0) }
            }
            if !group.isEmpty { errors.append(.notSupported("\(field).apiGroup", group, supported: [""])) }
            if !namespaced && (subject["namespace"]?.stringValue ?? "").isEmpty {
                errors.append(.required("\(field).namespace", ""))
            }
        case "User", "Group":
            if group != rbacGroup { errors.append(.notSupported("\(field).apiGroup", group, supported: [rbacGroup])) }
        default:
            errors.append(.notSupported("\(field).kind", subject["kind"]?.stringValue ?? "", supported: ["ServiceAccount", "User", "Group"]))
        }
        return errors
    }

    public func validateUpdate(_ object: JSONValue, old: JSONValue) -> [FieldError] {
        if object["roleRef"] != old["roleRef"] {
            return [.invalid("roleRef", object["roleRef"], "cannot change roleRef")]
        }
        return []
    }

    public var tableColumns: [TableColumn] {
        [.name,
         TableColumn("Role", description: "RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace. If the RoleRef cannot be resolved, the Authorizer must return an error. This field is immutable."),
         .age,
         TableColumn("Users", priority: 1, description: "Users in the binding"),
         TableColumn("Groups", priority: 1, description: "Groups in the binding"),
         TableColumn("ServiceAccounts", priority: 1, description: "ServiceAccounts in the binding")]
    }

    public func tableCells(_ object: JSONValue, now: Double) -> [JSONValue] {
        var users: [String] = [], groups: [String] = [], accounts: [String] = []
        for subject in object["subjects"]?.arrayValue ?? [] {
            let name = subject["name"]?.stringValue ?? ""
            switch subject["kind"]?.stringValue {
            case "User": users.append(name)
            case "Group": groups.append(name)
            case "ServiceAccount":
                let ns = subject["namespace"]?.stringValue ?? ""
                accounts.append(ns.isEmpty ? name : "\(ns)/\(name)")
            default: break
            }
        }
        let ref = object["roleRef"]
        return [.string(object.name),
                .string("\(ref?["kind"]?.stringValue ?? "")/\(ref?["name"]?.stringValue ?? "")"),
                .string(age(of: object, now: now)),
                .string(users.joined(separator: ", ")), .string(groups.joined(separator: ", ")),
                .string(accounts.joined(separator: ", "))]
    }
}
