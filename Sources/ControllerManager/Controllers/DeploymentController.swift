import APIMachinery
import Client
import Controllers
import Foundation
import Logging
import Synchronization

/// kube-controller-manager's Deployment controller: owns ReplicaSets named
/// `<deployment>-<pod-template-hash>`, rolls the pod template out with the RollingUpdate (maxSurge,
/// maxUnavailable) or Recreate strategy, scales proportionally, keeps revisions in annotations,
/// deletes old ReplicaSets beyond revisionHistoryLimit, honours `paused` and progressDeadlineSeconds,
/// and reports status and the Available and Progressing conditions (what `kubectl rollout` reads).
public final class DeploymentController: Controller, Sendable {
    public static let name = "deployment"
    static let component = "deployment-controller"
    static let kind = "Deployment"
    static let apiVersion = "apps/v1"

    /// Deployment annotations not copied to its ReplicaSets.
    static let annotationsNotCopied: Set<String> = [
        "kubectl.kubernetes.io/last-applied-configuration", DeploymentLogic.revisionAnnotation,
        DeploymentLogic.revisionHistoryAnnotation, DeploymentLogic.desiredReplicasAnnotation,
        DeploymentLogic.maxReplicasAnnotation, "deprecated.deployment.rollback.to",
    ]

    let context: ControllerContext
    let deployments: SharedInformer
    let replicaSets: SharedInformer
    let pods: SharedInformer
    let queue = WorkQueue<String>()
    let events: ThrottledRecorder
    /// When each deployment's progress deadline check is due (one pending check per deployment).
    let deadlineChecks = Mutex<[String: Date]>([:])

    public init(context: ControllerContext) {
        self.context = context
        self.deployments = context.informers.informer(for: .deployments)
        self.replicaSets = context.informers.informer(for: .replicaSets, indexers: OwnerIndex.indexers)
        self.pods = context.informers.informer(for: .pods, indexers: OwnerIndex.indexers)
        self.events = ThrottledRecorder(context.recorder(Self.component), throttle: EventThrottle(burst: 200))
    }

    public func run(workers: Int) async {
        deployments.addHandler(enqueueingHandler(queue))
        replicaSets.addHandler(ResourceEventHandler(
            onAdd: { [self] rs in await replicaSetChanged(nil, rs) },
            onUpdate: { [self] old, new in await replicaSetChanged(old, new) },
            onDelete: { [self] rs in await replicaSetChanged(nil, rs) }))
        pods.addHandler(ResourceEventHandler(onDelete: { [self] pod in await podDeleted(pod) }))
        await deployments.waitForSync()
        await replicaSets.waitForSync()
        await pods.waitForSync()
        await runWorkers(queue, count: workers, name: Self.name, logger: context.logger) { [self] key in try await sync(key) }
    }

    // MARK: Events of ReplicaSets and pods

    func owner(of rs: JSONValue) -> JSONValue? {
        OwnerReferences.resolveController(of: rs, kind: Self.kind, group: "apps", in: deployments.lister)
    }

    func matchingDeployments(_ rs: JSONValue) -> [JSONValue] {
        let labels = rs.labels
        return deployments.lister.list(namespace: rs.namespace).filter { d in Workloads.selector(d).map { $0.matches(labels) } ?? false }
    }

    func replicaSetChanged(_ old: JSONValue?, _ new: JSONValue) async {
        if let old, old.resourceVersion == new.resourceVersion { return }
        if let old, OwnerReferences.controllerRef(of: old) != OwnerReferences.controllerRef(of: new), let previous = owner(of: old) {
            await queue.add(Indexer.key(of: previous))
        }
        if OwnerReferences.controllerRef(of: new) != nil {
            if let d = owner(of: new) { await queue.add(Indexer.key(of: d)) }
            return
        }
        if old == nil || old?.labels != new.labels || OwnerReferences.controllerRef(of: old!) != nil {
            for d in matchingDeployments(new) { await queue.add(Indexer.key(of: d)) }
        }
    }

