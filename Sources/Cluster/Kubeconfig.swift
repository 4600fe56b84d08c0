import Foundation

/// Writes the kubeconfig clients use to reach this server.
enum Kubeconfig {
    static func contents(server: String) -> String {
        """
        apiVersion: v1
        kind: Config
        clusters:
        - cluster:
            server: \(server)
          name: swiftlet
        contexts:
        - context:
            cluster: swiftlet
            namespace: default
            user: swiftlet-admin
          name: swiftlet
        current-context: swiftlet
        preferences: {}
        users:
        - name: swiftlet-admin
          user: {}

        """
    }

    static func write(to path: String, server: String) throws {
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(contents(server: server).utf8).write(to: url, options: .atomic)
        _ = try? FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
    }
}
