import APIMachinery
import APIServer
import APITypes
import Client
import ClientLoopback
import ControllerManager
import Foundation
import Hummingbird
import Logging
import Prometheus
import Registry
import SchedulerService
import ServiceLifecycle
import Storage
import StorageSQLite
import Synchronization

/// The control plane of one server: the store, the registry, the API server and the loops inside the
/// server, run as one ServiceGroup that stops cleanly on SIGTERM and SIGINT.
public struct ControlPlane: Sendable {
    public let configuration: ServerConfiguration
    let logger: Logger

    public init(configuration: ServerConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    public func run() async throws {
        let start = ContinuousClock.now
        try FileManager.default.createDirectory(atPath: configuration.dataDirectory, withIntermediateDirectories: true)
        let storage = try SQLiteStorage(path: configuration.dataDirectory + "/state.db")
        let metricsScraper = KubeletMetricsScraper(logger: logger)
        let registry = Registry(storage: storage, definitions: Registry.builtInDefinitions(serviceIPRange: configuration.serviceCIDR, clusterCIDR: configuration.clusterCIDR)
                                    .withMetrics(from: metricsScraper),
                                schema: BuiltInSchema())
        try await registry.bootstrap()
        try await registry.bootstrapDefaultStorageClass()
        for problem in try await registry.bootstrapKubernetesService(range: configuration.serviceCIDR, port: configuration.port,
                                                                     address: configuration.bindAddress) {
            logger.warning("the kubernetes Service: \(problem)")
        }

        let address = "\(configuration.bindAddress):\(configuration.port)"
        let ready = Atomic<Bool>(false)
        let metrics = PrometheusCollectorRegistry()
        let responder = APIResponder(registry: registry, serverAddress: address,
                                     readiness: { ready.load(ordering: .relaxed) }, metrics: metrics, logger: logger)
        let server = "http://\(configuration.bindAddress.contains(":") ? "[\(configuration.bindAddress)]" : configuration.bindAddress):\(configuration.port)"
        try Kubeconfig.write(to: configuration.kubeconfigPath, server: server)
        FileHandle.standardOutput.write(Data("Wrote kubeconfig \(configuration.kubeconfigPath)\n".utf8))
        let logger = self.logger
        let app = Application(
            responder: responder,
            server: .kubernetesAPI(streams: PodStreams(registry: registry)),
            configuration: .init(address: .hostname(configuration.bindAddress, port: configuration.port), serverName: nil),
            onServerRunning: { _ in
                ready.store(true, ordering: .relaxed)
                let elapsed = ContinuousClock.now - start
                logger.info("swiftlet API server ready on \(server) in \(elapsed)")
            },
            logger: logger
        )
        var services: [any Service] = [
            app,
            LoopService(name: "metrics-scraper") { await metricsScraper.run(registry: registry) },
            LoopService(name: "namespace-lifecycle") { await NamespaceLifecycle(registry: registry, logger: logger).run() },
            LoopService(name: "compaction") {
                await Compaction(storage: storage, retained: configuration.retainedRevisions,
                                 interval: configuration.compactionInterval, logger: logger).run()
            },
        ]
        if !configuration.disableScheduler {
            // Informers start in the background once the API is ready; they never delay readiness.
            let scheduler = SchedulerService(client: LoopbackClient(registry: registry), metrics: metrics)
            services.append(LoopService(name: "scheduler") {
                while !ready.load(ordering: .relaxed), !Task.isCancelled { try? await Task.sleep(for: .milliseconds(5)) }
                await scheduler.run()
            })
        }
        let controllerManager = ControllerManager(
            context: ControllerContext(client: LoopbackClient(registry: registry), logger: logger,
                                      options: ControllerOptions(nodeMonitorGracePeriod: configuration.nodeMonitorGracePeriod,
                                                                 terminatedPodGCThreshold: configuration.terminatedPodGCThreshold,
                                                                 localPathBase: configuration.effectiveLocalStoragePath)),
            disabled: configuration.disabledControllers,
            leaderElection: LeaderElectionConfig(name: "kube-controller-manager",
                                                 identity: "\(ProcessInfo.processInfo.hostName)_\(UUID().uuidString.lowercased())"))
        if !controllerManager.enabled.isEmpty {
            services.append(LoopService(name: "controller-manager") {
                while !ready.load(ordering: .relaxed), !Task.isCancelled { try? await Task.sleep(for: .milliseconds(5)) }
                await controllerManager.run()
            })
        }
        if var agentConfiguration = configuration.agent {
            agentConfiguration.localStoragePath = configuration.effectiveLocalStoragePath
            // The agent talks to the registry in-process; it starts once the API is ready. If it cannot run
            // (not root, no containerd), the control plane keeps serving and the log says why.
            let agent = NodeAgent(configuration: agentConfiguration, client: LoopbackClient(registry: registry),
                                  logger: logger)
            services.append(LoopService(name: "agent") {
                while !ready.load(ordering: .relaxed), !Task.isCancelled { try? await Task.sleep(for: .milliseconds(5)) }
                if let problem = agent.unmetRequirement() {
                    logger.error("the node agent cannot run: \(problem); serving the control plane only (pass --disable-agent to silence this)")
                    return
                }
                do {
                    try await agent.run()
                } catch where !(error is CancellationError) {
                    logger.error("the node agent stopped: \(error); serving the control plane only")
                } catch {}
            })
        }
        let group = ServiceGroup(configuration: .init(
            services: services.map { .init(service: $0) },
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        try await group.run()
        try await storage.close()
        logger.info("swiftlet stopped")
    }
}

/// A background loop as a Service: cancelled on graceful shutdown.
struct LoopService: Service {
    let name: String
    let body: @Sendable () async -> Void

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await body()
        }
    }
}

/// Compacts storage history periodically, keeping the last `retained` revisions for watches.
struct Compaction: Sendable {
    let storage: any Storage
    let retained: Int64
    let interval: Duration
    let logger: Logger

    func run() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            if Task.isCancelled { return }
            do {
                let current = try await storage.currentRevision()
                let target = current - retained
                if target > (try await storage.compactedRevision()) {
                    try await storage.compact(revision: target)
                }
            } catch {
                logger.warning("compaction: \(error)")
            }
        }
    }
}
