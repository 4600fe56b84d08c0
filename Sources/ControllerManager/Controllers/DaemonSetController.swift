import APIMachinery
import Client
import Controllers
import Foundation
import Logging
import Scheduler

/// The DaemonSet controller: one daemon pod on every node the pod template fits (nodeSelector,
/// required node affinity, taints the pod tolerates with the tolerations every daemon pod gets),
/// following nodes as they come, change and go. Pods are created unbound with a required node affinity
/// on `metadata.name` (the scheduler binds them). Templates are kept as ControllerRevisions, pods carry
/// their `controller-revision-hash`; RollingUpdate replaces old pods within maxUnavailable (or surges
/// new ones first within maxSurge), OnDelete only replaces pods deleted by the user.
public final class DaemonSetController: Controller, Sendable {
    public static let name = "daemonset"
    static let component = "daemonset-controller"
    static let kind = "DaemonSet"

    let context: ControllerContext
    let daemonSets: SharedInformer
    let pods: SharedInformer
    let nodes: SharedInformer
    let revisions: SharedInformer
    let queue = WorkQueue<String>()
    let expectations: Expectations
    let recorder: EventRecorder

    public init(context: ControllerContext, expectations: Expectations = Expectations()) {
        self.context = context
        self.expectations = expectations
        daemonSets = context.informers.informer(for: .daemonSets)
        pods = context.informers.informer(for: .pods)
        nodes = context.informers.informer(for: .nodes)
        revisions = context.informers.informer(for: .controllerRevisions)
        recorder = context.recorder(Self.component)
    }

    /// The tolerations Kubernetes adds to every daemon pod.
    static let defaultTolerations: [JSONValue] = [
        ["key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"],
        ["key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"],
        ["key": "node.kubernetes.io/disk-pressure", "operator": "Exists", "effect": "NoSchedule"],
        ["key": "node.kubernetes.io/memory-pressure", "operator": "Exists", "effect": "NoSchedule"],
        ["key": "node.kubernetes.io/pid-pressure", "operator": "Exists", "effect": "NoSchedule"],
        ["key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"],
    ]
    static let networkUnavailableToleration: JSONValue =
        ["key": "node.kubernetes.io/network-unavailable", "operator": "Exists", "effect": "NoSchedule"]

    public func run(workers: Int) async {
        let queue = self.queue
        daemonSets.addHandler(enqueueingHandler(queue))
        pods.addHandler(ResourceEventHandler(
            onAdd: { [self] pod in await podChanged(pod, created: true) },
            onUpdate: { [self] old, pod in
                if old.deletionTimestamp == nil, pod.deletionTimestamp != nil { await podDeleted(pod) } else { await podChanged(pod, created: false) }
            },
            onDelete: { [self] pod in await podDeleted(pod) }))
        nodes.addHandler(ResourceEventHandler(
            onAdd: { [self] _ in await enqueueAll() },
            onUpdate: { [self] old, node in
                if old["metadata"]?["labels"] != node["metadata"]?["labels"] || old["spec"]?["taints"] != node["spec"]?["taints"] {
                    await enqueueAll()
                }
            },
            onDelete: { [self] _ in await enqueueAll() }))
        revisions.addHandler(ResourceEventHandler(
            onDelete: { revision in
                if let key = OwnerReferences.controllerKey(of: revision, kind: Self.kind, group: "apps") { await queue.add(key) }
            }))
        for informer in [daemonSets, pods, nodes, revisions] {
            guard await informer.waitForSync() else { return }
        }
        await runWorkers(queue, count: workers, name: Self.name, logger: context.logger) { [self] key in try await sync(key) }
    }

    func enqueueAll() async {
        for ds in daemonSets.lister.list() { await queue.add(Indexer.key(of: ds)) }
    }

    /// An orphan pod: every DaemonSet of its namespace selecting it may adopt it.
    func enqueueSelecting(_ pod: JSONValue) async {
        guard OwnerReferences.controllerRef(of: pod) == nil, pod.deletionTimestamp == nil else { return }
        for ds in daemonSets.lister.list(namespace: pod.namespace) {
            guard let json = ds["spec"]?["selector"], let selector = try? LabelSelector(fromJSON: json), !selector.isEverything,
                  selector.matches(pod.labels) else { continue }
            await queue.add(Indexer.key(of: ds))
        }
    }

