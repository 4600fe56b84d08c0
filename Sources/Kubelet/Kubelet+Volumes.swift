import APIMachinery
import CRI
import Client
import Foundation
import Logging
import Synchronization

// MARK: Volumes

extension Kubelet {
    public func podDirectory(_ uid: String) -> String { "\(options.rootDirectory)/pods/\(uid)" }

    /// Creates the pod's volumes on the host (emptyDir directories, configMap/secret/downwardAPI/projected
    /// files, hostPath directories, the directories of its claims' volumes) and answers each
    /// container's mounts.
    func prepareVolumes(_ pod: JSONValue, claims: [String: ClaimVolumes.HostDirectory] = [:]) throws -> [String: [Runtime_V1_Mount]] {
        let fm = FileManager.default
        let files = VolumeFiles(configMap: { [configMaps] in configMaps.lister.get(namespace: $0, name: $1) },
                                secret: { [secrets] in secrets.lister.get(namespace: $0, name: $1) },
                                nodeAllocatable: nodeAllocatable)
        var paths: [String: (path: String, readOnly: Bool)] = [:]
        for volume in pod["spec"]?["volumes"]?.arrayValue ?? [] {
            let name = volume["name"]?.stringValue ?? ""
            if volume["emptyDir"] != nil {
                let dir = "\(podDirectory(pod.uid))/volumes/kubernetes.io~empty-dir/\(name)"
                try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
                paths[name] = (dir, false)
            } else if let hostPath = volume["hostPath"] {
                let path = hostPath["path"]?.stringValue ?? "/"
                switch hostPath["type"]?.stringValue ?? "" {
                case "DirectoryOrCreate": try fm.createDirectory(atPath: path, withIntermediateDirectories: true)
                case "FileOrCreate": if !fm.fileExists(atPath: path) { _ = fm.createFile(atPath: path, contents: nil) }
                default: break
                }
                paths[name] = (path, false)
            } else if let claim = claims[name] {
                if claim.createIfMissing { try volumeDirectories.ensureDirectory(claim.path, mode: 0o777) }
                paths[name] = (claim.path, claim.readOnly)
            } else if let content = try files.files(of: volume, pod: pod) {
                let kind = volume["configMap"] != nil ? "configmap" : volume["secret"] != nil ? "secret"
                    : volume["downwardAPI"] != nil ? "downward-api" : "projected"
                let dir = "\(podDirectory(pod.uid))/volumes/kubernetes.io~\(kind)/\(name)"
                try AtomicWriter(directory: dir).write(content)
                paths[name] = (dir, true)
            }
        }
        var out: [String: [Runtime_V1_Mount]] = [:]
        let containers = (pod["spec"]?["initContainers"]?.arrayValue ?? []) + (pod["spec"]?["containers"]?.arrayValue ?? [])
        for container in containers {
            let name = container["name"]?.stringValue ?? ""
            out[name] = (container["volumeMounts"]?.arrayValue ?? []).compactMap { mount in
                guard let volume = paths[mount["name"]?.stringValue ?? ""] else { return nil }
                var host = volume.path
                if let sub = mount["subPath"]?.stringValue, !sub.isEmpty {
                    host += "/" + sub
                    if !fm.fileExists(atPath: host) { try? fm.createDirectory(atPath: host, withIntermediateDirectories: true) }
                }
                return .with {
                    $0.containerPath = mount["mountPath"]?.stringValue ?? ""
                    $0.hostPath = host
                    $0.readonly = volume.readOnly || (mount["readOnly"]?.boolValue ?? false)
                }
            }
        }
        return out
    }

    /// Removes the pod's directory and its cgroups (neither containerd nor runc removes
    /// /kubepods/.../pod<uid>; the kubelet must).
    func removePodDirectory(_ uid: String) {
        try? FileManager.default.removeItem(atPath: podDirectory(uid))
        boundClaims.withLock { all in for key in all.keys where key.hasPrefix(uid + "/") { all[key] = nil } }
        PodCgroups.remove(uid: uid, root: options.cgroupRoot)
    }
}

