import ArgumentParser
import ClientHTTP
import Foundation
import SimNodes

/// `swiftlet sim-nodes`: simulated nodes that register, heartbeat and run the pods bound to them
/// without containers, talking to the API server over HTTP like kubelets.
struct SimNodesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sim-nodes",
        abstract: "Run simulated nodes (registration, Lease heartbeats, pod status) against an API server.")

    @Option(help: "Kubeconfig of the API server.")
    var kubeconfig: String

    @Option(help: "How many nodes to simulate.")
    var count = 1

    @Option(help: "Node names are this prefix followed by 1, 2, ….")
    var prefix = "sim-"

    @Option(help: "CPU capacity of each node.")
    var cpu = "8"

    @Option(help: "Memory capacity of each node.")
    var memory = "32Gi"

    @Option(help: "Pod capacity of each node.")
    var pods = 110

    @Option(help: ArgumentHelp("Seconds between Lease renewals.", visibility: .hidden))
    var leaseIntervalSeconds = 10

    func validate() throws {
        guard count >= 1 else { throw ValidationError("--count must be at least 1") }
        guard pods >= 1 else { throw ValidationError("--pods must be at least 1") }
        guard leaseIntervalSeconds >= 1 else { throw ValidationError("--lease-interval-seconds must be at least 1") }
    }

    func run() async throws {
        var options = SimNodeOptions()
        options.count = count
        options.prefix = prefix
        options.cpu = cpu
        options.memory = memory
        options.pods = pods
        options.leaseInterval = .seconds(leaseIntervalSeconds)
        let client = try HTTPAPIClient(kubeconfigPath: kubeconfig)
        let log: @Sendable (String) -> Void = { line in FileHandle.standardError.write(Data("sim-nodes: \(line)\n".utf8)) }
        let simulator = NodeSimulator(client: client, options: options, log: log)
        // SIGINT/SIGTERM: stop heartbeating and exit; the nodes stay registered, as when a kubelet dies.
        try await runCancellingOnSignals(onSignal: { log("signal \($0): stopping") }) { try await simulator.run() }
    }
}
