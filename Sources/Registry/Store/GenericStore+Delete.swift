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
                if object.deletionTimestamp != nil { return .pending(object) }
                let held = strategy.beginDeletion(&object)
                if !object.finalizers.isEmpty || held {
                    // Finalizers pending: mark for deletion and keep the object.
                    if options.dryRun { return .pending(object) }
                    object.deletionTimestamp = formatTimestamp(now())
                    object.metadata["deletionGracePeriodSeconds"] = .int(0)
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
