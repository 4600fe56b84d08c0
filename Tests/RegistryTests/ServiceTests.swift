import APIMachinery
import Registry
import Storage
import Testing

/// A registry over `storage` with the built-in kinds, Services allocating from `cidr`.
func makeServiceRegistry(cidr: String = "10.43.0.0/16", storage: any Storage = MemoryStorage()) async throws -> Registry {
    let range = try #require(ServiceIPRange(cidr: cidr))
    let registry = Registry(storage: storage, definitions: Registry.builtInDefinitions(serviceIPRange: range), schema: BuiltInSchema())
    try await registry.bootstrap()
    return registry
}

func services(_ r: Registry) throws -> GenericStore {
    try #require(r.store(group: "", version: "v1", resource: "services"))
}

func service(_ name: String, type: String? = nil, ports: JSONValue = [["port": 80]], spec extra: [String: JSONValue] = [:]) -> JSONValue {
    var spec: [String: JSONValue] = ["ports": ports, "selector": ["app": .string(name)]]
    if let type { spec["type"] = .string(type) }
    for (k, v) in extra { spec[k] = v }
    return ["metadata": ["name": .string(name)], "spec": .object(spec)]
}

func causes(_ error: StatusError?) -> [String] {
    (error?.details?.causes ?? []).map { "\($0.field ?? ""): \($0.message)" }
}

/// MemoryStorage that sleeps briefly around lists and creates, so concurrent writers interleave
/// between reading what is used and storing what they picked.
struct InterleavingStorage: Storage {
    let base = MemoryStorage()
    func pause() async { try? await Task.sleep(for: .milliseconds(2)) }
    func currentRevision() async throws -> Int64 { try await base.currentRevision() }
    func get(_ key: String) async throws -> (value: KeyValue?, revision: Int64) { try await base.get(key) }
    func list(prefix: String, revision: Int64?, startKey: String?, limit: Int?) async throws -> ListResult {
        let result = try await base.list(prefix: prefix, revision: revision, startKey: startKey, limit: limit)
        await pause()
        return result
    }
    func count(prefix: String) async throws -> Int { try await base.count(prefix: prefix) }
    func create(_ key: String, value: [UInt8]) async throws -> Int64 {
        await pause()
        return try await base.create(key, value: value)
    }
    func update(_ key: String, value: [UInt8], expectedRevision: Int64?) async throws -> Int64 {
        try await base.update(key, value: value, expectedRevision: expectedRevision)
    }
    func delete(_ key: String, expectedRevision: Int64?) async throws -> (revision: Int64, deleted: KeyValue) {
        try await base.delete(key, expectedRevision: expectedRevision)
    }
    func watch(prefix: String, afterRevision: Int64) async throws -> AsyncThrowingStream<WatchEvent, Error> {
        try await base.watch(prefix: prefix, afterRevision: afterRevision)
    }
    func compact(revision: Int64) async throws { try await base.compact(revision: revision) }
    func compactedRevision() async throws -> Int64 { try await base.compactedRevision() }
    func close() async throws { await base.close() }
}

@Suite struct ServiceTests {
    @Test func rangeParsing() throws {
        let range = try #require(ServiceIPRange(cidr: "10.43.7.9/16"))
        #expect(range.description == "10.43.0.0/16")
        #expect(range.kubernetesServiceIP == "10.43.0.1")
        #expect(range.contains(ServiceIPRange.parse("10.43.255.254")!))
        #expect(!range.contains(ServiceIPRange.parse("10.43.255.255")!))
        #expect(!range.contains(ServiceIPRange.parse("10.43.0.0")!))
        #expect(!range.contains(ServiceIPRange.parse("10.44.0.1")!))
        #expect(ServiceIPRange(cidr: "10.0.0.0/8") == nil)
        #expect(ServiceIPRange(cidr: "10.43.0.0") == nil)
        #expect(ServiceIPRange(cidr: "10.043.0.0/16") == nil)
        #expect(ServiceIPRange.parse("1.2.3.256") == nil)
    }

