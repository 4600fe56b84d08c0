import APIMachinery
import Storage

extension GenericStore {
    /// Which part of an object a write may change.
    public enum Target: Sendable {
        case main
        case status
        /// Only `spec.finalizers` (namespaces' /finalize).
        case finalize
    }

    /// PUT: replaces an object. A resourceVersion in the body must match the stored one.
    public func update(namespace: String, name: String, object input: JSONValue, target: Target = .main,
                       options: WriteOptions) async throws(StatusError) -> WriteResult {
        var object = input
        try checkTypeMeta(&object)
        let warnings = try checkUnknownFields(&object, options: options)
        try setNamespace(&object, namespace: namespace)
        if object.name.isEmpty {
            object.name = name
        } else if object.name != name {
            throw StatusError.badRequest("the name of the object (\(object.name)) does not match the name on the URL (\(name))")
        }
        let current = try await getKV(namespace: namespace, name: name)
        let rv = object.resourceVersion
        if !rv.isEmpty && rv != String(current.modRevision) {
            throw StatusError.conflict(groupResource, name: name)
        }
        let old = try decode(current)
        var result = try await write(merging: object, over: old, kv: current, target: target, options: options)
        result.warnings += warnings
        return result
    }

    /// Applies the rules of an update of `old` (stored at `kv`) to `new` and writes it if it changed.
    func write(merging new: JSONValue, over old: JSONValue, kv: KeyValue, target: Target,
               options: WriteOptions) async throws(StatusError) -> WriteResult {
        var object = new
        // Metadata the server owns stays as stored.
        for field in ["uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation", "selfLink"] {
            object.metadata[field] = old["metadata"]?[field]
        }
        switch target {
        case .main:
            if strategy.hasStatusSubresource { object["status"] = old["status"] }
            strategy.prepareForUpdate(&object, old: old)
            if strategy.tracksGeneration && specChanged(object, old) { object.generation = max(old.generation, 1) + 1 }
        case .status:
            var kept = old
            kept["status"] = object["status"]
            for field in strategy.statusUpdateMetadataFields { kept.metadata[field] = object["metadata"]?[field] }
            object = kept
        case .finalize:
            var kept = old
            kept[key: "spec", "finalizers"] = object["spec"]?["finalizers"]
            object = kept
        }
        recordManagedFields(&object, old: old, target: target, options: options)
        object.resourceVersion = old.resourceVersion
        if old.deletionTimestamp != nil {
            let added = object.finalizers.filter { !old.finalizers.contains($0) }
            if !added.isEmpty {
                throw StatusError.invalid(kind: definition.kind, group: definition.group, name: object.name, errors: [
                    .forbidden("metadata.finalizers", "no new finalizers can be added if the object is being deleted, found new finalizers \(added)"),
                ])
            }
        }
        try validateOrThrow(object, old: old)
        let allocationLock = target == .main ? strategy.allocationLock : nil
        await allocationLock?.lock()
        defer { allocationLock?.unlock() }
        if allocationLock != nil { try await strategy.allocate(&object, old: old, storage: storage) }

        // Deleting an object whose last finalizer was just removed.
        // (A gracefully terminating object waits for its final DELETE instead.)
        if object.deletionTimestamp != nil && (object.metadata["deletionGracePeriodSeconds"]?.intValue ?? 0) == 0
            && strategy.isFinalized(object) {
            if options.dryRun { return WriteResult(object: object, created: false) }
            do {
                let deleted = try await storage.delete(kv.key, expectedRevision: kv.modRevision)
                object.resourceVersion = String(deleted.revision)
                return WriteResult(object: object, created: false)
            } catch {
                throw mapStorageError(error, name: object.name)
            }
        }
        if object == old || options.dryRun {
            return WriteResult(object: object, created: false)
        }
        let bytes = try encode(object)
        do {
            let revision = try await storage.update(kv.key, value: bytes, expectedRevision: kv.modRevision)
            object.resourceVersion = String(revision)
            return WriteResult(object: object, created: false)
        } catch {
            throw mapStorageError(error, name: object.name)
        }
    }

