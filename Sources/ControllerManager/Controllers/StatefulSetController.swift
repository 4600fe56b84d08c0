import APIMachinery
import Client
import Controllers
import Foundation
import Logging

/// The StatefulSet controller: pods with stable names `<set>-<ordinal>`, each with its
/// PersistentVolumeClaims `<template>-<set>-<ordinal>` (created before the pod, kept by the default
/// Retain policy), hostname and subdomain (serviceName). OrderedReady creates ordinal i+1 only once
/// 0…i are Running and Ready and removes from the highest ordinal one at a time; Parallel does both
/// at once. Templates are kept as ControllerRevisions (the pods' `controller-revision-hash` is the
/// revision's name); RollingUpdate replaces pods from the highest ordinal down to the partition, one
/// at a time; OnDelete waits for the user to delete them.
public final class StatefulSetController: Controller, Sendable {
    public static let name = "statefulset"
    static let component = "statefulset-controller"
    static let kind = "StatefulSet"
    static let podNameLabel = "statefulset.kubernetes.io/pod-name"
    static let podIndexLabel = "apps.kubernetes.io/pod-index"

    let context: ControllerContext
    let statefulSets: SharedInformer
    let pods: SharedInformer
    let revisions: SharedInformer
    let claims: SharedInformer
    let queue = WorkQueue<String>()
    let expectations: Expectations
    let recorder: EventRecorder

    public init(context: ControllerContext, expectations: Expectations = Expectations()) {
        self.context = context
        self.expectations = expectations
        statefulSets = context.informers.informer(for: .statefulSets)
        pods = context.informers.informer(for: .pods)
        revisions = context.informers.informer(for: .controllerRevisions)
        claims = context.informers.informer(for: .persistentVolumeClaims)
        recorder = context.recorder(Self.component)
    }

    public func run(workers: Int) async {
        let queue = self.queue
        statefulSets.addHandler(enqueueingHandler(queue))
        pods.addHandler(ResourceEventHandler(
            onAdd: { [self] pod in
                guard let key = ownerKey(pod) else {
                    await enqueueSelecting(pod)
                    return
                }
                expectations.creationObserved(key)
                await queue.add(key)
            },
            onUpdate: { [self] old, pod in
                guard let key = ownerKey(pod) else {
                    if let previous = ownerKey(old) { await queue.add(previous) }
                    await enqueueSelecting(pod)
                    return
                }
                if old.deletionTimestamp == nil, pod.deletionTimestamp != nil {
                    expectations.deletionObserved(key, objectKey: Indexer.key(of: pod))
                }
                await queue.add(key)
            },
            onDelete: { [self] pod in
                guard let key = ownerKey(pod) else { return }
                expectations.deletionObserved(key, objectKey: Indexer.key(of: pod))
                await queue.add(key)
            }))
        for informer in [statefulSets, pods, revisions, claims] {
            guard await informer.waitForSync() else { return }
        }
        await runWorkers(queue, count: workers, name: Self.name, logger: context.logger) { [self] key in try await sync(key) }
    }

    /// An orphan pod: every StatefulSet of its namespace selecting it may adopt it.
    func enqueueSelecting(_ pod: JSONValue) async {
        guard OwnerReferences.controllerRef(of: pod) == nil, pod.deletionTimestamp == nil else { return }
        for set in statefulSets.lister.list(namespace: pod.namespace) {
            guard let json = set["spec"]?["selector"], let selector = try? LabelSelector(fromJSON: json), !selector.isEverything,
                  selector.matches(pod.labels) else { continue }
            await queue.add(Indexer.key(of: set))
        }
    }

    func ownerKey(_ pod: JSONValue) -> String? {
        OwnerReferences.controllerKey(of: pod, kind: Self.kind, group: "apps")
    }

    // MARK: Pure parts

    /// The ordinal of a pod of the set named `setName`, nil when the name is not `<setName>-<n>`.
    static func ordinal(of podName: String, setName: String) -> Int? {
        guard podName.hasPrefix(setName + "-") else { return nil }
        let suffix = podName.dropFirst(setName.count + 1)
        guard !suffix.isEmpty, suffix.allSatisfy(\.isNumber), let n = Int(suffix), String(n) == suffix else { return nil }
        return n
    }

    static func podName(_ set: JSONValue, _ ordinal: Int) -> String { "\(set.name)-\(ordinal)" }

    static func claimName(template: String, set: JSONValue, ordinal: Int) -> String { "\(template)-\(set.name)-\(ordinal)" }

    static func isRunningAndReady(_ pod: JSONValue) -> Bool {
        pod["status"]?["phase"]?.stringValue == "Running" && PodStatus.isReady(pod)
    }

    static func isFailed(_ pod: JSONValue) -> Bool { pod["status"]?["phase"]?.stringValue == "Failed" }