// MARK: Persistent volumes

extension Kubelet {
    /// The host directory of every persistentVolumeClaim volume of `pod`, by volume name. Throws the
    /// FailedMount message while a claim is missing or not bound (the pod stays Pending and is synced
    /// again), or when its volume cannot be used on this node.
    func claimDirectories(of pod: JSONValue) async throws(ClaimVolumes.MountError) -> [String: ClaimVolumes.HostDirectory] {
        var out: [String: ClaimVolumes.HostDirectory] = [:]
        for volume in pod["spec"]?["volumes"]?.arrayValue ?? [] {
            guard let source = volume["persistentVolumeClaim"], let claimName = source["claimName"]?.stringValue else { continue }
            let name = volume["name"]?.stringValue ?? ""
            let key = pod.uid + "/" + name
            if let known = boundClaims.withLock({ $0[key] }) {
                out[name] = known
                continue
            }
            let unmounted = "Unable to attach or mount volumes: unmounted volumes=[\(name)]"
            let claim: JSONValue
            do throws(StatusError) {
                claim = try await client.get(.persistentVolumeClaims, namespace: pod.namespace, name: claimName)
            } catch {
                throw ClaimVolumes.MountError(error.isNotFound ? "\(unmounted): persistentvolumeclaim \"\(claimName)\" not found"
                                              : "\(unmounted): \(error.message)", transient: true)
            }
            let volumeName = claim["spec"]?["volumeName"]?.stringValue ?? ""
            guard claim["status"]?["phase"]?.stringValue == "Bound", !volumeName.isEmpty else {
                throw ClaimVolumes.MountError("\(unmounted): persistentvolumeclaim \"\(claimName)\" is not bound", transient: true)
            }
            let persistentVolume: JSONValue
            do throws(StatusError) {
                persistentVolume = try await client.get(.persistentVolumes, name: volumeName)
            } catch {
                throw ClaimVolumes.MountError("\(unmounted): persistentvolume \"\(volumeName)\": \(error.message)", transient: true)
            }
            let directory: ClaimVolumes.HostDirectory
            do throws(ClaimVolumes.MountError) {
                directory = try ClaimVolumes.directory(claim: claim, volume: persistentVolume, readOnly: source["readOnly"]?.boolValue ?? false,
                                                      nodeLabels: nodeLabels.withLock { $0 })
            } catch {
                throw ClaimVolumes.MountError("\(unmounted): \(error.message)", transient: error.transient)
            }
            boundClaims.withLock { $0[key] = directory }
            out[name] = directory
        }
        return out
    }

    /// Every `storageCleanupInterval`: removes the `pvc-*` directories under the local-path base whose
    /// PersistentVolume no longer exists and that no pod of this node uses. The directories are listed
    /// before the volumes, so a directory made for a new volume always finds it in the list.
    func storageCleanupLoop() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: options.storageCleanupInterval)
            if Task.isCancelled { return }
            await cleanUpVolumeDirectories()
        }
    }

    /// One pass of the clean-up; answers the directories removed.
    @discardableResult
    public func cleanUpVolumeDirectories() async -> [String] {
        let base = options.localPathBase
        let entries = volumeDirectories.entries(of: base).filter { ClaimVolumes.volumeName(ofDirectory: $0) != nil }
        guard !entries.isEmpty, let listed = try? await client.listAll(.persistentVolumes) else { return [] }
        let volumes = Set(listed.items.map(\.name))
        let inUse = Set(boundClaims.withLock { $0.values.map(\.path) })
        var removed: [String] = []
        for entry in entries {
            guard let volume = ClaimVolumes.volumeName(ofDirectory: entry), !volumes.contains(volume) else { continue }
            let path = base + "/" + entry
            guard !inUse.contains(path) else { continue }
            do {
                try volumeDirectories.remove(path)
                removed.append(path)
                logger.info("kubelet: removed the directory of deleted persistent volume \(volume): \(path)")
            } catch {
                logger.warning("kubelet: removing \(path): \(error)")
            }
        }
        return removed
    }
}