    func podChanged(_ pod: JSONValue, created: Bool) async {
        guard let key = OwnerReferences.controllerKey(of: pod, kind: Self.kind, group: "apps") else {
            await enqueueSelecting(pod)
            return
        }
        if created { expectations.creationObserved(key) }
        await queue.add(key)
    }

    func podDeleted(_ pod: JSONValue) async {
        guard let key = OwnerReferences.controllerKey(of: pod, kind: Self.kind, group: "apps") else { return }
        expectations.deletionObserved(key, objectKey: Indexer.key(of: pod))
        await queue.add(key)
    }

    // MARK: Sync

    /// The node a daemon pod is for: its spec.nodeName, or the node its `metadata.name` affinity names.
    static func targetNode(of pod: JSONValue) -> String? {
        if let node = pod["spec"]?["nodeName"]?.stringValue, !node.isEmpty { return node }
        let terms = pod["spec"]?["affinity"]?["nodeAffinity"]?["requiredDuringSchedulingIgnoredDuringExecution"]?["nodeSelectorTerms"]?.arrayValue ?? []
        for term in terms {
            for field in term["matchFields"]?.arrayValue ?? [] where field["key"]?.stringValue == "metadata.name" && field["operator"]?.stringValue == "In" {
                if let values = field["values"]?.arrayValue, values.count == 1, let node = values[0].stringValue { return node }
            }
        }
        return nil
    }

    /// The template with the daemon tolerations added (those the template lacks).
    static func podTemplate(_ ds: JSONValue) -> JSONValue {
        var template = ds["spec"]?["template"] ?? .object([:])
        var tolerations = template["spec"]?["tolerations"]?.arrayValue ?? []
        var wanted = defaultTolerations
        if template["spec"]?["hostNetwork"]?.boolValue == true { wanted.append(networkUnavailableToleration) }
        for toleration in wanted {
            let present = tolerations.contains {
                $0["key"] == toleration["key"] && $0["effect"] == toleration["effect"] && ($0["operator"]?.stringValue ?? "Equal") == "Exists"
            }
            if !present { tolerations.append(toleration) }
        }
        if template["spec"]?.objectValue != nil { template.set(path: ["spec", "tolerations"], to: .array(tolerations)) }
        return template
    }

    /// Whether a daemon pod should run on `node` (and whether one already there may stay): the
    /// selector and affinity match, and every NoSchedule/NoExecute (NoExecute) taint is tolerated.
    static func placement(template: JSONValue, node: JSONValue) -> (shouldRun: Bool, shouldContinueRunning: Bool) {
        let pod: JSONValue = ["metadata": template["metadata"] ?? .object([:]), "spec": template["spec"] ?? .object([:])]
        guard NodeEligibility.matchesNodeSelectorAndAffinity(pod: pod, node: node) else { return (false, false) }
        let untolerated = NodeEligibility.untoleratedTaints(pod: pod, node: node)
        return (untolerated.isEmpty, !untolerated.contains { $0.effect == "NoExecute" })
    }

    /// The required node affinity pinning a pod to `node`: every term's matchFields become
    /// `metadata.name In [node]` (one such term when there are none).
    static func pinnedAffinity(_ affinity: JSONValue?, node: String) -> JSONValue {
        var affinity = affinity ?? .object([:])
        if affinity.objectValue == nil { affinity = .object([:]) }
        let fields: JSONValue = [["key": "metadata.name", "operator": "In", "values": [.string(node)]]]
        var terms = affinity["nodeAffinity"]?["requiredDuringSchedulingIgnoredDuringExecution"]?["nodeSelectorTerms"]?.arrayValue ?? []
        if terms.isEmpty {
            terms = [["matchFields": fields]]
        } else {
            terms = terms.map { term in
                var term = term
                term["matchFields"] = fields
                return term
            }
        }
        affinity.set(path: ["nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms"], to: .array(terms))
        return affinity
    }

