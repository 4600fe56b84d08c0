import APIMachinery
import CRI
import Foundation
import Kubelet
import Synchronization
import Testing

/// A node whose totals the test sets.
final class FakeHostStats: HostStatsReader {
    let usage = Mutex(HostUsage(usageCoreNanoSeconds: 0, memoryTotalBytes: 8 << 30, memoryFreeBytes: 4 << 30,
                                memoryAvailableBytes: 6 << 30))
    func read() throws -> HostUsage { usage.withLock { $0 } }
}

/// A clock the test moves.
final class TestClock: Sendable {
    let time = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
    func advance(_ seconds: Double) { time.withLock { $0 = $0.addingTimeInterval(seconds) } }
    var now: @Sendable () -> Date { { [self] in time.withLock { $0 } } }
}

@Suite struct StatsSamplerTests {
    /// Starts a container `name` of pod `pod` (namespace shop) as the kubelet labels it; returns its id.
    static func start(_ runtime: FakeContainerRuntime, pod: String, uid: String, containers: [String]) async throws -> [String] {
        let sandbox = try await runtime.runPodSandbox(.with {
            $0.config.metadata = .with { $0.name = pod; $0.namespace = "shop"; $0.uid = uid }
            $0.config.labels = [CRIConfigs.podNameLabel: pod, CRIConfigs.podNamespaceLabel: "shop", CRIConfigs.podUIDLabel: uid]
        }).podSandboxID
        var ids: [String] = []
        for name in containers {
            _ = try await runtime.pullImage(.with { $0.image.image = "busybox" })
            let id = try await runtime.createContainer(.with {
                $0.podSandboxID = sandbox
                $0.config.metadata.name = name
                $0.config.image.image = "busybox"
                $0.config.labels = [CRIConfigs.containerNameLabel: name, CRIConfigs.podNameLabel: pod,
                                    CRIConfigs.podNamespaceLabel: "shop", CRIConfigs.podUIDLabel: uid]
            }).containerID
            _ = try await runtime.startContainer(.with { $0.containerID = id })
            ids.append(id)
        }
        return ids
    }

    @Test func ratesFromTheDifferenceOfTwoSamples() async throws {
        let runtime = FakeContainerRuntime()
        let clock = TestClock()
        let host = FakeHostStats()
        let ids = try await Self.start(runtime, pod: "web", uid: "u1", containers: ["app", "sidecar"])
        await runtime.setTime(nanoseconds: 1_800_000_000_000_000_000)
        await runtime.setContainerUsage(ids[0], usageCoreNanoSeconds: 1_000_000_000, workingSetBytes: 10 << 20)
        await runtime.setContainerUsage(ids[1], usageCoreNanoSeconds: 0, workingSetBytes: 2 << 20)
        host.usage.withLock { $0.usageCoreNanoSeconds = 50_000_000_000 }
        let sampler = StatsSampler(runtime: runtime, host: host, nodeName: "n1", now: clock.now)

        let first = await sampler.sample()
        #expect(first["node"]?["nodeName"]?.stringValue == "n1")
        #expect(first["node"]?["cpu"]?["usageNanoCores"] == nil)  // no rate before a second sample
        #expect(first["node"]?["memory"]?["availableBytes"]?.intValue == 6 << 30)
        #expect(first["node"]?["memory"]?["workingSetBytes"]?.intValue == 2 << 30)
        #expect(first["pods"]?.arrayValue?.count == 1)

        // 10 s later: app used 5 s of CPU (half a core), sidecar 1 s; the node 15 s (1.5 cores).
        clock.advance(10)
        await runtime.advanceTime(by: .seconds(10))
        await runtime.setContainerUsage(ids[0], usageCoreNanoSeconds: 6_000_000_000, workingSetBytes: 12 << 20)
        await runtime.setContainerUsage(ids[1], usageCoreNanoSeconds: 1_000_000_000, workingSetBytes: 2 << 20)
        host.usage.withLock { $0.usageCoreNanoSeconds = 65_000_000_000 }
        let summary = await sampler.sample()
        #expect(summary["node"]?["cpu"]?["usageNanoCores"]?.intValue == 1_500_000_000)
        #expect(summary["node"]?["cpu"]?["usageCoreNanoSeconds"]?.intValue == 65_000_000_000)
        let pod = try #require(summary["pods"]?.arrayValue?.first)
        #expect(pod["podRef"] == ["name": "web", "namespace": "shop", "uid": "u1"])
        #expect(pod["cpu"]?["usageNanoCores"]?.intValue == 600_000_000)
        #expect(pod["cpu"]?["usageCoreNanoSeconds"]?.intValue == 7_000_000_000)
        #expect(pod["memory"]?["workingSetBytes"]?.intValue == 14 << 20)
        let containers = try #require(pod["containers"]?.arrayValue)
        #expect(containers.map { $0["name"]?.stringValue } == ["app", "sidecar"])
        #expect(containers[0]["cpu"]?["usageNanoCores"]?.intValue == 500_000_000)
        #expect(containers[0]["memory"]?["workingSetBytes"]?.intValue == 12 << 20)
        #expect(containers[1]["cpu"]?["usageNanoCores"]?.intValue == 100_000_000)
        #expect(await sampler.summary() == summary)
    }

    @Test func stoppedContainersAndUnlabelledOnesAreLeftOut() async throws {
        let runtime = FakeContainerRuntime()
        let ids = try await Self.start(runtime, pod: "web", uid: "u1", containers: ["app"])
        let other = try await Self.start(runtime, pod: "db", uid: "u2", containers: ["pg"])
        try await runtime.exitContainer(other[0], exitCode: 1)
        await runtime.setContainerUsage(ids[0], usageCoreNanoSeconds: 5, usageNanoCores: 250_000_000, workingSetBytes: 1024)
        let sampler = StatsSampler(runtime: runtime, host: FakeHostStats(), nodeName: "n1")
        let summary = await sampler.summary()
        let pods = try #require(summary["pods"]?.arrayValue)
        #expect(pods.map { $0["podRef"]?["name"]?.stringValue } == ["web"])
        // The first sample takes the runtime's own rate.
        #expect(pods[0]["containers"]?.arrayValue?.first?["cpu"]?["usageNanoCores"]?.intValue == 250_000_000)
    }

    @Test func procParsing() {
        let stat = "cpu  100 20 30 5000 40 5 6 7 0 0\ncpu0 50 10 15 2500 20 2 3 3 0 0\n"
        #expect(ProcHostStats.cpuNanoseconds(stat: stat, ticksPerSecond: 100) == (100 + 20 + 30 + 5 + 6 + 7) * 10_000_000)
        let meminfo = "MemTotal:        8000000 kB\nMemFree:         1000000 kB\nMemAvailable:    5000000 kB\nBuffers: 1 kB\n"
        let memory = ProcHostStats.memory(meminfo: meminfo)
        #expect(memory?.total == 8_192_000_000 && memory?.free == 1_024_000_000 && memory?.available == 5_120_000_000)
        #expect(ProcHostStats.cpuNanoseconds(stat: "intr 1 2", ticksPerSecond: 100) == nil)
    }
}