    @Test func defaultsOfAClusterIPService() async throws {
        let store = try services(try await makeServiceRegistry())
        let created = try await store.create(namespace: "default", object: service("web", ports: [["port": 80, "name": "http"]]), options: WriteOptions()).object
        let spec = try #require(created["spec"])
        #expect(spec["type"] == "ClusterIP")
        #expect(spec["sessionAffinity"] == "None")
        #expect(spec["ports"]?[index: 0]?["protocol"] == "TCP")
        #expect(spec["ports"]?[index: 0]?["targetPort"] == 80)
        #expect(spec["ipFamilies"] == ["IPv4"])
        #expect(spec["ipFamilyPolicy"] == "SingleStack")
        #expect(spec["internalTrafficPolicy"] == "Cluster")
        #expect(spec["externalTrafficPolicy"] == nil)
        #expect(spec["allocateLoadBalancerNodePorts"] == nil)
        let ip = try #require(spec["clusterIP"]?.stringValue)
        #expect(ServiceIPRange(cidr: "10.43.0.0/16")!.contains(ServiceIPRange.parse(ip)!))
        #expect(spec["clusterIPs"] == [.string(ip)])
        #expect(created["status"] == ["loadBalancer": [:]])
        #expect(created.generation == 0)
    }

    @Test func loadBalancerDefaultsAndNodePorts() async throws {
        let store = try services(try await makeServiceRegistry())
        let created = try await store.create(namespace: "default", object: service("lb", type: "LoadBalancer", ports: [
            ["name": "dns", "port": 53, "protocol": "UDP"], ["name": "dns-tcp", "port": 53], ["name": "web", "port": 80],
        ]), options: WriteOptions()).object
        let spec = try #require(created["spec"])
        #expect(spec["externalTrafficPolicy"] == "Cluster")
        #expect(spec["allocateLoadBalancerNodePorts"] == true)
        let nodePorts = (spec["ports"]?.arrayValue ?? []).compactMap { $0["nodePort"]?.intValue }
        #expect(nodePorts.count == 3)
        #expect(nodePorts.allSatisfy { (30000...32767).contains($0) })
        #expect(nodePorts[0] == nodePorts[1])  // one node port for both protocols of port 53
        #expect(nodePorts[0] != nodePorts[2])
    }