    /// A new daemon pod of `ds` for `node`.
    static func newPod(_ ds: JSONValue, template: JSONValue, hash: String, node: String) -> JSONValue {
        var pod: JSONValue = ["apiVersion": "v1", "kind": "Pod", "metadata": template["metadata"] ?? .object([:]),
                              "spec": template["spec"] ?? .object([:])]
        pod["metadata"]?["name"] = nil
        var labels = pod.labels
        labels[ControllerRevisions.hashLabel] = hash
        if let generation = ds.annotations["deprecated.daemonset.template.generation"] { labels["pod-template-generation"] = generation }
        pod.labels = labels
        pod.set(path: ["metadata", "generateName"], to: .string("\(ds.name)-"))
        pod.namespace = ds.namespace
        pod.set(path: ["metadata", "ownerReferences"], to: [OwnerReferences.makeControllerRef(to: ds, apiVersion: "apps/v1", kind: kind)])
        pod.set(path: ["spec", "affinity"], to: pinnedAffinity(pod["spec"]?["affinity"], node: node))
        return pod
    }

    static func isFailed(_ pod: JSONValue) -> Bool { pod["status"]?["phase"]?.stringValue == "Failed" }

    func sync(_ key: String) async throws {
        let (namespace, name) = Indexer.split(key)
        guard let ds = daemonSets.lister.get(namespace: namespace, name: name) else {
            expectations.delete(key)
            return
        }
        guard ds.deletionTimestamp == nil else { return }
        guard let selectorJSON = ds["spec"]?["selector"], let selector = try? LabelSelector(fromJSON: selectorJSON), !selector.isEverything else { return }

        // Revisions: the current template's, created if needed.
        let template = Self.podTemplate(ds)
        let collisionCount = ds["status"]?["collisionCount"]?.intValue ?? 0
        let current = try await ControllerRevisions.ensureCurrent(
            client: context.client, parent: ds, kind: Self.kind, owned: ControllerRevisions.owned(by: ds, in: revisions.lister),
            template: ds["spec"]?["template"] ?? .object([:]), collisionCount: collisionCount)
        let hash = ControllerRevisions.hash(of: current.revision)

        // Pods by node.
        let owned = try await OrphanAdoption.claimPods(client: context.client, owner: ds, kind: Self.kind, selector: selector,
                                                       candidates: pods.lister.list(namespace: namespace))
        var byNode: [String: [JSONValue]] = [:]
        var strays: [JSONValue] = []
        for pod in owned {
            if let node = Self.targetNode(of: pod) { byNode[node, default: []].append(pod) } else { strays.append(pod) }
        }
        let allNodes = nodes.lister.list().sorted { $0.name < $1.name }
        let nodeNames = Set(allNodes.map(\.name))

        let now = context.now()
        let minReadySeconds = ds["spec"]?["minReadySeconds"]?.intValue ?? 0
        func available(_ pod: JSONValue) -> Bool { PodStatus.isAvailable(pod, minReadySeconds: minReadySeconds, now: now) }

        if expectations.satisfied(key) {
            var creates: [String] = []
            var deletes: [JSONValue] = []
            var shouldRunCount: Int64 = 0
            for node in allNodes {
                let placement = Self.placement(template: template, node: node)
                if placement.shouldRun { shouldRunCount += 1 }
                let nodePods = (byNode[node.name] ?? []).sorted { ($0.creationTimestamp ?? "", $0.name) < ($1.creationTimestamp ?? "", $1.name) }
                let live = nodePods.filter { $0.deletionTimestamp == nil }
                if placement.shouldRun || (placement.shouldContinueRunning && !live.isEmpty) {
                    let failed = live.filter(Self.isFailed)
                    deletes += failed
                    let running = live.filter { !Self.isFailed($0) }
                    if running.isEmpty {
                        // Failed pods are deleted first; a new pod once every terminating pod of the node is gone.
                        let terminating = nodePods.contains { $0.deletionTimestamp != nil }
                        if placement.shouldRun && !terminating && failed.isEmpty { creates.append(node.name) }
                    } else {
                        // Keep the oldest pod of each revision (old and new both exist while surging).
                        let new = running.filter { $0.labels[ControllerRevisions.hashLabel] == hash }
                        let old = running.filter { $0.labels[ControllerRevisions.hashLabel] != hash }
                        deletes += new.dropFirst()
                        deletes += old.dropFirst()
                    }
                } else {
                    deletes += live
                }
            }
            // Pods on nodes that are gone, or for no node.
            for (node, nodePods) in byNode where !nodeNames.contains(node) { deletes += nodePods.filter { $0.deletionTimestamp == nil } }
            deletes += strays.filter { $0.deletionTimestamp == nil }

            // Rolling update.
            if ds["spec"]?["updateStrategy"]?["type"]?.stringValue ?? "RollingUpdate" == "RollingUpdate" {
                let deleting = Set(deletes.map { Indexer.key(of: $0) })
                let (surgeCreates, rollDeletes) = rollingUpdate(ds, template: template, nodes: allNodes, byNode: byNode, hash: hash,
                                                                deleting: deleting, desired: shouldRunCount, available: available)
                creates += surgeCreates
                deletes += rollDeletes
            }

            if !creates.isEmpty || !deletes.isEmpty {
                try await apply(key: key, ds: ds, template: template, hash: hash, creates: creates, deletes: deletes)
            }
        }

        // History beyond the limit.
        let liveHashes = Set(owned.compactMap { $0.labels[ControllerRevisions.hashLabel] })
        let liveNames = Set(current.owned.filter { liveHashes.contains(ControllerRevisions.hash(of: $0)) }.map(\.name) + [current.revision.name])
        try await ControllerRevisions.truncate(client: context.client, owned: current.owned, live: liveNames,
                                               limit: ds["spec"]?["revisionHistoryLimit"]?.intValue ?? 10)

        try await updateStatus(ds, template: template, hash: hash, collisionCount: current.collisionCount, nodes: allNodes, byNode: byNode,
                               available: available, minReadySeconds: minReadySeconds)
    }

