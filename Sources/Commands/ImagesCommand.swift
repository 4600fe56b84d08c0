import ArgumentParser
import Foundation
import HostOS

/// `swiftlet images`: manage images in the node's container runtime.
struct ImagesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "images",
        abstract: "Manage images in the node's containerd.",
        subcommands: [ImagesImportCommand.self])
}

/// `swiftlet images import FILE.tar`: load an OCI or docker image archive into containerd's k8s.io namespace.
struct ImagesImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import an OCI or docker image archive (.tar) into containerd's k8s.io namespace.")

    @Argument(help: "The image archive (.tar).")
    var file: String

    @Option(help: "containerd's socket.")
    var address = ContainerdLayout.defaultSocket

    @Option(help: ArgumentHelp("The ctr binary.", visibility: .hidden))
    var ctr = "/usr/bin/ctr"

    func run() async throws {
        // Errors are CustomStringConvertible: ArgumentParser prints "Error: <description>" and exits 1.
        try ImageArchives.validate(file)
        guard FileManager.default.fileExists(atPath: address) else { throw NoSocket(address: address) }
        let archives = ImageArchives(socket: address, ctrPath: ctr)
        let names = try await archives.import(file: file)
        print(names.isEmpty ? "imported \(file)" : names.map { "imported \($0)" }.joined(separator: "\n"))
    }

    struct NoSocket: Error, CustomStringConvertible {
        var address: String
        var description: String { "no containerd socket at \(address) (is the agent running? use --address)" }
    }
}
