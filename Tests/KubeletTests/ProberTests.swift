import APIMachinery
import CRI
import Foundation
import Kubelet
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A loopback TCP server answering every connection with `response` (nil: close at once).
final class LoopbackServer: @unchecked Sendable {
    let fd: Int32
    let port: Int
    /// Closed once: a second close could close a descriptor another test has opened meanwhile.
    let flags = FlagSet()

    init(response: String?) throws {
        let sock = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var on: Int32 = 1
        setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(sock, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0, listen(sock, 16) == 0 else { throw ProbeNetworkError("bind/listen failed") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(sock, $0, &length) } }
        fd = sock
        port = Int(UInt16(bigEndian: address.sin_port))
        let fd = sock
        let flags = self.flags
        Thread.detachNewThread {
            while !flags.isSet("stopped") {
                let client = accept(fd, nil, nil)
                if client < 0 { return }
                if let response {
                    var buffer = [UInt8](repeating: 0, count: 4096)
                    _ = buffer.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
                    let bytes = Array(response.utf8)
                    _ = bytes.withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                }
                close(client)
            }
        }
    }

    func stop() {
        guard flags.setOnce("stopped") else { return }
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
    }
}

@Suite struct ProberTests {
    @Test func execProbesThroughTheRuntime() async throws {
        let runtime = FakeContainerRuntime()
        await runtime.setExecHandler { _, cmd in
            .with {
                $0.exitCode = cmd.last == "ok" ? 0 : 1
                $0.stdout = Data((cmd.last == "ok" ? "" : "not healthy\n").utf8)
            }
        }
        let sandbox = try await runtime.runPodSandbox(.with { $0.config.metadata = .with { $0.name = "p"; $0.uid = "u"; $0.namespace = "default" } }).podSandboxID
        await runtime.addImage("busybox:1.36")
        let id = try await runtime.createContainer(.with {
            $0.podSandboxID = sandbox
            $0.config = .with { $0.metadata = .with { $0.name = "c" }; $0.image = .with { $0.image = "busybox:1.36" } }
        }).containerID
        _ = try await runtime.startContainer(.with { $0.containerID = id })
        let prober = Prober(runtime: runtime)
        let ok = await prober.run(["exec": ["command": ["check", "ok"]]], container: [:], containerID: id, podIP: "")
        #expect(ok.0 == .success)
        let bad = await prober.run(["exec": ["command": ["check", "bad"]]], container: [:], containerID: id, podIP: "")
        #expect(bad.0 == .failure && bad.1 == "not healthy\n")
        #expect(await prober.run([:], container: [:], containerID: id, podIP: "").0 == .unknown)
    }

    @Test func httpAndTcpProbesOnLoopback() async throws {
        let healthy = try LoopbackServer(response: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        let failing = try LoopbackServer(response: "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n")
        defer { healthy.stop(); failing.stop() }
        let prober = Prober(runtime: FakeContainerRuntime())
        let container: JSONValue = ["ports": [["name": "http", "containerPort": .int(Int64(healthy.port))]]]
        let named = await prober.run(["httpGet": ["path": "/healthz", "port": "http"]], container: container, containerID: "", podIP: "127.0.0.1")
        #expect(named.0 == .success)
        let bad = await prober.run(["httpGet": ["path": "/", "port": .int(Int64(failing.port))]], container: [:], containerID: "", podIP: "127.0.0.1")
        #expect(bad.0 == .failure && bad.1 == "HTTP probe failed with statuscode: 503")
        let tcp = await prober.run(["tcpSocket": ["port": .int(Int64(healthy.port))]], container: [:], containerID: "", podIP: "127.0.0.1")
        #expect(tcp.0 == .success)
        // A closed port is refused.
        let closedPort = failing.port
        failing.stop()
        try await Task.sleep(for: .milliseconds(50))
        let refused = await prober.run(["tcpSocket": ["port": .int(Int64(closedPort))]], container: [:], containerID: "", podIP: "127.0.0.1")
        #expect(refused.0 == .failure && refused.1 == "dial tcp 127.0.0.1:\(closedPort): connect: connection refused")
        let refusedHTTP = await prober.run(["httpGet": ["path": "/", "port": .int(Int64(closedPort))]], container: [:], containerID: "", podIP: "127.0.0.1")
        #expect(refusedHTTP.1.hasPrefix("Get \"http://127.0.0.1:\(closedPort)/\": dial tcp"))
    }
}
