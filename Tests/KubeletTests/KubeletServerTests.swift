import APIMachinery
import ClientLoopback
import Registry
import Storage
import CRI
import Foundation
import Kubelet
import NIOCore
import NIOPosix
import Synchronization
import Testing

/// The kubelet server on loopback, over a fake runtime and a temporary log directory.
@Suite struct KubeletServerTests {
    struct Setup {
        let runtime: FakeContainerRuntime
        let server: KubeletServer
        let port: Int
        let root: String
        let pod: JSONValue
        let configs: CRIConfigs
        let sandboxID: String
    }

    static let uid = "uid-web"

    func setUp(statsSummary: KubeletServer.StatsSummary? = nil) async throws -> Setup {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("swiftlet-ks-\(UUID().uuidString)").path
        let configs = CRIConfigs(logRoot: root)
        let pod: JSONValue = ["metadata": ["name": "web", "namespace": "default", "uid": .string(Self.uid)],
                              "spec": ["containers": [["name": "app", "image": "busybox"]]]]
        let runtime = FakeContainerRuntime()
        await runtime.addImage("busybox")
        let sandboxID = try await runtime.runPodSandbox(.with {
            $0.config.metadata = .with { $0.name = "web"; $0.namespace = "default"; $0.uid = Self.uid }
            $0.config.labels = [CRIConfigs.podUIDLabel: Self.uid]
            $0.config.logDirectory = configs.logDirectory(pod)
        }).podSandboxID
        let server = KubeletServer(host: "127.0.0.1", port: 0, runtime: runtime, configs: configs,
                                   pod: { namespace, name -> JSONValue? in namespace == "default" && name == "web" ? pod : JSONValue?.none },
                                   statsSummary: statsSummary, logPollInterval: .milliseconds(20))
        let port = try await server.start()
        return Setup(runtime: runtime, server: server, port: port, root: root, pod: pod, configs: configs, sandboxID: sandboxID)
    }

    /// Creates and starts container "app" (attempt `attempt`) with `log` in its log file; answers its id.
    @discardableResult
    func startApp(_ s: Setup, attempt: UInt32 = 0, log: String) async throws -> String {
        let directory = "\(s.configs.logDirectory(s.pod))/app"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try Data(log.utf8).write(to: URL(fileURLWithPath: "\(directory)/\(attempt).log"))
        let id = try await s.runtime.createContainer(.with {
            $0.podSandboxID = s.sandboxID
            $0.config.metadata = .with { $0.name = "app"; $0.attempt = attempt }
            $0.config.image.image = "busybox"
            $0.config.logPath = "app/\(attempt).log"
            $0.config.labels = [CRIConfigs.podUIDLabel: Self.uid, CRIConfigs.containerNameLabel: "app"]
        }).containerID
        _ = try await s.runtime.startContainer(.with { $0.containerID = id })
        return id
    }

    func tearDown(_ s: Setup) async {
        await s.server.stop()
        try? FileManager.default.removeItem(atPath: s.root)
    }

    @Test func healthzAndStatsSummary() async throws {
        let s = try await setUp(statsSummary: { ["node": ["nodeName": "n1"], "pods": []] })
        defer { Task { await tearDown(s) } }
        let health = try await get(s.port, "/healthz")
        #expect(health.code == 200 && health.body == "ok")
        let stats = try await get(s.port, "/stats/summary")
        #expect(stats.code == 200)
        #expect(try JSONValue.parse(stats.body)["node"]?["nodeName"] == "n1")
        let none = try await setUp()
        defer { Task { await tearDown(none) } }
        #expect(try await get(none.port, "/stats/summary").code == 404)
        let unknown = try await get(none.port, "/nothing")
        #expect(unknown.code == 404 && unknown.body.contains("\"kind\":\"Status\""))
    }

    @Test func servesLogsWithTheirOptions() async throws {
        let s = try await setUp()
        defer { Task { await tearDown(s) } }
        try await startApp(s, log: "2026-11-30T10:00:00Z stdout F one\n2026-11-30T10:00:01Z stderr F two\n2026-11-30T10:00:02Z stdout F three\n")
        let all = try await get(s.port, "/containerLogs/default/web/app")
        #expect(all.code == 200)
        #expect(all.body == "one\ntwo\nthree\n")
        #expect(try await get(s.port, "/containerLogs/default/web/app?tailLines=1&timestamps=true").body
            == "2026-11-30T10:00:02.000000000Z three\n")
        #expect(try await get(s.port, "/containerLogs/default/web/app?sinceTime=2026-11-30T10%3A00%3A01Z&limitBytes=5").body == "two\nt")

