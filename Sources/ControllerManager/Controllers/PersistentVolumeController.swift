import APIMachinery
import Client
import Foundation

/// kube-controller-manager's persistentvolume-binder with k3s' local-path provisioner built in.
///
/// Claims: a Pending claim is bound to the volume it names (spec.volumeName), else to the smallest free
/// volume that fits (class, access modes, capacity, selector); a claim of a class whose provisioner is
/// `rancher.io/local-path` with no such volume gets a provisioned one (a hostPath directory under the
/// provisioner's base path pinned to one node): at once for a class with volumeBindingMode Immediate,
/// once the scheduler has chosen the node of its first pod (annotation
/// `volume.kubernetes.io/selected-node`) for WaitForFirstConsumer. Binding writes the volume's
/// claimRef, then the claim's volumeName and bind-completed annotations, then both phases Bound.
///
/// Volumes: one without a claim is Available; one whose claim is gone is Released and, with reclaim
/// policy Delete and made by this provisioner, deleted (the node's kubelet removes the directory);
/// with Retain it stays Released.
public final class PersistentVolumeController: Controller, Sendable {
    public static let name = "persistentvolume-binder"

    let context: ControllerContext
    let claims: SharedInformer
    let volumes: SharedInformer
    let classes: SharedInformer
    let nodes: SharedInformer
    let queue = WorkQueue<String>()
    let recorder: EventRecorder

    public init(context: ControllerContext) {
        self.context = context
        claims = context.informers.informer(for: .persistentVolumeClaims)
        volumes = context.informers.informer(for: .persistentVolumes)
        classes = context.informers.informer(for: .storageClasses)
        nodes = context.informers.informer(for: .nodes)
        recorder = context.recorder("persistentvolume-controller")
    }

    static func claimKey(_ claim: JSONValue) -> String { "claim:" + Indexer.key(of: claim) }
    static func volumeKey(_ name: String) -> String { "volume:" + name }

    /// Every claim still waiting for a volume.
    func enqueuePendingClaims() async {
        for claim in claims.lister.list() where (claim["status"]?["phase"]?.stringValue ?? "Pending") == "Pending" {
            await queue.add(Self.claimKey(claim))
        }
    }

    public func run(workers: Int) async {
        let queue = self.queue
        claims.addHandler(ResourceEventHandler(
            onAdd: { claim in await queue.add(Self.claimKey(claim)) },
            onUpdate: { _, claim in await queue.add(Self.claimKey(claim)) },
            onDelete: { claim in
                if let volume = claim["spec"]?["volumeName"]?.stringValue, !volume.isEmpty { await queue.add(Self.volumeKey(volume)) }
            }))
        volumes.addHandler(ResourceEventHandler(
            onAdd: { [self] volume in
                await queue.add(Self.volumeKey(volume.name))
                await enqueuePendingClaims()
            },
            onUpdate: { [self] _, volume in
                await queue.add(Self.volumeKey(volume.name))
                await enqueuePendingClaims()
            },
            onDelete: { [self] volume in
                if let ref = volume["spec"]?["claimRef"], let ns = ref["namespace"]?.stringValue, let name = ref["name"]?.stringValue {
                    await queue.add("claim:" + Indexer.key(namespace: ns, name: name))
                }
                await enqueuePendingClaims()
            }))
        let retryPending: @Sendable (JSONValue) async -> Void = { [self] _ in await enqueuePendingClaims() }
        classes.addHandler(ResourceEventHandler(onAdd: retryPending, onUpdate: { _, new in await retryPending(new) }))
        nodes.addHandler(ResourceEventHandler(onAdd: retryPending))
        guard await claims.waitForSync(), await volumes.waitForSync(), await classes.waitForSync(), await nodes.waitForSync() else { return }
        await runWorkers(queue, count: workers, name: Self.name, logger: context.logger) { [self] key in
            if key.hasPrefix("claim:") {
                try await syncClaim(String(key.dropFirst("claim:".count)))
            } else if key.hasPrefix("volume:") {
                try await syncVolume(String(key.dropFirst("volume:".count)))
            }
        }
    }

    // MARK: claims

