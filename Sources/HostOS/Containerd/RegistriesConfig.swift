import Foundation
import Yams

/// A k3s-style registries.yaml: mirrors per registry name and per-host credentials and TLS.
///
/// ```yaml
/// mirrors:
///   docker.io:
///     endpoint: ["http://127.0.0.1:5000"]
/// configs:
///   "127.0.0.1:5000":
///     auth: {username: u, password: p}        # or {auth: base64} or {identitytoken: t}
///     tls: {insecure_skip_verify: true, ca_file: /ca.pem, cert_file: /c.pem, key_file: /k.pem}
/// ```
/// Mirrors and TLS become containerd's certs.d `hosts.toml` files; credentials go to the CRI plugin's
/// `registry.configs."host".auth` section of config.toml.
public struct RegistriesConfig: Sendable, Equatable, Decodable {
    public struct Mirror: Sendable, Equatable, Decodable {
        public var endpoint: [String]
        public init(endpoint: [String]) { self.endpoint = endpoint }
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            endpoint = try container.decodeIfPresent([String].self, forKey: .endpoint) ?? []
        }
        enum CodingKeys: String, CodingKey { case endpoint }
    }

    public struct Auth: Sendable, Equatable, Decodable {
        public var username: String?
        public var password: String?
        public var auth: String?
        public var identityToken: String?

        public init(username: String? = nil, password: String? = nil, auth: String? = nil, identityToken: String? = nil) {
            self.username = username
            self.password = password
            self.auth = auth
            self.identityToken = identityToken
        }

        enum CodingKeys: String, CodingKey {
            case username, password, auth
            case identityToken = "identitytoken"
        }
    }

    public struct TLS: Sendable, Equatable, Decodable {
        public var insecureSkipVerify: Bool?
        public var caFile: String?
        public var certFile: String?
        public var keyFile: String?

        public init(insecureSkipVerify: Bool? = nil, caFile: String? = nil, certFile: String? = nil, keyFile: String? = nil) {
            self.insecureSkipVerify = insecureSkipVerify
            self.caFile = caFile
            self.certFile = certFile
            self.keyFile = keyFile
        }

        enum CodingKeys: String, CodingKey {
            case insecureSkipVerify = "insecure_skip_verify"
            case caFile = "ca_file"
            case certFile = "cert_file"
            case keyFile = "key_file"
        }
    }

    public struct HostConfig: Sendable, Equatable, Decodable {
        public var auth: Auth?
        public var tls: TLS?
        public init(auth: Auth? = nil, tls: TLS? = nil) {
            self.auth = auth
            self.tls = tls
        }
    }

    public var mirrors: [String: Mirror]
    public var configs: [String: HostConfig]

    public init(mirrors: [String: Mirror] = [:], configs: [String: HostConfig] = [:]) {
        self.mirrors = mirrors
        self.configs = configs
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        mirrors = try container.decodeIfPresent([String: Mirror].self, forKey: .mirrors) ?? [:]
        configs = try container.decodeIfPresent([String: HostConfig].self, forKey: .configs) ?? [:]
    }

    enum CodingKeys: String, CodingKey { case mirrors, configs }

    /// Parses the YAML text; an empty document is an empty configuration.
    public static func parse(_ yaml: String, source: String = "registries.yaml") throws -> RegistriesConfig {
        guard !yaml.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return RegistriesConfig() }
        let config: RegistriesConfig
        do {
            config = try YAMLDecoder().decode(RegistriesConfig.self, from: yaml)
        } catch let error as DecodingError {
            throw RegistriesConfigError.invalid(source: source, message: Self.describe(error))
        } catch {
            throw RegistriesConfigError.invalid(source: source, message: "\(error)")
        }
        try config.validate(source: source)
        return config
    }

    /// Reads and parses a file.
    public static func load(path: String) throws -> RegistriesConfig {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw RegistriesConfigError.unreadable(path: path, message: error.localizedDescription)
        }
        return try parse(text, source: path)
    }

    private func validate(source: String) throws {
        for (registry, mirror) in mirrors {
            if registry.isEmpty || registry.contains("/") {
                throw RegistriesConfigError.invalid(source: source, message: "mirrors: \"\(registry)\" is not a registry host name")
            }
            for endpoint in mirror.endpoint where Self.endpointURL(endpoint) == nil {
                throw RegistriesConfigError.invalid(
                    source: source, message: "mirrors.\(registry).endpoint: \"\(endpoint)\" is not an http(s) URL")
            }
        }
        for (host, config) in configs {
            if host.isEmpty || host.contains("/") {
                throw RegistriesConfigError.invalid(source: source, message: "configs: \"\(host)\" is not a registry host[:port]")
            }
            if let tls = config.tls, tls.keyFile != nil, tls.certFile == nil {
                throw RegistriesConfigError.invalid(source: source, message: "configs.\(host).tls: key_file needs cert_file")
            }
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }
            return keys.isEmpty ? "" : keys.joined(separator: ".") + ": "
        }
        switch error {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .keyNotFound(_, let context),
            .dataCorrupted(let context):
            let underlying = context.underlyingError.map { " (\($0))" } ?? ""
            return path(context) + context.debugDescription + underlying
        @unknown default:
            return "\(error)"
        }
    }

    /// The endpoint as a URL with a scheme (https when none is given), or nil if it is not one.
    static func endpointURL(_ endpoint: String) -> URLComponents? {
        let text = endpoint.contains("://") ? endpoint : "https://" + endpoint
        guard let url = URLComponents(string: text), let scheme = url.scheme, scheme == "http" || scheme == "https",
            let host = url.host, !host.isEmpty
        else { return nil }
        return url
    }

    static func hostPort(_ url: URLComponents) -> String {
        let host = url.host ?? ""
        return url.port.map { "\(host):\($0)" } ?? host
    }

    /// One hosts.toml per registry: its directory name under certs.d (`_default` for the `*` mirror)
    /// and its content. A mirrored registry's `server` is its first endpoint, so pulls never fall back to
    /// the upstream registry; a registry with only TLS settings keeps `https://host` as its server.
    public func hostsFiles() -> [HostsFile] {
        var files: [HostsFile] = []
        for registry in mirrors.keys.sorted() {
            let endpoints = mirrors[registry]!.endpoint.compactMap(Self.endpointURL)
            guard let first = endpoints.first else { continue }
            var document = TOMLDocument()
            document.set([], "server", .string(Self.serverString(first)))
            for endpoint in endpoints {
                let path = ["host", Self.serverString(endpoint)]
                document.set(path, "capabilities", .strings(["pull", "resolve"]))
                applyTLS(configs[Self.hostPort(endpoint)]?.tls, to: &document, path: path)
            }
            files.append(HostsFile(directory: registry == "*" ? "_default" : registry, document: document))
        }
        for host in configs.keys.sorted() where configs[host]?.tls != nil {
            if files.contains(where: { $0.directory == host }) { continue }
            let server = "https://\(host)"
            var document = TOMLDocument()
            document.set([], "server", .string(server))
            let path = ["host", server]
            document.set(path, "capabilities", .strings(["pull", "resolve"]))
            applyTLS(configs[host]?.tls, to: &document, path: path)
            files.append(HostsFile(directory: host, document: document))
        }
        return files
    }

    /// Credentials for containerd's CRI `registry.configs."host".auth`, by host.
    public var credentials: [String: Auth] {
        configs.compactMapValues { config in
            guard let auth = config.auth,
                auth.username != nil || auth.password != nil || auth.auth != nil || auth.identityToken != nil
            else { return nil }
            return auth
        }
    }

    private static func serverString(_ url: URLComponents) -> String {
        var text = "\(url.scheme ?? "https")://\(hostPort(url))"
        if !url.path.isEmpty && url.path != "/" { text += url.path }
        return text
    }

    private func applyTLS(_ tls: TLS?, to document: inout TOMLDocument, path: [String]) {
        guard let tls else { return }
        if let skip = tls.insecureSkipVerify { document.set(path, "skip_verify", .boolean(skip)) }
        if let ca = tls.caFile { document.set(path, "ca", .string(ca)) }
        if let cert = tls.certFile {
            document.set(path, "client", .stringLists([[cert] + (tls.keyFile.map { [$0] } ?? [])]))
        }
    }
}

/// A certs.d/<directory>/hosts.toml file.
public struct HostsFile: Sendable, Equatable {
    public var directory: String
    public var document: TOMLDocument
}

public enum RegistriesConfigError: Error, CustomStringConvertible, Equatable {
    case invalid(source: String, message: String)
    case unreadable(path: String, message: String)

    public var description: String {
        switch self {
        case .invalid(let source, let message): "invalid registries configuration \(source): \(message)"
        case .unreadable(let path, let message): "cannot read registries configuration \(path): \(message)"
        }
    }
}
