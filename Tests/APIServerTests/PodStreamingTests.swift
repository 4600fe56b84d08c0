import APIMachinery
import APIServer
import Foundation
import HTTPTypes
import HummingbirdWSClient
import Logging
import NIOCore
import Synchronization
import Testing

@Suite(.serialized, .timeLimit(.minutes(2))) struct PodStreamingTests {
    static var logger: Logger {
        var logger = Logger(label: "ws-test-client")
        logger.logLevel = .error
        return logger
    }

    static func protocols(_ value: String) -> WebSocketClientConfiguration {
        WebSocketClientConfiguration(additionalHeaders: [HTTPField.Name("Sec-WebSocket-Protocol")!: value])
    }

    // MARK: logs

    @Test func logsAreProxiedFromTheKubelet() async throws {
        let kubelet = try await StubKubelet()
        defer { kubelet.stop() }
        try await TestAPIServer.run { server in
            try await server.addNodeAndPod(kubeletPort: kubelet.port)
            let answer = try await RawHTTP.request(port: server.port,
                "GET /api/v1/namespaces/default/pods/p1/log?container=c1&tailLines=5&timestamps=true HTTP/1.1")
            #expect(answer.status == 200)
            #expect(answer.headers["content-type"] == "text/plain")
            #expect(answer.text == "hello from /containerLogs/default/p1/c1?tailLines=5&timestamps=true\n")
            // Without container= a single-container pod uses its container.
            let defaulted = try await RawHTTP.request(port: server.port, "GET /api/v1/namespaces/default/pods/p1/log HTTP/1.1")
            #expect(defaulted.text == "hello from /containerLogs/default/p1/c1\n")
        }
    }

    @Test func followedLogsFlowLineByLine() async throws {
        let kubelet = try await StubKubelet()
        defer { kubelet.stop() }
        try await TestAPIServer.run { server in
            try await server.addNodeAndPod(kubeletPort: kubelet.port)
            // The kubelet holds line 2 until line 1 has reached the client: a buffering proxy hangs here.
            let answer = try await RawHTTP.request(port: server.port,
                "GET /api/v1/namespaces/default/pods/p1/log?container=c1&follow=true HTTP/1.1") { soFar in
                if soFar.contains("line 1\n") { kubelet.followGate.withLock { $0 = true } }
            }
            #expect(answer.status == 200)
            #expect(answer.headers["transfer-encoding"] == "chunked")
            #expect(answer.text == "line 1\nline 2\n")
        }
    }

    @Test func logValidationErrors() async throws {
        let kubelet = try await StubKubelet()
        defer { kubelet.stop() }
        try await TestAPIServer.run { server in
            try await server.addNodeAndPod(kubeletPort: kubelet.port, pod: "two", containers: ["a", "b"])
            func status(_ path: String) async throws -> (Int, JSONValue) {
                let answer = try await RawHTTP.request(port: server.port, "GET \(path) HTTP/1.1")
                return (answer.status, try JSONValue.parse(answer.body))
            }
            var (code, body) = try await status("/api/v1/namespaces/default/pods/nope/log")
            #expect(code == 404)
            #expect(body["message"] == "pods \"nope\" not found")
            (code, body) = try await status("/api/v1/namespaces/default/pods/two/log")
            #expect(code == 400)
            #expect(body["message"] == "a container name must be specified for pod two, choose one of: [a b]")
            (code, body) = try await status("/api/v1/namespaces/default/pods/two/log?container=z")
            #expect(code == 400)
            #expect(body["message"] == "container z is not valid for pod two")
            (code, body) = try await status("/api/v1/namespaces/default/pods/two/log?container=a&tailLines=-1")
            #expect(code == 422)
            #expect(body["reason"] == "Invalid")
            // The kubelet's own Status passes through with its code.
            (code, body) = try await status("/api/v1/namespaces/default/pods/two/log?container=a&previous=true")
            #expect(code == 400)
            #expect(body["message"] == "previous terminated container \"c1\" in pod \"p1\" not found")
            #expect(kubelet.requests.withLock { $0 }.count == 1)
        }
    }

    @Test func unreachableKubeletIsAnInternalError() async throws {
        let kubelet = try await StubKubelet()
        let port = kubelet.port
        kubelet.stop()
        try await Task.sleep(for: .milliseconds(100))
        try await TestAPIServer.run { server in
            try await server.addNodeAndPod(kubeletPort: port)
            let answer = try await RawHTTP.request(port: server.port, "GET /api/v1/namespaces/default/pods/p1/log HTTP/1.1")
            #expect(answer.status == 500)
            let body = try JSONValue.parse(answer.body)
            #expect(body["message"] == .string("error dialing backend: dial tcp 127.0.0.1:\(port): connect: connection refused"))
        }
    }

    // MARK: exec / attach

    @Test func execRoundTripsFramesWithV5() async throws {
        let kubelet = try await StubKubelet()
        defer { kubelet.stop() }
        try await TestAPIServer.run { server in
            try await server.addNodeAndPod(kubeletPort: kubelet.port)
            let received = Mutex<[[UInt8]]>([])
            let url = "ws://127.0.0.1:\(server.port)/api/v1/namespaces/default/pods/p1/exec?command=sh&command=-c&command=echo%20hi&container=c1&stdin=true&stdout=true&stderr=true"
            let close = try await WebSocketClient.connect(url: url, configuration: Self.protocols("v5.channel.k8s.io"), logger: Self.logger) {
                inbound, outbound, _ in
                try await outbound.write(.binary(ByteBuffer(bytes: [0] + Array("hello".utf8))))
                var messages = inbound.messages(maxSize: 1 << 20).makeAsyncIterator()
                if case .binary(let first)? = try await messages.next() { received.withLock { $0.append(Array(first.readableBytesView)) } }
                // v5's stdin CLOSE reaches the kubelet as the end of the SPDY stdin stream.
                try await outbound.write(.binary(ByteBuffer(bytes: [255, 0])))
                while let message = try await messages.next() {
                    if case .binary(let data) = message { received.withLock { $0.append(Array(data.readableBytesView)) } }
                }
            }
            let frames = received.withLock { $0 }
            #expect(frames.count == 3)
            #expect(frames.first == [1] + Array("hello".utf8))
            #expect(frames.dropFirst().first == [2] + Array("done\n".utf8))
            #expect(frames.last.map { String(decoding: $0.dropFirst(), as: UTF8.self) } == #"{"metadata":{},"status":"Success"}"#)
            #expect(frames.last?.first == 3)
            #expect(close?.closeCode == .normalClosure)
            #expect(kubelet.streamEvents.withLock { $0 } == ["stdin hello", "stdin EOF"])
            #expect(kubelet.requests.withLock { $0 } == ["POST /exec/default/p1/c1?command=sh&command=-c&command=echo%20hi&stdin=true&stdout=true&stderr=true HTTP/1.1"])
        }
    }

    @Test func upgradeNegotiatesTheSubprotocol() async throws {
        let kubelet = try await StubKubelet()
        defer { kubelet.stop() }
        try await TestAPIServer.run { server in
            try await server.addNodeAndPod(kubeletPort: kubelet.port)
            let upgrade = ["Connection: Upgrade", "Upgrade: websocket", "Sec-WebSocket-Version: 13", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="]
            // The Python client offers v5 and v4: v5 wins. The socket is then closed by the client (EOF).
            let python = try await RawHTTP.request(port: server.port, "GET /api/v1/namespaces/default/pods/p1/attach?container=c1&stdout=true HTTP/1.1",
                                                   headers: upgrade + ["Sec-WebSocket-Protocol: v5.channel.k8s.io,v4.channel.k8s.io"])
            #expect(python.status == 101)
            #expect(python.headers["sec-websocket-protocol"] == "v5.channel.k8s.io")
            #expect(python.headers["sec-websocket-accept"] == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
        }
    }

    @Test func refusedUpgradesAnswerAStatus() async throws {
        let kubelet = try await StubKubelet()
        defer { kubelet.stop() }
        try await TestAPIServer.run { server in
            try await server.addNodeAndPod(kubeletPort: kubelet.port)
            try await server.addNodeAndPod(kubeletPort: kubelet.port, pod: "done", phase: "Succeeded")
            let upgrade = ["Connection: Upgrade", "Upgrade: websocket", "Sec-WebSocket-Version: 13", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
                           "Sec-WebSocket-Protocol: v5.channel.k8s.io"]
            func refused(_ target: String) async throws -> (Int, String) {
                let answer = try await RawHTTP.request(port: server.port, "GET \(target) HTTP/1.1", headers: upgrade)
                return (answer.status, (try? JSONValue.parse(answer.body))?["message"]?.stringValue ?? answer.text)
            }
            #expect(try await refused("/api/v1/namespaces/default/pods/nope/exec?command=ls&stdout=true") == (404, "pods \"nope\" not found"))
            #expect(try await refused("/api/v1/namespaces/default/pods/p1/exec?command=ls&stdout=true&container=zz")
                == (400, "container zz is not valid for pod p1"))
            #expect(try await refused("/api/v1/namespaces/default/pods/p1/exec?stdout=true") == (400, "you must specify at least 1 command"))
            #expect(try await refused("/api/v1/namespaces/default/pods/done/exec?command=ls&stdout=true")
                == (400, "cannot exec into a container in a completed pod; current phase is Succeeded"))
            // A plain request (no upgrade) to a valid pod.
            let plain = try await RawHTTP.request(port: server.port, "GET /api/v1/namespaces/default/pods/p1/exec?command=ls&stdout=true HTTP/1.1")
            #expect(plain.status == 400)
            #expect(kubelet.requests.withLock { $0 }.isEmpty)
            // Everything else is served as before on the same server.
            let pod = try await RawHTTP.request(port: server.port, "GET /api/v1/namespaces/default/pods/p1 HTTP/1.1")
            #expect(pod.status == 200)
        }
    }

    @Test func kubeletFailureAfterTheUpgradeIsReportedOnChannel3() async throws {
        let kubelet = try await StubKubelet()
        let port = kubelet.port
        kubelet.stop()
        try await Task.sleep(for: .milliseconds(100))
        try await TestAPIServer.run { server in
            try await server.addNodeAndPod(kubeletPort: port)
            let received = Mutex<[[UInt8]]>([])
            let url = "ws://127.0.0.1:\(server.port)/api/v1/namespaces/default/pods/p1/exec?command=ls&container=c1&stdout=true"
            let close = try await WebSocketClient.connect(url: url, configuration: Self.protocols("v5.channel.k8s.io"), logger: Self.logger) {
                inbound, _, _ in
                for try await message in inbound.messages(maxSize: 1 << 20) {
                    if case .binary(let data) = message { received.withLock { $0.append(Array(data.readableBytesView)) } }
                }
            }
            let frames = received.withLock { $0 }
            #expect(frames.count == 1)
            #expect(frames.first?.first == 3)
            let status = try JSONValue.parse(Array(frames.first?.dropFirst() ?? []))
            #expect(status["status"] == "Failure")
            #expect(status["message"]?.stringValue?.hasPrefix("error dialing backend: dial tcp 127.0.0.1:\(port)") == true)
            #expect(close?.closeCode == .normalClosure)
        }
    }

    // MARK: port-forward

    @Test func portForwardTunnelsSPDYBytes() async throws {
        let kubelet = try await StubKubelet()
        defer { kubelet.stop() }
        try await TestAPIServer.run { server in
            try await server.addNodeAndPod(kubeletPort: kubelet.port)
            let echoed = Mutex<[UInt8]>([])
            let url = "ws://127.0.0.1:\(server.port)/api/v1/namespaces/default/pods/p1/portforward"
            _ = try await WebSocketClient.connect(url: url, configuration: Self.protocols("SPDY/3.1+portforward.k8s.io"), logger: Self.logger) {
                inbound, outbound, _ in
                try await outbound.write(.binary(ByteBuffer(string: "abc")))
                // kubectl writes empty messages: not an end of stream.
                try await outbound.write(.binary(ByteBuffer()))
                try await outbound.write(.binary(ByteBuffer(bytes: [0x80, 0x03, 0x00, 0x06, 0, 0, 0, 4, 0, 0, 0, 1])))
                for try await message in inbound.messages(maxSize: 1 << 20) {
                    if case .binary(let data) = message { echoed.withLock { $0 += data.readableBytesView } }
                    if echoed.withLock({ $0.count }) >= 15 { break }
                }
            }
            #expect(echoed.withLock { $0 } == Array("abc".utf8) + [0x80, 0x03, 0x00, 0x06, 0, 0, 0, 4, 0, 0, 0, 1])
            #expect(kubelet.requests.withLock { $0 } == ["POST /portForward/default/p1 HTTP/1.1"])
            // The client went away: the tunnel to the kubelet is closed too.
            let deadline = ContinuousClock.now + .seconds(5)
            while !kubelet.tunnelClosed.withLock({ $0 }), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
            #expect(kubelet.tunnelClosed.withLock { $0 })
        }
    }
}