    /// A Recreate rollout waits for the old pods to be gone.
    func podDeleted(_ pod: JSONValue) async {
        guard let rs = OwnerReferences.resolveController(of: pod, kind: "ReplicaSet", group: "apps", in: replicaSets.lister),
              let d = owner(of: rs), d["spec"]?["strategy"]?["type"]?.stringValue == "Recreate" else { return }
        await queue.add(Indexer.key(of: d))
    }

    // MARK: Sync

    func sync(_ key: String) async throws {
        let (namespace, name) = Indexer.split(key)
        guard let cached = deployments.lister.get(namespace: namespace, name: name) else {
            _ = deadlineChecks.withLock { $0.removeValue(forKey: key) }
            return
        }
        var d = Workloads.typed(cached, kind: Self.kind, apiVersion: Self.apiVersion)
        guard let selector = Workloads.selector(d) else {
            events.record(d, type: .warning, reason: "SelectingAll", message: "This deployment is selecting all pods. A non-empty selector is required.")
            return
        }
        let replicaSetList = try await claimReplicaSets(d, selector: selector)
        if d.deletionTimestamp != nil {
            let (new, old) = DeploymentRollout.split(deployment: d, replicaSets: replicaSetList)
            try await syncStatus(&d, new: new, old: old)
            return
        }
        if d["spec"]?["paused"]?.boolValue == true || isScalingEvent(d, replicaSetList) {
            try await syncScale(&d, replicaSetList)
            return
        }
        if d["spec"]?["strategy"]?["type"]?.stringValue == "Recreate" {
            try await rolloutRecreate(&d, replicaSetList)
        } else {
            try await rolloutRolling(&d, replicaSetList)
        }
    }

    /// The ReplicaSets this deployment controls after adopting matching orphans and releasing those that
    /// stopped matching.
    func claimReplicaSets(_ d: JSONValue, selector: LabelSelector) async throws -> [JSONValue] {
        var claimed: [JSONValue] = []
        let ref = OwnerReferences.makeControllerRef(to: d, apiVersion: Self.apiVersion, kind: Self.kind)
        for rs in OwnerIndex.ownedAndOrphans(of: d, in: replicaSets.indexer) where rs.namespace == d.namespace {
            let matches = Workloads.matches(selector, rs)
            if let controller = OwnerReferences.controllerRef(of: rs) {
                guard controller["uid"]?.stringValue == d.uid else { continue }
                if matches || d.deletionTimestamp != nil {
                    claimed.append(rs)
                    continue
                }
                _ = try await context.client.patchOwnership(.replicaSets, rs, body: OwnerReferences.releasePatch(rs, ownerUID: d.uid))
                continue
            }
            guard matches, rs.deletionTimestamp == nil, d.deletionTimestamp == nil else { continue }
            if let adopted = try await context.client.patchOwnership(.replicaSets, rs, body: OwnerReferences.adoptPatch(rs, ref: ref)) {
                claimed.append(adopted)
            }
        }
        return claimed
    }

    // MARK: Helpers

    static func replicas(_ object: JSONValue?) -> Int64 { object?["spec"]?["replicas"]?.intValue ?? 0 }
    static func desired(_ d: JSONValue) -> Int64 { d["spec"]?["replicas"]?.intValue ?? 1 }
    static func isRolling(_ d: JSONValue) -> Bool { d["spec"]?["strategy"]?["type"]?.stringValue != "Recreate" }
    static func available(_ rs: JSONValue) -> Int64 { rs["status"]?["availableReplicas"]?.intValue ?? 0 }
    static func byAge(_ a: JSONValue, _ b: JSONValue) -> Bool {
        (a.creationTimestamp ?? "", a.name) < (b.creationTimestamp ?? "", b.name)
    }

