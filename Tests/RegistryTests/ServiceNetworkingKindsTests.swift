import APIMachinery
import Registry
import Storage
import Testing

func networkingStore(_ r: Registry, _ group: String, _ resource: String) throws -> GenericStore {
    try #require(r.store(group: group, version: "v1", resource: resource))
}

@Suite struct ServiceNetworkingKindsTests {
    @Test func definitionsAndShortNames() async throws {
        let defs = Registry.builtInDefinitions()
        func def(_ resource: String) throws -> ResourceDefinition { try #require(defs.first { $0.resource == resource }) }
        #expect(try def("services").shortNames == ["svc"])
        #expect(try def("services").categories == ["all"])
        #expect(try def("services").subresources == ["status"])
        #expect(try def("endpoints").shortNames == ["ep"])
        #expect(try def("endpoints").singular == "endpoints")
        #expect(try def("nodes").namespaced == false)
        #expect(try def("nodes").shortNames == ["no"])
        #expect(try def("serviceaccounts").shortNames == ["sa"])
        #expect(try def("ingresses").group == "networking.k8s.io")
        #expect(try def("ingresses").shortNames == ["ing"])
        #expect(try def("ingressclasses").namespaced == false)
        #expect(try def("networkpolicies").shortNames == ["netpol"])
        #expect(try def("endpointslices").group == "discovery.k8s.io")
    }

    @Test func nodeKeepsStatusOnCreateAndPrints() async throws {
        let r = try await makeServiceRegistry()
        let nodes = try networkingStore(r, "", "nodes")
        let created = try await nodes.create(namespace: "", object: [
            "metadata": ["name": "n1", "labels": ["node-role.kubernetes.io/control-plane": "", "node-role.kubernetes.io/master": "true"]],
            "spec": ["unschedulable": true],
            "status": [
                "conditions": [["type": "Ready", "status": "True"]],
                "addresses": [["type": "InternalIP", "address": "192.0.2.10"]],
                "nodeInfo": ["kubeletVersion": "v1.32.0", "osImage": "Debian"],
                "capacity": ["cpu": "2"],
            ],
        ], options: WriteOptions()).object
        #expect(created["status"]?["allocatable"] == ["cpu": "2"])
        #expect(created["status"]?["nodeInfo"]?["kernelVersion"] == "")
        let cells = nodes.definition.strategy.tableCells(created, now: 0)
        #expect(cells[1] == "Ready,SchedulingDisabled")
        #expect(cells[2] == "control-plane,master")
        #expect(cells[4] == "v1.32.0")
        #expect(Array(cells[5...]) == ["192.0.2.10", "<none>", "Debian", "<unknown>", "<unknown>"])
        #expect(nodes.definition.strategy.tableColumns.map(\.priority) == [0, 0, 0, 0, 0, 1, 1, 1, 1, 1])
        #expect(nodes.definition.strategy.selectableFields(created)["spec.unschedulable"] == "true")
    }

    @Test func nodeTaintsValidated() async throws {
        let nodes = try networkingStore(try await makeServiceRegistry(), "", "nodes")
        let error = await #expect(throws: StatusError.self) {
            _ = try await nodes.create(namespace: "", object: ["metadata": ["name": "n"], "spec": ["taints": [
                ["key": "a", "effect": "NoSchedule"], ["key": "a", "effect": "NoSchedule"], ["key": "b", "effect": "Sometimes"], ["key": "", "effect": ""],
            ]]], options: WriteOptions())
        }
        let found = causes(error)
        #expect(found.contains { $0.hasPrefix("spec.taints[1]: Duplicate value:") && $0.hasSuffix("taints must be unique by key and effect pair") })
        #expect(found.contains("spec.taints[2].effect: Unsupported value: \"Sometimes\": supported values: \"NoExecute\", \"NoSchedule\", \"PreferNoSchedule\""))
        #expect(found.contains("spec.taints[3].effect: Required value"))
        #expect(found.contains { $0.hasPrefix("spec.taints[3].key: Invalid value: \"\"") })
    }

