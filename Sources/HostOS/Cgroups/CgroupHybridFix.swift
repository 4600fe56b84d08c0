import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The cgroup file system operations the hybrid fix needs.
public protocol CgroupMounts: Sendable {
    /// The controllers bound to the cgroup2 hierarchy of a hybrid host (empty when there is none).
    func unifiedControllers() -> [String]
    func isMountPoint(_ path: String) -> Bool
    /// Creates `path` and mounts the cgroup v1 hierarchy of `controller` there.
    func mountV1(controller: String, at path: String) throws
}

/// On a cgroup v1 "hybrid" host, controllers left on the cgroup2 hierarchy (hugetlb on these VMs) make
/// crun refuse to run. The fix mounts each of them as a v1 hierarchy under /sys/fs/cgroup. It stays
/// mounted: unmounting a hierarchy with dying children leaves it alive but unreachable, which breaks
/// container stats.
public enum CgroupHybridFix {
    /// Mounts the controllers that need it and returns those it mounted (none when nothing is needed).
    public static func apply(using mounts: any CgroupMounts, cgroupRoot: String = "/sys/fs/cgroup") throws -> [String] {
        var mounted: [String] = []
        for controller in mounts.unifiedControllers() {
            let path = cgroupRoot + "/" + controller
            if mounts.isMountPoint(path) { continue }
            try mounts.mountV1(controller: controller, at: path)
            mounted.append(controller)
        }
        return mounted
    }
}

public struct CgroupMountError: Error, CustomStringConvertible {
    public var controller: String
    public var message: String
    public var description: String { "cannot mount the cgroup v1 \(controller) hierarchy: \(message)" }
}

/// The host's cgroup file system.
public struct HostCgroupMounts: CgroupMounts {
    public var unifiedRoot: String

    public init(unifiedRoot: String = "/sys/fs/cgroup/unified") {
        self.unifiedRoot = unifiedRoot
    }

    public func unifiedControllers() -> [String] {
        guard let text = try? String(contentsOfFile: unifiedRoot + "/cgroup.controllers", encoding: .utf8) else { return [] }
        return text.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
    }

    public func isMountPoint(_ path: String) -> Bool {
        guard let mounts = try? String(contentsOfFile: "/proc/self/mounts", encoding: .utf8) else { return false }
        return mounts.split(separator: "\n").contains { line in
            let fields = line.split(separator: " ")
            return fields.count > 1 && fields[1] == path
        }
    }

    public func mountV1(controller: String, at path: String) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        guard mount("cgroup", path, "cgroup", 0, controller) == 0 else {
            let message = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: path)
            throw CgroupMountError(controller: controller, message: message)
        }
    }
}

/// In-memory cgroup mounts for tests.
public final class FakeCgroupMounts: CgroupMounts {
    private struct State {
        var unified: [String]
        var mountPoints: Set<String> = []
        var mountCalls: [String] = []
    }
    private let state: Mutex<State>

    public init(unified: [String]) { state = Mutex(State(unified: unified)) }

    public var mountCalls: [String] { state.withLock { $0.mountCalls } }
    public func unifiedControllers() -> [String] { state.withLock { $0.unified } }
    public func isMountPoint(_ path: String) -> Bool { state.withLock { $0.mountPoints.contains(path) } }
    public func mountV1(controller: String, at path: String) throws {
        state.withLock {
            $0.mountCalls.append(path)
            $0.mountPoints.insert(path)
            $0.unified.removeAll { $0 == controller }
        }
    }
}
