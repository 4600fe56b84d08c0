import APIMachinery
import Storage

/// Server-side apply and the managedFields bookkeeping of every write.
extension GenericStore {
    /// The typed view of this kind for field management (untyped when the schema does not know it).
    func typedFields() -> (TypedFields, String?) {
        if let (schema, type) = schema?.patchSchema(apiVersion: definition.groupVersion, kind: definition.kind) {
            return (TypedFields(schema: schema), type)
        }
        return (TypedFields(schema: StaticPatchSchema()), nil)
    }

    /// Metadata the server owns: never part of a manager's fields.
    static let unmanagedMetadata = ["name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp",
                                    "deletionTimestamp", "deletionGracePeriodSeconds", "managedFields", "selfLink"]

    /// The subresource name a target records in managedFields.
    static func subresource(_ target: Target) -> String? {
        switch target {
        case .main: return nil
        case .status: return "status"
        case .finalize: return "finalize"
        }
    }

    /// Trims a field set to the fields a write through `target` manages.
    func managedScope(_ target: Target) -> @Sendable (FieldSet) -> FieldSet {
        let statusSeparate = strategy.hasStatusSubresource
        return { set in
            var out = set
            switch target {
            case .main:
                out.children[.field("apiVersion")] = nil
                out.children[.field("kind")] = nil
                if statusSeparate { out.children[.field("status")] = nil }
                if var metadata = out.children[.field("metadata")] {
                    for field in Self.unmanagedMetadata { metadata.children[.field(field)] = nil }
                    metadata.isMember = false
                    out.children[.field("metadata")] = metadata.isEmpty ? nil : metadata
                }
            case .status:
                out = FieldSet(children: set.children.filter { $0.key == .field("status") })
            case .finalize:
                let finalizers = set.subtree([.field("spec"), .field("finalizers")])
                out = FieldSet()
                if !finalizers.isEmpty { out.children[.field("spec")] = FieldSet(children: [.field("finalizers"): finalizers]) }
            }
            out.isMember = false
            return out
        }
    }

    /// Records an Update by the request's field manager in `object`'s managedFields (create, update,
    /// patch). Managed fields sent by the client replace the stored ones when they differ and parse;
    /// a list of one empty entry clears them.
    func recordManagedFields(_ object: inout JSONValue, old: JSONValue?, target: Target, options: WriteOptions) {
        guard !options.managedFieldsRecorded, let manager = options.fieldManager, !manager.isEmpty else { return }
        let stored = old?["metadata"]?["managedFields"] ?? .null
        var base = (try? ManagedFields.entries(of: old ?? .object([:]))) ?? []
        if let incoming = object["metadata"]?["managedFields"], incoming != stored, let items = incoming.arrayValue, !items.isEmpty {
            if let parsed = try? ManagedFields.entries(of: object) {
                if parsed.allSatisfy({ $0.manager.isEmpty && $0.fields.isEmpty }) {
                    object[key: "metadata", "managedFields"] = nil
                    return
                }
                base = parsed
            }
        }
        let (typed, type) = typedFields()
        let entries = ManagedFields.update(base, old: old, new: object, typed: typed, type: type, manager: manager,
                                           apiVersion: definition.groupVersion, subresource: Self.subresource(target),
                                           time: formatTimestamp(now()), scope: managedScope(target))
        if entries == base && object["metadata"]?["managedFields"] == stored { return }
        ManagedFields.set(entries, in: &object)
    }

    /// True when two objects differ at most in the times of their managedFields entries.
    static func sameButForManagedFieldTimes(_ a: JSONValue, _ b: JSONValue) -> Bool {
        func untimed(_ object: JSONValue) -> JSONValue {
            var copy = object
            let entries = object["metadata"]?["managedFields"]?.arrayValue?.map { entry -> JSONValue in
                var e = entry
                e["time"] = nil
                return e
            }
            copy[key: "metadata", "managedFields"] = entries.map(JSONValue.array)
            copy[key: "metadata", "resourceVersion"] = nil
            return copy
        }
        return untimed(a) == untimed(b)
    }

    static let lastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration"

    /// True when every conflict is with client-side apply over a field its last-applied annotation
    /// names: Kubernetes lets server-side apply take those over without a conflict.
    func clientSideApplyOwns(_ conflicts: [ApplyConflict], old: JSONValue, typed: TypedFields, type: String?,
                             target: Target) -> Bool {
        guard let text = old["metadata"]?["annotations"]?[Self.lastAppliedAnnotation]?.stringValue,
              let lastApplied = try? JSONValue.parse(text) else { return false }
        let fields = managedScope(target)(typed.fields(of: lastApplied, type: type))
        return conflicts.allSatisfy { $0.owner == "kubectl-client-side-apply" && fields.contains($0.path) }
    }

