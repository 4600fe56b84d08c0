import ArgumentParser

/// The `swiftlet` command line: one executable for every role.
public struct Swiftlet: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "swiftlet",
        abstract: "A Kubernetes-compatible container orchestrator in one executable.",
        version: "0.1.0",
        subcommands: [ServerCommand.self, AgentCommand.self, BenchCommand.self, SimNodesCommand.self, ImagesCommand.self]
    )

    public init() {}
}