    /// maxSurge and maxUnavailable (both 0 for Recreate, and maxUnavailable 0 without replicas).
    func bounds(_ d: JSONValue) -> RollingUpdateBounds {
        var bounds = Self.isRolling(d) ? (try? RollingUpdateBounds.resolve(deployment: d)) : nil
        if bounds == nil {
            // Recreate (or a malformed value): no surge; a malformed one is rejected by validation anyway.
            bounds = try? RollingUpdateBounds.resolve(maxSurge: 0, maxUnavailable: 1, replicas: 1)
            bounds?.maxUnavailable = Self.isRolling(d) ? 1 : 0
        }
        guard var bounds else { preconditionFailure("integer bounds always resolve") }
        if Self.desired(d) == 0 { bounds.maxUnavailable = 0 }
        return bounds
    }

    /// A scaling event: an active ReplicaSet was sized for another spec.replicas.
    func isScalingEvent(_ d: JSONValue, _ replicaSets: [JSONValue]) -> Bool {
        let desired = Self.desired(d)
        return replicaSets.contains { rs in
            guard Self.replicas(rs) > 0, let annotated = rs.annotations[DeploymentLogic.desiredReplicasAnnotation].flatMap({ Int64($0) })
            else { return false }
            return annotated != desired
        }
    }

    // MARK: The new ReplicaSet and revisions