    @Test func healthCheckNodePortForLocalLoadBalancers() async throws {
        let store = try services(try await makeServiceRegistry())
        let created = try await store.create(namespace: "default", object: service("lb", type: "LoadBalancer", spec: ["externalTrafficPolicy": "Local"]), options: WriteOptions()).object
        let health = try #require(created["spec"]?["healthCheckNodePort"]?.intValue)
        #expect((30000...32767).contains(health))
        #expect(health != created["spec"]?["ports"]?[index: 0]?["nodePort"]?.intValue)
        let taken = await #expect(throws: StatusError.self) {
            _ = try await store.create(namespace: "default", object: service("np", type: "NodePort", ports: [["port": 80, "nodePort": .int(health)]]), options: WriteOptions())
        }
        #expect(causes(taken) == ["spec.ports[0].nodePort: Invalid value: \(health): provided port is already allocated"])
        var cluster = created
        cluster[key: "spec", "externalTrafficPolicy"] = "Cluster"
        let updated = try await store.update(namespace: "default", name: "lb", object: cluster, options: WriteOptions()).object
        #expect(updated["spec"]?["healthCheckNodePort"] == nil)
        let error = await #expect(throws: StatusError.self) {
            _ = try await store.create(namespace: "default", object: service("c", spec: ["loadBalancerSourceRanges": ["10.0.0.0/8"], "healthCheckNodePort": 30001]), options: WriteOptions())
        }
        #expect(causes(error).contains("spec.loadBalancerSourceRanges: Forbidden: may only be used when `type` is 'LoadBalancer'"))
        #expect(causes(error).contains("spec.healthCheckNodePort: Invalid value: 30001: may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"))
    }

    @Test func headlessAndExternalName() async throws {
        let store = try services(try await makeServiceRegistry())
        let headless = try await store.create(namespace: "default", object: service("db", spec: ["clusterIP": "None"]), options: WriteOptions()).object
        #expect(headless["spec"]?["clusterIP"] == "None")
        #expect(headless["spec"]?["clusterIPs"] == ["None"])
        #expect(headless["spec"]?["ipFamilyPolicy"] == "SingleStack")
        let external = try await store.create(namespace: "default", object: [
            "metadata": ["name": "ext"], "spec": ["type": "ExternalName", "externalName": "db.example.com"],
        ], options: WriteOptions()).object
        #expect(external["spec"]?["clusterIP"] == nil)
        #expect(external["spec"]?["ipFamilies"] == nil)
        var clusterIP = external
        clusterIP[key: "spec", "type"] = "ClusterIP"
        clusterIP[key: "spec", "ports"] = [["port": 80]]
        let converted = try await store.update(namespace: "default", name: "ext", object: clusterIP, options: WriteOptions()).object
        #expect(converted["spec"]?["externalName"] == nil)
        #expect(converted["spec"]?["clusterIP"]?.stringValue?.hasPrefix("10.43.") == true)
        let error = await #expect(throws: StatusError.self) {
            _ = try await store.create(namespace: "default", object: ["metadata": ["name": "ext2"], "spec": ["type": "ExternalName"]], options: WriteOptions())
        }
        #expect(causes(error) == ["spec.externalName: Required value"])
    }

    @Test func everyFieldErrorIsReported() async throws {
        let store = try services(try await makeServiceRegistry())
        let error = await #expect(throws: StatusError.self) {
            _ = try await store.create(namespace: "default", object: service("bad", type: "Weird", ports: [
                ["port": 70000, "protocol": "HTTP"], ["name": "b", "port": 80], ["name": "b", "port": 81],
            ], spec: ["selector": ["bad key!": "x"]]), options: WriteOptions())
        }
        #expect(error?.code == 422)
        let found = causes(error)
        #expect(found.contains("spec.type: Unsupported value: \"Weird\": supported values: \"ClusterIP\", \"ExternalName\", \"LoadBalancer\", \"NodePort\""))
        #expect(found.contains("spec.ports[0].name: Required value"))
        #expect(found.contains("spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive"))
        #expect(found.contains("spec.ports[0].protocol: Unsupported value: \"HTTP\": supported values: \"SCTP\", \"TCP\", \"UDP\""))
        #expect(found.contains("spec.ports[2].name: Duplicate value: \"b\""))
        #expect(found.contains { $0.hasPrefix("spec.selector: Invalid value: \"bad key!\"") })
        #expect(error?.message.hasPrefix("Service \"bad\" is invalid: [") == true)
    }

    @Test func serviceNamesAreDNS1035Labels() async throws {
        let store = try services(try await makeServiceRegistry())
        let error = await #expect(throws: StatusError.self) {
            _ = try await store.create(namespace: "default", object: service("1web"), options: WriteOptions())
        }
        #expect(causes(error) == ["metadata.name: Invalid value: \"1web\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"])
        let generated = try await store.create(namespace: "default", object: ["metadata": ["generateName": "web-"], "spec": ["ports": [["port": 80]]]], options: WriteOptions())
        #expect(generated.object.name.hasPrefix("web-"))
    }

    @Test func nodePortOnClusterIPIsForbidden() async throws {
        let store = try services(try await makeServiceRegistry())
        let error = await #expect(throws: StatusError.self) {
            _ = try await store.create(namespace: "default", object: service("np", ports: [["port": 80, "nodePort": 30080]]), options: WriteOptions())
        }
        #expect(causes(error) == ["spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"])
    }

    @Test func requestedClusterIPHonouredOnceAndInRange() async throws {
        let store = try services(try await makeServiceRegistry())
        let first = try await store.create(namespace: "default", object: service("a", spec: ["clusterIP": "10.43.0.10"]), options: WriteOptions()).object
        #expect(first["spec"]?["clusterIP"] == "10.43.0.10")
        let taken = await #expect(throws: StatusError.self) {
            _ = try await store.create(namespace: "default", object: service("b", spec: ["clusterIP": "10.43.0.10"]), options: WriteOptions())
        }
        #expect(taken?.code == 422)
        #expect(causes(taken) == ["spec.clusterIPs: Invalid value: []string{\"10.43.0.10\"}: failed to allocate IP 10.43.0.10: provided IP is already allocated"])
        let outside = await #expect(throws: StatusError.self) {
            _ = try await store.create(namespace: "default", object: service("c", spec: ["clusterIP": "10.99.0.10"]), options: WriteOptions())
        }
        #expect(causes(outside).first?.contains("the provided IP (10.99.0.10) is not in the valid range. The range of valid IPs is 10.43.0.0/16") == true)
        // Deleting frees the address.
        _ = try await store.delete(namespace: "default", name: "a", options: DeleteOptions())
        let again = try await store.create(namespace: "default", object: service("b", spec: ["clusterIP": "10.43.0.10"]), options: WriteOptions()).object
        #expect(again["spec"]?["clusterIP"] == "10.43.0.10")
    }

    @Test func requestedNodePortConflicts() async throws {
        let store = try services(try await makeServiceRegistry())
        _ = try await store.create(namespace: "default", object: service("a", type: "NodePort", ports: [["port": 80, "nodePort": 30080]]), options: WriteOptions())
        let error = await #expect(throws: StatusError.self) {
            _ = try await store.create(namespace: "default", object: service("b", type: "NodePort", ports: [["port": 80, "nodePort": 30080]]), options: WriteOptions())
        }
        #expect(causes(error) == ["spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated"])
        let outside = await #expect(throws: StatusError.self) {
            _ = try await store.create(namespace: "default", object: service("c", type: "NodePort", ports: [["port": 80, "nodePort": 8080]]), options: WriteOptions())
        }
        #expect(causes(outside) == ["spec.ports[0].nodePort: Invalid value: 8080: provided port is not in the valid range. The range of valid ports is 30000-32767"])
    }

    @Test func concurrentCreatesGetDistinctAddressesInASmallRange() async throws {
        // A /28 has 14 usable addresses: all 14 creates must succeed with distinct ones.
        let store = try services(try await makeServiceRegistry(cidr: "10.0.0.0/28", storage: InterleavingStorage()))
        let ips = try await withThrowingTaskGroup(of: String.self) { group in
            for i in 0..<14 {
                group.addTask {
                    let result = try await store.create(namespace: "default", object: service("s\(i)", type: "NodePort"), options: WriteOptions())
                    return result.object["spec"]?["clusterIP"]?.stringValue ?? ""
                }
            }
            var all: [String] = []
            for try await ip in group { all.append(ip) }
            return all
        }
        #expect(Set(ips).count == 14)
        let full = await #expect(throws: StatusError.self) {
            _ = try await store.create(namespace: "default", object: service("extra"), options: WriteOptions())
        }
        #expect(full?.message.contains("range is full") == true)
        let listed = try await store.list(namespace: "default", options: ListOptions())
        let nodePorts = listed.items.compactMap { $0["spec"]?["ports"]?[index: 0]?["nodePort"]?.intValue }
        #expect(Set(nodePorts).count == 14)
    }

    @Test func allocationsSurviveARestart() async throws {
        let storage = MemoryStorage()
        let first = try services(try await makeServiceRegistry(cidr: "10.0.0.0/29", storage: storage))
        for i in 0..<6 { _ = try await first.create(namespace: "default", object: service("s\(i)"), options: WriteOptions()) }
        let second = try services(try await makeServiceRegistry(cidr: "10.0.0.0/29", storage: storage))
        let error = await #expect(throws: StatusError.self) {
            _ = try await second.create(namespace: "default", object: service("s6"), options: WriteOptions())
        }
        #expect(error?.code == 500)
    }

    @Test func clusterIPIsImmutableAndKeptOnReplace() async throws {
        let store = try services(try await makeServiceRegistry())
        let created = try await store.create(namespace: "default", object: service("a", type: "NodePort"), options: WriteOptions()).object
        var replaced = service("a", type: "NodePort", ports: [["port": 80]])
        replaced.resourceVersion = created.resourceVersion
        let kept = try await store.update(namespace: "default", name: "a", object: replaced, options: WriteOptions()).object
        #expect(kept["spec"]?["clusterIP"] == created["spec"]?["clusterIP"])
        #expect(kept["spec"]?["ports"]?[index: 0]?["nodePort"] == created["spec"]?["ports"]?[index: 0]?["nodePort"])
        var changed = kept
        changed[key: "spec", "clusterIP"] = "10.43.9.9"
        changed[key: "spec", "clusterIPs"] = ["10.43.9.9"]
        let error = await #expect(throws: StatusError.self) {
            _ = try await store.update(namespace: "default", name: "a", object: changed, options: WriteOptions())
        }
        #expect(causes(error) == ["spec.clusterIPs[0]: Invalid value: []string{\"10.43.9.9\"}: may not change once set"])
    }

    @Test func typeChangesAllocateAndRelease() async throws {
        let store = try services(try await makeServiceRegistry())
        let created = try await store.create(namespace: "default", object: service("a"), options: WriteOptions()).object
        var nodePort = created
        nodePort[key: "spec", "type"] = "NodePort"
        let updated = try await store.update(namespace: "default", name: "a", object: nodePort, options: WriteOptions()).object
        let port = try #require(updated["spec"]?["ports"]?[index: 0]?["nodePort"]?.intValue)
        #expect((30000...32767).contains(port))
        #expect(updated["spec"]?["externalTrafficPolicy"] == "Cluster")
        var back = updated
        back[key: "spec", "type"] = "ClusterIP"
        let clusterIP = try await store.update(namespace: "default", name: "a", object: back, options: WriteOptions()).object
        #expect(clusterIP["spec"]?["ports"]?[index: 0]?["nodePort"] == nil)
        #expect(clusterIP["spec"]?["externalTrafficPolicy"] == nil)
        // The node port is free again.
        _ = try await store.create(namespace: "default", object: service("b", type: "NodePort", ports: [["port": 80, "nodePort": .int(port)]]), options: WriteOptions())
    }

    @Test func dualStackIsRejected() async throws {
        let store = try services(try await makeServiceRegistry())
        let error = await #expect(throws: StatusError.self) {
            _ = try await store.create(namespace: "default", object: service("ds", spec: [
                "ipFamilyPolicy": "RequireDualStack", "ipFamilies": ["IPv4", "IPv6"], "clusterIPs": ["10.43.0.20", "fd00::20"],
            ]), options: WriteOptions())
        }
        #expect(error?.code == 422)
        let found = causes(error)
        #expect(found.contains("spec.ipFamilyPolicy: Invalid value: \"RequireDualStack\": this cluster is not configured for dual-stack services"))
        #expect(found.contains("spec.ipFamilies[1]: Invalid value: \"IPv6\": not configured on this cluster"))
        let listed = try await store.list(namespace: "default", options: ListOptions())
        #expect(!listed.items.contains { $0.name == "ds" })
    }

    @Test func clusterIPsConsistency() async throws {
        let store = try services(try await makeServiceRegistry())
        let error = await #expect(throws: StatusError.self) {
            _ = try await store.create(namespace: "default", object: service("a", spec: [
                "clusterIP": "10.43.0.30", "clusterIPs": ["10.43.0.31"], "ipFamilyPolicy": "SingleStack", "ipFamilies": ["IPv4", "IPv4"],
            ]), options: WriteOptions())
        }
        let found = causes(error)
        #expect(found.contains("spec.clusterIPs: Invalid value: []string{\"10.43.0.31\"}: first value must match `clusterIP`"))
        #expect(found.contains("spec.ipFamilies[1]: Duplicate value: \"IPv4\""))
        #expect(found.contains("spec.ipFamilyPolicy: Invalid value: \"SingleStack\": must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified"))
        let none = await #expect(throws: StatusError.self) {
            _ = try await store.create(namespace: "default", object: service("b", type: "NodePort", spec: ["clusterIP": "None"]), options: WriteOptions())
        }
        #expect(causes(none) == ["spec.clusterIPs[0]: Invalid value: \"None\": may not be set to 'None' for NodePort services"])
    }

    @Test func statusSubresourceKeepsSpec() async throws {
        let store = try services(try await makeServiceRegistry())
        let created = try await store.create(namespace: "default", object: service("lb", type: "LoadBalancer"), options: WriteOptions()).object
        var status = created
        status["status"] = ["loadBalancer": ["ingress": [["ip": "192.0.2.1"]]]]
        status[key: "spec", "sessionAffinity"] = "ClientIP"
        let written = try await store.update(namespace: "default", name: "lb", object: status, target: .status, options: WriteOptions()).object
        #expect(written["spec"] == created["spec"])
        #expect(written["status"]?["loadBalancer"]?["ingress"]?[index: 0]?["ip"] == "192.0.2.1")
        let cells = store.definition.strategy.tableCells(written, now: 0)
        #expect(cells[3] == "192.0.2.1")
        var invalid = written
        invalid["status"] = ["loadBalancer": ["ingress": [["ip": "300.1.1.1"], ["hostname": "10.0.0.1"]]]]
        let error = await #expect(throws: StatusError.self) {
            _ = try await store.update(namespace: "default", name: "lb", object: invalid, target: .status, options: WriteOptions())
        }
        #expect(causes(error) == ["status.loadBalancer.ingress[0].ip: Invalid value: \"300.1.1.1\": must be a valid IP address",
                                  "status.loadBalancer.ingress[1].hostname: Invalid value: \"10.0.0.1\": must be a DNS name, not an IP address"])
        var main = written
        main["status"] = ["loadBalancer": [:]]
        main[key: "metadata", "labels"] = ["x": "y"]
        let kept = try await store.update(namespace: "default", name: "lb", object: main, options: WriteOptions()).object
        #expect(kept["status"]?["loadBalancer"]?["ingress"]?[index: 0]?["ip"] == "192.0.2.1")
    }

    @Test func tableCells() async throws {
        let store = try services(try await makeServiceRegistry())
        let strategy = store.definition.strategy
        #expect(strategy.tableColumns.map(\.name) == ["Name", "Type", "Cluster-IP", "External-IP", "Port(s)", "Age", "Selector"])
        #expect(strategy.tableColumns.map(\.priority) == [0, 0, 0, 0, 0, 0, 1])
        let np = try await store.create(namespace: "default", object: service("np", type: "NodePort", ports: [["port": 80, "nodePort": 30080, "targetPort": 8080]]), options: WriteOptions()).object
        let cells = strategy.tableCells(np, now: 0)
        #expect(cells[1] == "NodePort")
        #expect(cells[3] == "<none>")
        #expect(cells[4] == "80:30080/TCP")
        #expect(cells[6] == "app=np")
        let lb = try await store.create(namespace: "default", object: service("lb", type: "LoadBalancer"), options: WriteOptions()).object
        #expect(strategy.tableCells(lb, now: 0)[3] == "<pending>")
        let ext = try await store.create(namespace: "default", object: ["metadata": ["name": "ext"], "spec": ["type": "ExternalName", "externalName": "example.com"]], options: WriteOptions()).object
        let extCells = strategy.tableCells(ext, now: 0)
        #expect(extCells[2] == "<none>")
        #expect(extCells[3] == "example.com")
        #expect(extCells[4] == "<none>")
    }

    @Test func kubernetesServiceBootstrap() async throws {
        let registry = try await makeServiceRegistry(cidr: "10.96.0.0/12")
        let range = try #require(ServiceIPRange(cidr: "10.96.0.0/12"))
        try await registry.bootstrapKubernetesService(range: range, port: 6443, address: "127.0.0.1")
        try await registry.bootstrapKubernetesService(range: range, port: 7443, address: "127.0.0.1")  // restart, other port
        let svc = try await services(registry).get(namespace: "default", name: "kubernetes")
        #expect(svc["spec"]?["clusterIP"] == "10.96.0.1")
        #expect(svc["spec"]?["ports"] == [["name": "https", "port": 443, "protocol": "TCP", "targetPort": 7443]])
        let endpoints = try #require(registry.store(group: "", version: "v1", resource: "endpoints"))
        let ep = try await endpoints.get(namespace: "default", name: "kubernetes")
        #expect(ep["subsets"] == [["addresses": [["ip": "127.0.0.1"]], "ports": [["name": "https", "port": 7443, "protocol": "TCP"]]]])
        #expect(endpoints.definition.strategy.tableCells(ep, now: 0)[1] == "127.0.0.1:7443")
        // The address taken by another Service (e.g. after a change of range): reported, not thrown.
        let other = try await makeServiceRegistry(cidr: "10.96.0.0/12")
        _ = try await services(other).create(namespace: "default", object: service("squatter", spec: ["clusterIP": "10.96.0.1"]), options: WriteOptions())
        let problems = try await other.bootstrapKubernetesService(range: range, port: 6443, address: "127.0.0.1")
        #expect(problems.count == 1)
        #expect(problems.first?.contains("provided IP is already allocated") == true)
        let otherEndpoints = try #require(other.store(group: "", version: "v1", resource: "endpoints"))
        #expect(try await otherEndpoints.get(namespace: "default", name: "kubernetes")["subsets"] != nil)
    }
}

extension JSONValue {
    /// The element at `index` of an array value, nil when out of range or not an array.
    subscript(index index: Int) -> JSONValue? {
        guard let array = arrayValue, array.indices.contains(index) else { return nil }
        return array[index]
    }
}