    func syncClaim(_ key: String) async throws {
        let (namespace, name) = Indexer.split(key)
        guard let claim = claims.lister.get(namespace: namespace, name: name), claim.deletionTimestamp == nil else { return }
        let phase = claim["status"]?["phase"]?.stringValue ?? "Pending"
        let volumeName = claim["spec"]?["volumeName"]?.stringValue ?? ""

        if !volumeName.isEmpty {
            guard let volume = try await context.client.getIfExists(.persistentVolumes, name: volumeName) else {
                if phase == "Bound" {
                    try await setClaimPhase(claim, "Lost")
                    _ = await recorder.record(claim, type: .warning, reason: "ClaimLost",
                                              message: "Bound claim has lost its PersistentVolume. Data on the volume is lost!")
                }
                return
            }
            let ref = volume["spec"]?["claimRef"]
            let refUID = ref?["uid"]?.stringValue ?? ""
            if ref == nil || ref?.isNull == true
                || (ref?["name"]?.stringValue == claim.name && ref?["namespace"]?.stringValue == claim.namespace && (refUID.isEmpty || refUID == claim.uid)) {
                try await bind(claim, to: volume)
            } else if phase != "Lost" {
                _ = await recorder.record(claim, type: .warning, reason: "FailedBinding",
                                          message: "volume \"\(volumeName)\" already bound to a different claim.")
            }
            return
        }
        guard phase == "Pending" else { return }

        let className = PersistentVolumeMatching.className(ofClaim: claim)
        let storageClass = className.isEmpty ? nil : classes.lister.get(name: className)
        let delayed = storageClass?["volumeBindingMode"]?.stringValue == "WaitForFirstConsumer"
        let selectedNode = claim.annotations[PersistentVolumeMatching.selectedNodeAnnotation]
        if delayed && selectedNode == nil {
            _ = await recorder.record(claim, type: .normal, reason: "WaitForFirstConsumer",
                                      message: "waiting for first consumer to be created before binding")
            return
        }
        let nodeLabels = selectedNode.map { name in nodes.lister.get(name: name)?.labels ?? ["kubernetes.io/hostname": name] }
        if let volume = PersistentVolumeMatching.bestMatch(for: claim, in: volumes.lister.list(), nodeLabels: nodeLabels) {
            try await bind(claim, to: volume)
            return
        }
        guard let storageClass else {
            _ = await recorder.record(claim, type: .normal, reason: "FailedBinding",
                                      message: "no persistent volumes available for this claim and no storage class is set")
            return
        }
        let provisioner = storageClass["provisioner"]?.stringValue ?? ""
        guard provisioner == PersistentVolumeMatching.localPathProvisioner else {
            if provisioner != "kubernetes.io/no-provisioner" {
                _ = await recorder.record(claim, type: .normal, reason: "ExternalProvisioning",
                                          message: "Waiting for a volume to be created either by the external provisioner '\(provisioner)' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.")
            }
            return
        }
        try await provision(claim, storageClass: storageClass, selectedNode: selectedNode)
    }

    /// Creates the local-path volume of `claim` (bound to it from the start) on the selected node or,
    /// for an Immediate class, on a Ready node.
    func provision(_ claim: JSONValue, storageClass: JSONValue, selectedNode: String?) async throws {
        var claim = claim
        if claim.annotations[PersistentVolumeMatching.storageProvisionerAnnotation] == nil {
            var annotations = claim.annotations
            annotations[PersistentVolumeMatching.storageProvisionerAnnotation] = PersistentVolumeMatching.localPathProvisioner
            annotations[PersistentVolumeMatching.betaStorageProvisionerAnnotation] = PersistentVolumeMatching.localPathProvisioner
            claim.annotations = annotations
            claim = try await context.client.update(.persistentVolumeClaims, namespace: claim.namespace, object: claim)
            _ = await recorder.record(claim, type: .normal, reason: "ExternalProvisioning",
                                      message: "Waiting for a volume to be created either by the external provisioner '\(PersistentVolumeMatching.localPathProvisioner)' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.")
        }
        let node: JSONValue?
        if let selectedNode {
            node = nodes.lister.get(name: selectedNode)
        } else {
            node = Self.pickNode(nodes.lister.list())
        }
        guard let nodeName = selectedNode ?? node?.name else {
            _ = await recorder.record(claim, type: .warning, reason: "ProvisioningFailed",
                                      message: "failed to provision volume with StorageClass \"\(storageClass.name)\": no node to place the volume on")
            return
        }
        let hostname = node?.labels["kubernetes.io/hostname"] ?? nodeName
        _ = await recorder.record(claim, type: .normal, reason: "Provisioning",
                                  message: "External provisioner is provisioning volume for claim \"\(claim.namespace)/\(claim.name)\"")
        let volume = PersistentVolumeMatching.provisionedVolume(for: claim, storageClass: storageClass, hostname: hostname,
                                                                base: context.options.localPathBase)
        // Idempotent: the name comes from the claim's uid, so a retry finds the volume made before.
        var created = try await context.client.createUnlessExists(.persistentVolumes, namespace: "", object: volume)
        if created == nil { created = try await context.client.get(.persistentVolumes, name: volume.name) }
        guard let created else { return }
        _ = await recorder.record(claim, type: .normal, reason: "ProvisioningSucceeded",
                                  message: "Successfully provisioned volume \(created.name)")
        try await bind(claim, to: created)
    }

    /// A Ready node (the first by name), else any node.
    static func pickNode(_ nodes: [JSONValue]) -> JSONValue? {
        let sorted = nodes.filter { $0.deletionTimestamp == nil }.sorted { $0.name < $1.name }
        let ready = sorted.first { node in
            (node["status"]?["conditions"]?.arrayValue ?? []).contains { $0["type"] == "Ready" && $0["status"] == "True" }
        }
        return ready ?? sorted.first
    }