extension PodStreamingTests {
    /// kubectl's fallback after a refused WebSocket upgrade: `POST … Upgrade: SPDY/3.1`. It must get the
    /// Status (not a dropped connection).
    @Test func spdyFallbackGetsTheStatus() async throws {
        let kubelet = try await StubKubelet()
        defer { kubelet.stop() }
        try await TestAPIServer.run { server in
            try await server.addNodeAndPod(kubeletPort: kubelet.port)
            let spdy = ["Connection: Upgrade", "Upgrade: SPDY/3.1", "X-Stream-Protocol-Version: v4.channel.k8s.io"]
            let invalid = try await RawHTTP.request(port: server.port,
                "POST /api/v1/namespaces/default/pods/p1/exec?command=ls&container=nope&stdout=true HTTP/1.1", headers: spdy)
            #expect(invalid.status == 400)
            #expect((try JSONValue.parse(invalid.body))["message"] == "container nope is not valid for pod p1")
            let valid = try await RawHTTP.request(port: server.port,
                "POST /api/v1/namespaces/default/pods/p1/exec?command=ls&container=c1&stdout=true HTTP/1.1", headers: spdy)
            #expect(valid.status == 400)
            #expect(kubelet.requests.withLock { $0 }.isEmpty)
        }
    }
}
