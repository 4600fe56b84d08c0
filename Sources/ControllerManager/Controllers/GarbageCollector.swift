import APIMachinery
import Client
import Logging
import Synchronization

/// kube-controller-manager's garbage collector: deletes objects whose owners (metadata.ownerReferences)
/// are all gone, and carries out the Foreground and Orphan propagation of deletions.
///
/// The owner–dependent graph is the informers' caches of `resources`, each indexed by uid and by the
/// uids its objects name as owners, so finding an object's dependents or an owner is a lookup, not a
/// scan. Keys of the queue are `resource|namespace/name`. A sync of an object:
/// - being deleted with the `orphan` finalizer: removes the references to it from every dependent,
///   then the finalizer;
/// - being deleted with `foregroundDeletion`: has its dependents deleted (they see a waiting owner),
///   and removes the finalizer once no dependent with `blockOwnerDeletion` remains;
/// - otherwise, when it has owners: classifies them as solid (exist), waiting (exist, deleting their
///   dependents in the foreground) or dangling (absent, or present with another uid, confirmed by a
///   live GET), and deletes the object when none is solid (Foreground when a waiting owner waits for
///   it and it has dependents itself, else Background), or drops the references to the owners that are
///   not solid when some are.
public final class GarbageCollector: Controller, Sendable {
    public static let name = "garbagecollector"

    /// A resource whose objects can be owners or dependents.
    public struct Resource: Sendable, Hashable {
        public var id: ResourceID
        public var kind: String

        public init(_ id: ResourceID, kind: String) {
            self.id = id
            self.kind = kind
        }
    }

    /// Every resource the collector watches: extend the list here. Events are left out, as Kubernetes
    /// leaves them out.
    public static let resources: [Resource] = [
        Resource(.pods, kind: "Pod"),
        Resource(.services, kind: "Service"),
        Resource(.endpoints, kind: "Endpoints"),
        Resource(.configMaps, kind: "ConfigMap"),
        Resource(.secrets, kind: "Secret"),
        Resource(.serviceAccounts, kind: "ServiceAccount"),
        Resource(.persistentVolumeClaims, kind: "PersistentVolumeClaim"),
        Resource(core("replicationcontrollers"), kind: "ReplicationController"),
        Resource(core("podtemplates"), kind: "PodTemplate"),
        Resource(core("limitranges"), kind: "LimitRange"),
        Resource(core("resourcequotas"), kind: "ResourceQuota"),
        Resource(.deployments, kind: "Deployment"),
        Resource(.replicaSets, kind: "ReplicaSet"),
        Resource(.daemonSets, kind: "DaemonSet"),
        Resource(.statefulSets, kind: "StatefulSet"),
        Resource(.controllerRevisions, kind: "ControllerRevision"),
        Resource(.jobs, kind: "Job"),
        Resource(.cronJobs, kind: "CronJob"),
        Resource(.leases, kind: "Lease"),
        Resource(.endpointSlices, kind: "EndpointSlice"),
        Resource(.podDisruptionBudgets, kind: "PodDisruptionBudget"),
        Resource(ResourceID(group: "autoscaling", version: "v2", resource: "horizontalpodautoscalers", namespaced: true),
                 kind: "HorizontalPodAutoscaler"),
        Resource(ResourceID(group: "networking.k8s.io", version: "v1", resource: "ingresses", namespaced: true), kind: "Ingress"),
        Resource(ResourceID(group: "networking.k8s.io", version: "v1", resource: "networkpolicies", namespaced: true),
                 kind: "NetworkPolicy"),
        Resource(ResourceID(group: "rbac.authorization.k8s.io", version: "v1", resource: "roles", namespaced: true), kind: "Role"),
        Resource(ResourceID(group: "rbac.authorization.k8s.io", version: "v1", resource: "rolebindings", namespaced: true),
                 kind: "RoleBinding"),
        // Cluster-scoped.
        Resource(.namespaces, kind: "Namespace"),
        Resource(.nodes, kind: "Node"),
        Resource(.persistentVolumes, kind: "PersistentVolume"),
        Resource(.priorityClasses, kind: "PriorityClass"),
        Resource(ResourceID(group: "rbac.authorization.k8s.io", version: "v1", resource: "clusterroles", namespaced: false),
                 kind: "ClusterRole"),
        Resource(ResourceID(group: "rbac.authorization.k8s.io", version: "v1", resource: "clusterrolebindings", namespaced: false),
                 kind: "ClusterRoleBinding"),
        Resource(ResourceID(group: "storage.k8s.io", version: "v1", resource: "storageclasses", namespaced: false), kind: "StorageClass"),
        Resource(ResourceID(group: "networking.k8s.io", version: "v1", resource: "ingressclasses", namespaced: false), kind: "IngressClass"),
    ]

