import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Memory a long-running process holds without using it, given back to the system.
///
/// Code pages: Swift's runtime reads type and conformance records spread over the whole (large, single) binary
/// while a process starts, and the kernel maps 64 KB around every such page fault: a long-running
/// component keeps tens of megabytes of code pages mapped that it never runs again. `release()` drops
/// those mappings (the pages are clean and stay in the page cache); what the process goes on running
/// faults back in within microseconds.
///
/// Freed heap: glibc keeps the memory of freed objects in its per-thread arenas (100 pods worth of
/// informer objects and pod state stay resident after the pods are gone); `malloc_trim` returns the
/// free pages of every arena.
public enum MemoryRelease {
    /// The executable's mappings that hold only code and never-written data (`r-xp`), as address ranges.
    static func ranges(maps: String, executable: String) -> [(start: UInt, end: UInt)] {
        maps.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 6, fields[1] == "r-xp", String(fields[5...].joined(separator: " ")) == executable else { return nil }
            let bounds = fields[0].split(separator: "-")
            guard bounds.count == 2, let start = UInt(bounds[0], radix: 16), let end = UInt(bounds[1], radix: 16), end > start else { return nil }
            return (start, end)
        }
    }

    /// Both: the code pages and the freed heap.
    public static func all() {
        codePages()
        freedHeap()
    }

    /// Returns the free pages of every malloc arena to the system.
    public static func freedHeap() {
        // malloc.h is not in Glibc's module map: look the function up.
        typealias MallocTrim = @convention(c) (Int) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return }
        _ = unsafeBitCast(symbol, to: MallocTrim.self)(0)
    }

    /// Drops this process's mappings of its executable's code pages; returns the bytes of address
    /// space advised (0 when nothing could be found).
    @discardableResult
    public static func codePages() -> Int {
        guard let maps = try? String(contentsOfFile: "/proc/self/maps", encoding: .utf8),
              let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else { return 0 }
        var advised = 0
        for range in ranges(maps: maps, executable: executable) {
            guard let address = UnsafeMutableRawPointer(bitPattern: range.start) else { continue }
            let length = Int(range.end - range.start)
            if madvise(address, length, MADV_DONTNEED) == 0 { advised += length }
        }
        return advised
    }
}
