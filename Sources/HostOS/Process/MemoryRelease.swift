import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Memory a long-running process holds without using it, given back to the system.
///
/// Code pages: Swift's runtime reads type and conformance records spread over the whole (large, single) binary
/// while a process starts, the loader reads its relocation and symbol tables, and the kernel maps 64 KB
/// around every such page fault: a long-running component keeps tens of megabytes of the executable
/// mapped that it never reads again. `codePages()` drops those mappings (the pages are clean and stay in
/// the page cache); what the process goes on running faults back in within microseconds. (Release builds
/// also place the functions an idle agent runs next to each other: see tools/link-order.)
///
/// Freed heap: glibc keeps the memory of freed objects in its per-thread arenas (100 pods worth of
/// informer objects and pod state stay resident after the pods are gone); `malloc_trim` returns the
/// free pages of every arena.
public enum MemoryRelease {
    /// The executable's read-only mappings (`r-xp`, `r--p`) none of whose pages was ever written — code,
    /// symbol tables, unwind tables, Swift's metadata records — as address ranges, from /proc/self/smaps.
    /// A read-only mapping with anonymous pages (the relocated data the loader made read-only after
    /// writing it: RELRO) is left alone: dropping those pages would lose what was written.
    static func ranges(smaps: String, executable: String) -> [(start: UInt, end: UInt)] {
        var ranges: [(start: UInt, end: UInt)] = []
        var current: (start: UInt, end: UInt)?
        var written = false
        func finish() {
            if let range = current, !written { ranges.append(range) }
            current = nil
        }
        for line in smaps.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard let first = fields.first else { continue }
            if first.last == ":" {
                if current != nil, first == "Anonymous:", fields.count >= 2, fields[1] != "0" { written = true }
                continue
            }
            // A mapping's header: "start-end perms offset dev inode path".
            finish()
            guard fields.count >= 6, fields[1] == "r-xp" || fields[1] == "r--p",
                  fields[5...].joined(separator: " ") == executable else { continue }
            let bounds = fields[0].split(separator: "-")
            guard bounds.count == 2, let start = UInt(bounds[0], radix: 16), let end = UInt(bounds[1], radix: 16), end > start else { continue }
            current = (start, end)
            written = false
        }
        finish()
        return ranges
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

    /// Drops this process's mappings of its executable's never-written pages (code and read-only data;
    /// they stay in the page cache); returns the bytes of address space advised (0 when nothing could be found).
    @discardableResult
    public static func codePages() -> Int {
        guard let smaps = try? String(contentsOfFile: "/proc/self/smaps", encoding: .utf8),
              let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else { return 0 }
        var advised = 0
        for range in ranges(smaps: smaps, executable: executable) {
            guard let address = UnsafeMutableRawPointer(bitPattern: range.start) else { continue }
            let length = Int(range.end - range.start)
            if madvise(address, length, MADV_DONTNEED) == 0 { advised += length }
        }
        return advised
    }
}
