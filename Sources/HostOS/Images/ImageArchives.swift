import Foundation

public enum ImageArchiveError: Error, CustomStringConvertible, Equatable {
    case missingFile(String)
    case notATar(String)
    case importFailed(file: String, status: Int32, message: String)

    public var description: String {
        switch self {
        case .missingFile(let path): "image archive \(path) does not exist or is not a regular file"
        case .notATar(let path): "\(path) is not a tar archive (expected an OCI or docker image archive)"
        case .importFailed(let file, let status, let message):
            "importing \(file) failed (ctr exit status \(status)): \(message.trimmingCharacters(in: .whitespacesAndNewlines))"
        }
    }
}

/// Imports image archives (OCI or docker `save` tars) into containerd's `k8s.io` namespace with `ctr`,
/// where the CRI plugin sees them. `importDirectory` remembers what it imported (by size and
/// modification time) so that restarting the agent does not import the same files again.
public actor ImageArchives {
    public struct Record: Codable, Sendable, Equatable {
        public var size: UInt64
        public var modified: Double
    }

    public let socket: String
    public let ctrPath: String
    public let namespace: String
    public let snapshotter: String
    private let commands: any CommandRunner
    /// Where the records survive restarts; nil keeps them in memory only.
    private let recordFile: String?
    private var records: [String: Record]

    public init(
        socket: String, commands: any CommandRunner = LaunchingCommandRunner(), ctrPath: String = "/usr/bin/ctr",
        namespace: String = "k8s.io", snapshotter: String = "overlayfs", recordFile: String? = nil
    ) {
        self.socket = socket
        self.commands = commands
        self.ctrPath = ctrPath
        self.namespace = namespace
        self.snapshotter = snapshotter
        self.recordFile = recordFile
        self.records = recordFile.flatMap { try? JSONDecoder().decode([String: Record].self, from: Data(contentsOf: URL(fileURLWithPath: $0))) } ?? [:]
    }

    /// Checks that `path` is a regular file holding a tar archive (the ustar magic at offset 257).
    public static func validate(_ path: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw ImageArchiveError.missingFile(path)
        }
        guard let handle = FileHandle(forReadingAtPath: path) else { throw ImageArchiveError.missingFile(path) }
        defer { try? handle.close() }
        let header = (try? handle.read(upToCount: 512)) ?? Data()
        guard header.count >= 262, String(decoding: header[257..<262], as: UTF8.self) == "ustar" else {
            throw ImageArchiveError.notATar(path)
        }
    }

    /// Imports one archive; returns the image names ctr reports.
    @discardableResult
    public func `import`(file: String, timeout: Duration = .seconds(300)) async throws -> [String] {
        try Self.validate(file)
        // ctr 1.6 accepts OCI and docker (v1.1, v1.2) archives. No --all-platforms: only the node's
        // platform is unpacked anyway, and multi-platform content would only take space.
        let arguments = ["--address", socket, "--namespace", namespace, "images", "import", "--snapshotter", snapshotter, file]
        let result = try await commands.run(ctrPath, arguments, timeout: timeout)
        guard result.succeeded else {
            throw ImageArchiveError.importFailed(
                file: file, status: result.exit.shellStatus, message: result.stderr.isEmpty ? result.stdout : result.stderr)
        }
        // ctr prints "unpacking NAME (sha256:…)...done" per image.
        return (result.stdout + "\n" + result.stderr).split(separator: "\n").compactMap { line in
            guard line.hasPrefix("unpacking ") else { return nil }
            return line.dropFirst("unpacking ".count).split(separator: " ").first.map(String.init)
        }
    }

    /// Imports every `*.tar` in `directory` not imported before with the same size and modification
    /// time. Returns the files imported now; a failure stops at that file (earlier ones stay recorded).
    @discardableResult
    public func importDirectory(_ directory: String) async throws -> [String] {
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: directory) else { return [] }
        var imported: [String] = []
        for name in names.sorted() where name.hasSuffix(".tar") {
            let path = directory + "/" + name
            guard let attributes = try? fm.attributesOfItem(atPath: path),
                attributes[.type] as? FileAttributeType == .typeRegular
            else { continue }
            let record = Record(
                size: (attributes[.size] as? NSNumber)?.uint64Value ?? 0,
                modified: (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)
            if records[path] == record { continue }
            try await self.import(file: path)
            records[path] = record
            imported.append(path)
            try saveRecords()
        }
        return imported
    }

    private func saveRecords() throws {
        guard let recordFile else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try FileManager.default.createDirectory(
            atPath: (recordFile as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try encoder.encode(records).write(to: URL(fileURLWithPath: recordFile), options: .atomic)
    }
}
