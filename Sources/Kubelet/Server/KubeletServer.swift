import APIMachinery
import CRI
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// The kubelet's own HTTP/1.1 server (plain, on `<nodeIP>:<port>`), which the API server reaches for a
/// node's streaming subresources: `GET /healthz`, `GET /containerLogs/{ns}/{pod}/{container}` from the
/// CRI log files (follow, tailLines, previous, timestamps, sinceSeconds, sinceTime, limitBytes),
/// `GET /stats/summary` (when a summary is provided), and the upgrades `/exec/{ns}/{pod}/{container}`,
/// `/attach/…` and `/portForward/{ns}/{pod}`: the runtime gives a streaming URL, the request head goes
/// there (target and Host rewritten, every other header kept) and from then on bytes are copied both
/// ways — the runtime's own 101 answer included — until either side closes. Errors are Kubernetes
/// Status bodies with their HTTP code.
public final class KubeletServer: Sendable {
    /// A pod this kubelet runs, by namespace and name.
    public typealias PodLookup = @Sendable (_ namespace: String, _ name: String) -> JSONValue?
    /// The kubelet Summary API document (`/stats/summary`).
    public typealias StatsSummary = @Sendable () async throws -> JSONValue

    public let host: String
    public let port: Int
    let routes: KubeletRoutes
    let logger: Logger
    let group: any EventLoopGroup
    let channel = Mutex<(any Channel)?>(nil)

    /// - Parameters:
    ///   - host: the address to bind (the node IP).
    ///   - port: the port to bind; 0 picks a free one (`start` answers it).
    ///   - configs: where pod log directories are (`logDirectory(pod)`).
    public init(host: String, port: Int, runtime: any ContainerRuntime, configs: CRIConfigs = CRIConfigs(),
                pod: @escaping PodLookup, statsSummary: StatsSummary? = nil, logger: Logger = Logger(label: "kubelet.server"),
                logPollInterval: Duration = .milliseconds(100), now: @escaping @Sendable () -> Date = { Date() },
                group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.host = host
        self.port = port
        self.logger = logger
        self.group = group
        routes = KubeletRoutes(runtime: runtime, configs: configs, pod: pod, statsSummary: statsSummary, now: now,
                               logPollInterval: logPollInterval)
    }

    /// Binds and starts serving; answers the port bound.
    @discardableResult
    public func start() async throws -> Int {
        let routes = self.routes, logger = self.logger
        let bound = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let encoder = HTTPResponseEncoder()
                    let decoder = ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .forwardBytes))
                    let pipelining = HTTPServerPipelineHandler()
                    let handler = KubeletHTTPHandler(routes: routes, logger: logger)
                    handler.httpHandlers = [encoder, decoder, pipelining]
                    try channel.pipeline.syncOperations.addHandlers([encoder, decoder, pipelining, handler])
                }
            }
            .bind(host: host, port: port).get()
        channel.withLock { $0 = bound }
        let actual = bound.localAddress?.port ?? port
        logger.info("kubelet server listening on \(host):\(actual)")
        return actual
    }

    /// The port bound, once started.
    public var boundPort: Int? { channel.withLock { $0?.localAddress?.port } }

    /// Stops accepting connections (those open end with their streams).
    public func stop() async {
        guard let bound = channel.withLock({ channel in defer { channel = nil }; return channel }) else { return }
        try? await bound.close()
    }
}