    /// The new ReplicaSet (created when `create` and missing; its revision and copied annotations
    /// brought up to date) and the old ones; the deployment's revision annotation follows.
    func newAndOld(_ d: inout JSONValue, _ replicaSets: [JSONValue], create: Bool) async throws -> (new: JSONValue?, old: [JSONValue]) {
        let (existing, old) = DeploymentRollout.split(deployment: d, replicaSets: replicaSets)
        if var rs = existing {
            var annotations = DeploymentLogic.newReplicaSetAnnotations(rs, oldReplicaSets: old)
            for (k, v) in d.annotations where !Self.annotationsNotCopied.contains(k) { annotations[k] = v }
            let minReady = d["spec"]?["minReadySeconds"]?.intValue ?? 0
            if annotations != rs.annotations || (rs["spec"]?["minReadySeconds"]?.intValue ?? 0) != minReady {
                rs.annotations = annotations
                rs.set(path: ["spec", "minReadySeconds"], to: minReady == 0 ? nil : .int(minReady))
                rs = try await context.client.update(.replicaSets, namespace: rs.namespace, object: rs)
            }
            try await setRevision(&d, DeploymentLogic.revision(rs))
            if d["spec"]?["progressDeadlineSeconds"] != nil,
               !(d["status"]?["conditions"]?.arrayValue ?? []).contains(where: { $0["type"]?.stringValue == "Progressing" }) {
                let conditions = DeploymentLogic.setCondition([], DeploymentLogic.Progress.foundNewReplicaSet(rs.name, now: context.now()))
                d.set(path: ["status", "conditions"], to: .array((d["status"]?["conditions"]?.arrayValue ?? []) + conditions))
                d = try await context.client.updateStatus(.deployments, namespace: d.namespace, object: d)
            }
            return (rs, old)
        }
        guard create else { return (nil, old) }

        let hash = TemplateHash.podTemplateHash(deployment: d)
        let name = TemplateHash.replicaSetName(deploymentName: d.name, hash: hash)
        var template = DeploymentRollout.withoutHashLabel(d["spec"]?["template"])
        template.set(path: ["metadata", "labels", TemplateHash.label], to: .string(hash))
        var selector = d["spec"]?["selector"] ?? .object([:])
        selector.set(path: ["matchLabels", TemplateHash.label], to: .string(hash))
        let desired = Self.desired(d), bounds = self.bounds(d)
        let replicas: Int64
        if Self.isRolling(d) {
            let empty: JSONValue = ["metadata": ["name": .string(name)], "spec": ["replicas": 0]]
            replicas = DeploymentRollout.newReplicaSetReplicas(desired: desired, newReplicaSet: empty, allReplicaSets: old + [empty], bounds: bounds)
        } else {
            replicas = desired
        }
        var annotations: [String: String] = [:]
        for (k, v) in d.annotations where !Self.annotationsNotCopied.contains(k) { annotations[k] = v }
        let revision = DeploymentLogic.maxRevision(old) + 1
        annotations[DeploymentLogic.revisionAnnotation] = String(revision)
        for (k, v) in DeploymentRollout.replicaAnnotations(desired: desired, maxSurge: bounds.maxSurge) { annotations[k] = v }
        var rs: JSONValue = [
            "apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": ["name": .string(name), "namespace": .string(d.namespace),
                         "ownerReferences": [OwnerReferences.makeControllerRef(to: d, apiVersion: Self.apiVersion, kind: Self.kind)]],
            "spec": ["replicas": .int(replicas), "selector": selector, "template": template],
        ]
        rs.set(path: ["metadata", "labels"], to: template["metadata"]?["labels"])
        rs.annotations = annotations
        if let minReady = d["spec"]?["minReadySeconds"]?.intValue, minReady > 0 { rs.set(path: ["spec", "minReadySeconds"], to: .int(minReady)) }
        let created: JSONValue
        do throws(StatusError) {
            created = try await context.client.create(.replicaSets, namespace: d.namespace, object: rs)
        } catch {
            guard error.isAlreadyExists else {
                let message = "Failed to create new replica set \"\(name)\": \(error.message)"
                events.record(d, type: .warning, reason: "FailedCreate", message: message)
                if d["spec"]?["progressDeadlineSeconds"] != nil {
                    let condition = DeploymentLogic.condition(type: "Progressing", status: "False", reason: "ReplicaSetCreateError",
                                                              message: message, now: context.now())
                    d.set(path: ["status", "conditions"], to: .array(DeploymentLogic.setCondition(d["status"]?["conditions"]?.arrayValue ?? [], condition)))
                    _ = try? await context.client.updateStatus(.deployments, namespace: d.namespace, object: d)
                }
                throw error
            }
            let current = try await context.client.get(.replicaSets, namespace: d.namespace, name: name)
            if OwnerReferences.controllerRef(of: current)?["uid"]?.stringValue == d.uid, DeploymentRollout.isSameTemplate(current, deployment: d) {
                return (current, old) // ours; the informer has not caught up yet
            }
            // A hash collision: a different template under the same name. Count it, so the hash changes.
            let count = (d["status"]?["collisionCount"]?.intValue ?? 0) + 1
            d.set(path: ["status", "collisionCount"], to: .int(count))
            _ = try await context.client.updateStatus(.deployments, namespace: d.namespace, object: d)
            throw error
        }
        if replicas > 0 {
            events.record(d, type: .normal, reason: "ScalingReplicaSet", message: "Scaled up replica set \(name) to \(replicas)")
        }
        try await setRevision(&d, revision)
        if d["spec"]?["progressDeadlineSeconds"] != nil {
            let conditions = DeploymentLogic.setCondition(d["status"]?["conditions"]?.arrayValue ?? [],
                                                          DeploymentLogic.Progress.newReplicaSetCreated(name, now: context.now()))
            d.set(path: ["status", "conditions"], to: .array(conditions))
            d = try await context.client.updateStatus(.deployments, namespace: d.namespace, object: d)
        }
        return (created, old)
    }

    /// Sets the deployment's own revision annotation (through the status subresource, so that the
    /// generation does not move).
    func setRevision(_ d: inout JSONValue, _ revision: Int64) async throws(StatusError) {
        guard revision > 0, d.annotations[DeploymentLogic.revisionAnnotation] != String(revision) else { return }
        var annotations = d.annotations
        annotations[DeploymentLogic.revisionAnnotation] = String(revision)
        d.annotations = annotations
        d = try await context.client.updateStatus(.deployments, namespace: d.namespace, object: d)
    }

