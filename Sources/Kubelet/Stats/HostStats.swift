import Foundation

/// The node's own CPU and memory figures (the `node` part of the Summary API).
public struct HostUsage: Sendable, Equatable {
    /// CPU time spent by every core outside idle and iowait since boot, in nanoseconds.
    public var usageCoreNanoSeconds: UInt64
    public var memoryTotalBytes: UInt64
    public var memoryFreeBytes: UInt64
    public var memoryAvailableBytes: UInt64

    public init(usageCoreNanoSeconds: UInt64, memoryTotalBytes: UInt64, memoryFreeBytes: UInt64, memoryAvailableBytes: UInt64) {
        self.usageCoreNanoSeconds = usageCoreNanoSeconds
        self.memoryTotalBytes = memoryTotalBytes
        self.memoryFreeBytes = memoryFreeBytes
        self.memoryAvailableBytes = memoryAvailableBytes
    }
}

/// Reads the node's totals; `ProcHostStats` from /proc, a fake in tests.
public protocol HostStatsReader: Sendable {
    func read() throws -> HostUsage
}

/// The node's totals from /proc/stat (the aggregate `cpu` line, in USER_HZ ticks) and /proc/meminfo.
public struct ProcHostStats: HostStatsReader {
    public let procRoot: String

    public init(procRoot: String = "/proc") {
        self.procRoot = procRoot
    }

    public func read() throws -> HostUsage {
        let stat = try String(contentsOfFile: procRoot + "/stat", encoding: .utf8)
        let meminfo = try String(contentsOfFile: procRoot + "/meminfo", encoding: .utf8)
        let ticks = UInt64(max(1, sysconf(Int32(_SC_CLK_TCK))))
        guard let cpu = Self.cpuNanoseconds(stat: stat, ticksPerSecond: ticks), let memory = Self.memory(meminfo: meminfo) else {
            throw CocoaError(.fileReadCorruptFile)
        }
        return HostUsage(usageCoreNanoSeconds: cpu, memoryTotalBytes: memory.total, memoryFreeBytes: memory.free,
                         memoryAvailableBytes: memory.available)
    }

    /// Busy CPU time of the `cpu` line: user, nice, system, irq, softirq and steal (guest time is
    /// already counted in user), in nanoseconds.
    public static func cpuNanoseconds(stat: String, ticksPerSecond: UInt64) -> UInt64? {
        guard let line = stat.split(separator: "\n").first(where: { $0.hasPrefix("cpu ") }) else { return nil }
        let fields = line.split(separator: " ").dropFirst().compactMap { UInt64($0) }
        guard fields.count >= 4 else { return nil }
        // user nice system idle iowait irq softirq steal guest guest_nice
        let busy = [0, 1, 2, 5, 6, 7].reduce(UInt64(0)) { $0 + ($1 < fields.count ? fields[$1] : 0) }
        return busy * (1_000_000_000 / ticksPerSecond)
    }

    /// MemTotal, MemFree and MemAvailable in bytes.
    public static func memory(meminfo: String) -> (total: UInt64, free: UInt64, available: UInt64)? {
        var values: [String: UInt64] = [:]
        for line in meminfo.split(separator: "\n") {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            guard parts.count >= 2, let value = UInt64(parts[1]) else { continue }
            values[String(parts[0].dropLast())] = parts.count >= 3 && parts[2] == "kB" ? value * 1024 : value
        }
        guard let total = values["MemTotal"], let free = values["MemFree"] else { return nil }
        return (total, free, values["MemAvailable"] ?? free)
    }
}
