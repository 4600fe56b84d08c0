import APIMachinery
import Client
import Controllers

/// Keeps the core/v1 Endpoints of every Service with a selector: one subset per distinct set of
/// ports, ready pods under `addresses`, the others under `notReadyAddresses` (all under `addresses`
/// with publishNotReadyAddresses), each with its node and a reference to the pod. Services without a
/// selector (and the API server's own `kubernetes` Service) are left alone.
public final class EndpointsController: Controller, Sendable {
    public static let name = "endpoints"

    let context: ControllerContext
    let services: SharedInformer
    let pods: SharedInformer
    let endpoints: SharedInformer
    let queue = WorkQueue<String>()

    public init(context: ControllerContext) {
        self.context = context
        services = context.informers.informer(for: .services)
        pods = context.informers.informer(for: .pods)
        endpoints = context.informers.informer(for: .endpoints)
    }

    public func run(workers: Int) async {
        let queue = self.queue
        services.addHandler(enqueueingHandler(queue))
        pods.addHandler(ServiceEndpoints.podHandler(services: services, queue: queue))
        endpoints.addHandler(ResourceEventHandler(onDelete: { object in await queue.add(Indexer.key(of: object)) }))
        guard await services.waitForSync(), await pods.waitForSync(), await endpoints.waitForSync() else { return }
        await runWorkers(queue, count: workers, name: Self.name, logger: context.logger) { key in try await self.sync(key) }
    }

    /// The subsets of `service` over `pods`: addresses grouped by their ports, sorted by IP.
    static func subsets(service: JSONValue, pods: [JSONValue]) -> [JSONValue] {
        let publishNotReady = ServiceEndpoints.publishNotReady(service)
        let headlessWithoutPorts = ServiceEndpoints.isHeadless(service) && (service["spec"]?["ports"]?.arrayValue ?? []).isEmpty
        var groups: [[JSONValue]: (ready: [JSONValue], notReady: [JSONValue])] = [:]
        var order: [[JSONValue]] = []
        for pod in pods {
            guard let ip = ServiceEndpoints.podIP(pod) else { continue }
            let ports = ServiceEndpoints.ports(of: service, pod: pod)
            if ports.isEmpty && !headlessWithoutPorts { continue }
            var address: [String: JSONValue] = ["ip": .string(ip), "targetRef": ServiceEndpoints.targetRef(pod)]
            if let node = pod["spec"]?["nodeName"]?.stringValue, !node.isEmpty { address["nodeName"] = .string(node) }
            if let hostname = pod["spec"]?["hostname"]?.stringValue, !hostname.isEmpty,
               pod["spec"]?["subdomain"]?.stringValue == service.name {
                address["hostname"] = .string(hostname)
            }
            let key = ports.sorted { $0.description < $1.description }
            if groups[key] == nil { order.append(key) }
            if publishNotReady || PodStatus.isReady(pod) {
                groups[key, default: ([], [])].ready.append(.object(address))
            } else {
                groups[key, default: ([], [])].notReady.append(.object(address))
            }
        }
        let byIP: (JSONValue, JSONValue) -> Bool = { ($0["ip"]?.stringValue ?? "") < ($1["ip"]?.stringValue ?? "") }
        return order.map { ports in
            let group = groups[ports]!
            var subset: [String: JSONValue] = [:]
            if !group.ready.isEmpty { subset["addresses"] = .array(group.ready.sorted(by: byIP)) }
            if !group.notReady.isEmpty { subset["notReadyAddresses"] = .array(group.notReady.sorted(by: byIP)) }
            if !ports.isEmpty { subset["ports"] = .array(ports) }
            return .object(subset)
        }
    }

    func sync(_ key: String) async throws {
        guard !ServiceEndpoints.isAPIServerService(key) else { return }
        let (namespace, name) = Indexer.split(key)
        guard let service = services.lister.get(namespace: namespace, name: name) else {
            // The Service is gone: so are its Endpoints (unless someone else manages them).
            if endpoints.lister.get(namespace: namespace, name: name) != nil {
                do {
                    _ = try await context.client.delete(.endpoints, namespace: namespace, name: name)
                } catch {
                    if !error.isNotFound { throw error }
                }
            }
            return
        }
        guard let selector = ServiceEndpoints.selector(of: service) else { return }
        let selected = ServiceEndpoints.pods(in: pods.lister, namespace: namespace, selector: selector,
                                             includeTerminating: ServiceEndpoints.publishNotReady(service))
        let subsets = JSONValue.array(Self.subsets(service: service, pods: selected))
        let labels = ServiceEndpoints.labels(of: service)
        if var current = endpoints.lister.get(namespace: namespace, name: name) {
            let currentSubsets = current["subsets"] ?? .array([])
            if currentSubsets == subsets && current.labels == labels { return }
            current["subsets"] = subsets
            current.labels = labels
            _ = try await context.client.update(.endpoints, namespace: namespace, object: current)
        } else {
            var object: JSONValue = ["apiVersion": "v1", "kind": "Endpoints",
                                     "metadata": ["name": .string(name), "namespace": .string(namespace)], "subsets": subsets]
            object.labels = labels
            // AlreadyExists (the informer is behind) fails the sync: it is retried with the stored object.
            _ = try await context.client.create(.endpoints, namespace: namespace, object: object)
        }
    }
}
