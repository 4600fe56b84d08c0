import APIMachinery
import Foundation
import Synchronization
import Testing
@testable import Kubelet

@Suite struct KubeletServerLogTests {
    static let file = """
        2026-11-30T10:00:00.1Z stdout F one
        2026-11-30T10:00:01.123456789Z stderr F two
        2026-11-30T10:00:02Z stdout P thr
        2026-11-30T10:00:02.5Z stdout P e
        2026-11-30T10:00:03+01:00 stderr F x
        2026-11-30T10:00:03.000000001Z stdout F e!
        garbage line
        2026-11-30T10:00:04Z stdout F 
        2026-11-30T10:00:05Z stdout F five

        """

    func render(_ options: ContainerLogOptions, _ file: String = file) -> String {
        String(decoding: options.render(file: Array(file.utf8)), as: UTF8.self)
    }

    @Test func joinsPartialLinesAndSkipsMalformedOnes() {
        #expect(render(ContainerLogOptions()) == "one\ntwo\nx\nthree!\n\nfive\n")
    }

    @Test func timestampsAreFixedNanosecondsInTheFilesZone() {
        let out = render(ContainerLogOptions(timestamps: true, tailLines: 4))
        #expect(out == """
            2026-11-30T10:00:03.000000000+01:00 x
            2026-11-30T10:00:02.000000000Z three!
            2026-11-30T10:00:04.000000000Z \n2026-11-30T10:00:05.000000000Z five

            """)
        #expect(CRILogParser.fixedNano("2026-11-30T10:00:01.1234567891Z") == "2026-11-30T10:00:01.123456789Z")
    }

    @Test func tailCountsJoinedLines() {
        #expect(render(ContainerLogOptions(tailLines: 2)) == "\nfive\n")
        #expect(render(ContainerLogOptions(tailLines: 0)) == "")
        #expect(render(ContainerLogOptions(tailLines: 100)) == render(ContainerLogOptions()))
    }

    @Test func sinceDropsEarlierLines() throws {
        let since = try #require(RFC3339.parseInstant("2026-11-30T10:00:01.123456789Z"))
        #expect(render(ContainerLogOptions(since: since)) == "two\nthree!\n\nfive\n")
        // +01:00 makes "x" an hour earlier (09:00:03Z).
        let later = try #require(RFC3339.parseInstant("2026-11-30T10:00:02Z"))
        #expect(render(ContainerLogOptions(since: later, limitBytes: 6)) == "three!")
    }

    @Test func limitBytesCutsTheOutputIncludingTimestamps() {
        #expect(render(ContainerLogOptions(limitBytes: 6)) == "one\ntw")
        #expect(render(ContainerLogOptions(timestamps: true, limitBytes: 35)) == "2026-11-30T10:00:00.100000000Z one\n")
        var output = ContainerLogOutput(options: ContainerLogOptions(limitBytes: 5))
        let entry = CRILogEntry(time: .init(seconds: 0), timestamp: "", stream: .stdout, message: Array("abc\n".utf8))
        #expect(output.render([entry]) == Array("abc\n".utf8))
        #expect(!output.exhausted)
        #expect(output.render([entry]) == Array("a".utf8))
        #expect(output.exhausted)
        #expect(output.render([entry]).isEmpty)
    }

    @Test func parserWaitsForTheRestOfALineAcrossChunks() {
        var parser = CRILogParser()
        #expect(parser.feed(Array("2026-11-30T10:00:00Z stdout F hel".utf8)).isEmpty)
        #expect(parser.hasPending)
        let entries = parser.feed(Array("lo\n2026-11-30T10:00:01Z stderr P par".utf8) + Array("tial\n".utf8))
        #expect(entries.map { String(decoding: $0.message, as: UTF8.self) } == ["hello\n"])
        #expect(entries.first?.stream == .stdout)
        // An unfinished partial line is served as it is once the container is gone.
        let flushed = parser.flushPartials()
        #expect(flushed.map { String(decoding: $0.message, as: UTF8.self) } == ["partial"])
        #expect(flushed.first?.stream == .stderr)
        #expect(!parser.hasPending)
    }

    @Test func messagesKeepRawBytesAndSpaces() {
        var parser = CRILogParser()
        let line: [UInt8] = Array("2026-11-30T10:00:00Z stdout F  a  b ".utf8) + [0xFF, 0x0A]
        #expect(parser.feed(line).first?.message == Array(" a  b ".utf8) + [0xFF, 0x0A])
    }

    @Test func parsesTheQuery() throws {
        let now = Date(timeIntervalSince1970: 1_000_000)
        let options = try ContainerLogOptions.parse(
            [("follow", "true"), ("tailLines", "10"), ("previous", "1"), ("timestamps", "true"), ("sinceSeconds", "60"),
             ("limitBytes", "100")], now: now)
        #expect(options == ContainerLogOptions(follow: true, previous: true, timestamps: true, tailLines: 10,
                                               since: RFC3339.Instant(seconds: 1_000_000 - 60), limitBytes: 100))
        let since = try ContainerLogOptions.parse([("sinceTime", "2026-11-30T10:00:00Z")], now: now).since
        #expect(since == RFC3339.parseInstant("2026-11-30T10:00:00Z"))
        #expect(throws: StatusError.self) { try ContainerLogOptions.parse([("tailLines", "-1")], now: now) }
        #expect(throws: StatusError.self) { try ContainerLogOptions.parse([("sinceTime", "yesterday")], now: now) }
        #expect(throws: StatusError.self) { try ContainerLogOptions.parse([("follow", "maybe")], now: now) }
        #expect(try ContainerLogOptions.parse([], now: now) == ContainerLogOptions())
    }

    @Test func rewritesTheHeadForTheStreamingServer() throws {
        let url = try #require(URL(string: "http://127.0.0.1:4321/exec/tok"))
        let head = StreamProxyHead.bytes(method: "POST", uri: "/exec/ns/p/c?command=sh&stdin=true",
                                         headers: [("Connection", "Upgrade"), ("Host", "10.0.0.5:10250"), ("Upgrade", "websocket")], to: url)
        #expect(String(decoding: head, as: UTF8.self) ==
            "POST /exec/tok?command=sh&stdin=true HTTP/1.1\r\nConnection: Upgrade\r\nHost: 127.0.0.1:4321\r\nUpgrade: websocket\r\n\r\n")
        let withQuery = try #require(URL(string: "http://127.0.0.1:4321/portforward/tok?port=80"))
        let second = StreamProxyHead.bytes(method: "GET", uri: "/portForward/ns/p?port=81", headers: [("Upgrade", "SPDY/3.1")], to: withQuery)
        #expect(String(decoding: second, as: UTF8.self) ==
            "GET /portforward/tok?port=80 HTTP/1.1\r\nHost: 127.0.0.1:4321\r\nUpgrade: SPDY/3.1\r\n\r\n")
    }

    @Test func followedFileEndsWhenTheContainerExitsAndIsDrained() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("swiftlet-log-\(UUID().uuidString).log").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data("2026-11-30T10:00:00Z stdout F old\n2026-11-30T10:00:01Z stdout F last\n".utf8).write(to: URL(fileURLWithPath: path))
        let running = RunningFlag()
        let streamer = ContainerLogStreamer(path: path, options: ContainerLogOptions(follow: true, tailLines: 1),
                                            pollInterval: .milliseconds(10), isRunning: { running.value })
        let received = Received()
        let task = Task { try await streamer.run { received.append($0) } }
        #expect(await eventually { received.text == "last\n" })
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("2026-11-30T10:00:02Z stdout P new \n2026-11-30T10:00:02Z stdout F li".utf8))
        try await Task.sleep(for: .milliseconds(50))
        #expect(received.text == "last\n")  // the line is not finished yet
        try handle.write(contentsOf: Data("ne\n2026-11-30T10:00:03Z stderr P tail without end\n".utf8))
        #expect(await eventually { received.text == "last\nnew line\n" })
        running.value = false
        try await task.value
        #expect(received.text == "last\nnew line\ntail without end")
        try handle.close()
    }
}

/// A flag a test flips.
final class RunningFlag: Sendable {
    let state = Mutex(true)
    var value: Bool {
        get { state.withLock { $0 } }
        set { state.withLock { $0 = newValue } }
    }
}

/// Bytes received by a test client or server.
final class Received: Sendable {
    let bytes = Mutex<[UInt8]>([])
    let closedFlag = Mutex(false)
    let heads = Mutex<[String]>([])
    func append(_ more: [UInt8]) { bytes.withLock { $0 += more } }
    var text: String { String(decoding: bytes.withLock { $0 }, as: UTF8.self) }
    var closed: Bool {
        get { closedFlag.withLock { $0 } }
        set { closedFlag.withLock { $0 = newValue } }
    }
}