    static func core(_ resource: String) -> ResourceID {
        ResourceID(group: "", version: "v1", resource: resource, namespaced: true)
    }

    public static let orphanFinalizer = "orphan"
    public static let foregroundDeletionFinalizer = "foregroundDeletion"
    static let uidIndex = "garbagecollector.uid"
    static let ownerIndex = "garbagecollector.ownerUID"

    struct KindKey: Hashable {
        var group: String
        var kind: String
    }

    let context: ControllerContext
    let monitored: [Resource]
    let informers: [String: SharedInformer]
    let byKind: [KindKey: Resource]
    let byName: [String: Resource]
    let queue = WorkQueue<String>()
    let absentOwners = AbsentOwnerCache()
    let logger: Logger

    public init(context: ControllerContext, resources: [Resource] = GarbageCollector.resources) {
        self.context = context
        self.monitored = resources
        self.logger = context.logger
        var informers: [String: SharedInformer] = [:]
        var byKind: [KindKey: Resource] = [:]
        var byName: [String: Resource] = [:]
        for resource in resources {
            informers[resource.id.description] = context.informers.informer(
                for: resource.id, indexers: [Self.uidIndex: { [$0.uid] }, Self.ownerIndex: Self.ownerUIDs])
            byKind[KindKey(group: resource.id.group, kind: resource.kind)] = resource
            byName[resource.id.description] = resource
        }
        self.informers = informers
        self.byKind = byKind
        self.byName = byName
    }

    static let ownerUIDs: Indexer.IndexFunction = { object in
        OwnerReferences.all(object).compactMap { $0["uid"]?.stringValue }
    }

    public func run(workers: Int) async {
        for resource in monitored {
            guard let informer = informers[resource.id.description] else { continue }
            informer.addHandler(ResourceEventHandler(
                onAdd: { [self] object in await observe(old: nil, new: object, resource: resource) },
                onUpdate: { [self] old, new in await observe(old: old, new: new, resource: resource) },
                onDelete: { [self] object in await observeDeletion(object, resource: resource) }))
        }
        for informer in informers.values {
            guard await informer.waitForSync() else { return }
        }
        await runWorkers(queue, count: workers, name: Self.name, logger: logger) { [self] key in try await sync(key) }
    }

    // MARK: Events

    func key(_ object: JSONValue, _ resource: Resource) -> String {
        "\(resource.id.description)|\(Indexer.key(of: object))"
    }

    func observe(old: JSONValue?, new: JSONValue, resource: Resource) async {
        if new.deletionTimestamp != nil && Self.hasGCFinalizer(new) {
            await queue.add(key(new, resource))
        }
        let refs = OwnerReferences.all(new)
        guard let old else {
            // A new object (or the first list): check it when an owner is not known to be there.
            let unsettled = refs.contains { ref in
                guard let (owner, _) = ownerInCache(ref, dependent: new) else { return true }
                return Self.isDeletingDependents(owner)
            }
            if unsettled {
                await queue.add(key(new, resource))
            }
            return
        }
        let oldRefs = OwnerReferences.all(old)
        guard refs != oldRefs else { return }
        await queue.add(key(new, resource))
        // An owner deleting its dependents in the foreground may no longer be blocked by this one.
        for ref in oldRefs where !refs.contains(ref) {
            if let (owner, ownerResource) = ownerInCache(ref, dependent: old), Self.isDeletingDependents(owner) {
                await queue.add(key(owner, ownerResource))
            }
        }
    }

