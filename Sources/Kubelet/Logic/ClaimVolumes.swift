import APIMachinery

/// How a persistentVolumeClaim volume reaches a node: the claim must be Bound; its PersistentVolume
/// must be a hostPath or local volume (the local-path provisioner makes hostPath ones) whose node
/// affinity admits this node. Pure: the kubelet fetches the objects.
public enum ClaimVolumes {
    /// Where a claim's volume lives on this node.
    public struct HostDirectory: Equatable, Sendable {
        public var path: String
        /// The hostPath type: "DirectoryOrCreate" creates a missing directory (0777, as the local-path
        /// provisioner does); anything else needs it to exist.
        public var createIfMissing: Bool
        public var readOnly: Bool
        public init(path: String, createIfMissing: Bool, readOnly: Bool) {
            self.path = path
            self.createIfMissing = createIfMissing
            self.readOnly = readOnly
        }
    }

    /// Why a claim's volume cannot be mounted (yet): the pod stays Pending with a FailedMount event.
    public struct MountError: Error, Equatable, CustomStringConvertible {
        public var message: String
        /// True while waiting can help (the claim is not bound yet).
        public var transient: Bool
        public var description: String { message }
        public init(_ message: String, transient: Bool) {
            self.message = message
            self.transient = transient
        }
    }

    /// The directory of `volume` (the PersistentVolume bound to `claim`) for a pod volume that says
    /// `readOnly` or not, on the node with `nodeLabels`.
    public static func directory(claim: JSONValue, volume: JSONValue, readOnly: Bool,
                                 nodeLabels: [String: String]) throws(MountError) -> HostDirectory {
        if let ref = volume["spec"]?["claimRef"], let uid = ref["uid"]?.stringValue, !uid.isEmpty, uid != claim.uid {
            throw MountError("persistentvolume \"\(volume.name)\" is bound to a different claim", transient: true)
        }
        if !NodeSelector.volume(volume, admits: nodeLabels, name: nodeLabels["kubernetes.io/hostname"] ?? "") {
            throw MountError("persistentvolume \"\(volume.name)\" has a node affinity that does not match this node", transient: false)
        }
        let spec = volume["spec"]
        if let hostPath = spec?["hostPath"], let path = hostPath["path"]?.stringValue {
            return HostDirectory(path: path, createIfMissing: hostPath["type"]?.stringValue == "DirectoryOrCreate", readOnly: readOnly)
        }
        if let path = spec?["local"]?["path"]?.stringValue {
            return HostDirectory(path: path, createIfMissing: false, readOnly: readOnly)
        }
        let kind = otherSources.first { spec?[$0] != nil } ?? "unknown"
        throw MountError("persistentvolume \"\(volume.name)\": volume type \(kind) is not supported by this kubelet (hostPath and local are)",
                         transient: false)
    }

    static let otherSources = ["nfs", "csi", "iscsi", "rbd", "cephfs", "fc", "glusterfs", "awsElasticBlockStore",
                                          "gcePersistentDisk", "azureDisk", "azureFile", "cinder", "vsphereVolume"]

    /// The name of the PersistentVolume a local-path directory belongs to: `pvc-<uid>` of
    /// `pvc-<uid>_<namespace>_<name>`; nil for other entries.
    public static func volumeName(ofDirectory entry: String) -> String? {
        guard entry.hasPrefix("pvc-") else { return nil }
        return String(entry.prefix { $0 != "_" })
    }
}
