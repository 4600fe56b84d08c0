import NIOCore
import NIOPosix
import Synchronization

/// Which streams a remote command (exec or attach) has: the same flags as the request's query.
public struct RemoteCommandStreams: Sendable, Equatable {
    public var stdin: Bool
    public var stdout: Bool
    public var stderr: Bool
    public var tty: Bool

    public init(stdin: Bool = false, stdout: Bool = true, stderr: Bool = true, tty: Bool = false) {
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
        self.tty = tty
    }
}

/// What the remote side sends: output, and at the end the `metav1.Status` JSON of the error stream.
public enum RemoteCommandOutput: Sendable, Equatable {
    case stdout([UInt8])
    case stderr([UInt8])
    case status([UInt8])
}

/// The upgrade was refused: the HTTP status and body (usually a Kubernetes Status) of the answer.
public struct RemoteCommandUpgradeError: Error, CustomStringConvertible, Equatable {
    public var status: Int
    public var body: [UInt8]
    public var description: String { "upgrade refused with HTTP \(status): \(String(decoding: body, as: UTF8.self))" }

    public init(status: Int, body: [UInt8]) {
        self.status = status
        self.body = body
    }
}

/// A remote command (exec, attach) over SPDY/3.1, as a kubelet's (or CRI runtime's) streaming server
/// speaks it with `X-Stream-Protocol-Version: v4.channel.k8s.io`: after the HTTP upgrade the client
/// opens one stream per channel (`streamtype` error, stdin, stdout, stderr, resize), half-closes the
/// error stream, writes stdin and resize messages as data frames, and half-closes stdin at its EOF
/// (which the WebSocket v4 protocol cannot say). The server writes output, then the Status JSON on the
/// error stream, and closes.
public final class SPDYRemoteCommand: Sendable {
    public let output: AsyncStream<RemoteCommandOutput>
    /// The protocol the server chose (`X-Stream-Protocol-Version`).
    public let negotiatedProtocol: String
    let channel: any Channel
    let ids: StreamIDs

    struct StreamIDs: Sendable {
        var error: UInt32 = 1
        var stdin: UInt32?
        var stdout: UInt32?
        var stderr: UInt32?
        var resize: UInt32?
    }

    init(output: AsyncStream<RemoteCommandOutput>, negotiatedProtocol: String, channel: any Channel, ids: StreamIDs) {
        self.output = output
        self.negotiatedProtocol = negotiatedProtocol
        self.channel = channel
        self.ids = ids
    }

    /// Connects to `host:port`, upgrades `target` (path and query, e.g. `/exec/ns/pod/c?command=sh&stdin=true…`)
    /// and opens the streams.
    public static func connect(host: String, port: Int, target: String, streams: RemoteCommandStreams,
                               protocols: [String] = ["v4.channel.k8s.io"], method: String = "POST",
                               group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws -> SPDYRemoteCommand {
        var ids = StreamIDs()
        var next: UInt32 = 3
        func take() -> UInt32 { defer { next += 2 }; return next }
        if streams.stdin { ids.stdin = take() }
        if streams.stdout { ids.stdout = take() }
        if streams.stderr { ids.stderr = take() }
        if streams.tty { ids.resize = take() }
        let (stream, continuation) = AsyncStream<RemoteCommandOutput>.makeStream()
        let handler = SessionHandler(ids: ids, output: continuation)
        let channel = try await ClientBootstrap(group: group)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .connectTimeout(.seconds(10))
            .channelInitializer { channel in channel.pipeline.addHandler(handler) }
            .connect(host: host, port: port).get()
        let upgraded = handler.upgraded(on: channel.eventLoop)
        var request = "\(method) \(target) HTTP/1.1\r\nHost: \(host):\(port)\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n"
        for name in protocols { request += "X-Stream-Protocol-Version: \(name)\r\n" }
        request += "Content-Length: 0\r\n\r\n"
        try await channel.writeAndFlush(ByteBuffer(string: request))
        let chosen: String
        do {
            chosen = try await upgraded.get()
        } catch {
            try? await channel.close()
            throw error
        }
        var writer = SPDYFrameWriter()
        var frames: [UInt8] = []
        let opened: [(UInt32?, String)] = [(ids.error, "error"), (ids.stdin, "stdin"), (ids.stdout, "stdout"),
                                            (ids.stderr, "stderr"), (ids.resize, "resize")]
        for case let (id?, type) in opened {
            frames += writer.synStream(streamID: id, headers: [("streamtype", type)])
        }
        frames += SPDYFrameWriter.data(streamID: ids.error, [], fin: true)  // nothing is ever written to it
        try await channel.writeAndFlush(ByteBuffer(bytes: frames))
        return SPDYRemoteCommand(output: stream, negotiatedProtocol: chosen, channel: channel, ids: ids)
    }

    /// Bytes for the command's stdin (ignored without a stdin stream).
    public func write(stdin bytes: [UInt8]) async throws {
        guard let id = ids.stdin, !bytes.isEmpty else { return }
        var frames: [UInt8] = []
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + 65_536)
            frames += SPDYFrameWriter.data(streamID: id, bytes[offset..<end])
            offset = end
        }
        try await channel.writeAndFlush(ByteBuffer(bytes: frames))
    }

    /// stdin's EOF.
    public func closeStdin() async throws {
        guard let id = ids.stdin else { return }
        try await channel.writeAndFlush(ByteBuffer(bytes: SPDYFrameWriter.data(streamID: id, [], fin: true)))
    }

    /// A terminal size message (JSON `{"Width":w,"Height":h}`), only with a tty.
    public func resize(width: Int, height: Int) async throws {
        guard let id = ids.resize else { return }
        try await channel.writeAndFlush(ByteBuffer(bytes: SPDYFrameWriter.data(streamID: id, Array("{\"Width\":\(width),\"Height\":\(height)}".utf8))))
    }

    /// Raw resize payload as a client sent it (channel 4 of the WebSocket protocols).
    public func resize(payload: [UInt8]) async throws {
        guard let id = ids.resize, !payload.isEmpty else { return }
        try await channel.writeAndFlush(ByteBuffer(bytes: SPDYFrameWriter.data(streamID: id, payload)))
    }

    /// Ends the session (the output stream finishes when the connection is closed).
    public func close() async {
        try? await channel.close()
    }

    /// Starts closing the session without waiting (for cleanup paths that cannot await).
    public func closeNow() {
        channel.close(promise: nil)
    }
}

