import APIMachinery
import Client
import Controllers

/// Keeps the discovery.k8s.io/v1 EndpointSlices of every Service with a selector: IPv4 slices named
/// `<service>-<random>`, at most 100 endpoints each, one group of slices per distinct set of ports,
/// labelled with the Service's name and this controller, owned by the Service. Each endpoint carries
/// the pod's IP, node, a reference to the pod and the conditions ready, serving and terminating. A
/// Service without pods keeps one empty slice.
public final class EndpointSliceController: Controller, Sendable {
    public static let name = "endpointslice"
    public static let managedBy = "endpointslice-controller.k8s.io"
    public static let serviceNameLabel = "kubernetes.io/service-name"
    public static let managedByLabel = "endpointslice.kubernetes.io/managed-by"
    public static let maxEndpointsPerSlice = 100

    let context: ControllerContext
    let services: SharedInformer
    let pods: SharedInformer
    let slices: SharedInformer
    let queue = WorkQueue<String>()
    /// Slices created or deleted per Service key and not yet seen by the informer.
    let expectations = Expectations()
    static let serviceIndex = "endpointslice.service"

    public init(context: ControllerContext) {
        self.context = context
        services = context.informers.informer(for: .services)
        pods = context.informers.informer(for: .pods)
        slices = context.informers.informer(for: .endpointSlices, indexers: [Self.serviceIndex: { slice in
            guard slice.labels[Self.managedByLabel] == Self.managedBy, let service = slice.labels[Self.serviceNameLabel] else { return [] }
            return [Indexer.key(namespace: slice.namespace, name: service)]
        }])
    }

    static func serviceKey(of slice: JSONValue) -> String? {
        guard slice.labels[managedByLabel] == managedBy, let service = slice.labels[serviceNameLabel] else { return nil }
        return Indexer.key(namespace: slice.namespace, name: service)
    }

    public func run(workers: Int) async {
        let queue = self.queue
        let expectations = self.expectations
        services.addHandler(enqueueingHandler(queue))
        pods.addHandler(ServiceEndpoints.podHandler(services: services, queue: queue))
        slices.addHandler(ResourceEventHandler(
            onAdd: { slice in
                guard let key = Self.serviceKey(of: slice) else { return }
                expectations.creationObserved(key)
                await queue.add(key)
            },
            onUpdate: { _, slice in if let key = Self.serviceKey(of: slice) { await queue.add(key) } },
            onDelete: { slice in
                guard let key = Self.serviceKey(of: slice) else { return }
                expectations.deletionObserved(key)
                await queue.add(key)
            }))
        guard await services.waitForSync(), await pods.waitForSync(), await slices.waitForSync() else { return }
        await runWorkers(queue, count: workers, name: Self.name, logger: context.logger) { key in try await self.sync(key) }
    }

    /// The endpoint of `pod` in a slice of `service`.
    static func endpoint(_ pod: JSONValue, service: JSONValue) -> JSONValue? {
        guard let ip = ServiceEndpoints.podIP(pod) else { return nil }
        let terminating = pod.deletionTimestamp != nil
        let podReady = PodStatus.isReady(pod)
        let ready = ServiceEndpoints.publishNotReady(service) || (podReady && !terminating)
        var endpoint: [String: JSONValue] = [
            "addresses": [.string(ip)],
            "conditions": ["ready": .bool(ready), "serving": .bool(podReady), "terminating": .bool(terminating)],
            "targetRef": ServiceEndpoints.targetRef(pod),
        ]
        if let node = pod["spec"]?["nodeName"]?.stringValue, !node.isEmpty { endpoint["nodeName"] = .string(node) }
        if let hostname = pod["spec"]?["hostname"]?.stringValue, !hostname.isEmpty, pod["spec"]?["subdomain"]?.stringValue == service.name {
            endpoint["hostname"] = .string(hostname)
        }
        return .object(endpoint)
    }

