import ArgumentParser
import Cluster

/// The node agent's options, shared by `swiftlet agent` and `swiftlet server` (whose own agent takes them too).
struct AgentOptions: ParsableArguments {
    @Option(help: "This node's name (default: the host name).")
    var nodeName: String?

    @Option(help: "containerd's state directory (its socket).")
    var runDir = "/run/swiftlet"

    @Option(help: "Use this CRI socket (unix:///path) instead of starting containerd.")
    var containerRuntimeEndpoint: String?

    @Option(help: "A registries.yaml (k3s format): registry mirrors and credentials.")
    var registries: String?

    @Option(help: "Image archives (*.tar) imported at start (default: the agent's data directory/images).")
    var imagesDir: String?

    @Option(help: "The pod sandbox (pause) image.")
    var pauseImage = "registry.k8s.io/pause:3.10"

    @Option(help: "The node's InternalIP (default: the first non-loopback IPv4 address).")
    var nodeIP: String?

    @Option(help: "The kubelet server's port on the node IP (logs, exec, attach, port-forward; 0: any free port).")
    var kubeletPort = 10250

    @Option(help: ArgumentHelp("The CNI bridge's name.", visibility: .hidden))
    var bridge = "cni0"

    @Option(help: ArgumentHelp("Pod logs directory.", visibility: .hidden))
    var podLogDir = "/var/log/pods"

    /// The agent's configuration with these options, its data in `dataDirectory`.
    func configuration(dataDirectory: String, defaultNodeName: String) -> AgentConfiguration {
        var configuration = AgentConfiguration(nodeName: (nodeName ?? defaultNodeName).lowercased())
        configuration.dataDirectory = dataDirectory
        configuration.runDirectory = runDir
        configuration.containerRuntimeEndpoint = containerRuntimeEndpoint
        configuration.registriesFile = registries
        configuration.imagesDirectory = imagesDir
        configuration.sandboxImage = pauseImage
        configuration.nodeIP = nodeIP
        configuration.bridgeName = bridge
        configuration.podLogDirectory = podLogDir
        configuration.kubeletPort = kubeletPort
        return configuration
    }
}
