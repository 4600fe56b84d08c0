import APIMachinery
import AsyncHTTPClient
import Client
import Foundation
import NIOCore
import NIOHTTP1

/// `APIClient` over HTTP/1.1 with JSON bodies, from a kubeconfig. Watches stream newline-delimited
/// JSON events, parsed as they arrive. TLS client settings (certificate authority, client
/// certificates) are not applied yet: `https` servers are verified against the system's trust store.
public struct HTTPAPIClient: APIClient {
    public let cluster: KubeconfigCluster
    let http: HTTPClient
    /// The deadline of every request but watches.
    public var requestTimeout: TimeAmount = .seconds(60)
    /// The largest response body read (a LIST of many objects can be large).
    public var maximumBodyBytes = 1 << 30
    public var userAgent = "swiftlet-client"

    /// Uses `HTTPClient.shared` unless given a client (whose lifetime the caller then owns).
    public init(cluster: KubeconfigCluster, httpClient: HTTPClient = .shared) {
        self.cluster = cluster
        self.http = httpClient
    }

    public init(kubeconfigPath: String, context: String? = nil, httpClient: HTTPClient = .shared) throws {
        self.init(cluster: try KubeconfigCluster.load(path: kubeconfigPath, context: context), httpClient: httpClient)
    }

    // MARK: Requests

    func url(_ path: String, _ query: [(String, String)]) -> String {
        var url = cluster.server + path
        if !query.isEmpty {
            url += "?" + query.map { Self.encodeQuery($0.0) + "=" + Self.encodeQuery($0.1) }.joined(separator: "&")
        }
        return url
    }

    static func encodeQuery(_ s: String) -> String { s.addingPathPercentEncoding() }

