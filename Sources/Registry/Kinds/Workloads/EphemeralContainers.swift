import APIMachinery

/// pods/NAME/ephemeralcontainers: the only way to add ephemeral containers (`kubectl debug`). Writes
/// change spec.ephemeralContainers alone; existing ones may not change.
extension GenericStore {
    /// PUT .../ephemeralcontainers with a Pod.
    public func updateEphemeralContainers(namespace: String, name: String, pod: JSONValue, options: WriteOptions) async throws(StatusError) -> JSONValue {
        guard pod.objectValue != nil else { throw StatusError.badRequest("the body of the request must be a JSON object of kind Pod") }
        let rv = pod.resourceVersion
        return try await modify(namespace: namespace, name: name, options: options) { (stored: inout JSONValue) throws(StatusError) in
            if !rv.isEmpty, rv != stored.resourceVersion { throw StatusError.conflict(groupResource, name: name) }
            try setEphemeralContainers(pod["spec"]?["ephemeralContainers"], on: &stored)
        }
    }

    /// PATCH .../ephemeralcontainers: the patch applies to the whole pod; only its ephemeral containers are kept.
    public func patchEphemeralContainers(namespace: String, name: String, type: PatchType, body: JSONValue, options: WriteOptions) async throws(StatusError) -> JSONValue {
        try await modify(namespace: namespace, name: name, options: options) { (stored: inout JSONValue) throws(StatusError) in
            let patched = try applyPatch(type: type, body: body, to: stored)
            if Self.pinsResourceVersion(type: type, patch: body), patched.resourceVersion != stored.resourceVersion {
                throw StatusError.conflict(groupResource, name: name)
            }
            try setEphemeralContainers(patched["spec"]?["ephemeralContainers"], on: &stored)
        }
    }

    func setEphemeralContainers(_ value: JSONValue?, on pod: inout JSONValue) throws(StatusError) {
        var spec = pod["spec"] ?? .object([:])
        let old = spec["ephemeralContainers"]?.arrayValue ?? []
        var new = value?.arrayValue ?? []
        for i in new.indices where new[i].objectValue != nil { PodSpecDefaults.applyContainer(&new[i]) }
        spec["ephemeralContainers"] = new.isEmpty ? nil : .array(new)
        var errors: [FieldError] = []
        for previous in old {
            let oldName = previous["name"]?.stringValue ?? ""
            guard let current = new.first(where: { $0["name"]?.stringValue == oldName }) else {
                errors.append(.forbidden("spec.ephemeralContainers", "existing ephemeral containers \"\(oldName)\" may not be removed"))
                continue
            }
            if current != previous {
                errors.append(.forbidden("spec.ephemeralContainers", "existing ephemeral containers \"\(oldName)\" may not be changed"))
            }
        }
        var names = Set((spec["containers"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue })
        names.formUnion((spec["initContainers"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue })
        let targets = names
        for (index, container) in new.enumerated() {
            let path = "spec.ephemeralContainers[\(index)]"
            errors += PodSpecValidation.validateContainer(container, path: path, names: &names, volumes: [], isInit: false)
                .filter { !$0.field.hasPrefix("\(path).volumeMounts") }
            for field in ["ports", "livenessProbe", "readinessProbe", "startupProbe", "lifecycle"] {
                if let v = container[field], !v.isNull, v != .array([]) {
                    errors.append(.forbidden("\(path).\(field)", "cannot be set for an Ephemeral Container"))
                }
            }
            if let resources = container["resources"], resources != .object([:]) {
                errors.append(.forbidden("\(path).resources", "cannot be set for an Ephemeral Container"))
            }
            if let target = container["targetContainerName"]?.stringValue, !target.isEmpty, !targets.contains(target) {
                errors.append(FieldError(.notFound, field: "\(path).targetContainerName", value: FieldError.render(.string(target))))
            }
        }
        if !errors.isEmpty {
            throw StatusError.invalid(kind: definition.kind, group: definition.group, name: pod.name, errors: errors)
        }
        pod["spec"] = spec
    }
}
