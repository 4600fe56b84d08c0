import APIMachinery
import Storage

/// Subresources beyond status: `scale` (autoscaling/v1 Scale over the kind's replicas), pods' `binding`
/// (sets spec.nodeName) and `eviction` (deletes the pod).
extension GenericStore {
    static let scaleResource = GroupResource(group: "autoscaling", resource: "scale")

    /// The autoscaling/v1 Scale view of an object.
    public func scaleObject(of object: JSONValue) -> JSONValue {
        let scale = definition.scale ?? ScaleSubresource()
        var metadata: [String: JSONValue] = ["name": .string(object.name)]
        for key in ["namespace", "uid", "resourceVersion", "creationTimestamp"] {
            if let value = object["metadata"]?[key] { metadata[key] = value }
        }
        let selectorValue = object[path: scale.selector] ?? .null
        var selector = ""
        if scale.selectorIsMap {
            let map = selectorValue.objectValue ?? [:]
            selector = map.keys.sorted().map { "\($0)=\(map[$0]?.stringValue ?? "")" }.joined(separator: ",")
        } else if !selectorValue.isNull, let parsed = try? LabelSelector(fromJSON: selectorValue) {
            selector = parsed.string
        }
        var status: [String: JSONValue] = ["replicas": .int(object[path: scale.statusReplicas]?.intValue ?? 0)]
        if !selector.isEmpty { status["selector"] = .string(selector) }
        return ["kind": "Scale", "apiVersion": "autoscaling/v1", "metadata": .object(metadata),
                "spec": ["replicas": .int(object[path: scale.specReplicas]?.intValue ?? 0)],
                "status": .object(status)]
    }

    /// GET .../NAME/scale
    public func getScale(namespace: String, name: String) async throws(StatusError) -> JSONValue {
        scaleObject(of: try await get(namespace: namespace, name: name))
    }

    /// PUT .../NAME/scale: sets the desired replicas from a Scale.
    public func updateScale(namespace: String, name: String, scale: JSONValue, options: WriteOptions) async throws(StatusError) -> JSONValue {
        var attempts = 0
        while true {
            attempts += 1
            let kv = try await getKV(namespace: namespace, name: name)
            let old = try decode(kv)
            do {
                return try await writeScale(scale, name: name, old: old, kv: kv, options: options)
            } catch let error where error.reason == "Conflict" && (scale["metadata"]?["resourceVersion"]?.stringValue ?? "").isEmpty && attempts < 5 {
                continue
            }
        }
    }

    /// PATCH .../NAME/scale: patches the Scale view and writes its replicas.
    public func patchScale(namespace: String, name: String, type: PatchType, body: JSONValue, options: WriteOptions) async throws(StatusError) -> JSONValue {
        var attempts = 0
        while true {
            attempts += 1
            let kv = try await getKV(namespace: namespace, name: name)
            let old = try decode(kv)
            let current = scaleObject(of: old)
            let patched: JSONValue
            switch type {
            case .json: patched = try JSONPatch.apply(body, to: current)
            case .merge, .strategic:
                guard body.objectValue != nil else { throw StatusError.badRequest("a merge patch must be a JSON object") }
                patched = MergePatch.apply(body, to: current)
            case .apply:
                throw StatusError(code: 415, reason: "UnsupportedMediaType", message: "server-side apply is not supported yet")
            }
            let pinned = Self.pinsResourceVersion(type: type, patch: body)
            do {
                var scale = patched
                if !pinned { scale[key: "metadata", "resourceVersion"] = nil }
                return try await writeScale(scale, name: name, old: old, kv: kv, options: options)
            } catch let error where error.reason == "Conflict" && !pinned && attempts < 5 {
                continue
            }
        }
    }

    func writeScale(_ scale: JSONValue, name: String, old: JSONValue, kv: KeyValue, options: WriteOptions) async throws(StatusError) -> JSONValue {
        guard scale.objectValue != nil else { throw StatusError.badRequest("the body of the request must be a JSON object of kind Scale") }
        if let kind = scale["kind"]?.stringValue, !kind.isEmpty, kind != "Scale" {
            throw StatusError.badRequest("the kind in the data (\(kind)) does not match the expected kind (Scale)")
        }
        let scaleName = scale["metadata"]?["name"]?.stringValue ?? ""
        if !scaleName.isEmpty, scaleName != name {
            throw StatusError.badRequest("the name of the object (\(scaleName)) does not match the name on the URL (\(name))")
        }
        let replicasValue = scale["spec"]?["replicas"] ?? .int(0)
        guard let replicas = replicasValue.isNull ? 0 : replicasValue.intValue else {
            throw StatusError.invalid(kind: "Scale", group: "autoscaling", name: name,
                                      errors: [.invalid("spec.replicas", replicasValue, "must be an integer")])
        }
        if replicas < 0 {
            throw StatusError.invalid(kind: "Scale", group: "autoscaling", name: name,
                                      errors: [.invalid("spec.replicas", .int(replicas), "must be greater than or equal to 0")])
        }
        if let rv = scale["metadata"]?["resourceVersion"]?.stringValue, !rv.isEmpty, rv != String(kv.modRevision) {
            throw StatusError.conflict(Self.scaleResource, name: name)
        }
        var object = old
        object.set(path: (definition.scale ?? ScaleSubresource()).specReplicas, to: .int(replicas))
        let result = try await write(merging: object, over: old, kv: kv, target: .main, options: options)
        return scaleObject(of: result.object)
    }