        // Errors: unknown pod, unknown container, no previous instance.
        let missing = try await get(s.port, "/containerLogs/default/nope/app")
        #expect(missing.code == 404, "\(missing.body)")
        let status = try JSONValue.parse(missing.body)
        #expect(status["kind"] == "Status" && status["reason"] == "NotFound" && status["message"] == "pods \"nope\" not found")
        let badContainer = try await get(s.port, "/containerLogs/default/web/other")
        #expect(badContainer.code == 400)
        #expect(try JSONValue.parse(badContainer.body)["message"] == "container other is not valid for pod web")
        let noPrevious = try await get(s.port, "/containerLogs/default/web/app?previous=true")
        #expect(noPrevious.code == 400)
        #expect(try JSONValue.parse(noPrevious.body)["message"] == "previous terminated container \"app\" in pod \"web\" not found")
    }

    @Test func previousReadsTheEarlierInstance() async throws {
        let s = try await setUp()
        defer { Task { await tearDown(s) } }
        let first = try await startApp(s, log: "2026-11-30T10:00:00Z stdout F first run\n")
        try await s.runtime.exitContainer(first, exitCode: 1)
        try await startApp(s, attempt: 1, log: "2026-11-30T10:01:00Z stdout F second run\n")
        #expect(try await get(s.port, "/containerLogs/default/web/app").body == "second run\n")
        #expect(try await get(s.port, "/containerLogs/default/web/app?previous=true").body == "first run\n")
    }

    @Test func followStreamsNewLinesUntilTheContainerExits() async throws {
        let s = try await setUp()
        defer { Task { await tearDown(s) } }
        let id = try await startApp(s, log: "2026-11-30T10:00:00Z stdout F before\n")
        let client = try await RawClient.connect(port: s.port)
        try await client.send("GET /containerLogs/default/web/app?follow=true HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        #expect(await eventually { client.received.text.contains("before\n") })
        #expect(client.received.text.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(client.received.text.lowercased().contains("transfer-encoding: chunked"))
        let path = "\(s.configs.logDirectory(s.pod))/app/0.log"
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("2026-11-30T10:00:01Z stdout F appended\n".utf8))
        #expect(await eventually { client.received.text.contains("appended\n") })
        #expect(!client.received.closed)
        try handle.write(contentsOf: Data("2026-11-30T10:00:02Z stdout F last words\n".utf8))
        try handle.close()
        try await s.runtime.exitContainer(id, exitCode: 0)
        #expect(await eventually { client.received.closed })
        #expect(client.received.text.contains("last words\n"))
        #expect(client.received.text.hasSuffix("0\r\n\r\n"))
    }

    @Test func followEndsWhenTheClientHangsUp() async throws {
        let s = try await setUp()
        defer { Task { await tearDown(s) } }
        try await startApp(s, log: "2026-11-30T10:00:00Z stdout F hello\n")
        let client = try await RawClient.connect(port: s.port)
        try await client.send("GET /containerLogs/default/web/app?follow=true HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(await eventually { client.received.text.contains("hello\n") })
        await client.close()
        // The server still answers other requests afterwards.
        #expect(try await get(s.port, "/healthz").body == "ok")
    }

    @Test func execUpgradeIsSplicedToTheStreamingServer() async throws {
        let s = try await setUp()
        defer { Task { await tearDown(s) } }
        let id = try await startApp(s, log: "")
        let stub = try await EchoStreamingServer.start()
        defer { Task { await stub.stop() } }
        await s.runtime.setStreamingURL("http://127.0.0.1:\(stub.port)/exec/token123")

        let client = try await RawClient.connect(port: s.port)
        try await client.send("POST /exec/default/web/app?command=sh&command=-c&command=echo+hi&stdin=true&stdout=true HTTP/1.1\r\n"
            + "Host: 10.0.0.5:10250\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: abc==\r\n"
            + "Sec-WebSocket-Protocol: v4.channel.k8s.io\r\n\r\n")
        #expect(await eventually { client.received.text.contains("\r\n\r\n") })
        #expect(client.received.text.hasPrefix("HTTP/1.1 101 Switching Protocols\r\n"))
        try await client.send("ping-bytes")
        #expect(await eventually { client.received.text.hasSuffix("\r\n\r\nping-bytes") })

        let head = try #require(stub.received.heads.withLock { $0.first })
        #expect(head.hasPrefix("POST /exec/token123?command=sh&command=-c&command=echo+hi&stdin=true&stdout=true HTTP/1.1\r\n"))
        #expect(head.contains("\r\nHost: 127.0.0.1:\(stub.port)\r\n"))
        #expect(!head.contains("10.0.0.5"))
        #expect(head.contains("\r\nUpgrade: websocket\r\n") && head.contains("\r\nConnection: Upgrade\r\n"))
        #expect(head.contains("\r\nSec-WebSocket-Key: abc==\r\n") && head.contains("\r\nSec-WebSocket-Protocol: v4.channel.k8s.io\r\n"))
        let exec = await s.runtime.calls(to: .exec)
        #expect(exec.map(\.target) == [id])

        // The client hanging up closes the streaming server's side.
        await client.close()
        #expect(await eventually { stub.received.closed })
    }

    @Test func streamingServerClosingEndsTheClientsConnection() async throws {
        let s = try await setUp()
        defer { Task { await tearDown(s) } }
        try await startApp(s, log: "")
        let stub = try await EchoStreamingServer.start()
        defer { Task { await stub.stop() } }
        await s.runtime.setStreamingURL("http://127.0.0.1:\(stub.port)/portforward/tok")
        let client = try await RawClient.connect(port: s.port)
        try await client.send("GET /portForward/default/web?port=80 HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n"
            + "X-Stream-Protocol-Version: portforward.k8s.io\r\n\r\nearly")  // bytes right after the head are kept
        #expect(await eventually { client.received.text.hasSuffix("\r\n\r\nearly") })
        let head = try #require(stub.received.heads.withLock { $0.first })
        #expect(head.hasPrefix("GET /portforward/tok?port=80 HTTP/1.1\r\n"))
        #expect(head.contains("\r\nX-Stream-Protocol-Version: portforward.k8s.io\r\n"))
        try await client.send("close")  // the stub closes on this
        #expect(await eventually { client.received.closed })
        #expect(client.received.text.hasSuffix("close"))
    }

    @Test func upgradeErrorsAreStatuses() async throws {
        let s = try await setUp()
        defer { Task { await tearDown(s) } }
        let id = try await startApp(s, log: "")
        let upgrade = "Connection: Upgrade\r\nUpgrade: websocket\r\n"
        let unknownPod = try await get(s.port, "/exec/default/nope/app?command=sh&stdout=true", extra: upgrade)
        #expect(unknownPod.code == 404)
        #expect(try JSONValue.parse(unknownPod.body)["message"] == "pods \"nope\" not found")
        let unknownContainer = try await get(s.port, "/attach/default/web/zzz?stdout=true", extra: upgrade)
        #expect(unknownContainer.code == 400)
        try await s.runtime.exitContainer(id, exitCode: 0)
        let notRunning = try await get(s.port, "/exec/default/web/app?command=sh&stdout=true", extra: upgrade)
        #expect(notRunning.code == 404)
        #expect(try JSONValue.parse(notRunning.body)["message"] == "container not found (\"app\")")
        let noUpgrade = try await get(s.port, "/exec/default/web/app?command=sh&stdout=true")
        #expect(noUpgrade.code == 400)
        // A streaming server that is not there.
        try await startApp(s, attempt: 1, log: "")
        await s.runtime.setStreamingURL("http://127.0.0.1:1/exec/x")
        let refused = try await get(s.port, "/exec/default/web/app?command=sh&stdout=true", extra: upgrade)
        #expect(refused.code == 500)
        #expect(try JSONValue.parse(refused.body)["message"]?.stringValue?.contains("error dialing backend") == true)
    }

    // MARK: Clients

    struct Response {
        var code: Int
        var body: String
    }

    /// One request with `Connection: close`; the body de-chunked.
    func get(_ port: Int, _ path: String, extra: String = "") async throws -> Response {
        let client = try await RawClient.connect(port: port)
        let connection = extra.isEmpty ? "Connection: close\r\n" : ""
        try await client.send("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\(connection)\(extra)\r\n")
        _ = await eventually { client.received.closed }
        await client.close()
        let text = client.received.text
        guard let split = text.range(of: "\r\n\r\n") else { return Response(code: 0, body: "") }
        let head = text[..<split.lowerBound]
        let code = Int(head.split(separator: " ").dropFirst().first ?? "") ?? 0
        var body = String(text[split.upperBound...])
        if head.lowercased().contains("transfer-encoding: chunked") { body = Self.dechunk(body) }
        return Response(code: code, body: body)
    }

    static func dechunk(_ text: String) -> String {
        var rest = Substring(text), out = ""
        while let line = rest.range(of: "\r\n"), let size = Int(rest[..<line.lowerBound], radix: 16), size > 0 {
            let start = line.upperBound
            let end = rest.utf8.index(start, offsetBy: size)
            out += rest[start..<end]
            rest = rest[end...].dropFirst(2)
        }
        return out
    }
}

