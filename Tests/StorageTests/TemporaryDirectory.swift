import Foundation

/// A fresh directory under the system temporary directory, removed by `remove()`.
struct TemporaryDirectory: Sendable {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory
            .appendingPathComponent("swiftlet-storage-tests-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// A path for a new database file inside the directory.
    func databasePath() -> String { path + "/\(UUID().uuidString)/state.db" }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}
