import APIMachinery
import Foundation
import NIOCore
import NIOPosix

/// The head of an HTTP/1.1 response read off a raw connection.
struct RawResponseHead: Sendable {
    var status: Int
    var headers: [(name: String, value: String)]

    func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    /// Parses `HTTP/1.1 101 Switching Protocols\r\nName: value\r\n…` (without the blank line).
    static func parse(_ text: String) -> RawResponseHead? {
        let lines = text.components(separatedBy: "\r\n")
        let statusLine = lines.first?.split(separator: " ", maxSplits: 2) ?? []
        guard statusLine.count >= 2, statusLine[0].hasPrefix("HTTP/1."), let code = Int(statusLine[1]) else { return nil }
        var headers: [(String, String)] = []
        for line in lines.dropFirst() where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.append((String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        return RawResponseHead(status: code, headers: headers)
    }
}

/// A connection to a kubelet after its `101 Switching Protocols`: the bytes that followed the head,
/// the rest of the inbound stream, and the writer.
struct KubeletLink {
    var head: RawResponseHead
    var leftover: ByteBuffer
    var inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    /// The TCP channel, to close it from another task (which ends `read()`).
    let channel: any Channel

    /// The next bytes from the kubelet (the leftover first), nil at EOF.
    mutating func read() async throws -> ByteBuffer? {
        if leftover.readableBytes > 0 {
            defer { leftover.clear() }
            return leftover
        }
        return try await inbound.next()
    }

    func write(_ bytes: ByteBuffer) async throws {
        try await outbound.write(bytes)
    }
}

/// Dials a kubelet over plain TCP and sends one HTTP/1.1 request head for an upgrade.
enum KubeletDialer {
    static let connectTimeout = TimeAmount.seconds(10)

    /// Kubernetes' message for an unreachable kubelet.
    static func dialError(_ endpoint: KubeletEndpoint, _ error: any Error) -> StatusError {
        var reason = "\(error)"
        if let io = error as? IOError {
            reason = io.errnoCode == ECONNREFUSED ? "connection refused" : String(cString: strerror(io.errnoCode)).lowercased()
        } else if let connect = error as? NIOConnectionError, let first = connect.connectionErrors.first?.error as? IOError {
            reason = first.errnoCode == ECONNREFUSED ? "connection refused" : String(cString: strerror(first.errnoCode)).lowercased()
        } else if error is ChannelError {
            reason = "i/o timeout"
        }
        return StatusError(code: 500, reason: "InternalError",
                           message: "error dialing backend: dial tcp \(endpoint.hostPort): connect: \(reason)")
    }

    /// Connects, writes `head` (request line and headers, without the final blank line) and reads the
    /// response head. A 101 runs `body` with the upgraded link; anything else is turned into a
    /// StatusError (the kubelet's own Status when it sent one).
    static func withUpgrade<R: Sendable>(_ endpoint: KubeletEndpoint, head: String,
                                         _ body: (inout KubeletLink) async throws -> R) async throws -> R {
        let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
        do {
            guard endpoint.port > 0 else { throw IOError(errnoCode: ECONNREFUSED, reason: "connect") }
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(connectTimeout)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .connect(host: endpoint.host, port: endpoint.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw dialError(endpoint, error)
        }
        return try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(string: head + "\r\n\r\n"))
            var iterator = inbound.makeAsyncIterator()
            var buffer = ByteBuffer()
            var responseHead: RawResponseHead?
            while responseHead == nil {
                guard var chunk = try await iterator.next() else {
                    throw StatusError.internal("the kubelet at \(endpoint.hostPort) closed the connection before answering")
                }
                buffer.writeBuffer(&chunk)
                let view = buffer.readableBytesView
                if let end = view.firstRange(of: [13, 10, 13, 10]) {
                    let headLength = end.lowerBound - view.startIndex
                    let text = buffer.readString(length: headLength) ?? ""
                    buffer.moveReaderIndex(forwardBy: 4)
                    guard let parsed = RawResponseHead.parse(text) else {
                        throw StatusError.internal("the kubelet at \(endpoint.hostPort) sent a malformed response")
                    }
                    responseHead = parsed
                } else if buffer.readableBytes > 64 * 1024 {
                    throw StatusError.internal("the kubelet at \(endpoint.hostPort) sent an oversized response head")
                }
            }
            guard let responseHead, responseHead.status == 101 else {
                let head = responseHead ?? RawResponseHead(status: 500, headers: [])
                throw try await failure(head, leftover: buffer, iterator: &iterator)
            }
            var link = KubeletLink(head: responseHead, leftover: buffer, inbound: iterator, outbound: outbound, channel: channel.channel)
            return try await body(&link)
        }
    }

    /// The error of a refused upgrade: the body's Status if it is one, else the status code and text.
    static func failure(_ head: RawResponseHead, leftover: ByteBuffer,
                        iterator: inout NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator) async throws -> StatusError {
        var body = leftover
        let length = head.header("Content-Length").flatMap(Int.init) ?? 64 * 1024
        while body.readableBytes < min(length, 64 * 1024), var chunk = try await iterator.next() {
            body.writeBuffer(&chunk)
        }
        let bytes = Array(body.readableBytesView.prefix(length))
        return statusError(code: head.status, body: bytes)
    }

    /// A kubelet's error answer as a StatusError: its Status passes through with its code.
    static func statusError(code: Int, body: [UInt8]) -> StatusError {
        if let status = try? JSONValue.parse(body), status["kind"]?.stringValue == "Status" {
            return StatusError(code: Int(status["code"]?.intValue ?? Int64(code)), reason: status["reason"]?.stringValue ?? "",
                               message: status["message"]?.stringValue ?? "")
        }
        let text = String(decoding: body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let reason = code == 404 ? "NotFound" : code == 400 ? "BadRequest" : code >= 500 ? "InternalError" : ""
        return StatusError(code: code, reason: reason, message: text.isEmpty ? "the kubelet answered \(code)" : text)
    }
}
