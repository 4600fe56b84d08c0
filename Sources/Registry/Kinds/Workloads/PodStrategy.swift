import APIMachinery

/// core/v1 Pod: PodSpec defaults plus the admission defaults, status Pending with its QoS class on
/// create, a spec that only changes images, deadlines and tolerations, and `kubectl get pods` columns.
struct PodStrategy: ResourceStrategy {
    var hasStatusSubresource: Bool { true }
    /// DELETE answers with the pod, as Kubernetes' pod storage does.
    var returnsDeletedObject: Bool { true }

    /// A pod on a node terminates gracefully (its kubelet stops the containers, then deletes it with
    /// grace 0): the requested period, else spec.terminationGracePeriodSeconds (30). A pod on no node,
    /// or one that has finished, goes at once.
    func deletionGracePeriod(_ object: JSONValue, requested: Int64?) -> Int64 {
        let phase = object["status"]?["phase"]?.stringValue ?? ""
        if (object["spec"]?["nodeName"]?.stringValue ?? "").isEmpty || phase == "Succeeded" || phase == "Failed" { return 0 }
        return max(0, requested ?? object["spec"]?["terminationGracePeriodSeconds"]?.intValue ?? 30)
    }

    var fieldSelectorLabels: [String] {
        ["spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName", "spec.hostNetwork",
         "status.phase", "status.podIP", "status.podIPs", "status.nominatedNodeName"]
    }

    func defaults(_ object: inout JSONValue) {
        var spec = object["spec"] ?? .object([:])
        guard spec.objectValue != nil else { return }
        PodSpecDefaults.applySpec(&spec)
        PodSpecDefaults.applyPodOnly(&spec)
        object["spec"] = spec
    }

    func prepareForCreate(_ object: inout JSONValue) {
        defaults(&object)
        DefaultTolerationSeconds.apply(&object)
        object["status"] = ["phase": "Pending", "qosClass": .string(PodSpecDefaults.qosClass(object["spec"] ?? .null))]
        if !(object["spec"]?["schedulingGates"]?.arrayValue ?? []).isEmpty {
            object[key: "status", "conditions"] = [["type": "PodScheduled", "status": "False", "reason": "SchedulingGated",
                                                    "message": "Scheduling is blocked due to non-empty scheduling gates",
                                                    "lastProbeTime": .null, "lastTransitionTime": .null]]
        }
    }

    func prepareForUpdate(_ object: inout JSONValue, old: JSONValue) {
        defaults(&object)
    }

    func validate(_ object: JSONValue) -> [FieldError] {
        guard let spec = object["spec"], spec.objectValue != nil else { return [.required("spec")] }
        var errors = PodSpecValidation.validateSpec(spec, path: "spec")
        let gates = spec["schedulingGates"]?.arrayValue ?? []
        var gateNames = Set<String>()
        for (index, gate) in gates.enumerated() {
            let name = gate["name"]?.stringValue ?? ""
            errors += validateQualifiedName(name, field: "spec.schedulingGates[\(index)].name")
            if gateNames.contains(name) { errors.append(.duplicate("spec.schedulingGates[\(index)].name", .string(name))) }
            gateNames.insert(name)
        }
        if !gates.isEmpty, !(spec["nodeName"]?.stringValue ?? "").isEmpty {
            errors.append(.forbidden("spec.nodeName", "cannot be set until all schedulingGates have been cleared"))
        }
        return errors
    }

    static let updateMessage = "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)"

