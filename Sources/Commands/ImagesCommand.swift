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
        do {
            try ImageArchives.validate(file)
            guard FileManager.default.fileExists(atPath: address) else {
                throw ValidationError("no containerd socket at \(address) (is the agent running? use --address)")
            }
            let archives = ImageArchives(socket: address, ctrPath: ctr)
            let names = try await archives.import(file: file)
            print(names.isEmpty ? "imported \(file)" : names.map { "imported \($0)" }.joined(separator: "\n"))
        } catch let error as ImageArchiveError {
            throw ValidationError(error.description)
        } catch let error as ProcessLaunchError {
            throw ValidationError(error.description)
        }
    }
}