    /// The surge creates and deletes a RollingUpdate step makes: with maxSurge, a new pod beside an
    /// available old one (at most maxSurge nodes at once) and the old one deleted once the new is
    /// available; without, old pods deleted (unavailable ones at once, available ones while fewer
    /// than maxUnavailable nodes lack an available pod), their replacements created on the next sync.
    func rollingUpdate(_ ds: JSONValue, template: JSONValue, nodes: [JSONValue], byNode: [String: [JSONValue]], hash: String,
                       deleting: Set<String>, desired: Int64, available: (JSONValue) -> Bool) -> (creates: [String], deletes: [JSONValue]) {
        let rolling = ds["spec"]?["updateStrategy"]?["rollingUpdate"]
        let maxSurge = (try? IntOrPercent.parse(rolling?["maxSurge"] ?? 0).scaled(total: desired, roundUp: true)) ?? 0
        var maxUnavailable = (try? IntOrPercent.parse(rolling?["maxUnavailable"] ?? 1).scaled(total: desired, roundUp: true)) ?? 1
        if maxSurge == 0 && maxUnavailable == 0 { maxUnavailable = 1 }

        var creates: [String] = []
        var deletes: [JSONValue] = []
        var unavailable: Int64 = 0
        var candidates: [JSONValue] = []  // available old pods, no new pod on their node
        var surging: Int64 = 0
        var surgeCandidates: [String] = []
        for node in nodes where Self.placement(template: template, node: node).shouldRun {
            let live = (byNode[node.name] ?? []).filter { $0.deletionTimestamp == nil && !Self.isFailed($0) && !deleting.contains(Indexer.key(of: $0)) }
            let new = live.filter { $0.labels[ControllerRevisions.hashLabel] == hash }
            let old = live.filter { $0.labels[ControllerRevisions.hashLabel] != hash }
            if !live.contains(where: available) { unavailable += 1 }
            guard let oldPod = old.first else { continue }
            if maxSurge > 0 {
                if !available(oldPod) {
                    deletes += old  // nothing available to keep: replace at once
                } else if let newPod = new.first {
                    if available(newPod) { deletes += old } else { surging += 1 }
                } else {
                    surgeCandidates.append(node.name)
                }
            } else if new.isEmpty {
                if available(oldPod) { candidates.append(oldPod) } else { deletes += old }
            } else {
                deletes += old
            }
        }
        if maxSurge > 0 {
            for node in surgeCandidates where surging < maxSurge {
                creates.append(node)
                surging += 1
            }
        } else {
            for pod in candidates where unavailable < maxUnavailable {
                deletes.append(pod)
                unavailable += 1
            }
        }
        return (creates, deletes)
    }

