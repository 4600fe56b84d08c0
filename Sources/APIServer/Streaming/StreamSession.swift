import APIMachinery
import Foundation
import Logging
import NIOCore
import NIOWebSocket
import Synchronization

/// One upgraded exec/attach/portforward WebSocket: dials the kubelet and forwards until either side ends.
struct StreamSession: Sendable {
    let plan: StreamPlan
    let logger: Logger

    /// The WebSocket to the client (kubectl, the Python client): answers pings, sends close once.
    final class ClientSocket: Sendable {
        let outbound: NIOAsyncChannelOutboundWriter<WebSocketFrame>
        let closed = Mutex(false)

        init(outbound: NIOAsyncChannelOutboundWriter<WebSocketFrame>) { self.outbound = outbound }

        func send(_ payload: ByteBuffer, opcode: WebSocketOpcode = .binary, fin: Bool = true) async throws {
            try await outbound.write(WebSocketFrame(fin: fin, opcode: opcode, data: payload))
        }

        func close(_ code: WebSocketErrorCode, reason: String = "") async {
            guard closed.withLock({ (c: inout Bool) -> Bool in defer { c = true }; return !c }) else { return }
            var data = ByteBuffer()
            data.write(webSocketErrorCode: code)
            data.writeString(String(reason.utf8.prefix(120)) ?? "")
            try? await outbound.write(WebSocketFrame(fin: true, opcode: .connectionClose, data: data))
        }
    }

    func run(_ webSocket: NIOAsyncChannel<WebSocketFrame, WebSocketFrame>) async {
        if plan.mode == .channels, plan.kind == .exec || plan.kind == .attach {
            // SPDY to the kubelet: unlike WebSocket v4 it can carry stdin's end (kubectl cp, exec -i).
            await RemoteCommandSession(plan: plan, logger: logger).run(webSocket)
            return
        }
        do {
            try await webSocket.executeThenClose { inbound, outbound in
                let client = ClientSocket(outbound: outbound)
                do {
                    try await KubeletDialer.withUpgrade(plan.endpoint, head: upstreamHead()) { link in
                        try await pump(client: client, inbound: inbound, link: &link)
                    }
                    await client.close(.normalClosure)
                } catch let error as StatusError {
                    logger.debug("\(plan.kind.rawValue) stream: \(error)")
                    await fail(client, error)
                }
            }
        } catch {
            logger.debug("\(plan.kind.rawValue) stream ended: \(error)")
        }
    }

    func upstreamHead() -> String {
        guard plan.mode == .channels else { return plan.upstreamHead }
        let key = Data((0..<16).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        return plan.upstreamHead + "\r\nSec-WebSocket-Key: \(key)"
    }

    /// Tells the client why the stream could not start: exec/attach on channel 3 (a Status), else in
    /// the close frame.
    func fail(_ client: ClientSocket, _ error: StatusError) async {
        if plan.mode == .channels, plan.kind != .portforward {
            var payload = ByteBuffer(bytes: [3])
            payload.writeBytes(error.status.serialized())
            try? await client.send(payload)
            await client.close(.normalClosure)
        } else {
            await client.close(.unexpectedServerError, reason: error.message)
        }
    }

    /// Forwards both ways; returns when the kubelet side ends (then the caller closes the client with
    /// 1000) or the client goes away.
    func pump(client: ClientSocket, inbound: NIOAsyncChannelInboundStream<WebSocketFrame>, link: inout KubeletLink) async throws {
        let mode = plan.mode
        let upstreamV5 = (link.head.header("Sec-WebSocket-Protocol") ?? "") == PodStreams.v5
        let upstream = link.outbound
        let upstreamChannel = link.channel
        try await withThrowingTaskGroup(of: Void.self) { group in
            // Client → kubelet. Returns when the client closes or disconnects.
            group.addTask {
                // Whatever ends the client side ends the kubelet side (and so the read loop below).
                defer { upstreamChannel.close(promise: nil) }
                try await Self.clientMessages(inbound, client: client) { message in
                    try await forward(message, mode: mode, upstreamV5: upstreamV5, to: upstream)
                }
            }
            // Kubelet → client, in this task (the link's reader cannot leave it).
            switch mode {
            case .spdyTunnel:
                while let bytes = try await link.read() {
                    if bytes.readableBytes > 0 { try await client.send(bytes) }
                }
            case .channels:
                var parser = RawWebSocketFrameParser()
                reading: while let bytes = try await link.read() {
                    parser.append(bytes)
                    while let frame = try parser.next() {
                        switch frame.opcode {
                        case RawWebSocketFrame.ping:
                            try await upstream.write(RawWebSocketFrame(fin: true, opcode: RawWebSocketFrame.pong, payload: frame.payload).encoded(masked: true))
                        case RawWebSocketFrame.close:
                            break reading
                        case RawWebSocketFrame.binary, RawWebSocketFrame.text, RawWebSocketFrame.continuation:
                            let opcode = WebSocketOpcode(encodedWebSocketOpcode: frame.opcode) ?? .binary
                            try await client.send(frame.payload, opcode: opcode, fin: frame.fin)
                        default:
                            continue
                        }
                    }
                }
            }
            // The kubelet is done: close the client (1000) and give it a moment to answer the close.
            await client.close(.normalClosure)
            group.addTask { try await Task.sleep(for: .seconds(2)) }
            _ = try? await group.next()
            group.cancelAll()
        }
    }

    /// Hands each of the client's messages (fragments joined) to `handle`, answering its pings;
    /// returns when the client closes (its close is answered) or goes away.
    static func clientMessages(_ inbound: NIOAsyncChannelInboundStream<WebSocketFrame>, client: ClientSocket,
                               _ handle: (ByteBuffer) async throws -> Void) async throws {
        var message = ByteBuffer()
        var inMessage = false
        for try await frame in inbound {
            switch frame.opcode {
            case .ping:
                try await client.send(frame.unmaskedData, opcode: .pong)
            case .connectionClose:
                var data = frame.unmaskedData
                await client.close(data.readWebSocketErrorCode() ?? .normalClosure)
                return
            case .text, .binary, .continuation:
                if frame.opcode != .continuation { message.clear(); inMessage = true }
                guard inMessage else { continue }
                var data = frame.unmaskedData
                message.writeBuffer(&data)
                guard frame.fin else { continue }
                inMessage = false
                try await handle(message)
            default:
                continue
            }
        }
    }

    /// One client message to the kubelet.
    func forward(_ message: ByteBuffer, mode: StreamPlan.Mode, upstreamV5: Bool, to upstream: NIOAsyncChannelOutboundWriter<ByteBuffer>) async throws {
        switch mode {
        case .spdyTunnel:
            // kubectl writes zero-length messages: they carry nothing and are not EOF.
            if message.readableBytes > 0 { try await upstream.write(message) }
        case .channels:
            guard let channel = message.getInteger(at: message.readerIndex, as: UInt8.self) else { return }
            // v5's CLOSE signal ([255, channel]) has no v4 form.
            if channel == 255, !upstreamV5 { return }
            try await upstream.write(RawWebSocketFrame(fin: true, opcode: RawWebSocketFrame.binary, payload: message).encoded(masked: true))
        }
    }
}