    /// Changes a stored object without the kind's update rules (subresources that own one field),
    /// retrying on concurrent writes.
    func modify(namespace: String, name: String, options: WriteOptions,
                _ change: (inout JSONValue) throws(StatusError) -> Void) async throws(StatusError) -> JSONValue {
        var attempts = 0
        while true {
            attempts += 1
            let kv = try await getKV(namespace: namespace, name: name)
            var object = try decode(kv)
            try change(&object)
            if options.dryRun { return object }
            let bytes = try encode(object)
            do {
                let revision = try await storage.update(kv.key, value: bytes, expectedRevision: kv.modRevision)
                object.resourceVersion = String(revision)
                return object
            } catch StorageError.conflict where attempts < 5 {
                continue
            } catch {
                throw mapStorageError(error, name: name)
            }
        }
    }

    static let createdStatus: JSONValue = ["kind": "Status", "apiVersion": "v1", "metadata": .object([:]), "status": "Success", "code": 201]

    /// POST pods/NAME/binding: assigns the pod to the binding's target node.
    public func bind(namespace: String, name: String, binding: JSONValue, options: WriteOptions) async throws(StatusError) -> JSONValue {
        guard binding.objectValue != nil else { throw StatusError.badRequest("the body of the request must be a JSON object of kind Binding") }
        if let kind = binding["kind"]?.stringValue, !kind.isEmpty, kind != "Binding" {
            throw StatusError.badRequest("the kind in the data (\(kind)) does not match the expected kind (Binding)")
        }
        let bindingName = binding["metadata"]?["name"]?.stringValue ?? ""
        if !bindingName.isEmpty, bindingName != name {
            throw StatusError.badRequest("the name of the object (\(bindingName)) does not match the name on the URL (\(name))")
        }
        var errors: [FieldError] = []
        let targetKind = binding["target"]?["kind"]?.stringValue ?? ""
        if !targetKind.isEmpty, targetKind != "Node" {
            errors.append(.notSupported("target.kind", targetKind, supported: ["Node", "<empty>"]))
        }
        let node = binding["target"]?["name"]?.stringValue ?? ""
        if node.isEmpty { errors.append(.required("target.name")) }
        if !errors.isEmpty { throw StatusError.invalid(kind: "Binding", group: "", name: name, errors: errors) }
        let resource = GroupResource(group: "", resource: "pods/binding")
        let annotations = binding["metadata"]?["annotations"]?.objectValue ?? [:]
        let now = formatTimestamp(self.now())
        _ = try await modify(namespace: namespace, name: name, options: options) { (pod: inout JSONValue) throws(StatusError) in
            if pod.deletionTimestamp != nil {
                throw StatusError.conflict(resource, name: name, "pod \(name) is being deleted, cannot be assigned to a host")
            }
            if let current = pod["spec"]?["nodeName"]?.stringValue, !current.isEmpty {
                throw StatusError.conflict(resource, name: name, "pod \(name) is already assigned to node \"\(current)\"")
            }
            pod[key: "spec", "nodeName"] = .string(node)
            if !annotations.isEmpty {
                var merged = pod["metadata"]?["annotations"]?.objectValue ?? [:]
                for (k, v) in annotations { merged[k] = v }
                pod[key: "metadata", "annotations"] = .object(merged)
            }
            var conditions = (pod["status"]?["conditions"]?.arrayValue ?? []).filter { $0["type"]?.stringValue != "PodScheduled" }
            conditions.append(["type": "PodScheduled", "status": "True", "lastProbeTime": .null, "lastTransitionTime": .string(now)])
            pod[key: "status", "conditions"] = .array(conditions)
        }
        return Self.createdStatus
    }

    /// POST pods/NAME/eviction: deletes the pod with the eviction's delete options.
    public func evict(namespace: String, name: String, eviction: JSONValue, options: DeleteOptions) async throws(StatusError) -> JSONValue {
        try validateEviction(name: name, eviction: eviction)
        _ = try await delete(namespace: namespace, name: name, options: options)
        return Self.createdStatus
    }

    /// Checks an Eviction body against the pod named on the URL.
    public func validateEviction(name: String, eviction: JSONValue) throws(StatusError) {
        guard eviction.objectValue != nil else { throw StatusError.badRequest("the body of the request must be a JSON object of kind Eviction") }
        if let kind = eviction["kind"]?.stringValue, !kind.isEmpty, kind != "Eviction" {
            throw StatusError.badRequest("the kind in the data (\(kind)) does not match the expected kind (Eviction)")
        }
        let evictionName = eviction["metadata"]?["name"]?.stringValue ?? ""
        if !evictionName.isEmpty, evictionName != name {
            throw StatusError.badRequest("name in URL does not match name in Eviction object")
        }
    }
}

/// How autoscaling/v1 Scale prints as a Table (`kubectl get deploy x --subresource=scale`).
struct ScaleTableStrategy: ResourceStrategy {
    var tableColumns: [TableColumn] {
        [TableColumn("Name", description: "Name must be unique within a namespace."),
         TableColumn("Desired", type: "integer", description: "desired number of instances for the scaled object."),
         TableColumn("Available", type: "integer", description: "actual number of observed instances of the scaled object."),
         .age]
    }

    func tableCells(_ object: JSONValue, now: Double) -> [JSONValue] {
        [.string(object.name), .int(object["spec"]?["replicas"]?.intValue ?? 0), .int(object["status"]?["replicas"]?.intValue ?? 0),
         .string(age(of: object, now: now))]
    }
}

extension ResourceDefinition {
    /// The Scale "kind" of the scale subresource, for printing it.
    public static let scaleKind = ResourceDefinition(group: "autoscaling", version: "v1", resource: "scale", kind: "Scale", namespaced: true,
                                                 verbs: ["get", "patch", "update"], strategy: ScaleTableStrategy())
}