    func validateUpdate(_ object: JSONValue, old: JSONValue) -> [FieldError] {
        func masked(_ pod: JSONValue) -> JSONValue {
            var spec = pod["spec"] ?? .null
            for key in ["containers", "initContainers"] {
                PodSpecDefaults.forEach(&spec, key) { $0["image"] = nil }
            }
            for key in ["activeDeadlineSeconds", "tolerations", "terminationGracePeriodSeconds", "schedulingGates"] { spec[key] = nil }
            return spec
        }
        var errors: [FieldError] = []
        if masked(object) != masked(old) { errors.append(.forbidden("spec", Self.updateMessage)) }
        let oldGates = Set((old["spec"]?["schedulingGates"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue })
        for gate in (object["spec"]?["schedulingGates"]?.arrayValue ?? []).compactMap({ $0["name"]?.stringValue }) where !oldGates.contains(gate) {
            errors.append(.forbidden("spec.schedulingGates", "only deletion is allowed, but found new scheduling gate '\(gate)'"))
        }
        let oldTolerations = old["spec"]?["tolerations"]?.arrayValue ?? []
        let newTolerations = object["spec"]?["tolerations"]?.arrayValue ?? []
        if !oldTolerations.allSatisfy({ newTolerations.contains($0) }) {
            errors.append(.forbidden("spec.tolerations", "existing toleration can not be modified except its tolerationSeconds"))
        }
        return errors
    }

    func selectableFields(_ object: JSONValue) -> [String: String] {
        let spec = object["spec"]
        let status = object["status"]
        let ips = (status?["podIPs"]?.arrayValue ?? []).compactMap { $0["ip"]?.stringValue }
        return [
            "spec.nodeName": spec?["nodeName"]?.stringValue ?? "",
            "spec.restartPolicy": spec?["restartPolicy"]?.stringValue ?? "",
            "spec.schedulerName": spec?["schedulerName"]?.stringValue ?? "",
            "spec.serviceAccountName": spec?["serviceAccountName"]?.stringValue ?? "",
            "spec.hostNetwork": spec?["hostNetwork"]?.boolValue == true ? "true" : "false",
            "status.phase": status?["phase"]?.stringValue ?? "",
            "status.podIP": ips.first ?? status?["podIP"]?.stringValue ?? "",
            "status.podIPs": ips.joined(separator: ","),
            "status.nominatedNodeName": status?["nominatedNodeName"]?.stringValue ?? "",
        ]
    }

    var tableColumns: [TableColumn] {
        [.name,
         TableColumn("Ready", description: "The aggregate readiness state of this pod for accepting traffic."),
         TableColumn("Status", description: "The aggregate status of the containers in this pod."),
         TableColumn("Restarts", description: "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted."),
         .age,
         TableColumn("IP", priority: 1, description: "IP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated."),
         TableColumn("Node", priority: 1, description: "NodeName is a request to schedule this pod onto a specific node."),
         TableColumn("Nominated Node", priority: 1, description: "nominatedNodeName is set only when this pod preempts other pods on the node."),
         TableColumn("Readiness Gates", priority: 1, description: "If specified, all readiness gates will be evaluated for pod readiness.")]
    }

    func tableCells(_ object: JSONValue, now: Double) -> [JSONValue] {
        let row = Self.printPod(object, now: now)
        return [.string(object.name), .string(row.ready), .string(row.status), .string(row.restarts), .string(age(of: object, now: now)),
                .string(row.ip), .string(row.node), .string(row.nominated), .string(row.gates)]
    }

    /// kubectl's printPod: READY, STATUS and RESTARTS of a pod, and its wide cells.
    static func printPod(_ pod: JSONValue, now: Double) -> (ready: String, status: String, restarts: String, ip: String, node: String, nominated: String, gates: String) {
        let spec = pod["spec"]
        let status = pod["status"]
        var restarts: Int64 = 0
        var restartableInitRestarts: Int64 = 0
        var totalContainers = spec?["containers"]?.arrayValue?.count ?? 0
        var readyContainers = 0
        var lastRestart: Double?
        var lastRestartableInitRestart: Double?
        let phase = status?["phase"]?.stringValue ?? ""
        var reason = phase
        if let r = status?["reason"]?.stringValue, !r.isEmpty { reason = r }
        let conditions = status?["conditions"]?.arrayValue ?? []
        if conditions.contains(where: { $0["type"]?.stringValue == "PodScheduled" && $0["reason"]?.stringValue == "SchedulingGated" }) {
            reason = "SchedulingGated"
        }
        let initSpecs = spec?["initContainers"]?.arrayValue ?? []
        var restartable = Set<String>()
        for c in initSpecs where c["restartPolicy"]?.stringValue == "Always" {
            restartable.insert(c["name"]?.stringValue ?? "")
            totalContainers += 1
        }
        func finished(_ c: JSONValue) -> Double? {
            c["lastState"]?["terminated"]?["finishedAt"]?.stringValue.flatMap(parseTimestamp)
        }
        var initializing = false
        for (i, c) in (status?["initContainerStatuses"]?.arrayValue ?? []).enumerated() {
            let count = c["restartCount"]?.intValue ?? 0
            restarts += count
            if let t = finished(c), t > (lastRestart ?? -Double.infinity) { lastRestart = t }
            let name = c["name"]?.stringValue ?? ""
            let isRestartable = restartable.contains(name)
            if isRestartable {
                restartableInitRestarts += count
                if let t = finished(c), t > (lastRestartableInitRestart ?? -Double.infinity) { lastRestartableInitRestart = t }
            }
            let terminated = c["state"]?["terminated"]
            let waiting = c["state"]?["waiting"]
            if let terminated, !terminated.isNull, (terminated["exitCode"]?.intValue ?? 0) == 0 { continue }
            if isRestartable, c["started"]?.boolValue == true {
                if c["ready"]?.boolValue == true { readyContainers += 1 }
                continue
            }
            if let terminated, !terminated.isNull {
                let r = terminated["reason"]?.stringValue ?? ""
                if r.isEmpty {
                    let signal = terminated["signal"]?.intValue ?? 0
                    reason = signal != 0 ? "Init:Signal:\(signal)" : "Init:ExitCode:\(terminated["exitCode"]?.intValue ?? 0)"
                } else {
                    reason = "Init:" + r
                }
            } else if let w = waiting?["reason"]?.stringValue, !w.isEmpty, w != "PodInitializing" {
                reason = "Init:" + w
            } else {
                reason = "Init:\(i)/\(initSpecs.count)"
            }
            initializing = true
            break
        }
        let initialized = conditions.contains { $0["type"]?.stringValue == "Initialized" && $0["status"]?.stringValue == "True" }
        if !initializing || initialized {
            restarts = restartableInitRestarts
            lastRestart = lastRestartableInitRestart
            var hasRunning = false
            for c in (status?["containerStatuses"]?.arrayValue ?? []).reversed() {
                restarts += c["restartCount"]?.intValue ?? 0
                if let t = finished(c), t > (lastRestart ?? -Double.infinity) { lastRestart = t }
                let state = c["state"]
                let waiting = state?["waiting"].flatMap { $0.isNull ? nil : $0 }
                let terminated = state?["terminated"].flatMap { $0.isNull ? nil : $0 }
                let running = state?["running"].flatMap { $0.isNull ? nil : $0 }
                if let w = waiting?["reason"]?.stringValue, !w.isEmpty {
                    reason = w
                } else if let terminated, let r = terminated["reason"]?.stringValue, !r.isEmpty {
                    reason = r
                } else if let terminated {
                    let signal = terminated["signal"]?.intValue ?? 0
                    reason = signal != 0 ? "Signal:\(signal)" : "ExitCode:\(terminated["exitCode"]?.intValue ?? 0)"
                } else if c["ready"]?.boolValue == true, running != nil {
                    hasRunning = true
                    readyContainers += 1
                }
            }
            if reason == "Completed" && hasRunning {
                let ready = conditions.contains { $0["type"]?.stringValue == "Ready" && $0["status"]?.stringValue == "True" }
                reason = ready ? "Running" : "NotReady"
            }
        }
        if pod.deletionTimestamp != nil {
            if status?["reason"]?.stringValue == "NodeLost" {
                reason = "Unknown"
            } else if phase != "Succeeded" && phase != "Failed" {
                reason = "Terminating"
            }
        }
        var restartsText = String(restarts)
        if restarts != 0, let last = lastRestart {
            restartsText = "\(restarts) (\(humanDuration(now - last)) ago)"
        }
        var ip = (status?["podIPs"]?.arrayValue?.first?["ip"]?.stringValue) ?? ""
        if ip.isEmpty { ip = "<none>" }
        var node = spec?["nodeName"]?.stringValue ?? ""
        if node.isEmpty { node = "<none>" }
        var nominated = status?["nominatedNodeName"]?.stringValue ?? ""
        if nominated.isEmpty { nominated = "<none>" }
        var gates = "<none>"
        let readinessGates = spec?["readinessGates"]?.arrayValue ?? []
        if !readinessGates.isEmpty {
            var trueConditions = 0
            for gate in readinessGates {
                let type = gate["conditionType"]?.stringValue ?? ""
                if let c = conditions.first(where: { $0["type"]?.stringValue == type }), c["status"]?.stringValue == "True" {
                    trueConditions += 1
                }
            }
            gates = "\(trueConditions)/\(readinessGates.count)"
        }
        return ("\(readyContainers)/\(totalContainers)", reason, restartsText, ip, node, nominated, gates)
    }
}

/// core/v1 Binding (`POST .../bindings`): never stored; the API server hands it to the pods' binding.
struct BindingStrategy: ResourceStrategy {}

/// POST /api/v1/namespaces/NS/bindings: binds the pod the Binding names, as pods/NAME/binding does.
struct BindingAnswer: CreateAnswerer {
    func answer(_ request: JSONValue, namespace: String, registry: Registry,
                options: WriteOptions) async throws(StatusError) -> JSONValue {
        guard let pods = registry.store(group: "", version: "v1", resource: "pods") else { throw StatusError.notFoundPath() }
        let name = request.name
        if name.isEmpty {
            throw StatusError.invalid(kind: "Binding", group: "", name: name, errors: [.required("metadata.name", "name or generateName is required")])
        }
        return try await pods.bind(namespace: namespace, name: name, binding: request, options: options)
    }
}

/// core/v1 PodTemplate: a template with PodSpec defaults and validation.
struct PodTemplateStrategy: ResourceStrategy {
    func prepareForCreate(_ object: inout JSONValue) {
        PodSpecDefaults.applyTemplate(in: &object, at: ["template"])
    }