/// Reads the upgrade answer, then frames; hands output to the session's stream.
final class SessionHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer

    // Touched only on the channel's event loop.
    private var head: [UInt8] = []
    private var upgradedPromise: EventLoopPromise<String>?
    private var refused: (status: Int, body: [UInt8])?
    private var parser = SPDYFrameParser()
    private var errorBytes: [UInt8] = []
    private var statusSent = false
    private var isUpgraded = false
    private let ids: SPDYRemoteCommand.StreamIDs
    private let output: AsyncStream<RemoteCommandOutput>.Continuation

    init(ids: SPDYRemoteCommand.StreamIDs, output: AsyncStream<RemoteCommandOutput>.Continuation) {
        self.ids = ids
        self.output = output
    }

    func upgraded(on loop: any EventLoop) -> EventLoopFuture<String> {
        loop.submit { [self] in
            let promise = loop.makePromise(of: String.self)
            upgradedPromise = promise
            return promise.futureResult
        }.flatMap { $0 }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
        if isUpgraded {
            parser.append(bytes)
            drain(context: context)
            return
        }
        if refused != nil {
            refused?.body += bytes
            return
        }
        head += bytes
        guard let end = Self.headEnd(head) else {
            if head.count > 64 * 1024 { fail(context: context, SPDYProtocolError("no HTTP answer head within 64 KiB")) }
            return
        }
        let text = String(decoding: head[..<end], as: UTF8.self)
        let rest = Array(head[(end + 4)...])
        head = []
        let lines = text.split(separator: "\r\n", omittingEmptySubsequences: false)
        let status = lines.first.flatMap { line in line.split(separator: " ").dropFirst().first.flatMap { Int($0) } } ?? 0
        guard status == 101 else {
            refused = (status, rest)
            return
        }
        let chosen = lines.dropFirst().compactMap { line -> String? in
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "x-stream-protocol-version" else { return nil }
            return String(parts[1].drop { $0 == " " || $0 == "\t" })
        }.first ?? ""
        isUpgraded = true
        upgradedPromise?.succeed(chosen)
        upgradedPromise = nil
        parser.append(rest)
        drain(context: context)
    }

    private func drain(context: ChannelHandlerContext) {
        do {
            while let frame = try parser.next() {
                switch frame {
                case .data(let id, let payload, let fin):
                    if id == ids.error {
                        errorBytes += payload
                        if fin { sendStatus() }
                    } else if id == ids.stdout, !payload.isEmpty {
                        output.yield(.stdout(payload))
                    } else if id == ids.stderr, !payload.isEmpty {
                        output.yield(.stderr(payload))
                    }
                case .ping(let id):
                    context.writeAndFlush(NIOAny(ByteBuffer(bytes: SPDYFrameWriter.ping(id: id))), promise: nil)
                case .rstStream(let id, _) where id == ids.error:
                    sendStatus()
                case .goAway:
                    sendStatus()
                    context.close(promise: nil)
                default:
                    break
                }
            }
        } catch {
            fail(context: context, error)
        }
    }

    private func sendStatus() {
        guard !statusSent else { return }
        statusSent = true
        if !errorBytes.isEmpty { output.yield(.status(errorBytes)) }
    }

    private func fail(context: ChannelHandlerContext, _ error: any Error) {
        upgradedPromise?.fail(error)
        upgradedPromise = nil
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let refused {
            upgradedPromise?.fail(RemoteCommandUpgradeError(status: refused.status, body: refused.body))
        } else {
            upgradedPromise?.fail(SPDYProtocolError("the connection closed before the upgrade"))
        }
        upgradedPromise = nil
        sendStatus()
        output.finish()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(context: context, error)
    }

    static func headEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for i in 0...(bytes.count - 4) where bytes[i] == 13 && bytes[i + 1] == 10 && bytes[i + 2] == 13 && bytes[i + 3] == 10 {
            return i
        }
        return nil
    }
}
