import APIMachinery

/// Validation of PodSpec and PodTemplateSpec with Kubernetes' field paths and messages.
enum PodSpecValidation {
    // MARK: Small helpers

    static func nonNegative(_ object: JSONValue?, _ key: String, path: String) -> [FieldError] {
        guard let value = object?[key], !value.isNull else { return [] }
        guard let i = value.intValue else { return [.invalid("\(path).\(key)", value, "must be an integer")] }
        return i < 0 ? [.invalid("\(path).\(key)", .int(i), "must be greater than or equal to 0")] : []
    }

    static func portRange(_ value: Int64, field: String) -> [FieldError] {
        (1...65535).contains(value) ? [] : [.invalid(field, .int(value), "must be between 1 and 65535, inclusive")]
    }

    /// IsValidPortName (IANA_SVC_NAME).
    static func portNameErrors(_ name: String) -> [String] {
        var errors: [String] = []
        if name.utf8.count > 15 { errors.append("must be no more than 15 characters") }
        if !name.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D }) {
            errors.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
        }
        if !name.utf8.contains(where: { $0 >= 0x61 && $0 <= 0x7A }) { errors.append("must contain at least one letter (a-z)") }
        if name.contains("--") { errors.append("must not contain consecutive hyphens") }
        if name.hasPrefix("-") || name.hasSuffix("-") { errors.append("must not begin or end with a hyphen") }
        return errors
    }

    /// An IntOrString port: a number in range or an IANA service name.
    static func validatePortNumOrName(_ value: JSONValue?, field: String) -> [FieldError] {
        guard let value, !value.isNull else { return [.required(field)] }
        if let i = value.intValue { return portRange(i, field: field) }
        if let s = value.stringValue {
            if s.isEmpty { return [.required(field)] }
            return portNameErrors(s).map { .invalid(field, string: s, $0) }
        }
        return [.invalid(field, value, "must be an integer or a string")]
    }

    static func string(_ object: JSONValue?, _ key: String) -> String { object?[key]?.stringValue ?? "" }

    // MARK: Templates

    /// A PodTemplateSpec at `path` (e.g. `spec.template`): required, metadata labels and annotations, spec.
    /// `claimVolumes`: names mounts may use besides the spec's volumes (a StatefulSet's
    /// volumeClaimTemplates become volumes of its pods).
    static func validateTemplate(_ template: JSONValue?, path: String, claimVolumes: Set<String> = []) -> [FieldError] {
        guard let template, !template.isNull else { return [.required(path)] }
        guard template.objectValue != nil else { return [.invalid(path, template, "must be an object")] }
        var errors: [FieldError] = []
        errors += validateLabels(template.labels, field: "\(path).metadata.labels")
        errors += validateAnnotations(template.annotations, field: "\(path).metadata.annotations")
        errors += validateSpec(template["spec"] ?? .object([:]), path: "\(path).spec", claimVolumes: claimVolumes)
        return errors
    }

    // MARK: PodSpec

    static func validateSpec(_ spec: JSONValue, path: String, claimVolumes: Set<String> = []) -> [FieldError] {
        var errors: [FieldError] = []
        var (volumeNames, volumeErrors) = validateVolumes(spec["volumes"], path: "\(path).volumes")
        volumeNames.formUnion(claimVolumes)
        errors += volumeErrors

        let containers = spec["containers"]?.arrayValue ?? []
        let initContainers = spec["initContainers"]?.arrayValue ?? []
        var names = Set<String>()
        for (index, container) in initContainers.enumerated() {
            errors += validateContainer(container, path: "\(path).initContainers[\(index)]", names: &names, volumes: volumeNames, isInit: true)
        }
        if containers.isEmpty {
            errors.append(.required("\(path).containers"))
        }
        for (index, container) in containers.enumerated() {
            errors += validateContainer(container, path: "\(path).containers[\(index)]", names: &names, volumes: volumeNames, isInit: false)
        }

        let restart = string(spec, "restartPolicy")
        if restart.isEmpty {
            errors.append(.required("\(path).restartPolicy"))
        } else if !["Always", "OnFailure", "Never"].contains(restart) {
            errors.append(.notSupported("\(path).restartPolicy", restart, supported: ["Always", "OnFailure", "Never"]))
        }
        let dns = string(spec, "dnsPolicy")
        if dns.isEmpty {
            errors.append(.required("\(path).dnsPolicy"))
        } else if !["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"].contains(dns) {
            errors.append(.notSupported("\(path).dnsPolicy", dns, supported: ["ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"]))
        } else if dns == "None", spec["dnsConfig"] == nil || spec["dnsConfig"]?.isNull == true {
            errors.append(.required("\(path).dnsConfig", "must provide `dnsConfig` when `dnsPolicy` is None"))
        }
        if let deadline = spec["activeDeadlineSeconds"], !deadline.isNull {
            let value = deadline.intValue ?? 0
            if value < 1 || value > 2_147_483_647 {
                errors.append(.invalid("\(path).activeDeadlineSeconds", deadline, "must be between 1 and 2147483647, inclusive"))
            }
        }
        if case .object(let selector)? = spec["nodeSelector"] {
            errors += validateLabels(selector.compactMapValues(\.stringValue), field: "\(path).nodeSelector")
        }
        let account = string(spec, "serviceAccountName")
        if !account.isEmpty { errors += validateDNS1123Subdomain(account, field: "\(path).serviceAccountName") }
        for key in ["hostname", "subdomain"] {
            let value = string(spec, key)
            if !value.isEmpty { errors += validateDNS1123Label(value, field: "\(path).\(key)") }
        }
        let node = string(spec, "nodeName")
        if !node.isEmpty { errors += validateDNS1123Subdomain(node, field: "\(path).nodeName") }
        if spec["hostNetwork"]?.boolValue == true {
            for key in ["initContainers", "containers"] {
                for (i, container) in (spec[key]?.arrayValue ?? []).enumerated() {
                    for (j, port) in (container["ports"]?.arrayValue ?? []).enumerated() {
                        let containerPort = port["containerPort"]?.intValue ?? 0
                        if let hostPort = port["hostPort"]?.intValue, hostPort != 0, hostPort != containerPort {
                            errors.append(.invalid("\(path).\(key)[\(i)].ports[\(j)].hostPort", .int(hostPort),
                                                   "must match `containerPort` when `hostNetwork` is true"))
                        }
                    }
                }
            }
        }
        let priorityClass = string(spec, "priorityClassName")
        if !priorityClass.isEmpty { errors += validateDNS1123Subdomain(priorityClass, field: "\(path).priorityClassName") }
        if let affinity = spec["affinity"], !affinity.isNull {
            errors += validateAffinity(affinity, path: "\(path).affinity")
        }
        for (index, toleration) in (spec["tolerations"]?.arrayValue ?? []).enumerated() {
            errors += validateToleration(toleration, path: "\(path).tolerations[\(index)]")
        }
        errors += validateSecurityIDs(spec["securityContext"], path: "\(path).securityContext",
                                      keys: ["runAsUser", "runAsGroup", "fsGroup"])
        for (index, group) in (spec["securityContext"]?["supplementalGroups"]?.arrayValue ?? []).enumerated() {
            if let id = group.intValue, id < 0 || id > 2_147_483_647 {
                errors.append(.invalid("\(path).securityContext.supplementalGroups[\(index)]", .int(id), "must be between 0 and 2147483647, inclusive"))
            }
        }
        if let grace = spec["terminationGracePeriodSeconds"], !grace.isNull, grace.intValue == nil {
            errors.append(.invalid("\(path).terminationGracePeriodSeconds", grace, "must be an integer"))
        }
        return errors
    }

    static func validateToleration(_ toleration: JSONValue, path: String) -> [FieldError] {
        var errors: [FieldError] = []
        let key = string(toleration, "key")
        let op = string(toleration, "operator")
        if !key.isEmpty { errors += validateLabelKey(key, field: "\(path).key") }
        if key.isEmpty && op != "Exists" {
            errors.append(.invalid("\(path).operator", .string(op), "operator must be Exists when `key` is empty, which means \"match all values and all keys\""))
        }
        switch op {
        case "", "Equal":
            let value = string(toleration, "value")
            if !value.isEmpty { errors += validateLabelValue(value, field: "\(path).value") }
        case "Exists":
            if !string(toleration, "value").isEmpty {
                errors.append(.invalid("\(path).operator", toleration["value"], "value must be empty when `operator` is 'Exists'"))
            }
        default:
            errors.append(.notSupported("\(path).operator", op, supported: ["Equal", "Exists"]))
        }
        let effect = string(toleration, "effect")
        if !effect.isEmpty, !["NoSchedule", "PreferNoSchedule", "NoExecute"].contains(effect) {
            errors.append(.notSupported("\(path).effect", effect, supported: ["NoSchedule", "PreferNoSchedule", "NoExecute"]))
        }
        if let seconds = toleration["tolerationSeconds"], !seconds.isNull, effect != "NoExecute" {
            errors.append(.invalid("\(path).effect", .string(effect), "effect must be 'NoExecute' when `tolerationSeconds` is set"))
        }
        return errors
    }

    /// User and group IDs: 0 to 2147483647.
    static func validateSecurityIDs(_ context: JSONValue?, path: String, keys: [String]) -> [FieldError] {
        var errors: [FieldError] = []
        for key in keys {
            guard let value = context?[key], !value.isNull else { continue }
            if let id = value.intValue, id >= 0, id <= 2_147_483_647 { continue }
            errors.append(.invalid("\(path).\(key)", value, "must be between 0 and 2147483647, inclusive"))
        }
        return errors
    }

    // MARK: Affinity

    static func validateAffinity(_ affinity: JSONValue, path: String) -> [FieldError] {
        var errors: [FieldError] = []
        if let node = affinity["nodeAffinity"], !node.isNull {
            let p = "\(path).nodeAffinity"
            if let required = node["requiredDuringSchedulingIgnoredDuringExecution"], !required.isNull {
                let rp = "\(p).requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms"
                let terms = required["nodeSelectorTerms"]?.arrayValue ?? []
                if terms.isEmpty { errors.append(.required(rp, "must have at least one node selector term")) }
                for (i, term) in terms.enumerated() { errors += validateNodeSelectorTerm(term, path: "\(rp)[\(i)]") }
            }
            for (i, preferred) in (node["preferredDuringSchedulingIgnoredDuringExecution"]?.arrayValue ?? []).enumerated() {
                let pp = "\(p).preferredDuringSchedulingIgnoredDuringExecution[\(i)]"
                errors += validateWeight(preferred["weight"], path: "\(pp).weight")
                errors += validateNodeSelectorTerm(preferred["preference"] ?? .object([:]), path: "\(pp).preference")
            }
        }
        for kind in ["podAffinity", "podAntiAffinity"] {
            guard let pod = affinity[kind], !pod.isNull else { continue }
            let p = "\(path).\(kind)"
            for (i, term) in (pod["requiredDuringSchedulingIgnoredDuringExecution"]?.arrayValue ?? []).enumerated() {
                errors += validatePodAffinityTerm(term, path: "\(p).requiredDuringSchedulingIgnoredDuringExecution[\(i)]")
            }
            for (i, weighted) in (pod["preferredDuringSchedulingIgnoredDuringExecution"]?.arrayValue ?? []).enumerated() {
                let wp = "\(p).preferredDuringSchedulingIgnoredDuringExecution[\(i)]"
                errors += validateWeight(weighted["weight"], path: "\(wp).weight")
                errors += validatePodAffinityTerm(weighted["podAffinityTerm"] ?? .object([:]), path: "\(wp).podAffinityTerm")
            }
        }
        return errors
    }

    static func validateWeight(_ value: JSONValue?, path: String) -> [FieldError] {
        let weight = value?.intValue ?? 0
        return (1...100).contains(weight) ? [] : [.invalid(path, .int(weight), "must be in the range 1-100")]
    }

    static func validatePodAffinityTerm(_ term: JSONValue, path: String) -> [FieldError] {
        var errors: [FieldError] = []
        if let selector = term["labelSelector"], !selector.isNull {
            errors += WorkloadSupport.validateSelector(selector, path: "\(path).labelSelector")
        }
        let key = string(term, "topologyKey")
        if key.isEmpty {
            errors.append(.required("\(path).topologyKey", "can not be empty"))
        } else {
            errors += validateQualifiedName(key, field: "\(path).topologyKey")
        }
        return errors
    }

    static func validateNodeSelectorTerm(_ term: JSONValue, path: String) -> [FieldError] {
        var errors: [FieldError] = []
        for (i, requirement) in (term["matchExpressions"]?.arrayValue ?? []).enumerated() {
            let p = "\(path).matchExpressions[\(i)]"
            let values = requirement["values"]?.arrayValue ?? []
            let op = string(requirement, "operator")
            switch op {
            case "In", "NotIn":
                if values.isEmpty { errors.append(.required("\(p).values", "must be specified when `operator` is 'In' or 'NotIn'")) }
            case "Exists", "DoesNotExist":
                if !values.isEmpty { errors.append(.forbidden("\(p).values", "may not be specified when `operator` is 'Exists' or 'DoesNotExist'")) }
            case "Gt", "Lt":
                if values.count != 1 { errors.append(.required("\(p).values", "must be specified single value when `operator` is 'Lt' or 'Gt'")) }
            default:
                errors.append(.invalid("\(p).operator", .string(op), "not a valid selector operator"))
            }
            errors += validateLabelKey(string(requirement, "key"), field: "\(p).key")
        }
        return errors
    }

    // MARK: Volumes

    static func validateVolumes(_ value: JSONValue?, path: String) -> (Set<String>, [FieldError]) {
        var names = Set<String>()
        var errors: [FieldError] = []
        for (index, volume) in (value?.arrayValue ?? []).enumerated() {
            let p = "\(path)[\(index)]"
            let name = string(volume, "name")
            if name.isEmpty {
                errors.append(.required("\(p).name"))
            } else {
                errors += validateDNS1123Label(name, field: "\(p).name")
                if names.contains(name) { errors.append(.duplicate("\(p).name", .string(name))) }
                names.insert(name)
            }
            let sources = PodSpecDefaults.volumeSources.filter { volume[$0] != nil && volume[$0]?.isNull == false }
            if sources.isEmpty {
                errors.append(.required(p, "must specify a volume type"))
            } else if sources.count > 1 {
                errors.append(.forbidden("\(p).\(sources[1])", "may not specify more than 1 volume type"))
            }
            if let configMap = volume["configMap"], !configMap.isNull {
                if string(configMap, "name").isEmpty { errors.append(.required("\(p).configMap.name")) }
                errors += validateMode(configMap["defaultMode"], field: "\(p).configMap.defaultMode")
            }
            if let secret = volume["secret"], !secret.isNull {
                if string(secret, "secretName").isEmpty { errors.append(.required("\(p).secret.secretName")) }
                errors += validateMode(secret["defaultMode"], field: "\(p).secret.defaultMode")
            }
            if let hostPath = volume["hostPath"], !hostPath.isNull, string(hostPath, "path").isEmpty {
                errors.append(.required("\(p).hostPath.path"))
            }
            if let claim = volume["persistentVolumeClaim"], !claim.isNull, string(claim, "claimName").isEmpty {
                errors.append(.required("\(p).persistentVolumeClaim.claimName"))
            }
            if let size = volume["emptyDir"]?["sizeLimit"], !size.isNull {
                errors += validateQuantity(size, field: "\(p).emptyDir.sizeLimit")
            }
        }
        return (names, errors)
    }

    static func validateMode(_ value: JSONValue?, field: String) -> [FieldError] {
        guard let value, !value.isNull else { return [] }
        guard let mode = value.intValue, mode >= 0, mode <= 0o777 else {
            return [.invalid(field, value, "must be a number between 0 and 0777 (octal), both inclusive")]
        }
        return []
    }

    static func validateQuantity(_ value: JSONValue, field: String) -> [FieldError] {
        guard let q = Quantity(json: value) else { return [.invalid(field, .string(quantityDisplayText(value)), Quantity.formatMessage)] }
        return q.sign < 0 ? [.invalid(field, .string(quantityDisplayText(value)), "must be greater than or equal to 0")] : []
    }

    // MARK: Containers

    static func validateContainer(_ container: JSONValue, path: String, names: inout Set<String>, volumes: Set<String>,
                                  isInit: Bool) -> [FieldError] {
        guard container.objectValue != nil else { return [.invalid(path, container, "must be an object")] }
        var errors: [FieldError] = []
        let name = string(container, "name")
        if name.isEmpty {
            errors.append(.required("\(path).name"))
        } else {
            errors += validateDNS1123Label(name, field: "\(path).name")
            if names.contains(name) { errors.append(.duplicate("\(path).name", .string(name))) }
            names.insert(name)
        }
        if string(container, "image").isEmpty { errors.append(.required("\(path).image")) }
        let pull = string(container, "imagePullPolicy")
        if !pull.isEmpty, !["Always", "IfNotPresent", "Never"].contains(pull) {
            errors.append(.notSupported("\(path).imagePullPolicy", pull, supported: ["Always", "IfNotPresent", "Never"]))
        }
        let messagePolicy = string(container, "terminationMessagePolicy")
        if !messagePolicy.isEmpty, !["File", "FallbackToLogsOnError"].contains(messagePolicy) {
            errors.append(.notSupported("\(path).terminationMessagePolicy", messagePolicy, supported: ["File", "FallbackToLogsOnError"]))
        }
        errors += validatePorts(container["ports"], path: "\(path).ports")
        if let context = container["securityContext"], !context.isNull {
            errors += validateSecurityIDs(context, path: "\(path).securityContext", keys: ["runAsUser", "runAsGroup"])
            if context["privileged"]?.boolValue == true, context["allowPrivilegeEscalation"]?.boolValue == false {
                errors.append(.invalid("\(path).securityContext", nil, "cannot set `allowPrivilegeEscalation` to false and `privileged` to true"))
            }
        }
        if let policy = container["restartPolicy"]?.stringValue {
            if !isInit {
                errors.append(.forbidden("\(path).restartPolicy", "may not be set for non-init containers"))
            } else if policy != "Always" {
                errors.append(.notSupported("\(path).restartPolicy", policy, supported: ["Always"]))
            }
        }
        errors += validateEnv(container["env"], path: "\(path).env")
        errors += validateResources(container["resources"], path: "\(path).resources")
        errors += validateMounts(container["volumeMounts"], path: "\(path).volumeMounts", volumes: volumes)
        let restartable = isInit && string(container, "restartPolicy") == "Always"
        for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
            guard let value = container[probe], !value.isNull else { continue }
            if isInit && !restartable {
                errors.append(.forbidden("\(path).\(probe)", "may not be set for init containers without restartPolicy=Always"))
                continue
            }
            errors += validateProbe(value, path: "\(path).\(probe)", requireSingleSuccess: probe != "readinessProbe")
        }
        if let lifecycle = container["lifecycle"], !lifecycle.isNull {
            for hook in ["postStart", "preStop"] {
                guard let handler = lifecycle[hook], !handler.isNull else { continue }
                errors += validateHandler(handler, path: "\(path).lifecycle.\(hook)", kinds: ["exec", "httpGet", "tcpSocket", "sleep"])
            }
        }
        return errors
    }

    static func validatePorts(_ value: JSONValue?, path: String) -> [FieldError] {
        var errors: [FieldError] = []
        var names = Set<String>()
        for (index, port) in (value?.arrayValue ?? []).enumerated() {
            let p = "\(path)[\(index)]"
            let name = string(port, "name")
            if !name.isEmpty {
                errors += portNameErrors(name).map { .invalid("\(p).name", string: name, $0) }
                if names.contains(name) { errors.append(.duplicate("\(p).name", .string(name))) }
                names.insert(name)
            }
            let containerPort = port["containerPort"]?.intValue ?? 0
            if containerPort == 0 {
                errors.append(.required("\(p).containerPort"))
            } else {
                errors += portRange(containerPort, field: "\(p).containerPort")
            }
            if let hostPort = port["hostPort"]?.intValue, hostPort != 0 {
                errors += portRange(hostPort, field: "\(p).hostPort")
            }
            let proto = string(port, "protocol")
            if proto.isEmpty {
                errors.append(.required("\(p).protocol"))
            } else if !["SCTP", "TCP", "UDP"].contains(proto) {
                errors.append(.notSupported("\(p).protocol", proto, supported: ["SCTP", "TCP", "UDP"]))
            }
        }
        return errors
    }

    static func validateEnv(_ value: JSONValue?, path: String) -> [FieldError] {
        var errors: [FieldError] = []
        for (index, env) in (value?.arrayValue ?? []).enumerated() {
            let p = "\(path)[\(index)]"
            let name = string(env, "name")
            if name.isEmpty {
                errors.append(.required("\(p).name"))
            } else if name.contains("=") || !name.unicodeScalars.allSatisfy({ $0.value >= 32 && $0.value <= 126 }) {
                errors.append(.invalid("\(p).name", string: name,
                                       "a valid environment variable name must consist only of printable ASCII characters other than '='"))
            }
            if let from = env["valueFrom"], !from.isNull {
                if !string(env, "value").isEmpty {
                    errors.append(.invalid("\(p).valueFrom", .string(""), "may not be specified when `value` is not empty"))
                }
                let sources = ["fieldRef", "resourceFieldRef", "configMapKeyRef", "secretKeyRef"].filter { from[$0] != nil && from[$0]?.isNull == false }
                if sources.isEmpty {
                    errors.append(.invalid("\(p).valueFrom", .string(""), "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`"))
                } else if sources.count > 1 {
                    errors.append(.invalid("\(p).valueFrom", .string(""), "may not have more than one field specified at a time"))
                }
                for ref in ["configMapKeyRef", "secretKeyRef"] {
                    if let r = from[ref], !r.isNull, string(r, "key").isEmpty { errors.append(.required("\(p).valueFrom.\(ref).key")) }
                }
                if let r = from["fieldRef"], !r.isNull, string(r, "fieldPath").isEmpty {
                    errors.append(.required("\(p).valueFrom.fieldRef.fieldPath"))
                }
            }
        }
        return errors
    }

    static func validateResources(_ value: JSONValue?, path: String) -> [FieldError] {
        guard let value, !value.isNull else { return [] }
        var errors: [FieldError] = []
        var parsed: [String: [String: Quantity]] = [:]
        for kind in ["limits", "requests"] {
            guard let map = value[kind]?.objectValue else { continue }
            for key in map.keys.sorted() {
                let q = map[key] ?? .null
                let field = "\(path).\(kind)[\(key)]"
                errors += validateQualifiedName(key, field: field)
                if !key.contains("/") {
                    if !["cpu", "memory", "ephemeral-storage"].contains(key) && !key.hasPrefix("hugepages-") {
                        errors.append(.invalid(field, string: key, "must be a standard resource for containers"))
                    }
                } else if !key.hasPrefix("kubernetes.io/") && !key.contains(".kubernetes.io/") && key.hasPrefix("requests.") {
                    errors.append(.invalid(field, string: key, "doesn't follow extended resource name standard"))
                }
                guard let number = Quantity(json: q) else {
                    errors.append(.invalid(field, .string(quantityDisplayText(q)), Quantity.formatMessage))
                    continue
                }
                if number.sign < 0 {
                    errors.append(.invalid(field, .string(quantityDisplayText(q)), "must be greater than or equal to 0"))
                }
                parsed[kind, default: [:]][key] = number
            }
        }
        let limits = value["limits"]?.objectValue ?? [:]
        let requests = value["requests"]?.objectValue ?? [:]
        for key in requests.keys.sorted() {
            guard let r = parsed["requests"]?[key] else { continue }
            let isExtended = key.contains("/") && !key.hasPrefix("kubernetes.io/") && !key.contains(".kubernetes.io/")
            if isExtended {
                if r.nanoValue % 1_000_000_000 != 0 {
                    errors.append(.invalid("\(path).requests[\(key)]", .string(quantityDisplayText(requests[key] ?? .null)), "must be an integer"))
                }
                if let l = parsed["limits"]?[key], l != r {
                    errors.append(.invalid("\(path).requests[\(key)]", .string(quantityDisplayText(requests[key] ?? .null)),
                                           "must be equal to \(key) limit of \(quantityDisplayText(limits[key] ?? .null))"))
                } else if parsed["limits"]?[key] == nil {
                    errors.append(.forbidden("\(path).limits", "Limit must be set for non overcommitable resources"))
                }
                continue
            }
            guard let l = parsed["limits"]?[key], r > l else { continue }
            errors.append(.invalid("\(path).requests[\(key)]", .string(quantityDisplayText(requests[key] ?? .null)),
                                   "must be less than or equal to \(key) limit of \(quantityDisplayText(limits[key] ?? .null))"))
        }
        return errors
    }

    static func validateMounts(_ value: JSONValue?, path: String, volumes: Set<String>) -> [FieldError] {
        var errors: [FieldError] = []
        var paths = Set<String>()
        for (index, mount) in (value?.arrayValue ?? []).enumerated() {
            let p = "\(path)[\(index)]"
            let name = string(mount, "name")
            if name.isEmpty {
                errors.append(.required("\(p).name"))
            } else if !volumes.contains(name) {
                errors.append(FieldError(.notFound, field: "\(p).name", value: FieldError.render(.string(name))))
            }
            let mountPath = string(mount, "mountPath")
            if mountPath.isEmpty {
                errors.append(.required("\(p).mountPath"))
            } else {
                if paths.contains(mountPath) { errors.append(.invalid("\(p).mountPath", string: mountPath, "must be unique")) }
                paths.insert(mountPath)
            }
        }
        return errors
    }

    // MARK: Probes

    static func validateProbe(_ probe: JSONValue, path: String, requireSingleSuccess: Bool) -> [FieldError] {
        var errors = validateHandler(probe, path: path, kinds: ["exec", "httpGet", "tcpSocket", "grpc"])
        for key in ["initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold", "failureThreshold", "terminationGracePeriodSeconds"] {
            errors += nonNegative(probe, key, path: path)
        }
        if requireSingleSuccess, let s = probe["successThreshold"]?.intValue, s != 1 {
            errors.append(.invalid("\(path).successThreshold", .int(s), "must be 1"))
        }
        return errors
    }

    /// Exactly one handler of `kinds`, each well-formed.
    static func validateHandler(_ handler: JSONValue, path: String, kinds: [String]) -> [FieldError] {
        var errors: [FieldError] = []
        let present = kinds.filter { handler[$0] != nil && handler[$0]?.isNull == false }
        if present.isEmpty {
            errors.append(.required(path, "must specify a handler type"))
        }
        for extra in present.dropFirst() {
            errors.append(.forbidden("\(path).\(extra)", "may not specify more than 1 handler type"))
        }
        if let exec = handler["exec"], !exec.isNull, (exec["command"]?.arrayValue ?? []).isEmpty {
            errors.append(.required("\(path).exec.command"))
        }
        if let get = handler["httpGet"], !get.isNull {
            errors += validatePortNumOrName(get["port"], field: "\(path).httpGet.port")
            let scheme = string(get, "scheme")
            if !scheme.isEmpty, !["HTTP", "HTTPS"].contains(scheme) {
                errors.append(.notSupported("\(path).httpGet.scheme", scheme, supported: ["HTTP", "HTTPS"]))
            }
        }
        if let tcp = handler["tcpSocket"], !tcp.isNull {
            errors += validatePortNumOrName(tcp["port"], field: "\(path).tcpSocket.port")
        }
        if let grpc = handler["grpc"], !grpc.isNull {
            let port = grpc["port"]?.intValue ?? 0
            errors += portRange(port, field: "\(path).grpc.port")
        }
        return errors
    }
}
