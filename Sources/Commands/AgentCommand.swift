import ArgumentParser
import Client
import ClientHTTP
import Cluster
import Foundation
import Logging

/// `swiftlet agent`: a node — containerd and a kubelet — joined to an API server.
struct AgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract: "Run a node agent (containerd and a kubelet) joined to an API server.")

    @Option(help: "Kubeconfig of the API server (or give --server).")
    var kubeconfig: String?

    @Option(help: "The API server's URL (with --token).")
    var server: String?

    @Option(help: "A bearer token for --server.")
    var token: String?

    @Option(help: "The kubelet's and containerd's data directory.")
    var dataDir = "/var/lib/swiftlet/agent"

    @OptionGroup var agent: AgentOptions

    @Option(help: ArgumentHelp("The server's --default-local-storage-path (directories of deleted volumes under it are removed).",
                               valueName: "path"))
    var defaultLocalStoragePath = "/var/lib/swiftlet/storage"

    @Option(help: "Log level (trace, debug, info, notice, warning, error, critical).")
    var logLevel = "info"

    func validate() throws {
        guard kubeconfig != nil || server != nil else { throw ValidationError("give --kubeconfig or --server") }
    }

    func run() async throws {
        var logger = Logger(label: "swiftlet.agent")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        let client: any APIClient
        if let kubeconfig {
            client = try HTTPAPIClient(kubeconfigPath: kubeconfig)
        } else {
            client = HTTPAPIClient(cluster: KubeconfigCluster(server: server ?? "", bearerToken: token))
        }
        var configuration = agent.configuration(dataDirectory: dataDir, defaultNodeName: ProcessInfo.processInfo.hostName)
        configuration.localStoragePath = defaultLocalStoragePath
        let nodeAgent = NodeAgent(configuration: configuration, client: client, logger: logger)
        // SIGINT/SIGTERM: stop the kubelet and containerd; running pods keep running in their shims.
        let signalLogger = logger
        try await runCancellingOnSignals(onSignal: { signalLogger.notice("signal \($0): stopping") }) { try await nodeAgent.run() }
    }
}