    /// The claims of ordinal `ordinal`: one per volumeClaimTemplate, labelled with the set's matchLabels.
    static func newClaims(_ set: JSONValue, ordinal: Int) -> [JSONValue] {
        let matchLabels = set["spec"]?["selector"]?["matchLabels"]?.objectValue ?? [:]
        let deleteWithSet = set["spec"]?["persistentVolumeClaimRetentionPolicy"]?["whenDeleted"]?.stringValue == "Delete"
        return (set["spec"]?["volumeClaimTemplates"]?.arrayValue ?? []).map { template in
            var metadata = template["metadata"]?.objectValue ?? [:]
            metadata["name"] = .string(claimName(template: template.name, set: set, ordinal: ordinal))
            metadata["namespace"] = .string(set.namespace)
            var labels = metadata["labels"]?.objectValue ?? [:]
            for (k, v) in matchLabels { labels[k] = v }
            metadata["labels"] = labels.isEmpty ? nil : .object(labels)
            for field in ["uid", "resourceVersion", "creationTimestamp", "generation", "managedFields"] { metadata[field] = nil }
            if deleteWithSet {
                metadata["ownerReferences"] = [OwnerReferences.makeControllerRef(to: set, apiVersion: "apps/v1", kind: kind)]
            }
            return ["apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": .object(metadata),
                    "spec": template["spec"] ?? .object([:])]
        }
    }

    /// The pod of ordinal `ordinal` from `template`, of the revision named `revision`.
    static func newPod(_ set: JSONValue, template: JSONValue, revision: String, ordinal: Int) -> JSONValue {
        let name = podName(set, ordinal)
        var pod: JSONValue = ["apiVersion": "v1", "kind": "Pod", "metadata": template["metadata"] ?? .object([:]),
                              "spec": template["spec"] ?? .object([:])]
        pod["metadata"]?["generateName"] = nil
        pod.name = name
        pod.namespace = set.namespace
        var labels = pod.labels
        labels[podNameLabel] = name
        labels[podIndexLabel] = String(ordinal)
        labels[ControllerRevisions.hashLabel] = revision
        pod.labels = labels
        pod.set(path: ["metadata", "ownerReferences"], to: [OwnerReferences.makeControllerRef(to: set, apiVersion: "apps/v1", kind: kind)])
        pod.set(path: ["spec", "hostname"], to: .string(name))
        if let service = set["spec"]?["serviceName"]?.stringValue, !service.isEmpty {
            pod.set(path: ["spec", "subdomain"], to: .string(service))
        }
        let claimTemplates = set["spec"]?["volumeClaimTemplates"]?.arrayValue ?? []
        if !claimTemplates.isEmpty {
            let claimVolumes: [JSONValue] = claimTemplates.map { template in
                ["name": .string(template.name),
                 "persistentVolumeClaim": ["claimName": .string(claimName(template: template.name, set: set, ordinal: ordinal))]]
            }
            let names = Set(claimTemplates.map(\.name))
            let others = (pod["spec"]?["volumes"]?.arrayValue ?? []).filter { !names.contains($0["name"]?.stringValue ?? "") }
            pod.set(path: ["spec", "volumes"], to: .array(claimVolumes + others))
        }
        return pod
    }

    // MARK: Sync

    func sync(_ key: String) async throws {
        let (namespace, name) = Indexer.split(key)
        guard let set = statefulSets.lister.get(namespace: namespace, name: name) else {
            expectations.delete(key)
            return
        }
        guard set.deletionTimestamp == nil else { return }
        guard let selectorJSON = set["spec"]?["selector"], let selector = try? LabelSelector(fromJSON: selectorJSON), !selector.isEverything else { return }

        // Revisions: the update revision (the current template) and the current one (status).
        let ensured = try await ControllerRevisions.ensureCurrent(
            client: context.client, parent: set, kind: Self.kind, owned: ControllerRevisions.owned(by: set, in: revisions.lister),
            template: set["spec"]?["template"] ?? .object([:]), collisionCount: set["status"]?["collisionCount"]?.intValue ?? 0)
        let updateRevision = ensured.revision
        let currentName = set["status"]?["currentRevision"]?.stringValue ?? ""
        let currentRevision = ensured.owned.first { $0.name == currentName } ?? updateRevision

        let owned = try await OrphanAdoption.claimPods(client: context.client, owner: set, kind: Self.kind, selector: selector,
                                                       candidates: pods.lister.list(namespace: namespace)) {
            Self.ordinal(of: $0.name, setName: set.name) != nil
        }
        var byOrdinal: [Int: JSONValue] = [:]
        for pod in owned {
            if let ordinal = Self.ordinal(of: pod.name, setName: set.name) { byOrdinal[ordinal] = pod }
        }

        if expectations.satisfied(key) {
            try await reconcile(key: key, set: set, byOrdinal: byOrdinal, current: currentRevision, update: updateRevision)
        }

        var live = Set([currentRevision.name, updateRevision.name])
        for pod in owned { if let revision = pod.labels[ControllerRevisions.hashLabel] { live.insert(revision) } }
        try await ControllerRevisions.truncate(client: context.client, owned: ensured.owned, live: live,
                                               limit: set["spec"]?["revisionHistoryLimit"]?.intValue ?? 10)

        try await updateStatus(set, pods: Array(byOrdinal.values), current: currentRevision, update: updateRevision,
                               collisionCount: ensured.collisionCount)
    }

