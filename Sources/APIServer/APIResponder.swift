import APIMachinery
import Foundation
import Hummingbird
import Logging
import NIOCore
import Prometheus
import Registry

/// Version facts reported at /version.
public struct ServerVersion: Sendable {
    public var major = "1"
    public var minor = "32"
    public var gitVersion = "v1.32.0+swiftlet.0.1.0"
    public init() {}

    var json: JSONValue {
        ["major": .string(major), "minor": .string(minor), "gitVersion": .string(gitVersion),
         "gitCommit": "swiftlet", "gitTreeState": "clean", "buildDate": "2026-11-22T00:00:00Z",
         "goVersion": "swift6", "compiler": "swiftc", "platform": "linux/amd64"]
    }
}

/// Answers every Kubernetes API request: routing by path, then the generic resource handlers.
/// The only place that knows HTTP.
public struct APIResponder: HTTPResponder {
    public typealias Context = BasicRequestContext

    let registry: Registry
    let discovery: Discovery
    let openAPI: OpenAPIDocuments
    let version: ServerVersion
    let readiness: @Sendable () -> Bool
    let logger: Logger
    /// What /metrics serves (the components' figures, in the Prometheus text format).
    let metrics: PrometheusCollectorRegistry
    /// Pod log/exec/attach/portforward (the upgrades themselves happen in `APIServerChannel`).
    let streams: PodStreams

    public init(registry: Registry, serverAddress: String, version: ServerVersion = ServerVersion(),
                readiness: @escaping @Sendable () -> Bool = { true }, metrics: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
                logger: Logger) {
        self.registry = registry
        self.metrics = metrics
        self.streams = PodStreams(registry: registry)
        self.discovery = Discovery(definitions: registry.definitions, serverAddress: serverAddress)
        self.openAPI = OpenAPIDocuments(definitions: registry.definitions)
        self.version = version
        self.readiness = readiness
        self.logger = logger
    }

    public func respond(to request: Request, context: Context) async throws -> Response {
        do {
            return try await route(request)
        } catch {
            return ResponseEncoding.status(error)
        }
    }

    func route(_ request: Request) async throws(StatusError) -> Response {
        let path = RequestPath.parse(request.uri.path, registry: registry)
        let accept = request.headers[.accept]
        if case .resource(let resource) = path {
            return try await ResourceHandler(responder: self, request: request, path: resource).handle()
        }
        guard request.method == .get || request.method == .head else {
            if case .notFound = path { throw StatusError.notFoundPath() }
            throw StatusError.methodNotAllowed()
        }
        switch path {
        case .version:
            return ResponseEncoding.json(version.json)
        case .health(let name):
            let ok = name.hasPrefix("healthz") || name.hasPrefix("livez") || readiness()
            let body = ok ? "ok" : "[-]readiness failed: not ready\nreadyz check failed"
            return ResponseEncoding.bytes(Array(body.utf8), status: ok ? .ok : .serviceUnavailable,
                                          headers: [.contentType: "text/plain; charset=utf-8"])
        case .metrics:
            var body: [UInt8] = []
            metrics.emit(into: &body)
            return ResponseEncoding.bytes(body, status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"])
        case .coreVersions:
            if let v = Discovery.aggregatedVersion(accept) {
                return ResponseEncoding.json(discovery.aggregated(core: true, version: v))
                    .replacingContentType(Discovery.contentType(aggregated: v))
            }
            return ResponseEncoding.json(discovery.apiVersions())
        case .groupList:
            if let v = Discovery.aggregatedVersion(accept) {
                return ResponseEncoding.json(discovery.aggregated(core: false, version: v))
                    .replacingContentType(Discovery.contentType(aggregated: v))
            }
            return ResponseEncoding.json(discovery.apiGroupList())
        case .group(let group):
            guard let doc = discovery.apiGroup(group) else { throw StatusError.notFoundPath() }
            return ResponseEncoding.json(doc)
        case .resourceList(let group, let version):
            guard let doc = discovery.resourceList(group: group, version: version) else { throw StatusError.notFoundPath() }
            return ResponseEncoding.json(doc)
        case .openAPIV2:
            return try openAPI.v2(request)
        case .openAPIV3Index:
            return try openAPI.v3Index(request)
        case .openAPIV3(let key):
            return try openAPI.v3(key, request)
        case .notFound, .resource:
            throw StatusError.notFoundPath()
        }
    }
}

extension Response {
    func replacingContentType(_ value: String) -> Response {
        var copy = self
        copy.headers[.contentType] = value
        return copy
    }
}
