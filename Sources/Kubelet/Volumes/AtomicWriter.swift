import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Writes a volume's files so that a container never sees a half-updated set, as the kubelet does:
/// the files live in a timestamped directory `..2026_11_30_21_49_40.NNN`, `..data` is a symlink to it,
/// and each top-level name is a symlink into `..data`. An update writes a new directory, swaps
/// `..data` with one rename, then removes the old directory and the names that went away.
public struct AtomicWriter: Sendable {
    public let directory: String

    public init(directory: String) { self.directory = directory }

    public struct WriteError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Writes `files` (relative path → content and mode); answers whether anything changed.
    @discardableResult
    public func write(_ files: [String: VolumeFiles.File]) throws -> Bool {
        for path in files.keys { try Self.validate(path) }
        let fm = FileManager.default
        try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let dataLink = directory + "/..data"
        let oldTarget = try? fm.destinationOfSymbolicLink(atPath: dataLink)
        if let oldTarget, try Self.contents(of: directory + "/" + oldTarget) == files { return false }

        let stamp = Self.timestamp()
        let newName = "..\(stamp).\(UInt32.random(in: 0...UInt32.max))"
        let newDir = directory + "/" + newName
        try fm.createDirectory(atPath: newDir, withIntermediateDirectories: false)
        for (path, file) in files {
            let full = newDir + "/" + path
            try fm.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            guard fm.createFile(atPath: full, contents: Data(file.data)) else { throw WriteError(description: "cannot write \(full)") }
            try fm.setAttributes([.posixPermissions: file.mode], ofItemAtPath: full)
        }
        let tmpLink = directory + "/..data_tmp"
        try? fm.removeItem(atPath: tmpLink)
        try fm.createSymbolicLink(atPath: tmpLink, withDestinationPath: newName)
        guard rename(tmpLink, dataLink) == 0 else { throw WriteError(description: "cannot rename \(tmpLink): errno \(errno)") }

        let wanted = Set(files.keys.map { String($0.split(separator: "/").first ?? "") })
        for name in wanted {
            let link = directory + "/" + name
            if (try? fm.destinationOfSymbolicLink(atPath: link)) == nil {
                try fm.createSymbolicLink(atPath: link, withDestinationPath: "..data/" + name)
            }
        }
        for entry in (try? fm.contentsOfDirectory(atPath: directory)) ?? [] where !entry.hasPrefix("..") && !wanted.contains(entry) {
            if (try? fm.destinationOfSymbolicLink(atPath: directory + "/" + entry))?.hasPrefix("..data/") == true {
                try? fm.removeItem(atPath: directory + "/" + entry)
            }
        }
        if let oldTarget, oldTarget != newName { try? fm.removeItem(atPath: directory + "/" + oldTarget) }
        return true
    }

    /// Paths must be relative, without `..` elements, and not start with `..`.
    static func validate(_ path: String) throws {
        guard !path.isEmpty, !path.hasPrefix("/"), !path.hasPrefix(".."),
              !path.split(separator: "/").contains("..") else {
            throw WriteError(description: "invalid path \(path): must be relative and may not contain '..'")
        }
    }

    static func contents(of dir: String) throws -> [String: VolumeFiles.File] {
        let fm = FileManager.default
        var out: [String: VolumeFiles.File] = [:]
        guard let enumerator = fm.enumerator(atPath: dir) else { return out }
        while let relative = enumerator.nextObject() as? String {
            let full = dir + "/" + relative
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: full, isDirectory: &isDir), !isDir.boolValue else { continue }
            let data = fm.contents(atPath: full) ?? Data()
            let mode = (try fm.attributesOfItem(atPath: full)[.posixPermissions] as? Int) ?? 0
            out[relative] = VolumeFiles.File(Array(data), mode: mode)
        }
        return out
    }

    static func timestamp() -> String {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        var tm = tm()
        var seconds = time.tv_sec
        gmtime_r(&seconds, &tm)
        return String(format: "%04d_%02d_%02d_%02d_%02d_%02d.%09ld", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                      tm.tm_hour, tm.tm_min, tm.tm_sec, time.tv_nsec)
    }
}