    /// One step towards the spec: creates, deletes and updates within the pod management policy.
    func reconcile(key: String, set: JSONValue, byOrdinal: [Int: JSONValue], current: JSONValue, update: JSONValue) async throws {
        let spec = set["spec"] ?? .object([:])
        let replicas = Int(spec["replicas"]?.intValue ?? 1)
        let start = Int(spec["ordinals"]?["start"]?.intValue ?? 0)
        let range = start..<(start + replicas)
        let monotonic = spec["podManagementPolicy"]?.stringValue != "Parallel"
        let rollingUpdate = (spec["updateStrategy"]?["type"]?.stringValue ?? "RollingUpdate") == "RollingUpdate"
        let partition = rollingUpdate ? Int(spec["updateStrategy"]?["rollingUpdate"]?["partition"]?.intValue ?? 0) : 0

        // Replicas, in ordinal order.
        var unhealthy = false
        for ordinal in range {
            guard let pod = byOrdinal[ordinal] else {
                let useCurrent = rollingUpdate && current.name != update.name && ordinal < start + partition
                let revision = useCurrent ? current : update
                try await createPod(key: key, set: set, ordinal: ordinal, template: ControllerRevisions.template(of: revision), revision: revision.name)
                if monotonic { return }
                unhealthy = true
                continue
            }
            if pod.deletionTimestamp != nil {
                if monotonic { return }
                unhealthy = true
                continue
            }
            if Self.isFailed(pod) {
                try await deletePod(key: key, set: set, pod: pod)
                if monotonic { return }
                unhealthy = true
                continue
            }
            try await createMissingClaims(set: set, ordinal: ordinal, podName: pod.name)
            if !Self.isRunningAndReady(pod) {
                if monotonic { return }
                unhealthy = true
            }
        }

        // Condemned pods, from the highest ordinal.
        let condemned = byOrdinal.filter { !range.contains($0.key) }.sorted { $0.key > $1.key }.map(\.value)
        for pod in condemned {
            if pod.deletionTimestamp != nil {
                if monotonic { return }
                continue
            }
            if spec["persistentVolumeClaimRetentionPolicy"]?["whenScaled"]?.stringValue == "Delete" {
                try await handClaimsToPod(set: set, pod: pod)
            }
            try await deletePod(key: key, set: set, pod: pod)
            if monotonic { return }
        }
        if !condemned.isEmpty || unhealthy { return }

        // Rolling update, from the highest ordinal down to the partition, one pod at a time.
        guard rollingUpdate else { return }
        for ordinal in range.reversed() where ordinal >= start + partition {
            guard let pod = byOrdinal[ordinal] else { return }
            if pod.labels[ControllerRevisions.hashLabel] != update.name {
                if pod.deletionTimestamp == nil { try await deletePod(key: key, set: set, pod: pod) }
                return
            }
            if !Self.isRunningAndReady(pod) { return }
        }
    }

    /// whenScaled: Delete: the claims of a condemned pod get the pod as an owner, so that the garbage
    /// collector deletes them with it.
    func handClaimsToPod(set: JSONValue, pod: JSONValue) async throws {
        guard let ordinal = Self.ordinal(of: pod.name, setName: set.name) else { return }
        for template in set["spec"]?["volumeClaimTemplates"]?.arrayValue ?? [] {
            let name = Self.claimName(template: template.name, set: set, ordinal: ordinal)
            guard let claim = claims.lister.get(namespace: set.namespace, name: name) else { continue }
            let refs = OwnerReferences.all(claim)
            guard !refs.contains(where: { $0["uid"]?.stringValue == pod.uid }) else { continue }
            let ref: JSONValue = ["apiVersion": "v1", "kind": "Pod", "name": .string(pod.name), "uid": .string(pod.uid)]
            do {
                _ = try await context.client.patch(.persistentVolumeClaims, namespace: set.namespace, name: name, format: .merge,
                                                   body: ["metadata": ["ownerReferences": .array(refs + [ref]), "uid": .string(claim.uid)]])
            } catch {
                guard error.isNotFound else { throw error }
            }
        }
    }

