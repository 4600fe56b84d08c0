import APIMachinery
import Client
import ClientLoopback
import Foundation
import Registry
import SimNodes
import Storage
import Testing

func pod(_ name: String, restartPolicy: String = "Always", annotations: [String: JSONValue] = [:],
         containers: [String] = ["app"], initContainers: [String] = [], node: String = "sim-1") -> JSONValue {
    var spec: [String: JSONValue] = [
        "nodeName": .string(node), "restartPolicy": .string(restartPolicy),
        "containers": .array(containers.map { ["name": .string($0), "image": .string("nginx:\($0)")] }),
    ]
    if !initContainers.isEmpty {
        spec["initContainers"] = .array(initContainers.map { ["name": .string($0), "image": "busybox"] })
    }
    return ["apiVersion": "v1", "kind": "Pod",
            "metadata": ["name": .string(name), "namespace": "default", "uid": "u-1", "annotations": .object(annotations)],
            "spec": .object(spec),
            "status": ["phase": "Pending", "qosClass": "BestEffort",
                       "conditions": [["type": "PodScheduled", "status": "True", "lastTransitionTime": "2026-01-01T00:00:00Z"]]]]
}

/// The condition of `type` in `conditions`.
func condition(_ conditions: [JSONValue], _ type: String) -> JSONValue? {
    conditions.first(where: { $0["type"]?.stringValue == type })
}

@Suite struct PodIPPoolTests {
    @Test func allocatesLowestFreeFromDotTwoAndReleases() throws {
        var pool = try #require(PodIPPool(cidr: "10.42.3.0/24"))
        #expect(pool.cidr == "10.42.3.0/24")
        #expect(pool.capacity == 253)
        let a = pool.allocate("a"), b = pool.allocate("b"), again = pool.allocate("a")
        #expect(a == "10.42.3.2")
        #expect(b == "10.42.3.3")
        #expect(again == "10.42.3.2")  // the same key keeps its address
        pool.release("a")
        let c = pool.allocate("c")
        #expect(c == "10.42.3.2")
        #expect(pool.contains("10.42.3.254"))
        #expect(!pool.contains("10.42.3.255"))
        #expect(!pool.contains("10.42.3.1"))
        #expect(!pool.contains("10.42.4.2"))
    }

    @Test func reserveAndExhaustion() throws {
        var pool = try #require(PodIPPool(cidr: "10.0.0.0/30"))  // only 10.0.0.2 is usable
        let reservedX = pool.reserve("x", ip: "10.0.0.2")
        let reservedTaken = pool.reserve("y", ip: "10.0.0.2")
        let reservedOutside = pool.reserve("y", ip: "10.9.0.2")
        #expect(reservedX)
        #expect(!reservedTaken)
        #expect(!reservedOutside)
        #expect(pool.capacity == 1)
        let full = pool.allocate("y")
        #expect(full == nil)
        pool.release("x")
        let freed = pool.allocate("y")
        #expect(freed == "10.0.0.2")
        #expect(PodIPPool(cidr: "10.0.0.0") == nil)
        #expect(PodIPPool(cidr: "") == nil)
    }

    @Test func nodeAddresses() {
        #expect(IPv4.nodeAddress(index: 1) == "172.30.0.1")
        #expect(IPv4.nodeAddress(index: 254) == "172.30.0.254")
        #expect(IPv4.nodeAddress(index: 255) == "172.30.1.1")
        let addresses = Set((1...2000).map { IPv4.nodeAddress(index: $0) })
        #expect(addresses.count == 2000)
    }
}

