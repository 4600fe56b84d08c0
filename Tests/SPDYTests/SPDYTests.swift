import Foundation
import NIOCore
import NIOPosix
import SPDY
import Synchronization
import Testing

/// Reads back a header block written as stored deflate blocks (what SPDYFrameWriter produces).
func storedHeaders(_ block: [UInt8], skipZlibHeader: Bool) -> [(String, String)]? {
    var i = skipZlibHeader ? 2 : 0
    var plain: [UInt8] = []
    while i + 5 <= block.count {
        guard block[i] == 0 else { return nil }
        let length = Int(block[i + 1]) | Int(block[i + 2]) << 8
        let inverse = Int(block[i + 3]) | Int(block[i + 4]) << 8
        guard length ^ inverse == 0xFFFF, i + 5 + length <= block.count else { return nil }
        plain += block[(i + 5)..<(i + 5 + length)]
        i += 5 + length
    }
    guard i == block.count else { return nil }
    func word(_ at: Int) -> Int { Int(plain[at]) << 24 | Int(plain[at + 1]) << 16 | Int(plain[at + 2]) << 8 | Int(plain[at + 3]) }
    var headers: [(String, String)] = []
    var at = 4
    for _ in 0..<word(0) {
        let n = word(at); at += 4
        let name = String(decoding: plain[at..<at + n], as: UTF8.self); at += n
        let v = word(at); at += 4
        let value = String(decoding: plain[at..<at + v], as: UTF8.self); at += v
        headers.append((name, value))
    }
    return headers
}

@Suite struct SPDYFrameTests {
    @Test func framesRoundTripThroughTheParser() throws {
        var parser = SPDYFrameParser()
        var bytes = SPDYFrameWriter.data(streamID: 5, Array("hello".utf8), fin: true)
        bytes += SPDYFrameWriter.ping(id: 7) + SPDYFrameWriter.rstStream(streamID: 3, status: 5) + SPDYFrameWriter.goAway(lastGoodStreamID: 9)
        var writer = SPDYFrameWriter()
        bytes += writer.synStream(streamID: 1, headers: [("streamtype", "error")])
        // Arrives in pieces: nothing until a frame is whole.
        parser.append(bytes.prefix(6))
        #expect(try parser.next() == nil)
        parser.append(bytes.dropFirst(6))
        #expect(try parser.next() == .data(streamID: 5, payload: Array("hello".utf8), fin: true))
        #expect(try parser.next() == .ping(id: 7))
        #expect(try parser.next() == .rstStream(streamID: 3, status: 5))
        #expect(try parser.next() == .goAway(lastGoodStreamID: 9, status: 0))
        #expect(try parser.next() == .synStream(streamID: 1, fin: false))
        #expect(try parser.next() == nil)
        // A frame of another SPDY version is refused.
        parser.append([0x80, 0x02, 0x00, 0x06, 0x00, 0x00, 0x00, 0x04, 0, 0, 0, 1])
        #expect(throws: SPDYProtocolError.self) { try parser.next() }
    }

    @Test func headerBlocksAreOneZlibStreamOfStoredBlocks() {
        var writer = SPDYFrameWriter()
        let first = writer.synStream(streamID: 1, headers: [("streamtype", "error")])
        let second = writer.synStream(streamID: 3, headers: [("StreamType", "stdout"), ("port", "80")])
        // Control frame head: version 3, type 1, then stream id, associated id, priority, slot.
        #expect(Array(first.prefix(4)) == [0x80, 0x03, 0x00, 0x01])
        #expect(Array(first[8..<12]) == [0, 0, 0, 1])
        let block1 = Array(first.dropFirst(18)), block2 = Array(second.dropFirst(18))
        #expect(Array(block1.prefix(2)) == [0x78, 0x01])            // the zlib header once, on the first block
        #expect(Array(block1.suffix(5)) == [0, 0, 0, 0xFF, 0xFF])    // ends like Z_SYNC_FLUSH
        #expect(storedHeaders(block1, skipZlibHeader: true).map { $0.map { "\($0.0)=\($0.1)" } } == ["streamtype=error"])
        #expect(storedHeaders(block2, skipZlibHeader: false).map { $0.map { "\($0.0)=\($0.1)" } } == ["streamtype=stdout", "port=80"])
    }
}

/// What the fake server saw, shared with the test.
final class SeenLog: Sendable {
    private let lines = Mutex<[String]>([])
    func append(_ line: String) { lines.withLock { $0.append(line) } }
    var all: [String] { lines.withLock { $0 } }
}