/// One connection's HTTP side: routes each request (answered by a task, so logs can stream), and turns an
/// upgrade request for exec/attach/portForward into a splice with the runtime's streaming server.
final class KubeletHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let routes: KubeletRoutes
    let logger: Logger
    /// The HTTP codec handlers, removed when the connection becomes a splice.
    var httpHandlers: [any RemovableChannelHandler] = []
    private var head: HTTPRequestHead?
    private var task: Task<Void, Never>?

    init(routes: KubeletRoutes, logger: Logger) {
        self.routes = routes
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
        case .body:
            break
        case .end:
            guard let head else { return }
            self.head = nil
            if head.headers[canonicalForm: "connection"].contains(where: { $0.lowercased() == "upgrade" }),
               !head.headers["upgrade"].isEmpty, let kind = KubeletRoutes.streamKind(head.uri) {
                upgrade(context: context, head: head, kind: kind)
            } else {
                respond(context: context, head: head)
            }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        task?.cancel()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("kubelet server: \(error)")
        context.close(promise: nil)
    }

    // MARK: Plain requests

    func respond(context: ChannelHandlerContext, head: HTTPRequestHead) {
        let channel = context.channel, routes = self.routes
        task = Task {
            let writer = ResponseWriter(channel: channel, version: head.version, keepAlive: head.isKeepAlive, isHead: head.method == .HEAD)
            let response = await routes.respond(method: head.method.rawValue, uri: head.uri)
            await writer.send(response)
        }
    }

    // MARK: Upgrades

    func upgrade(context: ChannelHandlerContext, head: HTTPRequestHead, kind: KubeletRoutes.StreamKind) {
        let channel = context.channel, routes = self.routes
        let loop = context.eventLoop
        // No more reading until the splice is set up (bytes after the head stay in the decoder).
        channel.setOption(ChannelOptions.autoRead, value: false).whenFailure { _ in }
        let bound = NIOLoopBound((self, context), eventLoop: loop)
        let (local, remote) = SpliceHandler.pair()
        let localBound = NIOLoopBound(local, eventLoop: loop), remoteBound = NIOLoopBound(remote, eventLoop: loop)
        task = Task {
            let url: URL
            do throws(StatusError) {
                url = try await routes.streamURL(kind, uri: head.uri)
            } catch {
                await ResponseWriter(channel: channel, version: head.version, keepAlive: false, isHead: false).send(.error(error))
                return
            }
            let streamHost = url.host ?? "127.0.0.1"
            let streamPort = url.port ?? 80
            do {
                let upstream = try await ClientBootstrap(group: loop)
                    .channelOption(.autoRead, value: false)
                    .connectTimeout(.seconds(10))
                    .channelInitializer { upstream in
                        upstream.eventLoop.makeCompletedFuture { try upstream.pipeline.syncOperations.addHandler(remoteBound.value) }
                    }
                    .connect(host: streamHost, port: streamPort).get()
                let headers = head.headers.map { (name: $0.name, value: $0.value) }
                let bytes = StreamProxyHead.bytes(method: head.method.rawValue, uri: head.uri, headers: headers, to: url)
                try await loop.submit {
                    let (handler, context) = bound.value
                    try handler.splice(context: context, with: localBound.value, upstream: upstream, head: bytes)
                }.get()
            } catch {
                let status = StatusError.internal("error dialing backend: dial tcp \(streamHost):\(streamPort): \(error)")
                await ResponseWriter(channel: channel, version: head.version, keepAlive: false, isHead: false).send(.error(status))
            }
        }
    }

    /// Writes the rewritten head upstream, swaps the HTTP handlers for the splice and lets both read.
    func splice(context: ChannelHandlerContext, with local: SpliceHandler, upstream: any Channel, head: [UInt8]) throws {
        let channel = context.channel
        guard channel.isActive else {
            upstream.close(promise: nil)
            return
        }
        upstream.writeAndFlush(ByteBuffer(bytes: head), promise: nil)
        let pipeline = channel.pipeline.syncOperations
        let decoder = httpHandlers.first { $0 is ByteToMessageHandler<HTTPRequestDecoder> }
        for handler in httpHandlers where !(handler is ByteToMessageHandler<HTTPRequestDecoder>) {
            pipeline.removeHandler(handler, promise: nil)
        }
        try pipeline.addHandler(local)
        pipeline.removeHandler(self, promise: nil)
        // Removing the decoder forwards what the client sent after the head to the splice.
        if let decoder { pipeline.removeHandler(decoder, promise: nil) }
        // The decoder hands its leftovers over on a later tick, without a read-complete: flush after it.
        context.eventLoop.execute { upstream.flush() }
        channel.setOption(ChannelOptions.autoRead, value: true).whenFailure { _ in }
        upstream.setOption(ChannelOptions.autoRead, value: true).whenFailure { _ in }
    }
}

/// Writes a `KubeletRoutes.Response` to a connection from a task, waiting for each write (a slow client
/// slows the log reader down); closes the connection after it unless kept alive.
struct ResponseWriter: Sendable {
    let channel: any Channel
    let version: HTTPVersion
    let keepAlive: Bool
    let isHead: Bool

    func send(_ response: KubeletRoutes.Response) async {
        do {
            switch response {
            case .full(let code, let contentType, let body):
                var headers = HTTPHeaders([("Content-Type", contentType), ("Content-Length", String(body.count))])
                if !keepAlive { headers.add(name: "Connection", value: "close") }
                try await write(.head(HTTPResponseHead(version: version, status: .init(statusCode: code), headers: headers)))
                if !isHead && !body.isEmpty { try await write(.body(.byteBuffer(ByteBuffer(bytes: body)))) }
                try await write(.end(nil))
            case .stream(let contentType, let body):
                var headers = HTTPHeaders([("Content-Type", contentType), ("Transfer-Encoding", "chunked")])
                if !keepAlive { headers.add(name: "Connection", value: "close") }
                try await write(.head(HTTPResponseHead(version: version, status: .ok, headers: headers)))
                let channel = self.channel
                try await body { bytes in
                    try await channel.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(bytes: bytes)))).get()
                }
                try await write(.end(nil))
            }
            if !keepAlive { try? await channel.close() }
        } catch {
            try? await channel.close()
        }
    }

    func write(_ part: HTTPServerResponsePart) async throws {
        try await channel.writeAndFlush(part).get()
    }
}
