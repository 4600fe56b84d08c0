import APIMachinery
import Foundation
import Kubelet
import Testing

@Suite struct EnvExpansionTests {
    @Test func referencesEscapesAndUndefinedNames() {
        let table = ["A": "1", "B": "two"]
        let expand = { (s: String) in EnvExpansion.expand(s) { table[$0] } }
        #expect(expand("$(A)-$(B)") == "1-two")
        #expect(expand("$(MISSING)") == "$(MISSING)")
        #expect(expand("$$(A)") == "$(A)")
        #expect(expand("$$$(A)") == "$1")
        #expect(expand("cost $5") == "cost $5")
        #expect(expand("open $(A") == "open $(A")
        #expect(expand("tail$") == "tail$")
        #expect(expand("no refs") == "no refs")
        #expect(EnvExpansion.expand("$(X)/bin", env: [("X", "/a"), ("X", "/b")]) == "/b/bin")
    }
}

@Suite struct EnvResolverTests {
    static let pod: JSONValue = [
        "metadata": ["name": "web-1", "namespace": "shop", "uid": "u-1", "labels": ["app": "web"], "annotations": ["team": "a"]],
        "spec": ["nodeName": "n1", "serviceAccountName": "default", "containers": [["name": "app"]]],
        "status": ["hostIP": "10.0.0.5", "hostIPs": [["ip": "10.0.0.5"]], "podIP": "10.42.0.7", "podIPs": [["ip": "10.42.0.7"], ["ip": "fd00::7"]]],
    ]

    static let configMaps: [String: JSONValue] = [
        "shop/cfg": ["data": ["MODE": "prod", "1BAD": "x", "LEVEL": "3"], "binaryData": ["BIN": .string(Data("raw".utf8).base64EncodedString())]],
    ]
    static let secrets: [String: JSONValue] = [
        "shop/creds": ["data": ["PASSWORD": .string(Data("s3cret".utf8).base64EncodedString())]],
    ]

    func resolver(services: [JSONValue] = []) -> EnvResolver {
        EnvResolver(configMap: { Self.configMaps["\($0)/\($1)"] }, secret: { Self.secrets["\($0)/\($1)"] },
                    services: services, nodeAllocatable: ["cpu": Quantity("4")!, "memory": Quantity("8Gi")!])
    }

    func names(_ result: EnvResolver.Result) -> [String: String] {
        Dictionary(result.env.map { ($0.name, $0.value) }, uniquingKeysWith: { $1 })
    }

    @Test func envFromThenEnvWithExpansion() throws {
        let container: JSONValue = [
            "name": "app",
            "envFrom": [["configMapRef": ["name": "cfg"], "prefix": "CFG_"], ["secretRef": ["name": "creds"]]],
            "env": [["name": "GREETING", "value": "mode=$(CFG_MODE) pw=$(PASSWORD) later=$(LATER)"],
                    ["name": "LATER", "value": "x"],
                    ["name": "CFG_MODE", "value": "overridden"]],
        ]
        let result = try resolver().resolve(pod: Self.pod, container: container)
        let env = names(result)
        #expect(env["CFG_LEVEL"] == "3")
        #expect(env["CFG_BIN"] == "raw")
        #expect(env["PASSWORD"] == "s3cret")
        #expect(env["GREETING"] == "mode=prod pw=s3cret later=$(LATER)")
        #expect(env["CFG_MODE"] == "overridden")
        // The overriding definition keeps the first position.
        #expect(result.env.map(\.name).firstIndex(of: "CFG_MODE")! < result.env.map(\.name).firstIndex(of: "GREETING")!)
        #expect(env["CFG_1BAD"] != nil)  // valid with the prefix
        let noPrefix = try resolver().resolve(pod: Self.pod, container: ["name": "app", "envFrom": [["configMapRef": ["name": "cfg"]]]])
        #expect(names(noPrefix)["1BAD"] == nil)
        #expect(noPrefix.warnings == ["Keys [1BAD] from the EnvFrom configMap shop/cfg were skipped since they are considered invalid environment variable names."])
    }