    func createMissingClaims(set: JSONValue, ordinal: Int, podName: String) async throws {
        for claim in Self.newClaims(set, ordinal: ordinal) where claims.lister.get(namespace: set.namespace, name: claim.name) == nil {
            do {
                _ = try await context.client.create(.persistentVolumeClaims, namespace: set.namespace, object: claim)
                await recorder.record(set, type: .normal, reason: "SuccessfulCreate",
                                      message: "create Claim \(claim.name) Pod \(podName) in StatefulSet \(set.name) success")
            } catch {
                if error.isAlreadyExists { continue }
                await recorder.record(set, type: .warning, reason: "FailedCreate",
                                      message: "create Claim \(claim.name) for Pod \(podName) in StatefulSet \(set.name) failed error: \(error.message)")
                throw error
            }
        }
    }

    func createPod(key: String, set: JSONValue, ordinal: Int, template: JSONValue, revision: String) async throws {
        let pod = Self.newPod(set, template: template, revision: revision, ordinal: ordinal)
        try await createMissingClaims(set: set, ordinal: ordinal, podName: pod.name)
        expectations.raise(key, adds: 1)
        do {
            _ = try await context.client.create(.pods, namespace: set.namespace, object: pod)
            await recorder.record(set, type: .normal, reason: "SuccessfulCreate",
                                  message: "create Pod \(pod.name) in StatefulSet \(set.name) successful")
        } catch {
            expectations.creationObserved(key)
            // AlreadyExists: the cache is behind; the pod exists and will be observed.
            if error.isAlreadyExists { return }
            await recorder.record(set, type: .warning, reason: "FailedCreate",
                                  message: "create Pod \(pod.name) in StatefulSet \(set.name) failed error: \(error.message)")
            throw error
        }
    }

    func deletePod(key: String, set: JSONValue, pod: JSONValue) async throws {
        expectations.expect(key, deletes: 1, deleteKeys: [Indexer.key(of: pod)])
        do {
            _ = try await context.client.delete(.pods, namespace: pod.namespace, name: pod.name, options: DeleteQuery(preconditionUID: pod.uid))
            await recorder.record(set, type: .normal, reason: "SuccessfulDelete",
                                  message: "delete Pod \(pod.name) in StatefulSet \(set.name) successful")
        } catch {
            expectations.deletionObserved(key, objectKey: Indexer.key(of: pod))
            if error.isNotFound { return }
            await recorder.record(set, type: .warning, reason: "FailedDelete",
                                  message: "delete Pod \(pod.name) in StatefulSet \(set.name) failed error: \(error.message)")
            throw error
        }
    }

    func updateStatus(_ set: JSONValue, pods: [JSONValue], current: JSONValue, update: JSONValue, collisionCount: Int64) async throws {
        let now = context.now()
        let minReadySeconds = set["spec"]?["minReadySeconds"]?.intValue ?? 0
        let specReplicas = set["spec"]?["replicas"]?.intValue ?? 1
        var replicas: Int64 = 0, ready: Int64 = 0, available: Int64 = 0, currentCount: Int64 = 0, updated: Int64 = 0
        var waitingForAvailability = false
        for pod in pods {
            replicas += 1
            if Self.isRunningAndReady(pod) {
                ready += 1
                if PodStatus.isAvailable(pod, minReadySeconds: minReadySeconds, now: now) { available += 1 } else { waitingForAvailability = true }
            }
            guard pod.deletionTimestamp == nil else { continue }
            let revision = pod.labels[ControllerRevisions.hashLabel]
            if revision == current.name { currentCount += 1 }
            if revision == update.name { updated += 1 }
        }
        var currentName = current.name
        if currentName != update.name && updated == specReplicas && ready == specReplicas && replicas == specReplicas {
            // The rollout is complete.
            currentName = update.name
            currentCount = updated
        }
        var status = set["status"]?.objectValue ?? [:]
        status["observedGeneration"] = .int(set.generation)
        status["replicas"] = .int(replicas)
        status["availableReplicas"] = .int(available)
        for (field, value) in [("readyReplicas", ready), ("currentReplicas", currentCount), ("updatedReplicas", updated)] {
            status[field] = value == 0 ? nil : .int(value)
        }
        status["currentRevision"] = .string(currentName)
        status["updateRevision"] = .string(update.name)
        status["collisionCount"] = .int(collisionCount)
        if waitingForAvailability {
            await queue.addAfter(Indexer.key(of: set), delay: .seconds(max(1, minReadySeconds)))
        }
        guard JSONValue.object(status) != (set["status"] ?? .null) else { return }
        var updatedSet = set
        updatedSet["status"] = .object(status)
        do {
            _ = try await context.client.updateStatus(.statefulSets, namespace: set.namespace, object: updatedSet)
        } catch {
            guard error.isNotFound else { throw error }
        }
    }
}

