import APIMachinery
import APIServer
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOPosix
import Registry
import SPDY
import Storage
import Synchronization
import Testing

/// An API server in this process on a loopback port, over a memory store.
struct TestAPIServer {
    let registry: Registry
    let port: Int

    static func run(_ body: (TestAPIServer) async throws -> Void) async throws {
        let registry = Registry(storage: MemoryStorage(), definitions: Registry.builtInDefinitions(), schema: BuiltInSchema())
        try await registry.bootstrap()
        var logger = Logger(label: "apiserver-tests")
        logger.logLevel = .error
        let port = Mutex(0)
        let app = Application(
            responder: APIResponder(registry: registry, serverAddress: "127.0.0.1:0", logger: logger),
            server: .kubernetesAPI(streams: PodStreams(registry: registry)),
            configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: nil),
            onServerRunning: { channel in port.withLock { $0 = channel.localAddress?.port ?? 0 } },
            logger: logger)
        let task = Task { try await app.runService() }
        defer { task.cancel() }
        let deadline = ContinuousClock.now + .seconds(20)
        while port.withLock({ $0 }) == 0 {
            guard ContinuousClock.now < deadline else { Issue.record("the API server did not start"); return }
            try await Task.sleep(for: .milliseconds(10))
        }
        try await body(TestAPIServer(registry: registry, port: port.withLock { $0 }))
        task.cancel()
        _ = await task.result
    }

    func store(_ resource: String) throws -> GenericStore {
        try #require(registry.store(group: "", version: "v1", resource: resource))
    }

    /// A node whose kubelet is at 127.0.0.1:`kubeletPort`, and a Running pod on it.
    func addNodeAndPod(kubeletPort: Int, pod: String = "p1", containers: [String] = ["c1"], phase: String = "Running") async throws {
        if (try? await store("nodes").get(namespace: "", name: "n1")) == nil {
            let node: JSONValue = [
                "apiVersion": "v1", "kind": "Node", "metadata": ["name": "n1"],
                "status": ["addresses": [["type": "Hostname", "address": "n1"], ["type": "InternalIP", "address": "127.0.0.1"]],
                           "daemonEndpoints": ["kubeletEndpoint": ["Port": .int(Int64(kubeletPort))]]],
            ]
            _ = try await store("nodes").create(namespace: "", object: node, options: WriteOptions())
            _ = try await store("nodes").patch(namespace: "", name: "n1", type: .merge, body: ["status": node["status"] ?? nil],
                                               target: .status, options: WriteOptions())
        }
        let object: JSONValue = [
            "apiVersion": "v1", "kind": "Pod", "metadata": ["name": .string(pod), "namespace": "default"],
            "spec": ["nodeName": "n1", "containers": .array(containers.map { ["name": .string($0), "image": "busybox"] })],
        ]
        _ = try await store("pods").create(namespace: "default", object: object, options: WriteOptions())
        _ = try await store("pods").patch(namespace: "default", name: pod, type: .merge, body: ["status": ["phase": .string(phase)]],
                                          target: .status, options: WriteOptions())
    }
}

/// A raw HTTP/1.1 exchange over TCP: one request, the whole answer (until the server closes).
struct RawHTTP {
    var status: Int
    var headers: [String: String]
    var body: [UInt8]
    var text: String { String(decoding: body, as: UTF8.self) }

    /// Sends `head` (adding Host and Connection: close) and reads to EOF; `onData` sees the (still
    /// chunk-encoded) bytes as they arrive.
    static func request(port: Int, _ requestLine: String, headers: [String] = [],
                        onData: @escaping @Sendable (String) async -> Void = { _ in }) async throws -> RawHTTP {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
            }
        let raw = try await channel.executeThenClose { inbound, outbound in
            let head = ([requestLine, "Host: 127.0.0.1:\(port)", "Connection: close"] + headers).joined(separator: "\r\n") + "\r\n\r\n"
            try await outbound.write(ByteBuffer(string: head))
            var all: [UInt8] = []
            for try await chunk in inbound {
                all += chunk.readableBytesView
                await onData(String(decoding: all, as: UTF8.self))
                if complete(all) { break }
            }
            return all
        }
        return try parse(raw)
    }

    /// Whether `raw` holds a whole response: a 101 head, a Content-Length body or a last chunk.
    static func complete(_ raw: [UInt8]) -> Bool {
        let text = String(decoding: raw, as: UTF8.self)
        guard let end = text.range(of: "\r\n\r\n") else { return false }
        let head = text[..<end.lowerBound].lowercased()
        if head.hasPrefix("http/1.1 101") { return true }
        let body = text[end.upperBound...]
        if let line = head.components(separatedBy: "\r\n").first(where: { $0.hasPrefix("content-length:") }),
           let length = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) {
            return body.utf8.count >= length
        }
        if head.contains("transfer-encoding: chunked") { return body.hasSuffix("0\r\n\r\n") }
        return false
    }

    static func parse(_ raw: [UInt8]) throws -> RawHTTP {
        let text = String(decoding: raw, as: UTF8.self)
        let parts = text.components(separatedBy: "\r\n\r\n")
        let lines = try #require(parts.first).components(separatedBy: "\r\n")
        let status = Int(lines[0].split(separator: " ")[1]) ?? 0
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            let kv = line.split(separator: ":", maxSplits: 1)
            if kv.count == 2 { headers[kv[0].lowercased()] = kv[1].trimmingCharacters(in: .whitespaces) }
        }
        var body = Array(raw[(try #require(parts.first).utf8.count + 4)...])
        if headers["transfer-encoding"] == "chunked" { body = dechunk(body) }
        return RawHTTP(status: status, headers: headers, body: body)
    }

    static func dechunk(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            guard let lineEnd = (i..<bytes.count - 1).first(where: { bytes[$0] == 13 && bytes[$0 + 1] == 10 }) else { break }
            let size = Int(String(decoding: bytes[i..<lineEnd], as: UTF8.self).split(separator: ";")[0], radix: 16) ?? 0
            if size == 0 { break }
            out += bytes[(lineEnd + 2)..<min(bytes.count, lineEnd + 2 + size)]
            i = lineEnd + 2 + size + 2
        }
        return out
    }
}

