import Foundation
import Testing
@testable import HostOS

@Suite struct MemoryReleaseTests {
    @Test func onlyTheExecutablesNeverWrittenReadOnlyMappingsAreReleased() {
        func mapping(_ header: String, anonymous: Int) -> String {
            "\(header)\nSize:               1024 kB\nRss:                 512 kB\nAnonymous:      \(anonymous) kB\nVmFlags: rd mr mw me\n"
        }
        let smaps = [
            mapping("55dcab000000-55dcab5a8000 r--p 00000000 fe:00 5318881                    /opt/bin/swiftlet", anonymous: 0),
            mapping("55dcab5a8000-55dcafe48000 r-xp 005a8000 fe:00 5318881                    /opt/bin/swiftlet", anonymous: 0),
            // RELRO: written by the loader's relocations, then made read-only.
            mapping("55dcafe49000-55dcb0007000 r--p 048a0000 fe:00 5318881                    /opt/bin/swiftlet", anonymous: 1788),
            mapping("55dcb0007000-55dcb26bd000 rw-p 04a5e000 fe:00 5318881                    /opt/bin/swiftlet", anonymous: 0),
            mapping("7f0000000000-7f0000100000 r-xp 00000000 fe:00 42                         /usr/lib/x86_64-linux-gnu/libc.so.6", anonymous: 0),
            mapping("7f0000200000-7f0000300000 r-xp 00000000 00:00 0 ", anonymous: 0),
            mapping("7f0000400000-7f0000500000 r-xp 00000000 fe:00 7                          /opt/bin/swiftlet (deleted)", anonymous: 0),
        ].joined()
        let ranges = MemoryRelease.ranges(smaps: smaps, executable: "/opt/bin/swiftlet")
        #expect(ranges.map(\.start) == [0x55dcab000000, 0x55dcab5a8000])
        #expect(ranges.map(\.end) == [0x55dcab5a8000, 0x55dcafe48000])
    }

    @Test func releasingKeepsTheProcessRunning() {
        // This test process's own code: dropped, then faulted back in by the very next calls.
        #expect(MemoryRelease.codePages() > 0)
        #expect(MemoryRelease.ranges(smaps: "", executable: "x").isEmpty)
        MemoryRelease.freedHeap()
        let buffer = [UInt8](repeating: 7, count: 1 << 20)
        #expect(buffer.count == 1 << 20)
    }
}
