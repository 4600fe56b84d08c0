import APIMachinery
import Client
import ClientLoopback
import ControllerManager
import Foundation
import Registry
import Storage
import Synchronization
import Testing

/// Pod CPU usage the test sets (millicores by pod name), as metrics.k8s.io would report it.
final class FakeMetricsSource: MetricsSource {
    let cpu = Mutex<[String: Int64]>([:])
    func snapshot(registry: Registry) async -> MetricsSnapshot {
        var snapshot = MetricsSnapshot()
        for (key, milli) in cpu.withLock({ $0 }) {
            snapshot.pods[key] = .init(timestamp: Date(), windowSeconds: 10,
                                       containers: [("app", ResourceUsage(cpuNanoCores: milli * 1_000_000, memoryBytes: 1 << 20))])
        }
        return snapshot
    }
}

@Suite struct HorizontalPodAutoscalerControllerTests {
    static func cluster(_ source: FakeMetricsSource) async throws -> (Registry, LoopbackClient, ControllerContext) {
        let registry = Registry(storage: MemoryStorage(), definitions: Registry.builtInDefinitions().withMetrics(from: source), schema: BuiltInSchema())
        try await registry.bootstrap()
        let client = LoopbackClient(registry: registry)
        var options = ControllerOptions()
        options.horizontalPodAutoscalerSyncPeriod = .milliseconds(50)
        return (registry, client, ControllerContext(client: client, options: options))
    }

