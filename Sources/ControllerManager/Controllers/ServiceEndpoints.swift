import APIMachinery
import Client
import Controllers

/// What the Endpoints and EndpointSlice controllers share: which pods back a Service, their
/// addresses and readiness, and how a Service port resolves against a pod's containers.
enum ServiceEndpoints {
    /// The Service's selector as a label map; nil when it has none (its endpoints are managed by hand
    /// or, for `kubernetes`, by the API server).
    static func selector(of service: JSONValue) -> [String: String]? {
        guard let map = service["spec"]?["selector"]?.objectValue, !map.isEmpty else { return nil }
        return map.compactMapValues(\.stringValue)
    }

    /// The API server keeps the endpoints of `default/kubernetes` itself (Registry.bootstrapKubernetesService).
    static func isAPIServerService(_ key: String) -> Bool { key == "default/kubernetes" }

    static func matches(_ selector: [String: String], _ labels: [String: String]) -> Bool {
        selector.allSatisfy { labels[$0.key] == $0.value }
    }

    static func isHeadless(_ service: JSONValue) -> Bool {
        service["spec"]?["clusterIP"]?.stringValue == "None"
    }

    static func publishNotReady(_ service: JSONValue) -> Bool {
        service["spec"]?["publishNotReadyAddresses"]?.boolValue == true
    }

    /// The pod's first IPv4 address (`status.podIPs`, else `status.podIP`).
    static func podIP(_ pod: JSONValue) -> String? {
        let ips = (pod["status"]?["podIPs"]?.arrayValue ?? []).compactMap { $0["ip"]?.stringValue }
        let all = ips.isEmpty ? [pod["status"]?["podIP"]?.stringValue].compactMap { $0 } : ips
        return all.first { !$0.isEmpty && !$0.contains(":") }
    }

    static func isTerminal(_ pod: JSONValue) -> Bool {
        let phase = pod["status"]?["phase"]?.stringValue
        return phase == "Succeeded" || phase == "Failed"
    }

    /// The pods of `namespace` a Service with `selector` selects that can be endpoints: not terminal,
    /// with an IP, and (unless `includeTerminating`) not being deleted. Sorted by name.
    static func pods(in lister: Lister, namespace: String, selector: [String: String], includeTerminating: Bool) -> [JSONValue] {
        lister.list(namespace: namespace)
            .filter { matches(selector, $0.labels) && !isTerminal($0) && podIP($0) != nil }
            .filter { includeTerminating || $0.deletionTimestamp == nil }
            .sorted { $0.name < $1.name }
    }

    /// A targetRef to `pod`.
    static func targetRef(_ pod: JSONValue) -> JSONValue {
        ["kind": "Pod", "namespace": .string(pod.namespace), "name": .string(pod.name), "uid": .string(pod.uid)]
    }

    /// The container port `targetPort` names in `pod` (a number stands for itself; a name is looked up
    /// among the pod's container ports of `proto`), nil if it names no port of the pod.
    static func resolve(_ targetPort: JSONValue?, servicePort: Int64, proto: String, in pod: JSONValue) -> Int64? {
        switch targetPort {
        case .int(let number)?: return number
        case .string(let name)?:
            if let number = Int64(name) { return number }
            for container in pod["spec"]?["containers"]?.arrayValue ?? [] {
                for port in container["ports"]?.arrayValue ?? []
                where port["name"]?.stringValue == name && (port["protocol"]?.stringValue ?? "TCP") == proto {
                    return port["containerPort"]?.intValue
                }
            }
            return nil
        default: return servicePort
        }
    }

    /// The endpoint ports of `service` on `pod` (name, port, protocol, appProtocol), in the Service's order.
    static func ports(of service: JSONValue, pod: JSONValue) -> [JSONValue] {
        var out: [JSONValue] = []
        for port in service["spec"]?["ports"]?.arrayValue ?? [] {
            let proto = port["protocol"]?.stringValue ?? "TCP"
            guard let number = resolve(port["targetPort"], servicePort: port["port"]?.intValue ?? 0, proto: proto, in: pod) else { continue }
            var entry: [String: JSONValue] = ["port": .int(number), "protocol": .string(proto)]
            if let name = port["name"]?.stringValue { entry["name"] = .string(name) }
            if let app = port["appProtocol"]?.stringValue { entry["appProtocol"] = .string(app) }
            out.append(.object(entry))
        }
        return out
    }

    /// The labels controllers give a Service's Endpoints and EndpointSlices: the Service's own labels
    /// and, for a headless Service, `service.kubernetes.io/headless`.
    static func labels(of service: JSONValue) -> [String: String] {
        var labels = service.labels
        if isHeadless(service) { labels["service.kubernetes.io/headless"] = "" }
        return labels
    }

    /// Keys (namespace/name) of the Services in `services` whose selector selects `pod`.
    static func serviceKeys(selecting pod: JSONValue, in services: Lister) -> [String] {
        services.list(namespace: pod.namespace).compactMap { service in
            guard let selector = selector(of: service), matches(selector, pod.labels) else { return nil }
            return Indexer.key(of: service)
        }
    }

    /// A handler for pod events enqueueing the Services that select the pod before or after the change.
    static func podHandler(services: SharedInformer, queue: WorkQueue<String>) -> ResourceEventHandler {
        ResourceEventHandler(
            onAdd: { pod in for key in serviceKeys(selecting: pod, in: services.lister) { await queue.add(key) } },
            onUpdate: { old, pod in
                for key in Set(serviceKeys(selecting: old, in: services.lister) + serviceKeys(selecting: pod, in: services.lister)) {
                    await queue.add(key)
                }
            },
            onDelete: { pod in for key in serviceKeys(selecting: pod, in: services.lister) { await queue.add(key) } })
    }
}