@Suite struct SimObjectsTests {
    @Test func nodeRegistration() throws {
        var options = SimNodeOptions()
        options.cpu = "4"
        options.memory = "16Gi"
        options.pods = 50
        let node = SimObjects.node(index: 2, options: options, now: "2026-01-01T00:00:00Z")
        #expect(node.name == "sim-2")
        #expect(node.labels["kubernetes.io/hostname"] == "sim-2")
        #expect(node.labels["node.kubernetes.io/instance-type"] == "sim")
        let status = try #require(node["status"])
        #expect(status["capacity"]?["cpu"] == "4")
        #expect(status["allocatable"]?["memory"] == "16Gi")
        #expect(status["allocatable"]?["pods"] == "50")
        #expect(status["capacity"]?["ephemeral-storage"] != nil)
        #expect(status["nodeInfo"]?["kubeletVersion"] == "v1.32.0")
        #expect(status["nodeInfo"]?["containerRuntimeVersion"] == "sim://1.0")
        #expect(status["addresses"] == [["type": "InternalIP", "address": "172.30.0.2"], ["type": "Hostname", "address": "sim-2"]])
        let conditions = status["conditions"]?.arrayValue ?? []
        let ready = try #require(condition(conditions, "Ready"))
        #expect(ready["status"] == "True")
        #expect(ready["reason"] == "KubeletReady")
        #expect(ready["message"] == "kubelet is posting ready status")
        for type in ["MemoryPressure", "DiskPressure", "PIDPressure"] {
            #expect(condition(conditions, type)?["status"] == "False")
        }
    }

    @Test func heartbeatKeepsTransitionTimes() {
        let first = SimObjects.nodeConditions(now: "2026-01-01T00:00:00Z")
        let later = SimObjects.nodeConditions(now: "2026-01-01T00:05:00Z", previous: first)
        let ready = condition(later, "Ready")
        #expect(ready?["lastHeartbeatTime"] == "2026-01-01T00:05:00Z")
        #expect(ready?["lastTransitionTime"] == "2026-01-01T00:00:00Z")
    }

    @Test func lease() {
        let lease = SimObjects.lease(node: "sim-1", nodeUID: "n-1", durationSeconds: 40, renewTime: "2026-01-01T00:00:00.000000Z")
        #expect(lease.namespace == "kube-node-lease")
        #expect(lease["spec"]?["holderIdentity"] == "sim-1")
        #expect(lease["spec"]?["leaseDurationSeconds"] == 40)
        #expect(lease["metadata"]?["ownerReferences"]?.arrayValue?.first?["uid"] == "n-1")
    }
}

@Suite struct SimPodStatusTests {
    @Test func runningStatus() throws {
        let p = pod("web", containers: ["app", "sidecar"], initContainers: ["setup"])
        let status = SimPodStatus.running(p, hostIP: "172.30.0.1", podIP: "10.42.0.2", now: "2026-01-01T00:01:00Z")
        #expect(status["phase"] == "Running")
        #expect(status["qosClass"] == "BestEffort")
        #expect(status["hostIP"] == "172.30.0.1")
        #expect(status["hostIPs"] == [["ip": "172.30.0.1"]])
        #expect(status["podIP"] == "10.42.0.2")
        #expect(status["podIPs"] == [["ip": "10.42.0.2"]])
        #expect(status["startTime"] == "2026-01-01T00:01:00Z")
        let conditions = status["conditions"]?.arrayValue ?? []
        for type in ["PodScheduled", "Initialized", "ContainersReady", "Ready"] {
            #expect(condition(conditions, type)?["status"] == "True")
        }
        // PodScheduled was already True: its transition time is kept.
        #expect(condition(conditions, "PodScheduled")?["lastTransitionTime"] == "2026-01-01T00:00:00Z")
        let containers = status["containerStatuses"]?.arrayValue ?? []
        #expect(containers.count == 2)
        let app = try #require(containers.first)
        #expect(app["name"] == "app")
        #expect(app["ready"] == true)
        #expect(app["started"] == true)
        #expect(app["restartCount"] == 0)
        #expect(app["image"] == "nginx:app")
        #expect(app["imageID"] == "sim://nginx:app")
        #expect(app["containerID"] == "sim://u-1-app")
        #expect(app["state"]?["running"]?["startedAt"] == "2026-01-01T00:01:00Z")
        let setup = try #require(status["initContainerStatuses"]?.arrayValue?.first)
        #expect(setup["state"]?["terminated"]?["reason"] == "Completed")
        #expect(setup["state"]?["terminated"]?["exitCode"] == 0)
    }

