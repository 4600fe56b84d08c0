import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A child recorded in a PID file by an earlier run of the agent (one that died without stopping it).
public enum StaleProcess {
    /// If `pidFile` names a live process whose command line contains `commandLineContains` (so a PID
    /// reused by an unrelated process is never touched), sends it SIGTERM, then SIGKILL after `grace`,
    /// and returns its PID. Removes the PID file in every case.
    public static func stop(pidFile: String, commandLineContains marker: String, grace: Duration) async -> Int32? {
        defer { try? FileManager.default.removeItem(atPath: pidFile) }
        guard let text = try? String(contentsOfFile: pidFile, encoding: .utf8),
            let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 1,
            let cmdline = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"),
            String(decoding: cmdline, as: UTF8.self).split(separator: "\0").contains(where: { $0 == marker })
        else { return nil }
        kill(pid, SIGTERM)
        let deadline = ContinuousClock.now + grace
        while ContinuousClock.now < deadline, isAlive(pid) {
            try? await Task.sleep(for: .milliseconds(20))
        }
        if isAlive(pid) { kill(pid, SIGKILL) }
        return pid
    }

    /// Alive and not a zombie.
    static func isAlive(_ pid: Int32) -> Bool {
        guard kill(pid, 0) == 0 else { return false }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return false }
        return !stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z")
    }
}
