import APIMachinery
import CRI
import Foundation
import Kubelet
import Testing

@Suite struct CRIConfigsTests {
    static let pod: JSONValue = [
        "metadata": ["name": "web", "namespace": "shop", "uid": "u-1", "labels": ["app": "web"], "annotations": ["note": "n"]],
        "spec": [
            "terminationGracePeriodSeconds": 20,
            "securityContext": ["runAsUser": 1000, "fsGroup": 2000, "sysctls": [["name": "net.ipv4.ip_unprivileged_port_start", "value": "0"]]],
            "dnsConfig": ["options": [["name": "ndots", "value": "2"], ["name": "edns0"]]],
            "containers": [[
                "name": "app", "image": "nginx:1.14.2", "command": ["sh", "-c"], "args": ["echo $(GREETING) $$(HOME)"],
                "workingDir": "/srv", "tty": true,
                "ports": [["containerPort": 80, "hostPort": 8080], ["containerPort": 53, "protocol": "UDP"]],
                "resources": ["requests": ["cpu": "250m", "memory": "64Mi"], "limits": ["cpu": "500m", "memory": "128Mi"]],
                "securityContext": ["runAsUser": 1001, "readOnlyRootFilesystem": true, "allowPrivilegeEscalation": false,
                                    "capabilities": ["add": ["NET_ADMIN"], "drop": ["ALL"]]],
            ]],
        ],
    ]

    @Test func sandbox() {
        let configs = CRIConfigs(logRoot: "/var/log/pods", clusterDNS: ["10.43.0.10"])
        let sandbox = configs.sandbox(Self.pod, attempt: 1)
        #expect(sandbox.metadata.name == "web" && sandbox.metadata.uid == "u-1" && sandbox.metadata.namespace == "shop" && sandbox.metadata.attempt == 1)
        #expect(sandbox.hostname == "web")
        #expect(sandbox.logDirectory == "/var/log/pods/shop_web_u-1")
        #expect(sandbox.dnsConfig.servers == ["10.43.0.10"])
        #expect(sandbox.dnsConfig.searches == ["shop.svc.cluster.local", "svc.cluster.local", "cluster.local"])
        #expect(sandbox.dnsConfig.options == ["ndots:2", "edns0"])
        #expect(sandbox.portMappings.count == 1 && sandbox.portMappings[0].hostPort == 8080 && sandbox.portMappings[0].containerPort == 80)
        #expect(sandbox.labels["io.kubernetes.pod.uid"] == "u-1" && sandbox.labels["app"] == "web")
        #expect(sandbox.annotations == ["note": "n"])
        #expect(sandbox.linux.cgroupParent == "/kubepods/burstable/podu-1")
        #expect(sandbox.linux.securityContext.runAsUser.value == 1000)
        #expect(sandbox.linux.securityContext.supplementalGroups == [2000])
        #expect(sandbox.linux.securityContext.namespaceOptions.network == .pod)
        #expect(sandbox.linux.securityContext.namespaceOptions.pid == .container)
        #expect(sandbox.linux.sysctls == ["net.ipv4.ip_unprivileged_port_start": "0"])
        // Without cluster DNS and a pod dnsConfig, the node's resolv.conf is used (no DNS config).
        var plain = Self.pod
        plain[key: "spec", "dnsConfig"] = nil
        #expect(!CRIConfigs().sandbox(plain, attempt: 0).hasDnsConfig)
        var host = plain
        host[key: "spec", "hostNetwork"] = true
        #expect(CRIConfigs().sandbox(host, attempt: 0).hostname == "")
        #expect(CRIConfigs().sandbox(host, attempt: 0).linux.securityContext.namespaceOptions.network == .node)
    }

    @Test func qosCgroupParents() {
        func pod(_ resources: JSONValue) -> JSONValue {
            ["metadata": ["name": "p", "namespace": "d", "uid": "x"], "spec": ["containers": [["name": "c", "resources": resources]]]]
        }
        #expect(CRIConfigs.cgroupParent(pod([:])) == "/kubepods/besteffort/podx")
        #expect(CRIConfigs.cgroupParent(pod(["limits": ["cpu": "1", "memory": "1Gi"]])) == "/kubepods/podx")
        #expect(CRIConfigs.cgroupParent(pod(["requests": ["cpu": "1"]])) == "/kubepods/burstable/podx")
    }

    @Test func container() {
        let configs = CRIConfigs(nodeMemoryBytes: 1024 * 1024 * 1024)
        let spec = Self.pod["spec"]!["containers"]!.arrayValue![0]
        let mount = Runtime_V1_Mount.with { $0.containerPath = "/data"; $0.hostPath = "/var/lib/x"; $0.readonly = true }
        let config = configs.container(spec, pod: Self.pod, attempt: 2, env: [.init("GREETING", "hi")], mounts: [mount],
                                       image: "docker.io/library/nginx:1.14.2")
        #expect(config.metadata.name == "app" && config.metadata.attempt == 2)
        #expect(config.image.image == "docker.io/library/nginx:1.14.2")
        #expect(config.command == ["sh", "-c"])
        #expect(config.args == ["echo hi $(HOME)"])
        #expect(config.workingDir == "/srv" && config.tty && !config.stdin)
        #expect(config.envs.map { "\($0.key)=\($0.value)" } == ["GREETING=hi"])
        #expect(config.mounts == [mount])
        #expect(config.logPath == "app/2.log")
        #expect(config.labels["io.kubernetes.container.name"] == "app")
        #expect(config.annotations["io.kubernetes.pod.terminationGracePeriod"] == "20")
        let resources = config.linux.resources
        #expect(resources.cpuShares == 256)
        #expect(resources.cpuPeriod == 100_000 && resources.cpuQuota == 50_000)
        #expect(resources.memoryLimitInBytes == 128 * 1024 * 1024)
        #expect(resources.oomScoreAdj == 938)  // Burstable: 1000 - 1000 * 64Mi / 1Gi
        let security = config.linux.securityContext
        #expect(security.runAsUser.value == 1001)
        #expect(security.readonlyRootfs && security.noNewPrivs && !security.privileged)
        #expect(security.capabilities.addCapabilities == ["NET_ADMIN"] && security.capabilities.dropCapabilities == ["ALL"])
        #expect(security.maskedPaths.contains("/proc/kcore") && security.readonlyPaths.contains("/proc/sys"))
        #expect(security.supplementalGroups == [2000])
    }
}