    @Test func ingressValidation() async throws {
        let ingresses = try networkingStore(try await makeServiceRegistry(), "networking.k8s.io", "ingresses")
        let error = await #expect(throws: StatusError.self) {
            _ = try await ingresses.create(namespace: "default", object: ["metadata": ["name": "i"], "spec": ["rules": [
                ["host": "10.0.0.1"],
                ["host": "*.example.com", "http": ["paths": [
                    ["path": "/", "backend": ["service": ["name": "web", "port": ["number": 80]]]],
                    ["path": "api", "pathType": "Prefix", "backend": ["service": ["name": "", "port": [:]]]],
                    ["path": "/", "pathType": "Regex", "backend": [:]],
                ]]],
                ["host": "foo.*.com"],
            ]]], options: WriteOptions())
        }
        let found = causes(error)
        #expect(found.contains("spec.rules[0].host: Invalid value: \"10.0.0.1\": must be a DNS name, not an IP address"))
        #expect(found.contains("spec.rules[1].http.paths[0].pathType: Required value: pathType must be specified"))
        #expect(found.contains("spec.rules[1].http.paths[1].path: Invalid value: \"api\": must be an absolute path"))
        #expect(found.contains("spec.rules[1].http.paths[1].backend.service.name: Required value"))
        #expect(found.contains("spec.rules[1].http.paths[1].backend: Required value: port name or number is required"))
        #expect(found.contains("spec.rules[1].http.paths[2].pathType: Unsupported value: \"Regex\": supported values: \"Exact\", \"ImplementationSpecific\", \"Prefix\""))
        #expect(found.contains("spec.rules[1].http.paths[2].backend: Invalid value: \"\": resource or service backend is required"))
        #expect(found.contains { $0.hasPrefix("spec.rules[2].host: Invalid value: \"foo.*.com\": a wildcard DNS-1123 subdomain must start with '*.'") })
        #expect(!found.contains { $0.hasPrefix("spec.rules[1].host") })
    }

    @Test func ingressTableAndGeneration() async throws {
        let ingresses = try networkingStore(try await makeServiceRegistry(), "networking.k8s.io", "ingresses")
        let backend: JSONValue = ["service": ["name": "web", "port": ["number": 80]]]
        let created = try await ingresses.create(namespace: "default", object: ["metadata": ["name": "i"], "spec": [
            "ingressClassName": "nginx",
            "tls": [["hosts": ["a.example.com"], "secretName": "tls"]],
            "rules": [["host": "a.example.com", "http": ["paths": [["path": "/", "pathType": "Prefix", "backend": backend]]]],
                      ["host": "b.example.com", "http": ["paths": [["path": "/", "pathType": "Exact", "backend": backend]]]]],
        ]], options: WriteOptions()).object
        #expect(created.generation == 1)
        #expect(created["status"] == ["loadBalancer": [:]])
        let cells = ingresses.definition.strategy.tableCells(created, now: 0)
        #expect(Array(cells[1...4]) == ["nginx", "a.example.com,b.example.com", "", "80, 443"])
        var changed = created
        changed[key: "spec", "tls"] = nil
        let updated = try await ingresses.update(namespace: "default", name: "i", object: changed, options: WriteOptions()).object
        #expect(updated.generation == 2)
        #expect(ingresses.definition.strategy.tableCells(updated, now: 0)[4] == "80")
    }

    @Test func defaultIngressClass() async throws {
        let r = try await makeServiceRegistry()
        let ingresses = try networkingStore(r, "networking.k8s.io", "ingresses")
        let classes = try networkingStore(r, "networking.k8s.io", "ingressclasses")
        let backend: JSONValue = ["service": ["name": "web", "port": ["number": 80]]]
        let before = try await ingresses.create(namespace: "default", object: ["metadata": ["name": "a"], "spec": ["defaultBackend": backend]], options: WriteOptions()).object
        #expect(before["spec"]?["ingressClassName"] == nil)
        _ = try await classes.create(namespace: "", object: ["metadata": ["name": "plain"], "spec": ["controller": "example.com/plain"]], options: WriteOptions())
        _ = try await classes.create(namespace: "", object: [
            "metadata": ["name": "traefik", "annotations": ["ingressclass.kubernetes.io/is-default-class": "true"]],
            "spec": ["controller": "traefik.io/ingress-controller"],
        ], options: WriteOptions())
        let after = try await ingresses.create(namespace: "default", object: ["metadata": ["name": "b"], "spec": ["defaultBackend": backend]], options: WriteOptions()).object
        #expect(after["spec"]?["ingressClassName"] == "traefik")
        let explicit = try await ingresses.create(namespace: "default", object: ["metadata": ["name": "c"], "spec": ["defaultBackend": backend, "ingressClassName": "plain"]], options: WriteOptions()).object
        #expect(explicit["spec"]?["ingressClassName"] == "plain")
        let error = await #expect(throws: StatusError.self) {
            _ = try await classes.create(namespace: "", object: ["metadata": ["name": "bad"], "spec": ["controller": "nopath"]], options: WriteOptions())
        }
        #expect(causes(error) == ["spec.controller: Invalid value: \"nopath\": must be a domain-prefixed path (such as \"acme.io/foo\")"])
    }

    @Test func networkPolicyDefaults() async throws {
        let policies = try networkingStore(try await makeServiceRegistry(), "networking.k8s.io", "networkpolicies")
        let created = try await policies.create(namespace: "default", object: ["metadata": ["name": "p"], "spec": [
            "podSelector": ["matchLabels": ["app": "web"]],
            "egress": [["ports": [["port": 53], ["port": 53, "protocol": "UDP"]]]],
        ]], options: WriteOptions()).object
        #expect(created["spec"]?["policyTypes"] == ["Ingress", "Egress"])
        #expect(created["spec"]?["egress"]?[index: 0]?["ports"]?[index: 0]?["protocol"] == "TCP")
        #expect(created["spec"]?["egress"]?[index: 0]?["ports"]?[index: 1]?["protocol"] == "UDP")
        #expect(policies.definition.strategy.tableCells(created, now: 0)[1] == "app=web")
        let denyAll = try await policies.create(namespace: "default", object: ["metadata": ["name": "deny"], "spec": [:]], options: WriteOptions()).object
        #expect(denyAll["spec"]?["policyTypes"] == ["Ingress"])
        #expect(denyAll["spec"]?["podSelector"] == [:])
        #expect(policies.definition.strategy.tableCells(denyAll, now: 0)[1] == "<none>")
        let error = await #expect(throws: StatusError.self) {
            _ = try await policies.create(namespace: "default", object: ["metadata": ["name": "bad"], "spec": [
                "ingress": [["from": [[:], ["ipBlock": ["cidr": "10.0.0.0/8"], "podSelector": [:]]], "ports": [["port": 70000]]]],
            ]], options: WriteOptions())
        }
        let found = causes(error)
        #expect(found.contains("spec.ingress[0].from[0]: Required value: must specify a peer"))
        #expect(found.contains("spec.ingress[0].from[1]: Forbidden: may not specify both ipBlock and another peer"))
        #expect(found.contains("spec.ingress[0].ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive"))
    }

    @Test func endpointSliceValidationAndTable() async throws {
        let slices = try networkingStore(try await makeServiceRegistry(), "discovery.k8s.io", "endpointslices")
        let error = await #expect(throws: StatusError.self) {
            _ = try await slices.create(namespace: "default", object: ["metadata": ["name": "s"], "endpoints": [["addresses": []]]], options: WriteOptions())
        }
        #expect(causes(error) == ["addressType: Required value", "endpoints[0].addresses: Required value: must contain at least 1 address"])
        let created = try await slices.create(namespace: "default", object: ["metadata": ["name": "s"], "addressType": "IPv4",
            "endpoints": [["addresses": ["10.1.0.1"], "conditions": ["ready": true]], ["addresses": ["10.1.0.2"]], ["addresses": ["10.1.0.3"]], ["addresses": ["10.1.0.4"]]],
            "ports": [["name": "http", "port": 80]]], options: WriteOptions()).object
        #expect(created["ports"]?[index: 0]?["protocol"] == "TCP")
        #expect(created.generation == 1)
        let cells = slices.definition.strategy.tableCells(created, now: 0)
        #expect(Array(cells[1...3]) == ["IPv4", "80", "10.1.0.1,10.1.0.2,10.1.0.3 + 1 more..."])
        var changed = created
        changed["addressType"] = "IPv6"
        let immutable = await #expect(throws: StatusError.self) {
            _ = try await slices.update(namespace: "default", name: "s", object: changed, options: WriteOptions())
        }
        #expect(causes(immutable).contains("addressType: Invalid value: \"IPv6\": field is immutable"))
    }

    @Test func endpointsAndServiceAccounts() async throws {
        let r = try await makeServiceRegistry()
        let endpoints = try networkingStore(r, "", "endpoints")
        let ep = try await endpoints.create(namespace: "default", object: ["metadata": ["name": "e"], "subsets": [
            ["addresses": [["ip": "10.1.0.1"], ["ip": "10.1.0.2"]], "ports": [["name": "a", "port": 80], ["name": "b", "port": 443]]],
        ]], options: WriteOptions()).object
        #expect(ep["subsets"]?[index: 0]?["ports"]?[index: 0]?["protocol"] == "TCP")
        #expect(endpoints.definition.strategy.tableCells(ep, now: 0)[1] == "10.1.0.1:80,10.1.0.2:80,10.1.0.1:443 + 1 more...")
        let error = await #expect(throws: StatusError.self) {
            _ = try await endpoints.create(namespace: "default", object: ["metadata": ["name": "bad"], "subsets": [
                ["addresses": [["ip": "not-an-ip"]], "ports": [["port": 0]]],
            ]], options: WriteOptions())
        }
        #expect(causes(error).contains("subsets[0].addresses[0].ip: Invalid value: \"not-an-ip\": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"))
        #expect(causes(error).contains("subsets[0].ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive"))
        let accounts = try networkingStore(r, "", "serviceaccounts")
        let sa = try await accounts.create(namespace: "default", object: ["metadata": ["name": "builder"], "secrets": [["name": "x"]]], options: WriteOptions()).object
        #expect(accounts.definition.strategy.tableColumns.map(\.name) == ["Name", "Secrets", "Age"])
        #expect(accounts.definition.strategy.tableCells(sa, now: 0)[1] == 1)
    }
}
