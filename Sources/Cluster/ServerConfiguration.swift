/// The typed configuration of `swiftlet server`.
public struct ServerConfiguration: Sendable {
    public var dataDirectory = "/var/lib/swiftlet"
    public var bindAddress = "127.0.0.1"
    public var port = 6443
    public var kubeconfigPath = "/etc/swiftlet/swiftlet.yaml"
    public var disableAgent = true
    /// Revisions of history kept for watches; older ones are compacted away.
    public var retainedRevisions: Int64 = 10_000
    /// How often history is compacted.
    public var compactionInterval: Duration = .seconds(60)

    public init() {}
}
