import APIMachinery
import Foundation
import Kubelet
import Testing

@Suite struct NodeStatusTests {
    static let facts = HostFacts(hostname: "edge-1", internalIP: "10.0.0.5", cpus: 2, memoryBytes: 24 * 1024 * 1024 * 1024,
                                 ephemeralStorageBytes: 100_000 * 1024 * 1024, kernelVersion: "6.1.0", osImage: "Debian GNU/Linux 12 (bookworm)",
                                 machineID: "m1", bootID: "b1")

    @Test func capacityAllocatableAndInfo() {
        let now = Date(timeIntervalSince1970: 1_767_225_600)
        let status = NodeStatus.status(Self.facts, runtimeVersion: "containerd://1.6.20", ready: true, now: now)
        #expect(status["capacity"] == ["cpu": "2", "memory": "25165824Ki", "ephemeral-storage": "102400000Ki", "pods": "110",
                                       "hugepages-1Gi": "0", "hugepages-2Mi": "0"])
        #expect(status["allocatable"]?["memory"] == "25063424Ki")  // less 100Mi
        let storage: Int64 = 100_000 * 1024 * 1024
        let expected = JSONValue.string(String(storage - storage / 10))
        #expect(status["allocatable"]?["ephemeral-storage"] == expected)
        #expect(status["addresses"] == [["type": "InternalIP", "address": "10.0.0.5"], ["type": "Hostname", "address": "edge-1"]])
        #expect(status["nodeInfo"]?["containerRuntimeVersion"] == "containerd://1.6.20")
        #expect(status["nodeInfo"]?["kubeletVersion"] == "v1.32.0+swiftlet")
        let ready = status["conditions"]?.arrayValue?.first { $0["type"] == "Ready" }
        #expect(ready?["status"] == "True" && ready?["reason"] == "KubeletReady" && ready?["message"] == "kubelet is posting ready status")
        #expect(status["conditions"]?.arrayValue?.map { $0["type"]?.stringValue ?? "" } == ["MemoryPressure", "DiskPressure", "PIDPressure", "Ready"])
        // The transition time stays while the status does.
        let later = NodeStatus.status(Self.facts, runtimeVersion: "containerd://1.6.20", ready: true,
                                      previous: status["conditions"]?.arrayValue ?? [], now: now.addingTimeInterval(60))
        let again = later["conditions"]?.arrayValue?.first { $0["type"] == "Ready" }
        #expect(again?["lastTransitionTime"] == "2026-01-01T00:00:00Z" && again?["lastHeartbeatTime"] == "2026-01-01T00:01:00Z")
        let down = NodeStatus.status(Self.facts, runtimeVersion: "containerd://1.6.20", ready: false,
                                     notReadyMessage: "container runtime is down", previous: later["conditions"]?.arrayValue ?? [],
                                     now: now.addingTimeInterval(120))
        let notReady = down["conditions"]?.arrayValue?.first { $0["type"] == "Ready" }
        #expect(notReady?["status"] == "False" && notReady?["reason"] == "KubeletNotReady")
        #expect(notReady?["lastTransitionTime"] == "2026-01-01T00:02:00Z")
    }

    @Test func readsThisMachine() {
        let facts = HostFacts.read(dataDirectory: "/", internalIP: "127.0.0.1")
        #expect(facts.cpus >= 1)
        #expect(facts.memoryBytes > 64 * 1024 * 1024)
        #expect(facts.ephemeralStorageBytes > 0)
        #expect(!facts.kernelVersion.isEmpty && !facts.hostname.isEmpty)
    }
}