    /// PATCH with `application/apply-patch+yaml`: server-side apply by `options.fieldManager`,
    /// creating the object when it does not exist.
    func apply(namespace: String, name: String, body: JSONValue, target: Target,
               options: WriteOptions) async throws(StatusError) -> WriteResult {
        guard let manager = options.fieldManager, !manager.isEmpty else {
            throw StatusError.invalid(kind: "PatchOptions", group: "meta.k8s.io", name: "",
                                      errors: [.required("fieldManager", "is required for apply patch")])
        }
        var applied = body
        try checkTypeMeta(&applied)
        if let managed = applied["metadata"]?["managedFields"], !managed.isNull {
            throw StatusError.badRequest("metadata.managedFields must be nil")
        }
        if applied.name.isEmpty {
            applied.name = name
        } else if applied.name != name {
            throw StatusError.badRequest("the name of the object (\(applied.name)) does not match the name on the URL (\(name))")
        }
        // An applied configuration must fit the schema whatever fieldValidation says, as in Kubernetes.
        if let unknown = schema?.unknownFields(in: applied, apiVersion: definition.groupVersion, kind: definition.kind),
           !unknown.isEmpty {
            let gvk = (definition.group.isEmpty ? "/" : "") + definition.groupVersion + ", Kind=" + definition.kind
            let lines = unknown.map { ".\($0): field not declared in schema" }
            let detail = lines.count == 1 ? lines[0] : "errors:\n" + lines.map { "  " + $0 }.joined(separator: "\n")
            throw StatusError.badRequest("failed to create typed patch object (\(definition.namespaced ? namespace : "")/\(name); \(gvk)): \(detail)")
        }
        try setNamespace(&applied, namespace: namespace)
        if target == .status {
            applied = ["apiVersion": applied["apiVersion"] ?? .null, "kind": applied["kind"] ?? .null,
                       "metadata": applied["metadata"] ?? .object([:]), "status": applied["status"] ?? .object([:])]
        }
        let (typed, type) = typedFields()
        let pinned = Self.pinsResourceVersion(type: .apply, patch: body)
        var recorded = options
        recorded.managedFieldsRecorded = true
        var attempts = 0
        while true {
            attempts += 1
            let current: KeyValue?
            do {
                current = try await getKV(namespace: namespace, name: name)
            } catch let error where error.code == 404 && target == .main {
                current = nil
            }
            let old = try current.map { kv throws(StatusError) in try decode(kv) }
            if pinned, applied.resourceVersion != (old?.resourceVersion ?? "") {
                throw old == nil ? StatusError.notFound(groupResource, name: name) : StatusError.conflict(groupResource, name: name)
            }
            var entries = (try? ManagedFields.entries(of: old ?? .object([:]))) ?? []
            if let old, entries.isEmpty {
                // An object nobody manages yet: its fields belong to "before-first-apply", as in Kubernetes.
                let owned = managedScope(target)(typed.fields(of: old, type: type))
                entries = [ManagedFieldsEntry(manager: "before-first-apply", operation: ManagedFieldsEntry.update,
                                              apiVersion: definition.groupVersion, time: formatTimestamp(now()), fields: owned)]
            }
            var outcome = ManagedFields.apply(entries, live: old, applied: applied, typed: typed, type: type, manager: manager,
                                              apiVersion: definition.groupVersion, subresource: Self.subresource(target),
                                              time: formatTimestamp(now()), force: options.force, scope: managedScope(target))
            if case .conflicts(let conflicts) = outcome, let old,
               clientSideApplyOwns(conflicts, old: old, typed: typed, type: type, target: target) {
                // Migrating from client-side apply: what the last-applied annotation says passes over.
                outcome = ManagedFields.apply(entries, live: old, applied: applied, typed: typed, type: type, manager: manager,
                                              apiVersion: definition.groupVersion, subresource: Self.subresource(target),
                                              time: formatTimestamp(now()), force: true, scope: managedScope(target))
            }
            guard case .applied(var object, let newEntries) = outcome else {
                if case .conflicts(let conflicts) = outcome { throw ManagedFields.conflictError(conflicts) }
                continue
            }
            ManagedFields.set(newEntries, in: &object)
            if manager == "kubectl", old?["metadata"]?["annotations"]?[Self.lastAppliedAnnotation]?.stringValue != nil {
                // Keeps the way back to client-side apply open, as Kubernetes does for kubectl's default manager.
                var configuration = body
                configuration[key: "metadata", "managedFields"] = nil
                object.set(path: ["metadata", "annotations", Self.lastAppliedAnnotation], to: .string(configuration.serializedString() + "\n"))
            }
            if let old, Self.sameButForManagedFieldTimes(object, old) {
                // A no-op apply leaves the object as it was: no new resourceVersion for a timestamp.
                object[key: "metadata", "managedFields"] = old["metadata"]?["managedFields"]
            }
            do {
                if let current, let old {
                    object.resourceVersion = old.resourceVersion
                    return try await write(merging: object, over: old, kv: current, target: target, options: recorded)
                }
                object.resourceVersion = ""
                return try await create(namespace: namespace, object: object, options: recorded)
            } catch let error where (error.reason == "Conflict" || error.reason == "AlreadyExists") && !pinned && attempts < 5 {
                continue
            }
        }
    }
}