    /// Sets a ReplicaSet's replicas (and its desired/max-replicas annotations); records the scaling event.
    @discardableResult
    func scale(_ rs: JSONValue, to newScale: Int64, _ d: JSONValue) async throws -> (scaled: Bool, rs: JSONValue) {
        let oldScale = Self.replicas(rs)
        let wanted = DeploymentRollout.replicaAnnotations(desired: Self.desired(d), maxSurge: bounds(d).maxSurge)
        let annotationsChanged = wanted.contains { rs.annotations[$0.key] != $0.value }
        guard oldScale != newScale || annotationsChanged else { return (false, rs) }
        var copy = rs
        copy.set(path: ["spec", "replicas"], to: .int(newScale))
        var annotations = copy.annotations
        for (k, v) in wanted { annotations[k] = v }
        copy.annotations = annotations
        let updated = try await context.client.update(.replicaSets, namespace: rs.namespace, object: copy)
        if oldScale != newScale {
            let direction = newScale > oldScale ? "up" : "down"
            events.record(d, type: .normal, reason: "ScalingReplicaSet",
                          message: "Scaled \(direction) replica set \(rs.name) to \(newScale) from \(oldScale)")
        }
        return (oldScale != newScale, updated)
    }

    // MARK: Scaling (paused deployments and scaling events)

    func syncScale(_ d: inout JSONValue, _ replicaSets: [JSONValue]) async throws {
        var (new, old) = try await newAndOld(&d, replicaSets, create: false)
        try await proportionalScale(d, new: &new, old: &old)
        if d["spec"]?["paused"]?.boolValue == true { try await cleanUp(d, old: old) }
        try await syncStatus(&d, new: new, old: old)
    }

    func proportionalScale(_ d: JSONValue, new: inout JSONValue?, old: inout [JSONValue]) async throws {
        let desired = Self.desired(d)
        let all = (new.map { [$0] } ?? []) + old
        let active = all.filter { Self.replicas($0) > 0 }
        var single: JSONValue?
        if active.count == 1 { single = active[0] } else if active.isEmpty { single = new ?? old.sorted(by: Self.byAge).last }
        if let target = single {
            if Self.replicas(target) == desired { return }
            let (_, updated) = try await scale(target, to: desired, d)
            replace(updated, new: &new, old: &old)
            return
        }
        if let n = new, n.annotations[DeploymentLogic.desiredReplicasAnnotation] == String(desired), Self.replicas(n) == desired,
           Self.available(n) == desired {
            for rs in old where Self.replicas(rs) > 0 {
                let (_, updated) = try await scale(rs, to: 0, d)
                replace(updated, new: &new, old: &old)
            }
            return
        }
        guard Self.isRolling(d) else { return }
        let surge = bounds(d).maxSurge
        let allowed = desired > 0 ? desired + surge : 0
        let current = active.reduce(0) { $0 + Self.replicas($1) }
        let toAdd = allowed - current
        var sizes: [String: Int64] = [:]
        if toAdd != 0 {
            // Larger first; newer first when scaling up, older first when scaling down.
            let ordered = active.sorted { a, b in
                if Self.replicas(a) != Self.replicas(b) { return Self.replicas(a) > Self.replicas(b) }
                return toAdd > 0 ? Self.byAge(b, a) : Self.byAge(a, b)
            }
            var added: Int64 = 0
            let statusReplicas = d["status"]?["replicas"]?.intValue ?? 0
            for rs in ordered {
                var proportion: Int64 = 0
                if added != toAdd {
                    let fraction: Int64
                    if desired == 0 {
                        fraction = -Self.replicas(rs)
                    } else {
                        let annotated = rs.annotations[DeploymentLogic.maxReplicasAnnotation].flatMap { Int64($0) } ?? statusReplicas
                        let scaled = annotated > 0 ? (Double(Self.replicas(rs) * (desired + surge)) / Double(annotated)).rounded() : Double(Self.replicas(rs))
                        fraction = Int64(scaled) - Self.replicas(rs)
                    }
                    let room = toAdd - added
                    proportion = toAdd > 0 ? min(fraction, room) : max(fraction, room)
                }
                sizes[rs.name] = Self.replicas(rs) + proportion
                added += proportion
            }
            if let first = ordered.first {
                sizes[first.name] = max(0, (sizes[first.name] ?? 0) + toAdd - added)
            }
        }
        for rs in active {
            let size = sizes[rs.name] ?? Self.replicas(rs)
            let (_, updated) = try await scale(rs, to: size, d)
            replace(updated, new: &new, old: &old)
        }
    }

