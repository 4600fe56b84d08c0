import APIMachinery
import HTTPTypes
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import NIOWebSocket
import Synchronization

/// The API server's HTTP/1.1 connections: every request goes to the responder, except a first request
/// that asks to upgrade a pod's exec, attach or portforward to a WebSocket and passes validation; that
/// connection becomes a stream to the pod's kubelet. A refused upgrade is answered by the responder,
/// so the client gets the Status error Kubernetes would send.
struct APIServerChannel: ServerChildChannel, HTTPChannelHandler {
    enum Negotiated: Sendable {
        case http(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>)
        case webSocket(NIOAsyncChannel<WebSocketFrame, WebSocketFrame>, StreamPlan)
        /// An upgrade refused by validation (NIO does not hand such a request on: answer it here).
        case refused(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>, StatusError)
    }

    struct Value: ServerChildChannelValue {
        let negotiated: EventLoopFuture<Negotiated>
        let channel: any Channel
    }

    /// The plan chosen in `shouldUpgrade`, read by the upgrade pipeline handler.
    final class PlanBox: Sendable {
        let decision = Mutex<Result<StreamPlan, StatusError>?>(nil)
    }

    /// Large enough for a whole `kubectl cp` chunk in one frame.
    static let maxFrameSize = 1 << 24

    let responder: HTTPChannelHandler.Responder
    let streams: PodStreams

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            let box = PlanBox()
            let streams = self.streams
            let upgrader = NIOTypedWebSocketServerUpgrader<Negotiated>(
                maxFrameSize: Self.maxFrameSize,
                shouldUpgrade: { channel, head in
                    let promise = channel.eventLoop.makePromise(of: HTTPHeaders?.self)
                    promise.completeWithTask {
                        let decision = await streams.plan(head)
                        box.decision.withLock { $0 = decision }
                        guard case .success(let plan) = decision else { return nil }
                        return HTTPHeaders([("Sec-WebSocket-Protocol", plan.clientProtocol)])
                    }
                    return promise.futureResult
                },
                upgradePipelineHandler: { channel, _ in
                    channel.eventLoop.makeCompletedFuture {
                        guard case .success(let plan)? = box.decision.withLock({ $0 }) else { throw ChannelError.inappropriateOperationForState }
                        let webSocket = try NIOAsyncChannel<WebSocketFrame, WebSocketFrame>(
                            wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
                        return Negotiated.webSocket(webSocket, plan)
                    }
                }
            )
            let upgrade = NIOTypedHTTPServerUpgradeConfiguration(
                upgraders: [upgrader, RefusingSPDYUpgrader(streams: streams, box: box)],
                notUpgradingCompletionHandler: { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(HTTP1ToHTTPServerCodec(secure: false))
                        try channel.pipeline.syncOperations.addHandler(HTTPConnectionStateHandler(idleTimeout: nil, logger: logger))
                        let http = try NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>(
                            wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
                        if case .failure(let error)? = box.decision.withLock({ $0 }) { return Negotiated.refused(http, error) }
                        return Negotiated.http(http)
                    }
                }
            )
            var configuration = NIOUpgradableHTTPServerPipelineConfiguration<Negotiated>(upgradeConfiguration: upgrade)
            configuration.enablePipelining = false  // NIOAsyncChannel serializes requests
            configuration.enableErrorHandling = false  // Hummingbird handles errors
            configuration.enableResponseHeaderValidation = false  // HTTP types validate already
            // Hummingbird's HTTP/1 defaults.
            let limits = HTTP1Channel.Configuration().httpDecoder
            configuration.decoderConfiguration.maxHeaderFieldSize = limits.maxHeaderFieldSize
            configuration.decoderConfiguration.maxHeaderListSize = limits.maxHeaderListSize
            configuration.decoderConfiguration.maxHeaderFieldCount = limits.maxHeaderFieldCount
            let negotiated = try channel.pipeline.syncOperations.configureUpgradableHTTPServerPipeline(configuration: configuration)
            return Value(negotiated: negotiated, channel: channel)
        }
    }

    func handle(value: Value, logger: Logger) async {
        do {
            switch try await value.negotiated.get() {
            case .http(let http):
                await handleHTTP(asyncChannel: http, logger: logger)
            case .webSocket(let webSocket, let plan):
                await StreamSession(plan: plan, logger: logger).run(webSocket)
            case .refused(let http, let error):
                try await http.executeThenClose { _, outbound in
                    let body = error.status.serialized()
                    let head = HTTPResponse(status: .init(code: error.code),
                                            headerFields: [.contentType: "application/json", .contentLength: String(body.count), .connection: "close"])
                    try await outbound.write(contentsOf: [.head(head), .body(ByteBuffer(bytes: body)), .end(nil)])
                }
            }
        } catch {
            logger.debug("connection ended before a request: \(error)")
        }
    }
}

/// kubectl falls back to `Upgrade: SPDY/3.1` when its WebSocket upgrade is refused. SPDY is not served:
/// this upgrader records the Status to answer (the validation error, else a plain refusal) and declines,
/// so the request is answered instead of dropped (NIO does not hand a declined upgrade request on).
struct RefusingSPDYUpgrader: NIOTypedHTTPServerProtocolUpgrader {
    typealias UpgradeResult = APIServerChannel.Negotiated
    struct Declined: Error {}

    let streams: PodStreams
    let box: APIServerChannel.PlanBox
    var supportedProtocol: String { "SPDY/3.1" }
    var requiredUpgradeHeaders: [String] { [] }

    func buildUpgradeResponse(channel: any Channel, upgradeRequest: HTTPRequestHead,
                              initialResponseHeaders: HTTPHeaders) -> EventLoopFuture<HTTPHeaders> {
        let promise = channel.eventLoop.makePromise(of: HTTPHeaders.self)
        let streams = self.streams, box = self.box
        promise.completeWithTask {
            let error = await streams.refuseSPDY(upgradeRequest)
            box.decision.withLock { $0 = .failure(error) }
            throw Declined()
        }
        return promise.futureResult
    }

    func upgrade(channel: any Channel, upgradeRequest: HTTPRequestHead) -> EventLoopFuture<UpgradeResult> {
        channel.eventLoop.makeFailedFuture(Declined())
    }
}

extension HTTPServerBuilder {
    /// HTTP/1.1 with WebSocket upgrades of pods' exec, attach and portforward (see `APIServerChannel`).
    public static func kubernetesAPI(streams: PodStreams) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in APIServerChannel(responder: responder, streams: streams) }
    }
}