    func prepareForUpdate(_ object: inout JSONValue, old: JSONValue) {
        PodSpecDefaults.applyTemplate(in: &object, at: ["template"])
    }

    func validate(_ object: JSONValue) -> [FieldError] {
        PodSpecValidation.validateTemplate(object["template"], path: "template")
    }

    var tableColumns: [TableColumn] {
        [.name,
         TableColumn("Containers", description: "Names of each container in the template."),
         TableColumn("Images", description: "Images referenced by each container in the template."),
         TableColumn("Pod Labels", description: "The labels for the pod template.")]
    }

    func tableCells(_ object: JSONValue, now: Double) -> [JSONValue] {
        let cells = WorkloadSupport.containerCells(object["template"]?["spec"])
        return [.string(object.name), .string(cells.names), .string(cells.images),
                .string(WorkloadSupport.formatLabels(object["template"]?["metadata"]?["labels"]))]
    }
}

/// core/v1 ReplicationController: selector and labels default from the template, replicas 1.
struct ReplicationControllerStrategy: WorkloadStrategy {
    var templatePaths: [[String]] { [["spec", "template"]] }
    var fieldSelectorLabels: [String] { ["status.replicas"] }
    var initialStatus: JSONValue { ["replicas": 0] }

    func applyDefaults(_ object: inout JSONValue) {
        var spec = object["spec"] ?? .object([:])
        guard spec.objectValue != nil else { return }
        let templateLabels = spec["template"]?["metadata"]?["labels"]?.objectValue ?? [:]
        if !templateLabels.isEmpty {
            if (spec["selector"]?.objectValue ?? [:]).isEmpty { spec["selector"] = .object(templateLabels) }
            if object.labels.isEmpty { object[key: "metadata", "labels"] = .object(templateLabels) }
        }
        PodSpecDefaults.setIfMissing(&spec, "replicas", 1)
        object["spec"] = spec
    }

