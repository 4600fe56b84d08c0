import Foundation

/// A `swiftlet server` child process started from this very binary.
struct BenchServer {
    let process: Process
    let port: Int
    let started: ContinuousClock.Instant

    static func start(dataDir: String, port: Int, extraArguments: [String] = []) throws -> BenchServer {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.arguments = ["server", "--data-dir", dataDir, "--port", String(port),
                             "--write-kubeconfig", dataDir + "/kubeconfig.yaml", "--disable-agent", "--log-level", "warning"] + extraArguments
        process.standardOutput = FileHandle.nullDevice
        let started = ContinuousClock.now
        try process.run()
        return BenchServer(process: process, port: port, started: started)
    }

    /// Fails when something already listens on the port (it would be measured instead of our server).
    static func ensurePortFree(_ port: Int) async throws {
        if (try? await BenchHTTPConnection.connect(host: "127.0.0.1", port: port).channel.close()) != nil {
            throw BenchError("port \(port) is in use; choose another with --port")
        }
    }

    /// Seconds from spawn until /readyz answered 200.
    func waitReady() async throws -> Double {
        for _ in 0..<2000 {
            guard process.isRunning else { throw BenchError("the server exited with status \(process.terminationStatus)") }
            if let status = try? await BenchHTTPConnection.withConnection(host: "127.0.0.1", port: port, { request in
                try await request(.GET, "/readyz", nil).status
            }), status == 200 {
                let elapsed = ContinuousClock.now - started
                return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            }
            try await Task.sleep(for: .milliseconds(2))
        }
        throw BenchError("server did not become ready")
    }

    func rssMegabytes() -> Double {
        guard let status = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8) else { return .nan }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let kb = line.split(separator: " ").compactMap { Double($0) }.first ?? .nan
            return kb / 1024
        }
        return .nan
    }

    /// Peak resident set size so far (VmHWM).
    func peakRSSMegabytes() -> Double { procStatusMegabytes(pid: process.processIdentifier, field: "VmHWM:") }

    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }
}