    func request(_ method: HTTPMethod, _ path: String, query: [(String, String)] = [], body: JSONValue? = nil,
                 contentType: String = "application/json") -> HTTPClientRequest {
        var request = HTTPClientRequest(url: url(path, query))
        request.method = method
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: userAgent)
        if let token = cluster.bearerToken { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            let bytes = body.serialized()
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(ByteBuffer(bytes: bytes))
        }
        return request
    }

    /// Sends a request and answers the JSON body; a non-2xx answer throws the Status it carries.
    func send(_ request: HTTPClientRequest) async throws(StatusError) -> JSONValue {
        let bytes: ByteBuffer
        let status: HTTPResponseStatus
        do {
            let response = try await http.execute(request, timeout: requestTimeout)
            status = response.status
            bytes = try await response.body.collect(upTo: maximumBodyBytes)
        } catch {
            throw Self.transportError(error, request: request)
        }
        let json = try? JSONValue.parse(bytes.readableBytesView)
        guard (200..<300).contains(Int(status.code)) else {
            throw Self.statusError(json: json, status: status, raw: bytes)
        }
        guard let json else { throw StatusError.internal("the server answered with a body that is not JSON") }
        return json
    }

    static func transportError(_ error: any Error, request: HTTPClientRequest) -> StatusError {
        if let status = error as? StatusError { return status }
        return StatusError(code: 503, reason: "ServiceUnavailable",
                           message: "\(request.method.rawValue) \(request.url): \(error)")
    }

    static func statusError(json: JSONValue?, status: HTTPResponseStatus, raw: ByteBuffer) -> StatusError {
        if let json, json["kind"]?.stringValue == "Status" {
            return StatusError(status: json, httpCode: Int(status.code))
        }
        let text = String(buffer: raw)
        return StatusError(code: Int(status.code), reason: status.reasonPhrase,
                           message: text.isEmpty ? status.reasonPhrase : text)
    }

    // MARK: APIClient

    public func get(_ resource: ResourceID, namespace: String, name: String, subresource: String?) async throws(StatusError) -> JSONValue {
        try await send(request(.GET, resource.path(namespace: namespace, name: name, subresource: subresource)))
    }

    public func list(_ resource: ResourceID, namespace: String?, query: ListQuery) async throws(StatusError) -> ObjectList {
        ObjectList(json: try await send(request(.GET, resource.path(namespace: namespace), query: query.queryItems)))
    }

    public func watch(_ resource: ResourceID, namespace: String?, query: WatchQuery) async throws(StatusError) -> EventStream {
        let request = request(.GET, resource.path(namespace: namespace), query: query.queryItems)
        let response: HTTPClientResponse
        do {
            // A watch lasts as long as the server keeps it (timeoutSeconds).
            response = try await http.execute(request, deadline: .distantFuture)
        } catch {
            throw Self.transportError(error, request: request)
        }
        guard (200..<300).contains(Int(response.status.code)) else {
            let bytes = (try? await response.body.collect(upTo: 1 << 20)) ?? ByteBuffer()
            throw Self.statusError(json: try? JSONValue.parse(bytes.readableBytesView), status: response.status, raw: bytes)
        }
        let (events, continuation) = AsyncStream<ResourceEvent>.makeStream()
        let reader = Task {
            var decoder = WatchEventDecoder()
            do {
                for try await buffer in response.body {
                    for event in decoder.feed(buffer.readableBytesView) {
                        if case .terminated = continuation.yield(event) { return }
                    }
                }
                for event in decoder.finish() { continuation.yield(event) }
            } catch {
                // A dropped connection ends the stream; the watcher watches again.
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in reader.cancel() }
        return EventStream(events: events, stop: { continuation.finish() })
    }

    public func create(_ resource: ResourceID, namespace: String, object: JSONValue, query: WriteQuery) async throws(StatusError) -> JSONValue {
        try await send(request(.POST, resource.path(namespace: namespace), query: query.queryItems, body: object))
    }

    public func create(_ resource: ResourceID, namespace: String, name: String, subresource: String, object: JSONValue,
                       query: WriteQuery) async throws(StatusError) -> JSONValue {
        try await send(request(.POST, resource.path(namespace: namespace, name: name, subresource: subresource),
                               query: query.queryItems, body: object))
    }

    public func update(_ resource: ResourceID, namespace: String, object: JSONValue, subresource: String?,
                       query: WriteQuery) async throws(StatusError) -> JSONValue {
        let name = object.name
        if name.isEmpty { throw StatusError.badRequest("name is required in the object's metadata") }
        return try await send(request(.PUT, resource.path(namespace: namespace, name: name, subresource: subresource),
                                      query: query.queryItems, body: object))
    }

    public func patch(_ resource: ResourceID, namespace: String, name: String, format: PatchFormat, body: JSONValue,
                      subresource: String?, query: WriteQuery) async throws(StatusError) -> JSONValue {
        try await send(request(.PATCH, resource.path(namespace: namespace, name: name, subresource: subresource),
                               query: query.queryItems, body: body, contentType: format.rawValue))
    }

    public func delete(_ resource: ResourceID, namespace: String, name: String, options: DeleteQuery) async throws(StatusError) -> JSONValue {
        try await send(request(.DELETE, resource.path(namespace: namespace, name: name), body: options.body))
    }

    public func deleteCollection(_ resource: ResourceID, namespace: String?, query: ListQuery,
                                 options: DeleteQuery) async throws(StatusError) -> ObjectList {
        ObjectList(json: try await send(request(.DELETE, resource.path(namespace: namespace), query: query.queryItems, body: options.body)))
    }
}

/// Splits a watch response body into events: one JSON object per line (`{"type":..,"object":..}`),
/// across buffer boundaries.
public struct WatchEventDecoder: Sendable {
    var pending: [UInt8] = []

    public init() {}

    /// The events completed by `bytes`.
    public mutating func feed<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> [ResourceEvent] {
        var events: [ResourceEvent] = []
        var start = bytes.startIndex
        while let newline = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) {
            if pending.isEmpty {
                if let event = Self.decode(Array(bytes[start..<newline])) { events.append(event) }
            } else {
                pending.append(contentsOf: bytes[start..<newline])
                if let event = Self.decode(pending) { events.append(event) }
                pending.removeAll(keepingCapacity: true)
            }
            start = bytes.index(after: newline)
        }
        pending.append(contentsOf: bytes[start...])
        return events
    }

    /// The last event if the body did not end with a newline.
    public mutating func finish() -> [ResourceEvent] {
        defer { pending.removeAll() }
        return Self.decode(pending).map { [$0] } ?? []
    }

    static func decode(_ line: [UInt8]) -> ResourceEvent? {
        guard line.contains(where: { $0 != 0x20 && $0 != 0x0D && $0 != 0x09 }) else { return nil }
        guard let json = try? JSONValue.parse(line) else {
            return ResourceEvent(type: .error, object: StatusError.internal("undecodable watch event").status)
        }
        guard let typeName = json["type"]?.stringValue, let type = ResourceEvent.EventType(rawValue: typeName) else {
            return ResourceEvent(type: .error, object: StatusError.internal("watch event without a known type").status)
        }
        return ResourceEvent(type: type, object: json["object"] ?? .null)
    }
}