    @Test func completedAndFailedStatus() throws {
        var p = pod("job", restartPolicy: "Never")
        p["status"] = SimPodStatus.running(p, hostIP: "172.30.0.1", podIP: "10.42.0.2", now: "2026-01-01T00:01:00Z")
        let done = SimPodStatus.completed(p, exitCode: 0, hostIP: "172.30.0.1", podIP: nil, now: "2026-01-01T00:02:00Z")
        #expect(done["phase"] == "Succeeded")
        #expect(done["podIP"] == "10.42.0.2")
        let terminated = try #require(done["containerStatuses"]?.arrayValue?.first?["state"]?["terminated"])
        #expect(terminated["reason"] == "Completed")
        #expect(terminated["exitCode"] == 0)
        #expect(terminated["startedAt"] == "2026-01-01T00:01:00Z")
        #expect(terminated["finishedAt"] == "2026-01-01T00:02:00Z")
        #expect(done["containerStatuses"]?.arrayValue?.first?["ready"] == false)
        let ready = condition(done["conditions"]?.arrayValue ?? [], "Ready")
        #expect(ready?["status"] == "False")
        #expect(ready?["reason"] == "PodCompleted")
        let failed = SimPodStatus.completed(p, exitCode: 3, hostIP: "172.30.0.1", podIP: nil, now: "2026-01-01T00:02:00Z")
        #expect(failed["phase"] == "Failed")
        #expect(failed["containerStatuses"]?.arrayValue?.first?["state"]?["terminated"]?["reason"] == "Error")
        #expect(failed["containerStatuses"]?.arrayValue?.first?["state"]?["terminated"]?["exitCode"] == 3)
    }

    @Test func actions() {
        let now = RFC3339.parse("2026-01-01T00:01:10Z")!.timeIntervalSince1970
        #expect(SimPodStatus.action(for: pod("a"), now: now) == .run)
        #expect(SimPodStatus.action(for: pod("b", restartPolicy: "Never"), now: now) == .complete(exitCode: 0))
        #expect(SimPodStatus.action(for: pod("c", restartPolicy: "OnFailure", annotations: [SimAnnotations.exitCode: "2"]), now: now)
                == .complete(exitCode: 2))
        var timed = pod("d", restartPolicy: "Never", annotations: [SimAnnotations.runSeconds: "30"])
        #expect(SimPodStatus.action(for: timed, now: now) == .run)
        timed["status"] = SimPodStatus.running(timed, hostIP: "172.30.0.1", podIP: "10.42.0.2", now: "2026-01-01T00:01:00Z")
        #expect(SimPodStatus.action(for: timed, now: now) == .completeLater(afterSeconds: 20))
        #expect(SimPodStatus.action(for: timed, now: now + 20) == .complete(exitCode: 0))
        var running = pod("e")
        running["status"] = SimPodStatus.running(running, hostIP: "172.30.0.1", podIP: "10.42.0.3", now: "2026-01-01T00:01:00Z")
        #expect(SimPodStatus.action(for: running, now: now) == .none)
        running[key: "metadata", "deletionTimestamp"] = "2026-01-01T00:01:05Z"
        #expect(SimPodStatus.action(for: running, now: now) == .stopAndDelete)
        // Without a pod IP (a node without podCIDR) a running pod is left alone too.
        var noIP = pod("g")
        noIP["status"] = SimPodStatus.running(noIP, hostIP: "172.30.0.1", podIP: nil, now: "2026-01-01T00:01:00Z")
        #expect(noIP["status"]?["podIP"] == nil)
        #expect(noIP["status"]?["podIPs"] == nil)
        #expect(SimPodStatus.action(for: noIP, now: now) == .none)
        var finished = pod("f", restartPolicy: "Never")
        finished[key: "status", "phase"] = "Succeeded"
        #expect(SimPodStatus.action(for: finished, now: now) == .none)
    }
}
