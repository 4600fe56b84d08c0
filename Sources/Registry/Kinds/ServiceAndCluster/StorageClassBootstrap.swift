import APIMachinery

extension Registry {
    /// The StorageClass k3s ships: `local-path`, the default class, served by the built-in local-path
    /// provisioner (the PV controller), Delete on release, bound when the first pod using a claim is
    /// scheduled.
    public static let localPathStorageClass: JSONValue = [
        "metadata": ["name": "local-path", "annotations": ["storageclass.kubernetes.io/is-default-class": "true"]],
        "provisioner": "rancher.io/local-path",
        "reclaimPolicy": "Delete",
        "volumeBindingMode": "WaitForFirstConsumer",
    ]

    /// Creates the `local-path` StorageClass if absent (a changed or deleted-then-recreated class is
    /// left as the user made it; a deleted one comes back at the next start, as k3s does).
    public func bootstrapDefaultStorageClass() async throws {
        guard let store = store(group: "storage.k8s.io", version: "v1", resource: "storageclasses") else { return }
        let object = Self.localPathStorageClass
        if await exists(store, object.name) { return }
        let result = await attempt { () async throws(StatusError) -> WriteResult in
            try await store.create(namespace: "", object: object, options: WriteOptions())
        }
        if case .failure(let error) = result, error.code != 409 { throw error }
    }
}