    /// The desired slices' contents (ports, endpoints) of `service` over `pods`: endpoints grouped by
    /// their ports, at most `maxEndpointsPerSlice` each; one empty slice without pods.
    static func desiredSlices(service: JSONValue, pods: [JSONValue], maxPerSlice: Int = maxEndpointsPerSlice) -> [(ports: [JSONValue], endpoints: [JSONValue])] {
        let headlessWithoutPorts = ServiceEndpoints.isHeadless(service) && (service["spec"]?["ports"]?.arrayValue ?? []).isEmpty
        var groups: [[JSONValue]: [JSONValue]] = [:]
        var order: [[JSONValue]] = []
        for pod in pods {
            guard let endpoint = endpoint(pod, service: service) else { continue }
            let ports = ServiceEndpoints.ports(of: service, pod: pod)
            if ports.isEmpty && !headlessWithoutPorts { continue }
            if groups[ports] == nil { order.append(ports) }
            groups[ports, default: []].append(endpoint)
        }
        var out: [(ports: [JSONValue], endpoints: [JSONValue])] = []
        for ports in order {
            let endpoints = groups[ports]!
            for start in stride(from: 0, to: endpoints.count, by: maxPerSlice) {
                out.append((ports, Array(endpoints[start..<min(start + maxPerSlice, endpoints.count)])))
            }
        }
        if out.isEmpty { out.append(([], [])) }
        return out
    }

    func sync(_ key: String) async throws {
        guard !ServiceEndpoints.isAPIServerService(key), expectations.satisfied(key) else { return }
        let (namespace, name) = Indexer.split(key)
        let existing = slices.indexer.byIndex(Self.serviceIndex, key).sorted { $0.name < $1.name }
        guard let service = services.lister.get(namespace: namespace, name: name),
              let selector = ServiceEndpoints.selector(of: service), service.deletionTimestamp == nil else {
            try await delete(existing, key: key)
            return
        }
        let selected = ServiceEndpoints.pods(in: pods.lister, namespace: namespace, selector: selector, includeTerminating: true)
        let desired = Self.desiredSlices(service: service, pods: selected)
        var labels = ServiceEndpoints.labels(of: service)
        labels[Self.serviceNameLabel] = name
        labels[Self.managedByLabel] = Self.managedBy
        let owner = OwnerReferences.makeControllerRef(to: service, apiVersion: "v1", kind: "Service")

        // Reuse existing slices (those with the same ports first), create the missing, delete the rest.
        var unused = existing
        var updates: [JSONValue] = []
        var creates: [JSONValue] = []
        for slice in desired {
            let content: (inout JSONValue) -> Void = { object in
                object["addressType"] = "IPv4"
                object["endpoints"] = .array(slice.endpoints)
                object["ports"] = .array(slice.ports)
                object.labels = labels
                object[key: "metadata", "ownerReferences"] = [owner]
            }
            let index = unused.firstIndex { ($0["ports"]?.arrayValue ?? []) == slice.ports } ?? unused.indices.first
            if let index {
                let current = unused.remove(at: index)
                var updated = current
                content(&updated)
                if !Self.sameContent(current, updated) { updates.append(updated) }
            } else {
                var object: JSONValue = ["apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                                         "metadata": ["generateName": .string("\(name)-"), "namespace": .string(namespace)]]
                content(&object)
                creates.append(object)
            }
        }
        for slice in updates {
            _ = try await context.client.update(.endpointSlices, namespace: namespace, object: slice)
        }
        if !creates.isEmpty {
            expectations.raise(key, adds: creates.count)
            for slice in creates {
                do {
                    _ = try await context.client.create(.endpointSlices, namespace: namespace, object: slice)
                } catch {
                    expectations.creationObserved(key)
                    throw error
                }
            }
        }
        try await delete(unused, key: key)
    }

    /// Whether two slices have the same endpoints, ports, labels and owners (empty arrays as absent).
    static func sameContent(_ a: JSONValue, _ b: JSONValue) -> Bool {
        func array(_ value: JSONValue?) -> [JSONValue] { value?.arrayValue ?? [] }
        return array(a["endpoints"]) == array(b["endpoints"]) && array(a["ports"]) == array(b["ports"])
            && a.labels == b.labels && array(a["metadata"]?["ownerReferences"]) == array(b["metadata"]?["ownerReferences"])
            && a["addressType"] == b["addressType"]
    }

    func delete(_ slices: [JSONValue], key: String) async throws {
        guard !slices.isEmpty else { return }
        expectations.raise(key, deletes: slices.count)
        for slice in slices {
            do {
                _ = try await context.client.delete(.endpointSlices, namespace: slice.namespace, name: slice.name)
            } catch {
                expectations.deletionObserved(key)
                if !error.isNotFound { throw error }
            }
        }
    }
}