    func apply(key: String, ds: JSONValue, template: JSONValue, hash: String, creates: [String], deletes: [JSONValue]) async throws {
        var seen = Set<String>()
        let deletes = deletes.filter { seen.insert(Indexer.key(of: $0)).inserted }
        expectations.expect(key, adds: creates.count, deletes: deletes.count, deleteKeys: Set(deletes.map { Indexer.key(of: $0) }))
        var firstError: (any Error)?
        for node in creates {
            let pod = Self.newPod(ds, template: template, hash: hash, node: node)
            do {
                let created = try await context.client.create(.pods, namespace: ds.namespace, object: pod)
                await recorder.record(ds, type: .normal, reason: "SuccessfulCreate", message: "Created pod: \(created.name)")
            } catch {
                expectations.creationObserved(key)
                await recorder.record(ds, type: .warning, reason: "FailedCreate", message: "Error creating: \(errorMessage(error))")
                if firstError == nil { firstError = error }
            }
        }
        for pod in deletes {
            do {
                _ = try await context.client.delete(.pods, namespace: pod.namespace, name: pod.name,
                                                    options: DeleteQuery(preconditionUID: pod.uid))
                await recorder.record(ds, type: .normal, reason: "SuccessfulDelete", message: "Deleted pod: \(pod.name)")
            } catch {
                expectations.deletionObserved(key, objectKey: Indexer.key(of: pod))
                if !isNotFound(error) {
                    await recorder.record(ds, type: .warning, reason: "FailedDelete", message: "Error deleting: \(errorMessage(error))")
                    if firstError == nil { firstError = error }
                }
            }
        }
        if let firstError { throw firstError }
    }

    func updateStatus(_ ds: JSONValue, template: JSONValue, hash: String, collisionCount: Int64, nodes: [JSONValue],
                      byNode: [String: [JSONValue]], available: (JSONValue) -> Bool, minReadySeconds: Int64) async throws {
        var desired: Int64 = 0, scheduled: Int64 = 0, misscheduled: Int64 = 0, ready: Int64 = 0
        var numberAvailable: Int64 = 0, updated: Int64 = 0
        var waitingForAvailability = false
        for node in nodes {
            let shouldRun = Self.placement(template: template, node: node).shouldRun
            let live = (byNode[node.name] ?? []).filter { $0.deletionTimestamp == nil }
            // Only pods bound to the node count as scheduled.
            let bound = live.filter { $0["spec"]?["nodeName"]?.stringValue == node.name }
            if shouldRun {
                desired += 1
                guard !bound.isEmpty else { continue }
                scheduled += 1
                let newest = bound.max { ($0.creationTimestamp ?? "") < ($1.creationTimestamp ?? "") }!
                if PodStatus.isReady(newest) {
                    ready += 1
                    if available(newest) { numberAvailable += 1 } else { waitingForAvailability = true }
                }
                if bound.contains(where: { $0.labels[ControllerRevisions.hashLabel] == hash }) { updated += 1 }
            } else if !bound.isEmpty {
                misscheduled += 1
            }
        }
        var status = ds["status"]?.objectValue ?? [:]
        status["desiredNumberScheduled"] = .int(desired)
        status["currentNumberScheduled"] = .int(scheduled)
        status["numberMisscheduled"] = .int(misscheduled)
        status["numberReady"] = .int(ready)
        status["observedGeneration"] = .int(ds.generation)
        for (field, value) in [("numberAvailable", numberAvailable), ("numberUnavailable", desired - numberAvailable),
                               ("updatedNumberScheduled", updated), ("collisionCount", collisionCount)] {
            status[field] = value == 0 ? nil : .int(value)
        }
        if waitingForAvailability {
            await queue.addAfter(Indexer.key(of: ds), delay: .seconds(max(1, minReadySeconds)))
        }
        guard JSONValue.object(status) != (ds["status"] ?? .null) else { return }
        var updatedDS = ds
        updatedDS["status"] = .object(status)
        do {
            _ = try await context.client.updateStatus(.daemonSets, namespace: ds.namespace, object: updatedDS)
        } catch {
            guard error.isNotFound else { throw error }
        }
    }
}

/// The message of a StatusError, or the error's description.
private func errorMessage(_ error: any Error) -> String { (error as? StatusError)?.message ?? "\(error)" }
private func isNotFound(_ error: any Error) -> Bool { (error as? StatusError)?.isNotFound ?? false }
