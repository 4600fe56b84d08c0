import APIMachinery
import Foundation
import Logging
import NIOCore
import NIOWebSocket
import SPDY

/// One exec or attach: the client's WebSocket (v5 or v4 channels) translated to a SPDY/3.1 remote
/// command on the kubelet. Channel 0 is stdin (v5's close signal `[255, 0]` ends it), 4 a terminal
/// resize; stdout, stderr and the final Status come back on channels 1, 2 and 3.
struct RemoteCommandSession: Sendable {
    let plan: StreamPlan
    let logger: Logger

    func run(_ webSocket: NIOAsyncChannel<WebSocketFrame, WebSocketFrame>) async {
        do {
            try await webSocket.executeThenClose { inbound, outbound in
                let client = StreamSession.ClientSocket(outbound: outbound)
                let session: SPDYRemoteCommand
                do {
                    session = try await Self.connect(plan)
                } catch {
                    let status = error as? StatusError ?? StatusError.internal("\(error)")
                    logger.debug("\(plan.kind.rawValue) stream: \(status)")
                    await StreamSession(plan: plan, logger: logger).fail(client, status)
                    return
                }
                try await pump(client: client, inbound: inbound, session: session)
            }
        } catch {
            logger.debug("\(plan.kind.rawValue) stream ended: \(error)")
        }
    }

    /// Dials the kubelet and upgrades; errors come back as the StatusError to show the client.
    static func connect(_ plan: StreamPlan) async throws(StatusError) -> SPDYRemoteCommand {
        let endpoint = plan.endpoint
        guard endpoint.port > 0 else {
            throw KubeletDialer.dialError(endpoint, IOError(errnoCode: ECONNREFUSED, reason: "connect"))
        }
        do {
            return try await SPDYRemoteCommand.connect(host: endpoint.host, port: endpoint.port, target: plan.upstreamTarget,
                                                       streams: plan.remoteCommandStreams)
        } catch let refused as RemoteCommandUpgradeError {
            throw KubeletDialer.statusError(code: refused.status, body: refused.body)
        } catch {
            throw KubeletDialer.dialError(endpoint, error)
        }
    }

    func pump(client: StreamSession.ClientSocket, inbound: NIOAsyncChannelInboundStream<WebSocketFrame>,
              session: SPDYRemoteCommand) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            // Client → kubelet; whatever ends the client side ends the session (and the loop below).
            group.addTask {
                defer { session.closeNow() }
                try await StreamSession.clientMessages(inbound, client: client) { try await forward($0, to: session) }
            }
            // Kubelet → client.
            for await item in session.output {
                switch item {
                case .stdout(let bytes): try await client.send(ByteBuffer(bytes: [1] + bytes))
                case .stderr(let bytes): try await client.send(ByteBuffer(bytes: [2] + bytes))
                case .status(let bytes): try await client.send(ByteBuffer(bytes: [3] + bytes))
                }
            }
            // The command is done: close the client (1000) and give it a moment to answer the close.
            await client.close(.normalClosure)
            group.addTask { try await Task.sleep(for: .seconds(2)) }
            _ = try? await group.next()
            group.cancelAll()
        }
    }

    /// One client message: `[channel] payload`.
    func forward(_ message: ByteBuffer, to session: SPDYRemoteCommand) async throws {
        let bytes = Array(message.readableBytesView)
        guard let channel = bytes.first else { return }
        let payload = Array(bytes.dropFirst())
        switch channel {
        case 0: try await session.write(stdin: payload)
        case 4: try await session.resize(payload: payload)
        case 255 where payload.first == 0 && plan.clientProtocol == PodStreams.v5: try await session.closeStdin()
        default: break
        }
    }
}

extension StreamPlan {
    /// The request target on the kubelet (path and query), from the upstream request line.
    var upstreamTarget: String {
        let line = upstreamHead.prefix { $0 != "\r" }
        let parts = line.split(separator: " ")
        return parts.count >= 2 ? String(parts[1]) : "/"
    }

    /// The streams the request asks for (its stdin/stdout/stderr/tty flags; a tty merges stderr into stdout).
    var remoteCommandStreams: RemoteCommandStreams {
        let query = upstreamTarget.split(separator: "?", maxSplits: 1).dropFirst().first.map { Query(String($0)) } ?? Query(nil)
        func flag(_ name: String) -> Bool { ["true", "1"].contains(query[name]?.lowercased() ?? "") }
        let tty = flag("tty")
        return RemoteCommandStreams(stdin: flag("stdin"), stdout: flag("stdout"), stderr: flag("stderr") && !tty, tty: tty)
    }
}
