import APIMachinery
import CRI
import Foundation

/// Runs one probe of a container: exec through the runtime (ExecSync with the probe's timeout),
/// httpGet and tcpSocket against the pod IP (or the probe's host) on a numbered or named port.
public struct Prober: Sendable {
    public let runtime: any ContainerRuntime
    public let network: any ProbeNetwork

    public init(runtime: any ContainerRuntime, network: any ProbeNetwork = SocketProbeNetwork()) {
        self.runtime = runtime
        self.network = network
    }

    /// The outcome and, for a failure, the detail the kubelet puts in its Unhealthy event.
    public func run(_ probe: JSONValue, container: JSONValue, containerID: String, podIP: String) async -> (ProbeTracker.Result, String) {
        let timeout = TimeInterval(max(1, probe["timeoutSeconds"]?.intValue ?? 1))
        if let exec = probe["exec"] {
            let command = (exec["command"]?.arrayValue ?? []).compactMap(\.stringValue)
            do {
                let response = try await runtime.execSync(.with {
                    $0.containerID = containerID
                    $0.cmd = command
                    $0.timeout = Int64(timeout)
                })
                if response.exitCode == 0 { return (.success, "") }
                let output = String(decoding: response.stdout + response.stderr, as: UTF8.self)
                return (.failure, output.isEmpty ? "command \(Self.quote(command)) exited with \(response.exitCode)" : output)
            } catch {
                return (.failure, "\(error)")
            }
        }
        if let http = probe["httpGet"] {
            guard let port = Self.port(http["port"], container: container) else { return (.failure, "invalid port") }
            let host = http["host"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? podIP
            var headers: [(String, String)] = [("User-Agent", ProbeTracker.userAgent), ("Accept", "*/*")]
            for header in http["httpHeaders"]?.arrayValue ?? [] {
                let name = header["name"]?.stringValue ?? ""
                headers.removeAll { $0.0.lowercased() == name.lowercased() }
                headers.append((name, header["value"]?.stringValue ?? ""))
            }
            switch await network.httpGet(host: host, port: port, path: http["path"]?.stringValue ?? "/", headers: headers, timeout: timeout) {
            case .success(let code) where ProbeTracker.httpSucceeded(status: code):
                return (.success, "")
            case .success(let code):
                return (.failure, "HTTP probe failed with statuscode: \(code)")
            case .failure(let error):
                return (.failure, "Get \"http://\(host):\(port)\(http["path"]?.stringValue ?? "/")\": \(error.description)")
            }
        }
        if let tcp = probe["tcpSocket"] {
            guard let port = Self.port(tcp["port"], container: container) else { return (.failure, "invalid port") }
            let host = tcp["host"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? podIP
            if let error = await network.tcpCheck(host: host, port: port, timeout: timeout) { return (.failure, error) }
            return (.success, "")
        }
        return (.unknown, "")
    }

    /// A port number, or a container port's name.
    static func port(_ value: JSONValue?, container: JSONValue) -> Int? {
        if let number = value?.intValue { return Int(number) }
        guard let name = value?.stringValue else { return nil }
        if let number = Int(name) { return number }
        return (container["ports"]?.arrayValue ?? []).first { $0["name"]?.stringValue == name }?["containerPort"]?.intValue.map(Int.init)
    }

    static func quote(_ command: [String]) -> String { "[" + command.joined(separator: " ") + "]" }
}