    func replace(_ rs: JSONValue, new: inout JSONValue?, old: inout [JSONValue]) {
        if new?.name == rs.name { new = rs; return }
        if let i = old.firstIndex(where: { $0.name == rs.name }) { old[i] = rs }
    }

    // MARK: RollingUpdate

    func rolloutRolling(_ d: inout JSONValue, _ replicaSets: [JSONValue]) async throws {
        let (created, oldSets) = try await newAndOld(&d, replicaSets, create: true)
        guard var new = created else { return }
        var old = oldSets
        let desired = Self.desired(d), bounds = self.bounds(d)

        // Scale the new ReplicaSet up (within maxSurge) or down to the desired count.
        let current = Self.replicas(new)
        if current != desired {
            let target = current > desired ? desired
                : DeploymentRollout.newReplicaSetReplicas(desired: desired, newReplicaSet: new, allReplicaSets: [new] + old, bounds: bounds)
            let (scaled, updated) = try await scale(new, to: target, d)
            new = updated
            if scaled {
                try await syncStatus(&d, new: new, old: old)
                return
            }
        }

        // Scale the old ones down as far as availability allows.
        if try await scaleDownOld(d, new: new, old: &old, bounds: bounds) {
            try await syncStatus(&d, new: new, old: old)
            return
        }
        try await finishRollout(&d, new: new, old: old)
    }

    /// Removes unhealthy old replicas first (within what maxUnavailable allows), then available ones while
    /// at least desired − maxUnavailable stay available. Answers whether anything was scaled.
    func scaleDownOld(_ d: JSONValue, new: JSONValue, old: inout [JSONValue], bounds: RollingUpdateBounds) async throws -> Bool {
        let oldTotal = old.reduce(0) { $0 + Self.replicas($1) }
        guard oldTotal > 0 else { return false }
        let desired = Self.desired(d)
        let minAvailable = desired - bounds.maxUnavailable
        let budget = DeploymentRollout.oldReplicasScaleDownBudget(desired: desired, newReplicaSet: new, allReplicaSets: [new] + old, bounds: bounds)
        guard budget > 0 else { return false }
        var scaledAny = false
        var dummyNew: JSONValue? = new

        // Unhealthy replicas cost no availability.
        var cleaned: Int64 = 0
        for rs in old.sorted(by: Self.byAge) where cleaned < budget {
            let replicas = Self.replicas(rs), unhealthy = replicas - Self.available(rs)
            guard replicas > 0, unhealthy > 0 else { continue }
            let cut = min(budget - cleaned, unhealthy)
            let (scaled, updated) = try await scale(rs, to: replicas - cut, d)
            replace(updated, new: &dummyNew, old: &old)
            cleaned += cut
            scaledAny = scaledAny || scaled
        }

        // Then available replicas, keeping minAvailable.
        let availableTotal = ([new] + old).reduce(0) { $0 + Self.available($1) }
        if availableTotal > minAvailable {
            let total = availableTotal - minAvailable
            var done: Int64 = 0
            for rs in old.sorted(by: Self.byAge) where done < total {
                let replicas = Self.replicas(rs)
                guard replicas > 0 else { continue }
                let cut = min(replicas, total - done)
                let (scaled, updated) = try await scale(rs, to: replicas - cut, d)
                replace(updated, new: &dummyNew, old: &old)
                done += cut
                scaledAny = scaledAny || scaled
            }
        }
        return scaledAny
    }

    // MARK: Recreate

