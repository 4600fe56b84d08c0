import APIMachinery
import CRI
import Foundation

/// A container's postStart and preStop handlers, as the kubelet runs them: `exec` in the container,
/// `httpGet` against the pod IP (or the handler's host), `sleep` for its seconds; `tcpSocket` is
/// accepted and does nothing (deprecated, as in Kubernetes). A failure is worded as the kubelet's
/// FailedPostStartHook / FailedPreStopHook events.
public struct LifecycleHooks: Sendable {
    public enum Kind: String, Sendable { case postStart, preStop }

    public let prober: Prober

    public init(prober: Prober) { self.prober = prober }

    /// Runs `kind` of `container` if it has one; nil when it succeeded (or there is none), else the
    /// event message. `timeout` bounds exec and httpGet handlers and a preStop's sleep.
    public func run(_ kind: Kind, container: JSONValue, containerID: String, pod: JSONValue, timeout: Int64,
                    podIP: @Sendable () async -> String) async -> String? {
        guard let handler = container["lifecycle"]?[kind.rawValue], handler != .null else { return nil }
        let name = container["name"]?.stringValue ?? ""
        let subject = "for Container \"\(name)\" in Pod \"\(pod.name)_\(pod.namespace)(\(pod.uid))\""
        if let sleep = handler["sleep"]?["seconds"]?.intValue {
            try? await Task.sleep(for: .seconds(min(sleep, max(timeout, 0))))
            return nil
        }
        var bounded = handler
        bounded["timeoutSeconds"] = .int(max(1, timeout))
        if let exec = handler["exec"] {
            let command = (exec["command"]?.arrayValue ?? []).compactMap(\.stringValue)
            let (result, detail) = await prober.run(bounded, container: container, containerID: containerID, podIP: "")
            guard result != .success else { return nil }
            return "Exec lifecycle hook (\(Prober.quote(command))) \(subject) failed - error: \(detail), message: \"\""
        }
        if let http = handler["httpGet"] {
            var ip = http["host"]?.stringValue ?? ""
            if ip.isEmpty { ip = await podIP() }
            let (result, detail) = await prober.run(bounded, container: container, containerID: containerID, podIP: ip)
            guard result != .success else { return nil }
            return "HTTP lifecycle hook (\(http["path"]?.stringValue ?? "")) \(subject) failed - error: \(detail), message: \"\""
        }
        return nil
    }
}