/// A raw TCP client that collects what it receives.
final class RawClient: Sendable {
    let channel: any Channel
    let received: Received

    init(channel: any Channel, received: Received) {
        self.channel = channel
        self.received = received
    }

    static func connect(port: Int) async throws -> RawClient {
        let received = Received()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Collector(received)) }
            }
            .connect(host: "127.0.0.1", port: port).get()
        return RawClient(channel: channel, received: received)
    }

    func send(_ text: String) async throws {
        try await channel.writeAndFlush(ByteBuffer(string: text)).get()
    }

    func close() async { try? await channel.close().get() }
}

/// Appends what a channel reads to a `Received`; marks it closed at the end.
final class Collector: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let received: Received
    init(_ received: Received) { self.received = received }
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        received.append(Array(buffer: unwrapInboundIn(data)))
    }
    func channelInactive(context: ChannelHandlerContext) {
        received.closed = true
        context.fireChannelInactive()
    }
}

/// A stand-in for containerd's streaming server: records the request head, answers 101, then echoes
/// bytes; closes after echoing "close".
final class EchoStreamingServer: Sendable {
    let channel: any Channel
    let received: Received
    var port: Int { channel.localAddress?.port ?? 0 }

    init(channel: any Channel, received: Received) {
        self.channel = channel
        self.received = received
    }