    @Test func valueFromSourcesAndTheirErrors() throws {
        let env: JSONValue = [
            ["name": "MODE", "valueFrom": ["configMapKeyRef": ["name": "cfg", "key": "MODE"]]],
            ["name": "PW", "valueFrom": ["secretKeyRef": ["name": "creds", "key": "PASSWORD"]]],
            ["name": "OPT", "valueFrom": ["configMapKeyRef": ["name": "nope", "key": "K", "optional": true]]],
            ["name": "POD", "valueFrom": ["fieldRef": ["fieldPath": "metadata.name"]]],
            ["name": "NS", "valueFrom": ["fieldRef": ["fieldPath": "metadata.namespace"]]],
            ["name": "APP", "valueFrom": ["fieldRef": ["fieldPath": "metadata.labels['app']"]]],
            ["name": "TEAM", "valueFrom": ["fieldRef": ["fieldPath": "metadata.annotations['team']"]]],
            ["name": "NODE", "valueFrom": ["fieldRef": ["fieldPath": "spec.nodeName"]]],
            ["name": "IPS", "valueFrom": ["fieldRef": ["fieldPath": "status.podIPs"]]],
            ["name": "HOST", "valueFrom": ["fieldRef": ["fieldPath": "status.hostIP"]]],
        ]
        let result = try resolver().resolve(pod: Self.pod, container: ["name": "app", "env": env])
        let values = names(result)
        #expect(values["MODE"] == "prod")
        #expect(values["PW"] == "s3cret")
        #expect(values["OPT"] == nil)
        #expect(values["POD"] == "web-1" && values["NS"] == "shop" && values["APP"] == "web" && values["TEAM"] == "a")
        #expect(values["NODE"] == "n1" && values["IPS"] == "10.42.0.7,fd00::7" && values["HOST"] == "10.0.0.5")

        func error(_ env: JSONValue) -> String? {
            do {
                _ = try resolver().resolve(pod: Self.pod, container: ["name": "app", "env": env])
                return nil
            } catch {
                return error.message
            }
        }
        #expect(error([["name": "X", "valueFrom": ["configMapKeyRef": ["name": "nope", "key": "K"]]]]) == "configmap \"nope\" not found")
        #expect(error([["name": "X", "valueFrom": ["configMapKeyRef": ["name": "cfg", "key": "K"]]]]) == "couldn't find key K in ConfigMap shop/cfg")
        #expect(error([["name": "X", "valueFrom": ["secretKeyRef": ["name": "nope", "key": "K"]]]]) == "secret \"nope\" not found")
        #expect(error([["name": "X", "valueFrom": ["secretKeyRef": ["name": "creds", "key": "K"]]]]) == "couldn't find key K in Secret shop/creds")
        #expect(error([["name": "X", "valueFrom": ["secretKeyRef": ["name": "creds", "key": "K", "optional": true]]]]) == nil)
        let missingFrom: JSONValue = ["name": "app", "envFrom": [["secretRef": ["name": "gone"]]]]
        #expect(throws: EnvResolver.ConfigError(message: "secret \"gone\" not found")) { try resolver().resolve(pod: Self.pod, container: missingFrom) }
    }

    @Test func resourceFieldRefsRoundUpAndDefaultToTheNode() throws {
        let container: JSONValue = [
            "name": "app",
            "resources": ["limits": ["memory": "64Mi"], "requests": ["cpu": "250m"]],
            "env": [["name": "CPU_REQ", "valueFrom": ["resourceFieldRef": ["resource": "requests.cpu"]]],
                    ["name": "CPU_REQ_M", "valueFrom": ["resourceFieldRef": ["resource": "requests.cpu", "divisor": "1m"]]],
                    ["name": "CPU_LIM", "valueFrom": ["resourceFieldRef": ["resource": "limits.cpu"]]],
                    ["name": "MEM_LIM_MI", "valueFrom": ["resourceFieldRef": ["resource": "limits.memory", "divisor": "1Mi"]]],
                    ["name": "MEM_REQ", "valueFrom": ["resourceFieldRef": ["resource": "requests.memory"]]]],
        ]
        let values = names(try resolver().resolve(pod: Self.pod, container: container))
        #expect(values["CPU_REQ"] == "1")
        #expect(values["CPU_REQ_M"] == "250")
        #expect(values["CPU_LIM"] == "4")
        #expect(values["MEM_LIM_MI"] == "64")
        #expect(values["MEM_REQ"] == "0")
    }

    @Test func serviceVariables() throws {
        let services: [JSONValue] = [
            ["metadata": ["name": "redis-primary", "namespace": "shop"],
             "spec": ["clusterIP": "10.43.0.11", "ports": [["name": "redis", "port": 6379, "protocol": "TCP"], ["name": "metrics", "port": 9121]]]],
            ["metadata": ["name": "headless", "namespace": "shop"], "spec": ["clusterIP": "None", "ports": [["port": 80]]]],
            ["metadata": ["name": "other", "namespace": "elsewhere"], "spec": ["clusterIP": "10.43.0.12", "ports": [["port": 80]]]],
            ["metadata": ["name": "kubernetes", "namespace": "default"], "spec": ["clusterIP": "10.43.0.1", "ports": [["name": "https", "port": 443]]]],
        ]
        let values = names(try resolver(services: services).resolve(pod: Self.pod, container: ["name": "app"]))
        #expect(values["REDIS_PRIMARY_SERVICE_HOST"] == "10.43.0.11")
        #expect(values["REDIS_PRIMARY_SERVICE_PORT"] == "6379")
        #expect(values["REDIS_PRIMARY_SERVICE_PORT_METRICS"] == "9121")
        #expect(values["REDIS_PRIMARY_PORT"] == "tcp://10.43.0.11:6379")
        #expect(values["REDIS_PRIMARY_PORT_6379_TCP_ADDR"] == "10.43.0.11")
        #expect(values["REDIS_PRIMARY_PORT_9121_TCP_PROTO"] == "tcp")
        #expect(values["KUBERNETES_SERVICE_HOST"] == "10.43.0.1")
        #expect(values["KUBERNETES_PORT_443_TCP"] == "tcp://10.43.0.1:443")
        #expect(values["HEADLESS_SERVICE_HOST"] == nil && values["OTHER_SERVICE_HOST"] == nil)
        var noLinks = Self.pod
        noLinks[key: "spec", "enableServiceLinks"] = false
        let linked = names(try resolver(services: services).resolve(pod: noLinks, container: ["name": "app"]))
        #expect(linked["REDIS_PRIMARY_SERVICE_HOST"] == nil)
        #expect(linked["KUBERNETES_SERVICE_HOST"] == "10.43.0.1")
    }

    @Test func envVarNames() {
        #expect(EnvResolver.isEnvVarName("A_b-c.d9"))
        #expect(!EnvResolver.isEnvVarName("9A"))
        #expect(!EnvResolver.isEnvVarName("A=B"))
        #expect(!EnvResolver.isEnvVarName(""))
    }
}
