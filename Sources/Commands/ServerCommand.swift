import ArgumentParser
import Cluster
import ControllerManager
import Foundation
import Logging

/// `swiftlet server`: the control plane and, unless --disable-agent, a node agent on this machine.
struct ServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "server", abstract: "Run the Swiftlet control plane.")

    @Option(help: "Directory for the state database.")
    var dataDir = "/var/lib/swiftlet"

    @Option(help: "Address the API server listens on.")
    var bindAddress = "127.0.0.1"

    @Option(help: "Port the API server listens on.")
    var port = 6443

    @Option(help: "Where to write the kubeconfig for clients.")
    var writeKubeconfig = "/etc/swiftlet/swiftlet.yaml"

    @Option(help: "IPv4 CIDR Service ClusterIPs are allocated from (a /12 to /30).")
    var serviceCidr = "10.43.0.0/16"

    @Option(help: "IPv4 CIDR nodes' pod CIDRs (a /24 each) are allocated from (a /8 to /24).")
    var clusterCidr = "10.42.0.0/16"

    @Flag(help: "Run without a node agent on this machine (the control plane only).")
    var disableAgent = false

    @OptionGroup(title: "Node agent (unless --disable-agent; its data goes to DATA-DIR/agent)")
    var agent: AgentOptions

    @Flag(help: "Run without the scheduler (pending pods are not bound to nodes).")
    var disableScheduler = false

    @Option(help: ArgumentHelp("Controllers not to run, comma-separated (or \"all\"): \(ControllerManager.names.joined(separator: ", ")).",
                               valueName: "names"))
    var disableControllers = ""

    @Option(help: "Terminated pods (Succeeded or Failed) kept before the pod garbage collector deletes the oldest; 0 disables it.")
    var terminatedPodGcThreshold = 12500

    @Option(help: ArgumentHelp("Where the local-path provisioner puts volume directories on the nodes (default: DATA-DIR/storage).",
                               valueName: "path"))
    var defaultLocalStoragePath: String?

    @Option(help: ArgumentHelp("Seconds a node may go without heartbeats before it is marked NotReady (Unknown).", visibility: .hidden))
    var nodeMonitorGracePeriodSeconds = 40

    @Option(help: ArgumentHelp("Revisions of history kept for watches.", visibility: .hidden))
    var historyRevisions: Int64 = 10_000

    @Option(help: ArgumentHelp("Seconds between compactions of the history.", visibility: .hidden))
    var compactionIntervalSeconds = 60

    @Option(help: "Log level (trace, debug, info, notice, warning, error, critical).")
    var logLevel = "info"

    var disabledControllers: Set<String> {
        let names = disableControllers.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return names.contains("all") ? Set(ControllerManager.names) : Set(names)
    }

    func validate() throws {
        guard terminatedPodGcThreshold >= 0 else { throw ValidationError("--terminated-pod-gc-threshold must not be negative") }
        let unknown = disabledControllers.subtracting(ControllerManager.names).sorted()
        if !unknown.isEmpty {
            throw ValidationError("--disable-controllers: unknown controller(s) \(unknown.joined(separator: ", ")); known: \(ControllerManager.names.joined(separator: ", "))")
        }
        var probe = ServerConfiguration()
        guard probe.setServiceCIDR(serviceCidr) else {
            throw ValidationError("--service-cidr must be an IPv4 CIDR with a prefix length from 12 to 30, e.g. 10.43.0.0/16")
        }
        guard probe.setClusterCIDR(clusterCidr) else {
            throw ValidationError("--cluster-cidr must be an IPv4 CIDR with a prefix length from 8 to 24, e.g. 10.42.0.0/16")
        }
    }

    func run() async throws {
        var configuration = ServerConfiguration()
        configuration.dataDirectory = dataDir
        configuration.bindAddress = bindAddress
        configuration.port = port
        configuration.kubeconfigPath = writeKubeconfig
        _ = configuration.setServiceCIDR(serviceCidr)
        _ = configuration.setClusterCIDR(clusterCidr)
        configuration.agent = disableAgent ? nil
            : agent.configuration(dataDirectory: dataDir + "/agent", defaultNodeName: ProcessInfo.processInfo.hostName)
        configuration.disableScheduler = disableScheduler
        configuration.disabledControllers = disabledControllers
        configuration.nodeMonitorGracePeriod = .seconds(max(1, nodeMonitorGracePeriodSeconds))
        configuration.terminatedPodGCThreshold = terminatedPodGcThreshold
        configuration.localStoragePath = defaultLocalStoragePath
        configuration.retainedRevisions = max(1, historyRevisions)
        configuration.compactionInterval = .seconds(max(1, compactionIntervalSeconds))
        var logger = Logger(label: "swiftlet")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        try await ControlPlane(configuration: configuration, logger: logger).run()
    }
}