    func observeDeletion(_ object: JSONValue, resource: Resource) async {
        absentOwners.insert(namespace: object.namespace, uid: object.uid)
        for (dependent, dependentResource) in dependents(of: object.uid) {
            await queue.add(key(dependent, dependentResource))
        }
        for ref in OwnerReferences.all(object) {
            if let (owner, ownerResource) = ownerInCache(ref, dependent: object), Self.isDeletingDependents(owner) {
                await queue.add(key(owner, ownerResource))
            }
        }
    }

    // MARK: Graph

    static func hasGCFinalizer(_ object: JSONValue) -> Bool {
        object.finalizers.contains { $0 == orphanFinalizer || $0 == foregroundDeletionFinalizer }
    }

    static func isDeletingDependents(_ object: JSONValue) -> Bool {
        object.deletionTimestamp != nil && object.finalizers.contains(foregroundDeletionFinalizer)
    }

    /// The resource an owner reference names (any version of its group), nil for a kind not watched.
    func resource(of ref: JSONValue) -> Resource? {
        guard let kind = ref["kind"]?.stringValue, let apiVersion = ref["apiVersion"]?.stringValue else { return nil }
        let group = apiVersion.contains("/") ? String(apiVersion.split(separator: "/")[0]) : ""
        return byKind[KindKey(group: group, kind: kind)]
    }

    /// The cached owner `ref` points at: same uid, and in the dependent's namespace when namespaced.
    func ownerInCache(_ ref: JSONValue, dependent: JSONValue) -> (JSONValue, Resource)? {
        guard let uid = ref["uid"]?.stringValue, let resource = resource(of: ref),
              let informer = informers[resource.id.description],
              let owner = informer.indexer.byIndex(Self.uidIndex, uid).first else { return nil }
        if resource.id.namespaced && owner.namespace != dependent.namespace { return nil }
        return (owner, resource)
    }

    /// Every cached object naming `uid` as an owner.
    func dependents(of uid: String) -> [(JSONValue, Resource)] {
        guard !uid.isEmpty else { return [] }
        var out: [(JSONValue, Resource)] = []
        for resource in monitored {
            guard let informer = informers[resource.id.description] else { continue }
            for object in informer.indexer.byIndex(Self.ownerIndex, uid) { out.append((object, resource)) }
        }
        return out
    }

    func hasDependents(_ uid: String) -> Bool {
        monitored.contains { informers[$0.id.description]?.indexer.keys(index: Self.ownerIndex, value: uid).isEmpty == false }
    }

    static func ref(_ object: JSONValue, to uid: String) -> JSONValue? {
        OwnerReferences.all(object).first { $0["uid"]?.stringValue == uid }
    }

    // MARK: Sync

    func sync(_ key: String) async throws {
        guard let bar = key.firstIndex(of: "|"), let resource = byName[String(key[..<bar])],
              let informer = informers[resource.id.description],
              let object = informer.indexer.get(key: String(key[key.index(after: bar)...])) else { return }
        if object.deletionTimestamp != nil {
            if object.finalizers.contains(Self.orphanFinalizer) {
                try await orphanDependents(of: object, resource: resource)
            } else if object.finalizers.contains(Self.foregroundDeletionFinalizer) {
                try await deleteDependents(of: object, resource: resource)
            }
            return
        }
        try await collect(object, resource: resource)
    }

    /// Orphan propagation: every dependent loses its reference to `owner`, then `owner` its finalizer.
    func orphanDependents(of owner: JSONValue, resource: Resource) async throws {
        for (dependent, dependentResource) in dependents(of: owner.uid) {
            try await mutate(dependentResource, dependent) { live in
                guard Self.ref(live, to: owner.uid) != nil else { return nil }
                return ["metadata": ["ownerReferences": Self.references(OwnerReferences.all(live).filter { $0["uid"]?.stringValue != owner.uid })]]
            }
        }
        try await removeFinalizer(Self.orphanFinalizer, from: owner, resource: resource)
    }