    static func deployment(replicas: Int64) -> JSONValue {
        ["apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": "burn", "namespace": "default"],
         "spec": ["replicas": .int(replicas), "selector": ["matchLabels": ["app": "burn"]],
                  "template": ["metadata": ["labels": ["app": "burn"]],
                               "spec": ["containers": [["name": "app", "image": "busybox", "resources": ["requests": ["cpu": "100m"]]]]]]]]
    }

    /// A Running, Ready pod of the Deployment (no ReplicaSet controller runs here).
    static func pod(_ name: String, request: Bool = true) -> JSONValue {
        var container: JSONValue = ["name": "app", "image": "busybox"]
        if request { container["resources"] = ["requests": ["cpu": "100m"]] }
        return ["apiVersion": "v1", "kind": "Pod", "metadata": ["name": .string(name), "namespace": "default", "labels": ["app": "burn"]],
                "spec": ["containers": [container]]]
    }

    static func makeRunning(_ client: LoopbackClient, _ name: String) async throws {
        var pod = try await client.get(.pods, namespace: "default", name: name)
        pod["status"] = ["phase": "Running", "conditions": [["type": "Ready", "status": "True"]]]
        _ = try await client.updateStatus(.pods, namespace: "default", object: pod)
    }

    static func hpa(scaleDownWindow: Int64) -> JSONValue {
        ["apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": ["name": "burn", "namespace": "default"],
         "spec": ["scaleTargetRef": ["apiVersion": "apps/v1", "kind": "Deployment", "name": "burn"], "minReplicas": 1, "maxReplicas": 5,
                  "metrics": [["type": "Resource", "resource": ["name": "cpu", "target": ["type": "Utilization", "averageUtilization": 50]]]],
                  "behavior": ["scaleDown": ["stabilizationWindowSeconds": .int(scaleDownWindow)]]]]
    }

    static let hpaResource = ResourceID(group: "autoscaling", version: "v2", resource: "horizontalpodautoscalers", namespaced: true)

    @Test func scalesUpOnHighCPUAndDownAfterTheWindow() async throws {
        let source = FakeMetricsSource()
        let (_, client, context) = try await Self.cluster(source)
        _ = try await client.create(.deployments, namespace: "default", object: Self.deployment(replicas: 2))
        for name in ["burn-a", "burn-b"] {
            _ = try await client.create(.pods, namespace: "default", object: Self.pod(name))
            try await Self.makeRunning(client, name)
        }
        source.cpu.withLock { $0 = ["default/burn-a": 100, "default/burn-b": 100] }  // 100 % of requests, target 50 %
        _ = try await client.create(Self.hpaResource, namespace: "default", object: Self.hpa(scaleDownWindow: 2))

        let controller = HorizontalPodAutoscalerController(context: context)
        let task = Task {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await controller.run(workers: 1) }
                context.informers.start()
                await group.waitForAll()
            }
        }
        defer { task.cancel() }
        let replicas: @Sendable () async -> Int64? = {
            try? await client.get(.deployments, namespace: "default", name: "burn")["spec"]?["replicas"]?.intValue
        }
        #expect(await eventually { await replicas() == 4 })
        let scaled = try await client.get(Self.hpaResource, namespace: "default", name: "burn")
        #expect(await eventually {
            let hpa = try? await client.get(Self.hpaResource, namespace: "default", name: "burn")
            return hpa?["status"]?["currentMetrics"]?.arrayValue?.first?["resource"]?["current"]?["averageUtilization"]?.intValue == 100
        })
        #expect(scaled["status"]?["lastScaleTime"] != nil)
        let events = try await client.list(.events, namespace: "default").items
        #expect(events.contains { $0["reason"]?.stringValue == "SuccessfulRescale"
            && $0["message"]?.stringValue == "New size: 4; reason: cpu resource utilization (percentage of request) above target" })

        // The load stops: held by the 2 s scale-down window, then down to minReplicas.
        source.cpu.withLock { $0 = ["default/burn-a": 1, "default/burn-b": 1] }
        #expect(await eventually {
            let hpa = try? await client.get(Self.hpaResource, namespace: "default", name: "burn")
            return hpa?["status"]?["conditions"]?.arrayValue?.contains { $0["reason"]?.stringValue == "ScaleDownStabilized" } == true
        })
        #expect(await replicas() == 4)
        #expect(await eventually(timeout: .seconds(10)) { await replicas() == 1 })
        let final = try await client.get(Self.hpaResource, namespace: "default", name: "burn")
        let conditions = final["status"]?["conditions"]?.arrayValue ?? []
        #expect(conditions.map { $0["type"]?.stringValue ?? "" } == ["AbleToScale", "ScalingActive", "ScalingLimited"])
        #expect(conditions[1]["reason"]?.stringValue == "ValidMetricFound")
    }

    @Test func podsWithoutRequestsCannotBeScaledByUtilization() async throws {
        let source = FakeMetricsSource()
        let (_, client, context) = try await Self.cluster(source)
        _ = try await client.create(.deployments, namespace: "default", object: Self.deployment(replicas: 1))
        _ = try await client.create(.pods, namespace: "default", object: Self.pod("burn-a", request: false))
        try await Self.makeRunning(client, "burn-a")
        source.cpu.withLock { $0 = ["default/burn-a": 300] }
        _ = try await client.create(Self.hpaResource, namespace: "default", object: Self.hpa(scaleDownWindow: 0))
        let controller = HorizontalPodAutoscalerController(context: context)
        let task = Task {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await controller.run(workers: 1) }
                context.informers.start()
                await group.waitForAll()
            }
        }
        defer { task.cancel() }
        #expect(await eventually {
            let hpa = try? await client.get(Self.hpaResource, namespace: "default", name: "burn")
            return hpa?["status"]?["conditions"]?.arrayValue?.contains {
                $0["type"]?.stringValue == "ScalingActive" && $0["status"]?.stringValue == "False"
                    && $0["reason"]?.stringValue == "FailedGetResourceMetric"
                    && $0["message"]?.stringValue == "the HPA was unable to compute the replica count: failed to get cpu utilization: missing request for cpu in container app of Pod burn-a"
            } == true
        })
        #expect(try await client.get(.deployments, namespace: "default", name: "burn")["spec"]?["replicas"]?.intValue == 1)
    }
}
