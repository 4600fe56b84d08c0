import Foundation
import Testing
@testable import HostOS

@Suite struct MemoryReleaseTests {
    @Test func onlyTheExecutablesCodeMappingsAreReleased() {
        let maps = """
        55dcab5a8000-55dcafe48000 r-xp 00000000 fe:00 5318881                    /opt/bin/swiftlet
        55dcafe49000-55dcb0007000 r--p 048a0000 fe:00 5318881                    /opt/bin/swiftlet
        55dcb0007000-55dcb26bd000 rw-p 04a5e000 fe:00 5318881                    /opt/bin/swiftlet
        7f0000000000-7f0000100000 r-xp 00000000 fe:00 42                         /usr/lib/x86_64-linux-gnu/libc.so.6
        7f0000200000-7f0000300000 r-xp 00000000 00:00 0
        7f0000400000-7f0000500000 r-xp 00000000 fe:00 7                          /opt/bin/swiftlet (deleted)
        """
        let ranges = MemoryRelease.ranges(maps: maps, executable: "/opt/bin/swiftlet")
        #expect(ranges.count == 1)
        #expect(ranges.first?.start == 0x55dcab5a8000 && ranges.first?.end == 0x55dcafe48000)
    }

    @Test func releasingKeepsTheProcessRunning() {
        // This test process's own code: dropped, then faulted back in by the very next calls.
        #expect(MemoryRelease.codePages() > 0)
        #expect(MemoryRelease.ranges(maps: "", executable: "x").isEmpty)
        MemoryRelease.freedHeap()
        let buffer = [UInt8](repeating: 7, count: 1 << 20)
        #expect(buffer.count == 1 << 20)
    }
}
