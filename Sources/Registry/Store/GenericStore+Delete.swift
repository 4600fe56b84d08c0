import APIMachinery
import Storage

extension GenericStore {
    /// What a DELETE answers: the object when it still exists (finalizers pending) or when the kind
    /// returns deleted objects, else a Success Status.
    public enum DeleteResult: Sendable {
        case pending(JSONValue)
        case deleted(JSONValue)
    }

    static let propagationPolicies = ["Orphan", "Background", "Foreground"]

    /// DELETE of one object.
    public func delete(namespace: String, name: String, options: DeleteOptions) async throws(StatusError) -> DeleteResult {
        if let policy = options.propagationPolicy, !Self.propagationPolicies.contains(policy) {
            throw StatusError.invalid(kind: "DeleteOptions", group: "meta.k8s.io", name: "",
                                      errors: [.notSupported("propagationPolicy", policy, supported: Self.propagationPolicies)])
        }
        if let grace = options.gracePeriodSeconds, grace < 0 {
            throw StatusError.invalid(kind: "DeleteOptions", group: "meta.k8s.io", name: "",
                                      errors: [.invalid("gracePeriodSeconds", .int(grace), "must be greater than or equal to 0")])
        }
        var attempts = 0
        while true {
            attempts += 1
            let kv = try await getKV(namespace: namespace, name: name)
            var object = try decode(kv)
            if let error = strategy.checkDeletion(object) { throw error }
            if let uid = options.preconditionUID, uid != object.uid {
                throw StatusError.conflict(groupResource, name: name,
                                           "Precondition failed: UID in precondition: \(uid), UID in object meta: \(object.uid)")
            }
            if let rv = options.preconditionResourceVersion, rv != object.resourceVersion {
                throw StatusError.conflict(groupResource, name: name,
                                           "Precondition failed: ResourceVersion in precondition: \(rv), ResourceVersion in object meta: \(object.resourceVersion)")
            }
            do {
                if object.deletionTimestamp != nil {
                    let pending = object.metadata["deletionGracePeriodSeconds"]?.intValue ?? 0
                    if pending == 0, let finalizers = garbageCollectionFinalizers(object, options: options) {
                        // Held by finalizers: a new propagation policy swaps `orphan` and
                        // `foregroundDeletion` (or drops them, deleting the object if nothing else holds it).
                        object.finalizers = finalizers
                        if strategy.isFinalized(object) {
                            if options.dryRun { return .deleted(object) }
                            let deleted = try await storage.delete(kv.key, expectedRevision: kv.modRevision)
                            object.resourceVersion = String(deleted.revision)
                            return .deleted(object)
                        }
                        if options.dryRun { return .pending(object) }
                        let revision = try await storage.update(kv.key, value: try encode(object), expectedRevision: kv.modRevision)
                        object.resourceVersion = String(revision)
                        return .pending(object)
                    }
                    // Already terminating: only a shorter grace period changes anything (the kubelet's
                    // final DELETE with 0, or `kubectl delete --grace-period=0 --force`).
                    guard let requested = options.gracePeriodSeconds, requested < pending else { return .pending(object) }
                    if requested == 0 && object.finalizers.isEmpty {
                        if options.dryRun { return .deleted(object) }
                        let deleted = try await storage.delete(kv.key, expectedRevision: kv.modRevision)
                        object.resourceVersion = String(deleted.revision)
                        return .deleted(object)
                    }
                    return try await markTerminating(&object, grace: requested, kv: kv, options: options)
                }
                let grace = strategy.deletionGracePeriod(object, requested: options.gracePeriodSeconds)
                if let finalizers = garbageCollectionFinalizers(object, options: options) { object.finalizers = finalizers }
                let held = strategy.beginDeletion(&object)
                if grace > 0 {
                    // Graceful deletion: the object stays, terminating, until whoever runs it confirms.
                    return try await markTerminating(&object, grace: grace, kv: kv, options: options)
                }
                if !object.finalizers.isEmpty || held {
                    // Finalizers pending: mark for deletion and keep the object.
                    if options.dryRun { return .pending(object) }
                    object.deletionTimestamp = formatTimestamp(now())
                    object.metadata["deletionGracePeriodSeconds"] = .int(0)
                    if object.generation > 0 { object.generation += 1 }
                    let revision = try await storage.update(kv.key, value: try encode(object), expectedRevision: kv.modRevision)
                    object.resourceVersion = String(revision)
                    return .pending(object)
                }
                if options.dryRun { return .deleted(object) }
                let deleted = try await storage.delete(kv.key, expectedRevision: kv.modRevision)
                object.resourceVersion = String(deleted.revision)
                return .deleted(object)
            } catch StorageError.conflict(_, _) where attempts < 5 {
                continue
            } catch {
                throw mapStorageError(error, name: name)
            }
        }
    }

