import APIMachinery
import Foundation
import Storage

extension GenericStore {
    static let generateNameAlphabet = Array("bcdfghjklmnpqrstvwxz2456789")

    /// POST: creates an object in `namespace` (empty for cluster-scoped resources).
    public func create(namespace: String, object input: JSONValue, options: WriteOptions) async throws(StatusError) -> WriteResult {
        var object = input
        try checkTypeMeta(&object)
        let warnings = try checkUnknownFields(&object, options: options)
        try setNamespace(&object, namespace: namespace)

        var generated = false
        if object.name.isEmpty, !object.generateName.isEmpty {
            object.name = object.generateName + Self.randomSuffix()
            generated = true
        }
        // Fields the server owns.
        object.uid = UUID().uuidString.lowercased()
        object.creationTimestamp = formatTimestamp(now())
        object.resourceVersion = ""
        object.deletionTimestamp = nil
        object.metadata["deletionGracePeriodSeconds"] = nil
        object.metadata["selfLink"] = nil
        object.generation = strategy.tracksGeneration ? 1 : 0
        if strategy.hasStatusSubresource && !strategy.keepsStatusOnCreate { object["status"] = nil }
        strategy.prepareForCreate(&object)
        recordManagedFields(&object, old: nil, target: .main, options: options)
        try validateOrThrow(object, old: nil)

        if definition.namespaced {
            try await namespaces?.checkWritable(namespace: namespace, resource: groupResource, name: object.name)
        }
        let allocationLock = strategy.allocationLock
        await allocationLock?.lock()
        defer { allocationLock?.unlock() }
        if allocationLock != nil { try await strategy.allocate(&object, old: nil, storage: storage) }
        if options.dryRun {
            return WriteResult(object: object, created: true, warnings: warnings)
        }
        for attempt in 0..<3 {
            let key = definition.key(namespace: object.namespace, name: object.name)
            let bytes = try encode(object)
            do {
                let revision = try await storage.create(key, value: bytes)
                object.resourceVersion = String(revision)
                return WriteResult(object: object, created: true, warnings: warnings)
            } catch StorageError.keyExists where generated && attempt < 2 {
                object.name = object.generateName + Self.randomSuffix()
            } catch {
                throw mapStorageError(error, name: object.name)
            }
        }
        throw StatusError.alreadyExists(groupResource, name: object.name)  // not reached: the last attempt throws above
    }

    /// Sets the namespace of an object from the request, rejecting a conflicting one.
    func setNamespace(_ object: inout JSONValue, namespace: String) throws(StatusError) {
        if definition.namespaced {
            let inBody = object.namespace
            if !inBody.isEmpty && inBody != namespace {
                throw StatusError.badRequest("the namespace of the provided object does not match the namespace sent on the request")
            }
            object.namespace = namespace
        } else {
            object.namespace = ""
        }
    }

    static func randomSuffix() -> String {
        var s = ""
        for _ in 0..<5 { s.append(generateNameAlphabet.randomElement() ?? "x") }
        return s
    }
}