    /// True when anything but metadata and status differs: that is what bumps metadata.generation.
    func specChanged(_ a: JSONValue, _ b: JSONValue) -> Bool {
        guard case .object(var x) = a, case .object(var y) = b else { return a != b }
        for key in ["metadata", "status", "apiVersion", "kind"] {
            x[key] = nil
            y[key] = nil
        }
        return x != y
    }

    /// PATCH: applies a patch to the stored object and writes the result, retrying on a concurrent
    /// write unless the patch itself pins a resourceVersion.
    public func patch(namespace: String, name: String, type: PatchType, body: JSONValue, target: Target = .main,
                      options: WriteOptions) async throws(StatusError) -> WriteResult {
        if type == .apply { return try await apply(namespace: namespace, name: name, body: body, target: target, options: options) }
        var attempts = 0
        while true {
            attempts += 1
            let current = try await getKV(namespace: namespace, name: name)
            let old = try decode(current)
            var patched = try applyPatch(type: type, body: body, to: old)
            if patched.exceeds(depth: JSONValue.maximumDepth, nodes: Self.maximumPatchedNodes) {
                throw StatusError(code: 422, reason: "Invalid",
                                  message: "the server rejected our request due to an error in our request: the patched object is too large or too deeply nested")
            }
            try checkTypeMeta(&patched)
            let warnings = try checkUnknownFields(&patched, options: options)
            if patched.name != name {
                throw StatusError.badRequest("the name of the object (\(patched.name)) does not match the name on the URL (\(name))")
            }
            try setNamespace(&patched, namespace: namespace)
            let pinned = Self.pinsResourceVersion(type: type, patch: body)
            if pinned && patched.resourceVersion != old.resourceVersion {
                throw StatusError.conflict(groupResource, name: name)
            }
            do {
                var result = try await write(merging: patched, over: old, kv: current, target: target, options: options)
                result.warnings += warnings
                return result
            } catch let error where error.reason == "Conflict" && !pinned && attempts < Self.maximumPatchAttempts {
                // Someone wrote in between: apply the patch again to the new object.
                await Task.yield()
                continue
            }
        }
    }

    /// How often a patch without a pinned resourceVersion is re-applied after concurrent writes: each
    /// round lets at least one writer through, so this bounds the contention a patch survives.
    static let maximumPatchAttempts = 64

    /// The most JSON values a patched object may hold (copy operations can multiply a small patch).
    static let maximumPatchedNodes = 600_000
    /// The most operations in one JSON patch, as Kubernetes allows.
    static let maximumJSONPatchOperations = 10_000

    /// True when the patch itself names a resourceVersion, which then must match the stored one.
    static func pinsResourceVersion(type: PatchType, patch: JSONValue) -> Bool {
        switch type {
        case .json:
            return patch.arrayValue?.contains { $0["path"]?.stringValue == "/metadata/resourceVersion" } ?? false
        case .merge, .strategic, .apply:
            guard let rv = patch["metadata"]?["resourceVersion"] else { return false }
            return !rv.isNull
        }
    }

    func applyPatch(type: PatchType, body: JSONValue, to old: JSONValue) throws(StatusError) -> JSONValue {
        switch type {
        case .json:
            if let count = body.arrayValue?.count, count > Self.maximumJSONPatchOperations {
                throw StatusError(code: 422, reason: "Invalid",
                                  message: "The allowed maximum operations in a JSON patch is \(Self.maximumJSONPatchOperations), got \(count)")
            }
            return try JSONPatch.apply(body, to: old)
        case .merge:
            guard body.objectValue != nil else { throw StatusError.badRequest("a merge patch must be a JSON object") }
            return MergePatch.apply(body, to: old)
        case .strategic:
            guard body.objectValue != nil else { throw StatusError.badRequest("a strategic merge patch must be a JSON object") }
            if let (schema, type) = schema?.patchSchema(apiVersion: definition.groupVersion, kind: definition.kind) {
                return try StrategicMergePatch.apply(body, to: old, type: type, schema: schema)
            }
            return MergePatch.apply(body, to: old)
        case .apply:
            throw StatusError(code: 415, reason: "UnsupportedMediaType", message: "server-side apply is not supported yet")
        }
    }
}