/// A loopback stand-in for a kubelet's streaming server: answers the upgrade, records the streams the
/// client opens, echoes stdin to stdout until stdin's FIN, then writes a Status on the error stream.
final class FakeStreamingServer: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    let seen: SeenLog
    var head: [UInt8] = []
    var upgraded = false
    var parser = SPDYFrameParser()
    var streams: [UInt32: String] = [:]
    var nextType = 0
    let types: [String]

    init(seen: SeenLog, types: [String]) {
        self.seen = seen
        self.types = types
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        var bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
        if !upgraded {
            head += bytes
            guard let range = String(decoding: head, as: UTF8.self).range(of: "\r\n\r\n") else { return }
            let text = String(String(decoding: head, as: UTF8.self)[..<range.lowerBound])
            seen.append(text.split(separator: "\r\n").first.map(String.init) ?? "")
            upgraded = true
            bytes = Array(head[(text.utf8.count + 4)...])
            context.writeAndFlush(NIOAny(ByteBuffer(string: "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n\r\n")), promise: nil)
        }
        parser.append(bytes)
        while let frame = try? parser.next() {
            switch frame {
            case .synStream(let id, _):
                // The client opens them in this order; their headers are checked by the frame tests.
                let type = nextType < types.count ? types[nextType] : "?"
                nextType += 1
                streams[id] = type
                seen.append("open \(type) \(id)")
            case .data(let id, let payload, let fin):
                let type = streams[id] ?? "?"
                if type == "stdin" {
                    if !payload.isEmpty, let out = streams.first(where: { $0.value == "stdout" })?.key {
                        context.writeAndFlush(NIOAny(ByteBuffer(bytes: SPDYFrameWriter.data(streamID: out, payload))), promise: nil)
                    }
                    if fin {
                        seen.append("stdin closed")
                        let status = Array("{\"metadata\":{},\"status\":\"Success\"}".utf8)
                        context.writeAndFlush(NIOAny(ByteBuffer(bytes: SPDYFrameWriter.data(streamID: 1, status, fin: true))), promise: nil)
                        context.close(promise: nil)
                    }
                } else if type == "resize" {
                    seen.append("resize " + String(decoding: payload, as: UTF8.self))
                } else if type == "error", fin {
                    seen.append("error half-closed")
                }
            default:
                break
            }
        }
    }
}

@Suite struct SPDYRemoteCommandTests {
    @Test func execStreamsStdinAndStatusOverALoopbackServer() async throws {
        let seen = SeenLog()
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.addHandler(FakeStreamingServer(seen: seen, types: ["error", "stdin", "stdout", "resize"]))
            }
            .bind(host: "127.0.0.1", port: 0).get()
        defer { server.close(promise: nil) }
        let port = server.localAddress!.port!
        let session = try await SPDYRemoteCommand.connect(
            host: "127.0.0.1", port: port, target: "/exec/ns/p/c?command=cat&stdin=true&stdout=true&tty=true",
            streams: RemoteCommandStreams(stdin: true, stdout: true, stderr: false, tty: true))
        #expect(session.negotiatedProtocol == "v4.channel.k8s.io")
        try await session.resize(width: 80, height: 24)
        try await session.write(stdin: Array("ping\n".utf8))
        try await session.closeStdin()
        var out: [UInt8] = [], status: [UInt8] = []
        for await item in session.output {
            switch item {
            case .stdout(let bytes): out += bytes
            case .stderr: Issue.record("no stderr stream was asked for")
            case .status(let bytes): status = bytes
            }
        }
        #expect(String(decoding: out, as: UTF8.self) == "ping\n")
        #expect(String(decoding: status, as: UTF8.self) == "{\"metadata\":{},\"status\":\"Success\"}")
        let log = seen.all
        #expect(log.first == "POST /exec/ns/p/c?command=cat&stdin=true&stdout=true&tty=true HTTP/1.1")
        #expect(Array(log.dropFirst().prefix(4)) == ["open error 1", "open stdin 3", "open stdout 5", "open resize 7"])
        #expect(log.contains("error half-closed"))
        #expect(log.contains("resize {\"Width\":80,\"Height\":24}"))
        #expect(log.last == "stdin closed")
    }

    @Test func aRefusedUpgradeReportsTheAnswer() async throws {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.pipeline.addHandler(RefusingServer())
            }
            .bind(host: "127.0.0.1", port: 0).get()
        defer { server.close(promise: nil) }
        await #expect(throws: RemoteCommandUpgradeError(status: 404, body: Array("{\"kind\":\"Status\"}".utf8))) {
            _ = try await SPDYRemoteCommand.connect(host: "127.0.0.1", port: server.localAddress!.port!, target: "/exec/x/y/z",
                                                     streams: RemoteCommandStreams())
        }
    }
}

final class RefusingServer: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let body = "{\"kind\":\"Status\"}"
        context.writeAndFlush(NIOAny(ByteBuffer(string: "HTTP/1.1 404 Not Found\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n\(body)")), promise: nil)
        context.close(promise: nil)
    }
}
