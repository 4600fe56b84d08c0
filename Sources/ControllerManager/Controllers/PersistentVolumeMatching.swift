import APIMachinery
import Client
import Foundation

extension ResourceID {
    public static let storageClasses = ResourceID(group: "storage.k8s.io", version: "v1", resource: "storageclasses", namespaced: false)
}

/// The pure parts of the PersistentVolume controller: which volume fits a claim, and the objects the
/// built-in local-path provisioner writes.
public enum PersistentVolumeMatching {
    /// The provisioner name of the built-in local-path provisioner (as k3s ships it).
    public static let localPathProvisioner = "rancher.io/local-path"
    public static let selectedNodeAnnotation = "volume.kubernetes.io/selected-node"
    public static let bindCompletedAnnotation = "pv.kubernetes.io/bind-completed"
    public static let boundByControllerAnnotation = "pv.kubernetes.io/bound-by-controller"
    public static let provisionedByAnnotation = "pv.kubernetes.io/provisioned-by"
    public static let storageProvisionerAnnotation = "volume.kubernetes.io/storage-provisioner"
    public static let betaStorageProvisionerAnnotation = "volume.beta.kubernetes.io/storage-provisioner"

    /// The class a claim asks for ("" for none): the beta annotation wins over the field.
    public static func className(ofClaim claim: JSONValue) -> String {
        claim.annotations["volume.beta.kubernetes.io/storage-class"] ?? claim["spec"]?["storageClassName"]?.stringValue ?? ""
    }

    public static func className(ofVolume volume: JSONValue) -> String {
        volume.annotations["volume.beta.kubernetes.io/storage-class"] ?? volume["spec"]?["storageClassName"]?.stringValue ?? ""
    }

    static func strings(_ json: JSONValue?) -> [String] { json?.arrayValue?.compactMap(\.stringValue) ?? [] }

    /// True when `volume` satisfies `claim`: same class and volume mode, every requested access mode,
    /// at least the requested capacity, the claim's selector, and (when `node` is given) a node
    /// affinity that admits the node with labels `nodeLabels`.
    public static func fits(_ volume: JSONValue, _ claim: JSONValue, nodeLabels: [String: String]? = nil) -> Bool {
        guard className(ofVolume: volume) == className(ofClaim: claim) else { return false }
        let volumeMode = volume["spec"]?["volumeMode"]?.stringValue ?? "Filesystem"
        guard volumeMode == (claim["spec"]?["volumeMode"]?.stringValue ?? "Filesystem") else { return false }
        let modes = Set(strings(volume["spec"]?["accessModes"]))
        guard Set(strings(claim["spec"]?["accessModes"])).isSubset(of: modes) else { return false }
        guard let capacity = Quantity(json: volume["spec"]?["capacity"]?["storage"]) else { return false }
        if let request = Quantity(json: claim["spec"]?["resources"]?["requests"]?["storage"]), capacity < request { return false }
        if let json = claim["spec"]?["selector"], !json.isNull {
            guard let selector = try? LabelSelector(fromJSON: json), selector.matches(volume.labels) else { return false }
        }
        if let nodeLabels, !admits(volume, nodeLabels: nodeLabels) { return false }
        return true
    }

    /// True when the volume's required node affinity (if any) admits a node with these labels.
    public static func admits(_ volume: JSONValue, nodeLabels: [String: String]) -> Bool {
        NodeSelector.volume(volume, admits: nodeLabels, name: nodeLabels["kubernetes.io/hostname"] ?? "")
    }

    /// True when `volume` is free for `claim`: not bound to another claim (a claimRef naming this claim
    /// without a uid, or with its uid, is a pre-binding), not being deleted, Available or Pending.
    public static func isFree(_ volume: JSONValue, for claim: JSONValue) -> Bool {
        guard volume.deletionTimestamp == nil else { return false }
        if let ref = volume["spec"]?["claimRef"], !ref.isNull {
            guard ref["name"]?.stringValue == claim.name, ref["namespace"]?.stringValue == claim.namespace else { return false }
            let uid = ref["uid"]?.stringValue ?? ""
            return uid.isEmpty || uid == claim.uid
        }
        let phase = volume["status"]?["phase"]?.stringValue ?? "Pending"
        return phase == "Available" || phase == "Pending"
    }

    /// The volume to bind `claim` to: one pre-bound to it if it fits, else the smallest free one that
    /// fits (ties by name).
    public static func bestMatch(for claim: JSONValue, in volumes: [JSONValue], nodeLabels: [String: String]? = nil) -> JSONValue? {
        let candidates = volumes.filter { isFree($0, for: claim) && fits($0, claim, nodeLabels: nodeLabels) }
        if let preBound = candidates.first(where: { $0["spec"]?["claimRef"]?["name"]?.stringValue == claim.name }) { return preBound }
        return candidates.min { a, b in
            let qa = Quantity(json: a["spec"]?["capacity"]?["storage"]), qb = Quantity(json: b["spec"]?["capacity"]?["storage"])
            if let qa, let qb, qa != qb { return qa < qb }
            return a.name < b.name
        }
    }

    /// The claimRef a volume bound to `claim` carries.
    public static func claimRef(_ claim: JSONValue) -> JSONValue {
        ["kind": "PersistentVolumeClaim", "apiVersion": "v1", "namespace": .string(claim.namespace), "name": .string(claim.name),
         "uid": .string(claim.uid), "resourceVersion": .string(claim.resourceVersion)]
    }

    /// The directory of a provisioned volume under `base`: `pvc-<uid>_<namespace>_<name>`.
    public static func localPath(base: String, claim: JSONValue) -> String {
        let trimmed = base.hasSuffix("/") && base.count > 1 ? String(base.dropLast()) : base
        return "\(trimmed)/pvc-\(claim.uid)_\(claim.namespace)_\(claim.name)"
    }

    /// The PersistentVolume the local-path provisioner makes for `claim` of `storageClass` on the node
    /// whose `kubernetes.io/hostname` is `hostname`: a hostPath directory (created if missing) under
    /// `base`, pinned to that node, already bound to the claim.
    public static func provisionedVolume(for claim: JSONValue, storageClass: JSONValue, hostname: String, base: String) -> JSONValue {
        let request = claim["spec"]?["resources"]?["requests"]?["storage"] ?? "0"
        var spec: JSONValue = [
            "capacity": ["storage": request],
            "accessModes": claim["spec"]?["accessModes"] ?? ["ReadWriteOnce"],
            "persistentVolumeReclaimPolicy": storageClass["reclaimPolicy"] ?? "Delete",
            "storageClassName": .string(storageClass.name),
            "volumeMode": claim["spec"]?["volumeMode"] ?? "Filesystem",
            "hostPath": ["path": .string(localPath(base: base, claim: claim)), "type": "DirectoryOrCreate"],
            "nodeAffinity": ["required": ["nodeSelectorTerms": [["matchExpressions": [
                ["key": "kubernetes.io/hostname", "operator": "In", "values": [.string(hostname)]],
            ]]]]],
            "claimRef": claimRef(claim),
        ]
        if let options = storageClass["mountOptions"], !options.isNull { spec["mountOptions"] = options }
        return [
            "apiVersion": "v1", "kind": "PersistentVolume",
            "metadata": ["name": .string("pvc-\(claim.uid)"),
                         "annotations": [provisionedByAnnotation: .string(localPathProvisioner)]],
            "spec": spec,
        ]
    }
}
