import Foundation

/// The pod-level cgroups the runtime creates under /kubepods (by QoS) in every cgroup v1 hierarchy
/// (and the unified one): removed by the kubelet when the pod is gone.
public enum PodCgroups {
    /// Removes `pod<uid>` under kubepods, kubepods/burstable and kubepods/besteffort in every hierarchy
    /// of `root` (e.g. /sys/fs/cgroup); directories still holding processes stay (rmdir fails).
    public static func remove(uid: String, root: String?) {
        guard let root, !uid.isEmpty else { return }
        let fm = FileManager.default
        var hierarchies = ((try? fm.contentsOfDirectory(atPath: root)) ?? []).map { root + "/" + $0 }
        hierarchies.append(root)
        for hierarchy in hierarchies {
            for parent in ["kubepods", "kubepods/burstable", "kubepods/besteffort"] {
                let dir = "\(hierarchy)/\(parent)/pod\(uid)"
                guard fm.fileExists(atPath: dir) else { continue }
                // Leaf container cgroups first (left when a runtime was killed), then the pod's.
                for child in (try? fm.contentsOfDirectory(atPath: dir)) ?? [] {
                    var isDir: ObjCBool = false
                    if fm.fileExists(atPath: dir + "/" + child, isDirectory: &isDir), isDir.boolValue { rmdir(dir + "/" + child) }
                }
                rmdir(dir)
            }
        }
    }
}