    /// Foreground propagation: dependents are deleted; the owner goes once no blocking one remains.
    func deleteDependents(of owner: JSONValue, resource: Resource) async throws {
        let dependents = dependents(of: owner.uid)
        let blocking = dependents.filter { Self.ref($0.0, to: owner.uid)?["blockOwnerDeletion"]?.boolValue == true }
        if blocking.isEmpty {
            try await removeFinalizer(Self.foregroundDeletionFinalizer, from: owner, resource: resource)
            return
        }
        for (dependent, dependentResource) in dependents where dependent.deletionTimestamp == nil || Self.isDeletingDependents(dependent) {
            await queue.add(key(dependent, dependentResource))
        }
    }

    enum OwnerState {
        case solid, waiting, dangling
    }

    /// Deletes `object` when no owner of it remains, or drops its references to owners that are gone.
    func collect(_ object: JSONValue, resource: Resource) async throws {
        let refs = OwnerReferences.all(object)
        guard !refs.isEmpty else { return }
        var solid: [JSONValue] = []
        var waiting: [JSONValue] = []
        var dangling: [JSONValue] = []
        for ref in refs {
            switch try await state(of: ref, dependent: object, dependentResource: resource) {
            case .solid: solid.append(ref)
            case .waiting: waiting.append(ref)
            case .dangling: dangling.append(ref)
            }
        }
        if !solid.isEmpty {
            guard !(waiting.isEmpty && dangling.isEmpty) else { return }
            let gone = Set((waiting + dangling).compactMap { $0["uid"]?.stringValue })
            logger.debug("\(Self.name): removing references to \(gone.sorted()) from \(resource.id.resource) \(Indexer.key(of: object))")
            try await mutate(resource, object) { live in
                let kept = OwnerReferences.all(live).filter { !gone.contains($0["uid"]?.stringValue ?? "") }
                return kept.count == OwnerReferences.all(live).count ? nil : ["metadata": ["ownerReferences": Self.references(kept)]]
            }
            return
        }
        let policy: DeleteQuery.Propagation
        if !waiting.isEmpty && hasDependents(object.uid) {
            // A dependent deleting its own dependents in the foreground could wait for this object
            // while this object waits for it: make this object's references non-blocking first.
            if dependents(of: object.uid).contains(where: { Self.isDeletingDependents($0.0) }) {
                let waitingUIDs = Set(waiting.compactMap { $0["uid"]?.stringValue })
                try await mutate(resource, object) { live in Self.unblockPatch(live, owners: waitingUIDs) }
            }
            policy = .foreground
        } else if object.finalizers.contains(Self.orphanFinalizer) {
            policy = .orphan
        } else if object.finalizers.contains(Self.foregroundDeletionFinalizer) {
            policy = .foreground
        } else {
            policy = .background
        }
        logger.debug("\(Self.name): deleting \(resource.id.resource) \(Indexer.key(of: object)) (\(policy.rawValue)): no owner remains")
        try await delete(object, resource: resource, policy: policy)
    }

    /// A merge patch making the references to `owners` non-blocking, nil if none blocks.
    static func unblockPatch(_ object: JSONValue, owners: Set<String>) -> JSONValue? {
        let refs = OwnerReferences.all(object)
        let unblocked = refs.map { ref -> JSONValue in
            guard owners.contains(ref["uid"]?.stringValue ?? ""), ref["blockOwnerDeletion"]?.boolValue == true else { return ref }
            var ref = ref
            ref["blockOwnerDeletion"] = false
            return ref
        }
        return unblocked == refs ? nil : ["metadata": ["ownerReferences": .array(unblocked)]]
    }

    /// Deletes `object` (that very object: its uid is a precondition) with `policy`.
    func delete(_ object: JSONValue, resource: Resource, policy: DeleteQuery.Propagation) async throws {
        let options = DeleteQuery(propagationPolicy: policy, preconditionUID: object.uid)
        let result = await result { () async throws(StatusError) in try await self.context.client.delete(resource.id, namespace: object.namespace, name: object.name, options: options) }
        // Gone already, or replaced by a new object of the same name: nothing to do.
        if case .failure(let error) = result, !error.isNotFound, !error.isConflict { throw error }
    }

