import ArgumentParser
import Client
import ClientHTTP
import Cluster
import Dispatch
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

    @Option(help: "This node's name (default: the host name).")
    var nodeName: String?

    @Option(help: "The kubelet's and containerd's data directory.")
    var dataDir = "/var/lib/swiftlet/agent"

    @Option(help: "containerd's state directory (its socket).")
    var runDir = "/run/swiftlet"

    @Option(help: "Use this CRI socket (unix:///path) instead of starting containerd.")
    var containerRuntimeEndpoint: String?

    @Option(help: "A registries.yaml (k3s format): registry mirrors and credentials.")
    var registries: String?

    @Option(help: "Image archives (*.tar) imported at start (default: DATA-DIR/images).")
    var imagesDir: String?

    @Option(help: "The pod sandbox (pause) image.")
    var pauseImage = "registry.k8s.io/pause:3.10"

    @Option(help: "The node's InternalIP (default: the first non-loopback IPv4 address).")
    var nodeIP: String?

    @Option(help: ArgumentHelp("The CNI bridge's name.", visibility: .hidden))
    var bridge = "cni0"

    @Option(help: ArgumentHelp("Pod logs directory.", visibility: .hidden))
    var podLogDir = "/var/log/pods"

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
        var configuration = AgentConfiguration(nodeName: (nodeName ?? ProcessInfo.processInfo.hostName).lowercased())
        configuration.dataDirectory = dataDir
        configuration.runDirectory = runDir
        configuration.containerRuntimeEndpoint = containerRuntimeEndpoint
        configuration.registriesFile = registries
        configuration.imagesDirectory = imagesDir
        configuration.sandboxImage = pauseImage
        configuration.nodeIP = nodeIP
        configuration.bridgeName = bridge
        configuration.podLogDirectory = podLogDir
        configuration.localStoragePath = defaultLocalStoragePath
        let agent = NodeAgent(configuration: configuration, client: client, logger: logger)
        let task = Task { try await agent.run() }
        // SIGINT/SIGTERM: stop the kubelet and containerd; running pods keep running in their shims.
        let signals = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                logger.notice("signal \(number): stopping")
                task.cancel()
            }
            source.resume()
            return source
        }
        defer { signals.forEach { $0.cancel() } }
        do {
            try await task.value
        } catch is CancellationError {
        }
    }
}