    /// Binds `claim` and `volume` both ways: the volume's claimRef (and phase Bound), then the claim's
    /// volumeName with the bind-completed annotations, then its phase Bound with the volume's capacity
    /// and access modes. Each step is skipped when already done, so a retry resumes.
    func bind(_ claim: JSONValue, to volume: JSONValue) async throws {
        var volume = volume
        let ref = volume["spec"]?["claimRef"]
        if ref == nil || ref?.isNull == true || (ref?["uid"]?.stringValue ?? "").isEmpty {
            volume[key: "spec", "claimRef"] = PersistentVolumeMatching.claimRef(claim)
            if ref == nil || ref?.isNull == true {
                var annotations = volume.annotations
                annotations[PersistentVolumeMatching.boundByControllerAnnotation] = "yes"
                volume.annotations = annotations
            }
            volume = try await context.client.update(.persistentVolumes, object: volume)
        }
        if volume["status"]?["phase"]?.stringValue != "Bound" { volume = try await setVolumePhase(volume, "Bound") }

        var claim = claim
        var annotations = claim.annotations
        let spec = claim["spec"]?["volumeName"]?.stringValue ?? ""
        if spec != volume.name || annotations[PersistentVolumeMatching.bindCompletedAnnotation] != "yes" {
            if spec.isEmpty {
                claim[key: "spec", "volumeName"] = .string(volume.name)
                annotations[PersistentVolumeMatching.boundByControllerAnnotation] = "yes"
            }
            annotations[PersistentVolumeMatching.bindCompletedAnnotation] = "yes"
            claim.annotations = annotations
            claim = try await context.client.update(.persistentVolumeClaims, namespace: claim.namespace, object: claim)
        }
        var status = claim["status"]?.objectValue ?? [:]
        let old = status
        status["phase"] = "Bound"
        status["accessModes"] = volume["spec"]?["accessModes"]
        status["capacity"] = volume["spec"]?["capacity"]
        if status != old {
            claim["status"] = .object(status)
            _ = try await context.client.updateStatus(.persistentVolumeClaims, namespace: claim.namespace, object: claim)
        }
    }

    func setClaimPhase(_ claim: JSONValue, _ phase: String) async throws {
        var claim = claim
        claim[key: "status", "phase"] = .string(phase)
        _ = try await context.client.updateStatus(.persistentVolumeClaims, namespace: claim.namespace, object: claim)
    }

    @discardableResult
    func setVolumePhase(_ volume: JSONValue, _ phase: String) async throws -> JSONValue {
        var volume = volume
        guard volume["status"]?["phase"]?.stringValue != phase else { return volume }
        volume[key: "status", "phase"] = .string(phase)
        volume[key: "status", "lastPhaseTransitionTime"] = .string(RFC3339.format(context.now()))
        return try await context.client.updateStatus(.persistentVolumes, object: volume)
    }

    // MARK: volumes

    func syncVolume(_ name: String) async throws {
        guard let volume = volumes.lister.get(name: name), volume.deletionTimestamp == nil else { return }
        guard let ref = volume["spec"]?["claimRef"], !ref.isNull, let claimName = ref["name"]?.stringValue,
              let namespace = ref["namespace"]?.stringValue else {
            try await setVolumePhase(volume, "Available")
            return
        }
        let refUID = ref["uid"]?.stringValue ?? ""
        // The cache may lag behind a new claim: ask the server before releasing.
        var claim = claims.lister.get(namespace: namespace, name: claimName)
        if claim == nil || (!refUID.isEmpty && claim?.uid != refUID) {
            claim = try await context.client.getIfExists(.persistentVolumeClaims, namespace: namespace, name: claimName)
        }
        if let claim, refUID.isEmpty || claim.uid == refUID {
            if claim["spec"]?["volumeName"]?.stringValue == volume.name {
                try await setVolumePhase(volume, "Bound")
            } else {
                // Pre-bound to a claim that has not bound yet.
                if volume["status"]?["phase"]?.stringValue != "Bound" { try await setVolumePhase(volume, "Available") }
                await queue.add(Self.claimKey(claim))
            }
            return
        }
        if refUID.isEmpty {
            // Reserved for a claim not created yet.
            try await setVolumePhase(volume, "Available")
            return
        }
        // The claim is gone: release, then reclaim.
        let released = try await setVolumePhase(volume, "Released")
        switch volume["spec"]?["persistentVolumeReclaimPolicy"]?.stringValue ?? "Retain" {
        case "Delete":
            guard volume.annotations[PersistentVolumeMatching.provisionedByAnnotation] == PersistentVolumeMatching.localPathProvisioner else {
                if released["status"]?["phase"]?.stringValue != "Failed" {
                    var failed = released
                    failed[key: "status", "message"] = .string("error getting deleter volume plugin for volume \"\(name)\": no deletable volume plugin matched")
                    try await setVolumePhase(failed, "Failed")
                    _ = await recorder.record(volume, type: .warning, reason: "VolumeFailedDelete",
                                              message: "error getting deleter volume plugin for volume \"\(name)\": no deletable volume plugin matched")
                }
                return
            }
            _ = try await context.client.deleteIfExists(.persistentVolumes, namespace: "", name: name,
                                                        options: DeleteQuery(preconditionUID: volume.uid))
        default:
            break
        }
    }
}