    /// Whether the owner `ref` names exists (from the cache, else confirmed by a live GET by name and uid).
    func state(of ref: JSONValue, dependent: JSONValue, dependentResource: Resource) async throws -> OwnerState {
        guard let uid = ref["uid"]?.stringValue, let name = ref["name"]?.stringValue else { return .solid }
        if let (owner, _) = ownerInCache(ref, dependent: dependent) {
            return Self.isDeletingDependents(owner) ? .waiting : .solid
        }
        // A kind that is not watched, or a namespaced owner of a cluster-scoped object, can not be
        // resolved: the object is kept, as Kubernetes keeps it.
        guard let resource = resource(of: ref) else { return .solid }
        if resource.id.namespaced && !dependentResource.id.namespaced { return .solid }
        let namespace = resource.id.namespaced ? dependent.namespace : ""
        if absentOwners.contains(namespace: namespace, uid: uid) { return .dangling }
        guard let owner = try await liveObject(resource, namespace: namespace, name: name), owner.uid == uid else {
            absentOwners.insert(namespace: namespace, uid: uid)
            return .dangling
        }
        return Self.isDeletingDependents(owner) ? .waiting : .solid
    }

    // MARK: Writes

    static func references(_ refs: [JSONValue]) -> JSONValue {
        refs.isEmpty ? .null : .array(refs)
    }

    /// Reads the live object, lets `change` compute a merge patch of it (nil: nothing to do), and
    /// applies it pinned to the object's resourceVersion, retrying on conflicts.
    func mutate(_ resource: Resource, _ object: JSONValue, change: (JSONValue) -> JSONValue?) async throws {
        var attempt = 0
        while true {
            attempt += 1
            guard let live = try await liveObject(resource, namespace: object.namespace, name: object.name),
                  live.uid == object.uid, var patch = change(live) else { return }
            patch[key: "metadata", "resourceVersion"] = .string(live.resourceVersion)
            patch[key: "metadata", "uid"] = .string(live.uid)
            let result = await result { () async throws(StatusError) in
                try await self.context.client.patch(resource.id, namespace: object.namespace, name: object.name, format: .merge, body: patch)
            }
            switch result {
            case .success: return
            case .failure(let error) where error.isNotFound: return
            case .failure(let error) where error.isConflict && attempt < 5: continue
            case .failure(let error): throw error
            }
        }
    }

    /// The live object, nil when it does not exist.
    func liveObject(_ resource: Resource, namespace: String, name: String) async throws -> JSONValue? {
        switch await result({ () async throws(StatusError) in try await self.context.client.get(resource.id, namespace: namespace, name: name) }) {
        case .success(let object): return object
        case .failure(let error) where error.isNotFound: return nil
        case .failure(let error): throw error
        }
    }

    func result(_ body: () async throws(StatusError) -> JSONValue) async -> Result<JSONValue, StatusError> {
        do {
            return .success(try await body())
        } catch {
            return .failure(error)
        }
    }

    func removeFinalizer(_ finalizer: String, from object: JSONValue, resource: Resource) async throws {
        try await mutate(resource, object) { live in
            guard live.finalizers.contains(finalizer) else { return nil }
            let kept = live.finalizers.filter { $0 != finalizer }
            return ["metadata": ["finalizers": kept.isEmpty ? .null : .array(kept.map { .string($0) })]]
        }
    }
}

/// Owners known to be gone, by namespace and uid (a uid never comes back), so that the dependents of
/// a deleted owner need no GET each. Bounded: forgotten wholesale when full.
final class AbsentOwnerCache: Sendable {
    let entries = Mutex<Set<String>>([])
    let capacity: Int

    init(capacity: Int = 50_000) {
        self.capacity = capacity
    }

    func insert(namespace: String, uid: String) {
        guard !uid.isEmpty else { return }
        entries.withLock { entries in
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries.insert("\(namespace)/\(uid)")
        }
    }

    func contains(namespace: String, uid: String) -> Bool {
        entries.withLock { $0.contains("\(namespace)/\(uid)") }
    }
}