/// A kubelet stand-in on a loopback port: /containerLogs answers a fixed or a step-by-step body;
/// /exec and /attach accept a SPDY/3.1 upgrade, echo stdin as stdout and, at stdin's end, write
/// "done" on stderr and a Status on the error stream;
/// /portForward accepts a SPDY upgrade and echoes bytes.
final class StubKubelet: Sendable {
    let port: Int
    let task: Task<Void, Never>
    /// Request lines seen.
    let requests = Mutex<[String]>([])
    /// What arrived on the exec/attach streams from the API server ("stdin hello", "stdin EOF", …).
    let streamEvents = Mutex<[String]>([])
    /// Opened to let a followed log continue after its first line.
    let followGate = Mutex(false)
    /// Set when a port-forward tunnel's API-server side closed.
    let tunnelClosed = Mutex(false)

    init() async throws {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
            }
        port = server.channel.localAddress?.port ?? 0
        let box = Box()
        task = Task {
            try? await server.executeThenClose { connections in
                try await withThrowingDiscardingTaskGroup { group in
                    for try await connection in connections {
                        group.addTask { try? await box.stub?.serve(connection) }
                    }
                }
            }
        }
        box.stub = self
    }

    final class Box: @unchecked Sendable { weak var stub: StubKubelet? }

    func stop() { task.cancel() }

    func serve(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>) async throws {
        try await connection.executeThenClose { inbound, outbound in
            var iterator = inbound.makeAsyncIterator()
            var buffer: [UInt8] = []
            var headEnd: Int?
            while headEnd == nil {
                guard let chunk = try await iterator.next() else { return }
                buffer += chunk.readableBytesView
                headEnd = (0..<max(0, buffer.count - 3)).first { buffer[$0] == 13 && buffer[$0 + 1] == 10 && buffer[$0 + 2] == 13 && buffer[$0 + 3] == 10 }
            }
            let head = String(decoding: buffer[..<headEnd!], as: UTF8.self)
            let rest = Array(buffer[(headEnd! + 4)...])
            let requestLine = head.components(separatedBy: "\r\n")[0]
            requests.withLock { $0.append(requestLine) }
            let target = requestLine.split(separator: " ")[1]
            func write(_ s: String) async throws { try await outbound.write(ByteBuffer(string: s)) }
            // One request per connection, and it says so (a pooled client must not reuse it).
            if target.hasPrefix("/containerLogs/") {
                if target.contains("previous=true") {
                    let status = #"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"previous terminated container \"c1\" in pod \"p1\" not found","reason":"BadRequest","code":400}"#
                    try await write("HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: \(status.utf8.count)\r\n\r\n\(status)")
                } else if target.contains("follow=true") {
                    try await write("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n")
                    try await write("7\r\nline 1\n\r\n")
                    while !followGate.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(5)) }
                    try await write("7\r\nline 2\n\r\n0\r\n\r\n")
                } else {
                    let body = "hello from \(target)\n"
                    try await write("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
                }
                return
            }
            if target.hasPrefix("/portForward/") {
                try await write("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: portforward.k8s.io\r\n\r\n")
                if !rest.isEmpty { try await outbound.write(ByteBuffer(bytes: rest)) }
                while let chunk = try await iterator.next() { try await outbound.write(chunk) }
                tunnelClosed.withLock { $0 = true }
                return
            }
            // /exec, /attach: SPDY/3.1 with the streams the query asks for, opened in this order.
            try await write("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n\r\n")
            let query = target.split(separator: "?").dropFirst().first.map(String.init) ?? ""
            let tty = query.contains("tty=true")
            var kinds = ["error"]
            for name in ["stdin", "stdout", "stderr"] where query.contains("\(name)=true") && !(name == "stderr" && tty) { kinds.append(name) }
            if tty { kinds.append("resize") }
            var parser = SPDYFrameParser()
            parser.append(rest)
            var streams: [UInt32: String] = [:]
            func id(_ kind: String) -> UInt32? { streams.first { $0.value == kind }?.key }
            while true {
                while let frame = try parser.next() {
                    switch frame {
                    case .synStream(let stream, _):
                        streams[stream] = streams.count < kinds.count ? kinds[streams.count] : "?"
                    case .data(let stream, let payload, let fin):
                        let kind = streams[stream] ?? "?"
                        guard kind != "error" else { continue }
                        if !payload.isEmpty {
                            streamEvents.withLock { $0.append("\(kind) \(String(decoding: payload, as: UTF8.self))") }
                            if kind == "stdin", let out = id("stdout") {
                                try await outbound.write(ByteBuffer(bytes: SPDYFrameWriter.data(streamID: out, payload)))
                            }
                        }
                        if fin, kind == "stdin" {
                            streamEvents.withLock { $0.append("stdin EOF") }
                            if let err = id("stderr") { try await outbound.write(ByteBuffer(bytes: SPDYFrameWriter.data(streamID: err, Array("done\n".utf8)))) }
                            try await outbound.write(ByteBuffer(bytes: SPDYFrameWriter.data(streamID: 1, Array(#"{"metadata":{},"status":"Success"}"#.utf8), fin: true)))
                            return
                        }
                    default:
                        continue
                    }
                }
                guard let chunk = try await iterator.next() else { return }
                parser.append(Array(chunk.readableBytesView))
            }
        }
    }
}
