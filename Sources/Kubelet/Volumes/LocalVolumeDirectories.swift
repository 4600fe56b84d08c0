import Foundation

/// The node's directories of persistent volumes (hostPath or local PVs, the local-path provisioner's
/// `pvc-*` directories): created when a pod mounts one, listed and removed when their volume is gone.
public protocol LocalVolumeDirectories: Sendable {
    /// Creates `path` (and its parents) with `mode` if missing; true if it exists afterwards as a directory.
    func ensureDirectory(_ path: String, mode: Int) throws
    /// True if `path` exists.
    func exists(_ path: String) -> Bool
    /// The names of the entries of `directory` (none if it does not exist).
    func entries(of directory: String) -> [String]
    /// Removes `path` and everything under it.
    func remove(_ path: String) throws
}

/// The host's file system.
public struct HostLocalVolumeDirectories: LocalVolumeDirectories {
    public init() {}

    public func ensureDirectory(_ path: String, mode: Int) throws {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        if fm.fileExists(atPath: path, isDirectory: &isDirectory) {
            if !isDirectory.boolValue { throw CocoaError(.fileWriteFileExists, userInfo: [NSFilePathErrorKey: path]) }
            return
        }
        try fm.createDirectory(atPath: path, withIntermediateDirectories: true)
        // Explicitly, as the process umask narrows the mode of mkdir.
        try fm.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
    }

    public func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

    public func entries(of directory: String) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
    }

    public func remove(_ path: String) throws { try FileManager.default.removeItem(atPath: path) }
}