    func rolloutRecreate(_ d: inout JSONValue, _ replicaSets: [JSONValue]) async throws {
        var (new, old) = try await newAndOld(&d, replicaSets, create: false)
        var scaledDown = false
        for rs in old where Self.replicas(rs) > 0 {
            let (scaled, updated) = try await scale(rs, to: 0, d)
            replace(updated, new: &new, old: &old)
            scaledDown = scaledDown || scaled
        }
        if scaledDown {
            try await syncStatus(&d, new: new, old: old)
            return
        }
        if oldPodsRunning(old) {
            try await syncStatus(&d, new: new, old: old)
            return
        }
        if new == nil {
            (new, old) = try await newAndOld(&d, replicaSets, create: true)
        }
        guard var created = new else { return }
        let desired = Self.desired(d)
        if Self.replicas(created) != desired || created.annotations[DeploymentLogic.desiredReplicasAnnotation] != String(desired) {
            let (scaled, updated) = try await scale(created, to: desired, d)
            created = updated
            if scaled {
                try await syncStatus(&d, new: created, old: old)
                return
            }
        }
        try await finishRollout(&d, new: created, old: old)
    }

    /// Whether any pod of the old ReplicaSets still runs (or is being deleted).
    func oldPodsRunning(_ old: [JSONValue]) -> Bool {
        if old.contains(where: { ($0["status"]?["replicas"]?.intValue ?? 0) > 0 }) { return true }
        for rs in old {
            for pod in pods.indexer.byIndex(OwnerIndex.controllerUID, rs.uid) {
                let phase = pod["status"]?["phase"]?.stringValue
                if phase != "Succeeded" && phase != "Failed" { return true }
            }
        }
        return false
    }

    // MARK: Status and cleanup

    /// After the ReplicaSets are sized: old ReplicaSets beyond revisionHistoryLimit are deleted once
    /// the rollout is complete, and the status synced.
    func finishRollout(_ d: inout JSONValue, new: JSONValue, old: [JSONValue]) async throws {
        let counts = DeploymentLogic.counts(deployment: d, newReplicaSet: new, oldReplicaSets: old)
        if DeploymentLogic.isComplete(deployment: d, counts: counts, observedGeneration: d.generation) {
            try await cleanUp(d, old: old)
        }
        try await syncStatus(&d, new: new, old: old)
    }

    func cleanUp(_ d: JSONValue, old: [JSONValue]) async throws {
        let names = DeploymentLogic.replicaSetsToCleanUp(deployment: d, oldReplicaSets: old)
        for name in names {
            guard let rs = old.first(where: { $0.name == name }) else { continue }
            _ = try await context.client.deleteIfSame(.replicaSets, rs)
        }
    }

    func syncStatus(_ d: inout JSONValue, new: JSONValue?, old: [JSONValue]) async throws {
        let now = context.now()
        let status = DeploymentLogic.status(deployment: d, newReplicaSet: new, oldReplicaSets: old, maxUnavailable: bounds(d).maxUnavailable, now: now)
        if status != d["status"] {
            var object = d
            object["status"] = status
            d = try await context.client.updateStatus(.deployments, namespace: d.namespace, object: object)
        }
        // Check the progress deadline again when it would pass.
        guard d["spec"]?["paused"]?.boolValue != true, let deadline = d["spec"]?["progressDeadlineSeconds"]?.intValue,
              let progressing = status["conditions"]?.arrayValue?.first(where: { $0["type"]?.stringValue == "Progressing" }),
              progressing["status"]?.stringValue == "True", progressing["reason"]?.stringValue != "NewReplicaSetAvailable",
              let updated = progressing["lastUpdateTime"]?.stringValue.flatMap(RFC3339.parse) else { return }
        let remaining = updated.addingTimeInterval(Double(deadline)).timeIntervalSince(now)
        let key = Indexer.key(of: d), due = now.addingTimeInterval(max(0, remaining) + 1)
        // A check already due sooner re-runs this sync, which schedules the next one.
        let pending = deadlineChecks.withLock { checks -> Bool in
            if let scheduled = checks[key], scheduled > now { return true }
            checks[key] = due
            return false
        }
        if !pending { await queue.addAfter(key, delay: .milliseconds(Int64(max(0, remaining) * 1000) + 1000)) }
    }
}