    func validate(_ object: JSONValue) -> [FieldError] {
        var errors = WorkloadSupport.replicasErrors(object)
        errors += PodSpecValidation.nonNegative(object["spec"], "minReadySeconds", path: "spec")
        let selector = JSONValue.workloadStringMap(object["spec"]?["selector"])
        if selector.isEmpty {
            errors.append(.required("spec.selector"))
        } else {
            errors += validateLabels(selector, field: "spec.selector")
        }
        guard let template = object["spec"]?["template"], !template.isNull else {
            errors.append(.required("spec.template"))
            return errors
        }
        let labels = template.labels
        if !selector.isEmpty, !selector.allSatisfy({ labels[$0.key] == $0.value }) {
            let rendered = template["metadata"]?["labels"]?.objectValue == nil ? "map[string]string(nil)" : WorkloadSupport.goMap(labels)
            errors.append(FieldError(.invalid, field: "spec.template.metadata.labels", value: rendered,
                                     detail: "`selector` does not match template `labels`"))
        }
        errors += PodSpecValidation.validateTemplate(template, path: "spec.template")
        errors += WorkloadSupport.validateRestartPolicy(object, templatePath: ["spec", "template"], field: "spec.template.spec.restartPolicy", allowed: ["Always"])
        return errors
    }

    func selectableFields(_ object: JSONValue) -> [String: String] {
        ["status.replicas": String(WorkloadSupport.int(object, "status", "replicas"))]
    }

    var tableColumns: [TableColumn] { WorkloadSupport.replicaColumns(owner: "replication controller") }

    func tableCells(_ object: JSONValue, now: Double) -> [JSONValue] {
        WorkloadSupport.replicaCells(object, now: now, selector: WorkloadSupport.formatLabels(object["spec"]?["selector"]))
    }
}
