import NIOCore
import NIOHTTP1
import NIOPosix

/// A minimal keep-alive HTTP/1.1 client for the benchmark: one connection, one request at a time.
struct BenchHTTPConnection {
    typealias Channel = NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>

    struct Response {
        var status: Int
        var body: [UInt8]
    }

    static func connect(host: String, port: Int) async throws -> Channel {
        try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try Channel(wrappingChannelSynchronously: channel)
                }
            }
    }

    /// Runs `body` with a function that performs requests on one connection.
    static func withConnection<T: Sendable>(host: String, port: Int,
                                            _ body: (_ request: (HTTPMethod, String, [UInt8]?) async throws -> Response) async throws -> T) async throws -> T {
        let channel = try await connect(host: host, port: port)
        return try await channel.executeThenClose { inbound, outbound in
            var iterator = inbound.makeAsyncIterator()
            return try await body { method, uri, payload in
                var head = HTTPRequestHead(version: .http1_1, method: method, uri: uri)
                head.headers.add(name: "Host", value: host)
                head.headers.add(name: "Accept", value: "application/json")
                if let payload {
                    head.headers.add(name: "Content-Type", value: "application/json")
                    head.headers.add(name: "Content-Length", value: String(payload.count))
                }
                try await outbound.write(.head(head))
                if let payload {
                    var buffer = ByteBufferAllocator().buffer(capacity: payload.count)
                    buffer.writeBytes(payload)
                    try await outbound.write(.body(.byteBuffer(buffer)))
                }
                try await outbound.write(.end(nil))
                var status = 0
                var bytes: [UInt8] = []
                while let part = try await iterator.next() {
                    switch part {
                    case .head(let h): status = Int(h.status.code)
                    case .body(let b): bytes.append(contentsOf: b.readableBytesView)
                    case .end: return Response(status: status, body: bytes)
                    }
                }
                throw BenchError("connection closed")
            }
        }
    }

    /// Opens a watch and calls `onChunk` with each chunk of the streamed body until it returns false.
    static func stream(host: String, port: Int, uri: String, ready: @Sendable () -> Void,
                       onChunk: ([UInt8]) async -> Bool) async throws {
        let channel = try await connect(host: host, port: port)
        try await channel.executeThenClose { inbound, outbound in
            var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: uri)
            head.headers.add(name: "Host", value: host)
            try await outbound.write(.head(head))
            try await outbound.write(.end(nil))
            for try await part in inbound {
                switch part {
                case .head: ready()
                case .body(let b): if await !onChunk(Array(b.readableBytesView)) { return }
                case .end: return
                }
            }
        }
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