    static func start() async throws -> EchoStreamingServer {
        let received = Received()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Echo(received)) }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return EchoStreamingServer(channel: channel, received: received)
    }

    func stop() async { try? await channel.close().get() }

    final class Echo: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let received: Received
        var head: [UInt8] = []
        var upgraded = false
        init(_ received: Received) { self.received = received }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var bytes = Array(buffer: unwrapInboundIn(data))
            if !upgraded {
                head += bytes
                guard let end = String(decoding: head, as: UTF8.self).range(of: "\r\n\r\n") else { return }
                let text = String(decoding: head, as: UTF8.self)
                received.heads.withLock { $0.append(String(text[..<end.upperBound])) }
                bytes = Array(text[end.upperBound...].utf8)
                upgraded = true
                context.writeAndFlush(wrapOutboundOut(ByteBuffer(string:
                    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")), promise: nil)
            }
            guard !bytes.isEmpty else { return }
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: bytes)), promise: nil)
            if String(decoding: bytes, as: UTF8.self).hasSuffix("close") { context.close(promise: nil) }
        }

        func channelInactive(context: ChannelHandlerContext) {
            received.closed = true
            context.fireChannelInactive()
        }
    }
}

@Suite struct KubeletServerNodeTests {
    @Test func theKubeletServesOnTheNodeIPAndTheNodeReportsTheBoundPort() async throws {
        let registry = Registry(storage: MemoryStorage(), definitions: Registry.builtInDefinitions(), schema: BuiltInSchema())
        try await registry.bootstrap()
        let client = LoopbackClient(registry: registry)
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("swiftlet-ksn-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        var options = KubeletOptions(nodeName: "node-s", rootDirectory: root)
        options.serverPort = 0
        options.statsSummary = { ["node": ["nodeName": "node-s"]] }
        let facts = HostFacts(hostname: "node-s", internalIP: "127.0.0.1", cpus: 2, memoryBytes: 4 << 30, ephemeralStorageBytes: 20 << 30)
        let kubelet = Kubelet(client: client, runtime: FakeContainerRuntime(), options: options, facts: facts)
        let task = Task { await kubelet.run() }
        defer { task.cancel() }
        #expect(await eventually {
            let node = try? await client.get(.nodes, name: "node-s")
            return node?["status"]?["daemonEndpoints"]?["kubeletEndpoint"]?["Port"]?.intValue.map(Int.init) == kubelet.kubeletPort
        })
        let port = kubelet.kubeletPort
        #expect(port != 0 && port != 10250)
        let client2 = try await RawClient.connect(port: port)
        try await client2.send("GET /stats/summary HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        #expect(await eventually { client2.received.closed })
        #expect(client2.received.text.hasPrefix("HTTP/1.1 200 OK\r\n") && client2.received.text.contains("node-s"))
        // Stopping the kubelet stops its server.
        task.cancel()
        _ = await task.value
        // (Tests run in parallel: the freed port may already belong to another test's server.)
        if let again = try? await RawClient.connect(port: port) {
            try await again.send("GET /stats/summary HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            _ = await eventually { again.received.closed }
            #expect(!again.received.text.contains("node-s"))
        }
    }
}