    /// The finalizer that makes the garbage collector delete an object's dependents before the object.
    public static var foregroundDeletionFinalizer: String { "foregroundDeletion" }
    /// The finalizer that makes the garbage collector remove the references to an object from its
    /// dependents before the object goes.
    public static var orphanFinalizer: String { "orphan" }

    /// Resources whose DELETE without a propagationPolicy orphans the dependents, as Kubernetes keeps
    /// it for compatibility (batch/v1 Jobs, v1 ReplicationControllers); every other resource deletes
    /// them in the background.
    static var orphansByDefault: Set<GroupResource> {
        [GroupResource(group: "batch", resource: "jobs"), GroupResource(group: "", resource: "replicationcontrollers")]
    }

    /// Warnings a DELETE with `options` answers with: a Job deleted without a policy keeps its pods.
    public func deleteWarnings(_ options: DeleteOptions) -> [String] {
        guard options.propagationPolicy == nil, groupResource == GroupResource(group: "batch", resource: "jobs") else { return [] }
        return ["child pods are preserved by default when jobs are deleted; set propagationPolicy=Background to remove them "
                + "or set propagationPolicy=Orphan to suppress this warning"]
    }

    /// metadata.finalizers as a DELETE with `options` leaves them: `orphan` for the Orphan policy (or
    /// the kind's default), `foregroundDeletion` for Foreground, neither for Background; without a
    /// policy a finalizer already set stays. Nil when they do not change.
    func garbageCollectionFinalizers(_ object: JSONValue, options: DeleteOptions) -> [String]? {
        let current = object.finalizers
        let orphan: Bool
        let foreground: Bool
        if let policy = options.propagationPolicy {
            orphan = policy == "Orphan"
            foreground = policy == "Foreground"
        } else if current.contains(Self.orphanFinalizer) || current.contains(Self.foregroundDeletionFinalizer) {
            orphan = current.contains(Self.orphanFinalizer)
            foreground = !orphan
        } else {
            orphan = Self.orphansByDefault.contains(groupResource)
            foreground = false
        }
        var finalizers = current.filter { $0 != Self.orphanFinalizer && $0 != Self.foregroundDeletionFinalizer }
        if orphan { finalizers.append(Self.orphanFinalizer) }
        if foreground { finalizers.append(Self.foregroundDeletionFinalizer) }
        return Set(finalizers) == Set(current) ? nil : finalizers
    }

    /// Sets deletionTimestamp (now + grace) and deletionGracePeriodSeconds and stores the object.
    func markTerminating(_ object: inout JSONValue, grace: Int64, kv: KeyValue,
                         options: DeleteOptions) async throws -> DeleteResult {
        object.deletionTimestamp = formatTimestamp(now() + Double(grace))
        object.metadata["deletionGracePeriodSeconds"] = .int(grace)
        if options.dryRun { return .pending(object) }
        let revision = try await storage.update(kv.key, value: try encode(object), expectedRevision: kv.modRevision)
        object.resourceVersion = String(revision)
        return .pending(object)
    }

    /// DELETECOLLECTION: deletes every object the options select; answers with the list of them.
    public func deleteCollection(namespace: String?, listOptions: ListOptions,
                                 options: DeleteOptions) async throws(StatusError) -> ListResponse {
        var listOptions = listOptions
        listOptions.limit = nil
        listOptions.continueToken = nil
        let listed = try await list(namespace: namespace, options: listOptions)
        var items: [JSONValue] = []
        for item in listed.items {
            do {
                switch try await delete(namespace: item.namespace, name: item.name, options: options) {
                case .pending(let o), .deleted(let o): items.append(o)
                }
            } catch where error.code == 404 {
                continue
            }
        }
        return ListResponse(items: items, resourceVersion: listed.resourceVersion)
    }
}
