import APIMachinery
import AsyncHTTPClient
import Foundation
import Hummingbird
import NIOCore

/// One HTTP client for every kubelet request of the process (connections pooled per kubelet; no read
/// timeout, since a followed log may stay silent for long).
let kubeletHTTPClient: HTTPClient = {
    var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow, timeout: .init(connect: .seconds(3), read: nil),
                                                 decompression: .disabled)
    configuration.httpVersion = .http1Only
    return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
}()

/// `pods/{name}/log`: the kubelet's /containerLogs streamed back to the client.
struct LogProxy: Sendable {
    static let forwardedOptions = ["follow", "tailLines", "previous", "timestamps", "sinceSeconds", "sinceTime", "limitBytes"]

    func url(_ target: PodStreamTarget, query: Query) -> String {
        var items: [String] = []
        for key in Self.forwardedOptions {
            if let value = query[key], !value.isEmpty { items.append("\(key)=\(PodStreams.escape(value))") }
        }
        let path = "/containerLogs/\(PodStreams.escape(target.namespace))/\(PodStreams.escape(target.pod))/\(PodStreams.escape(target.container))"
        return "http://\(target.endpoint.hostPort)\(path)" + (items.isEmpty ? "" : "?" + items.joined(separator: "&"))
    }

    func respond(_ target: PodStreamTarget, query: Query) async throws(StatusError) -> Response {
        let request = HTTPClientRequest(url: url(target, query: query))
        let response: HTTPClientResponse
        do {
            response = try await kubeletHTTPClient.execute(request, timeout: .seconds(30))
        } catch {
            throw KubeletDialer.dialError(target.endpoint, error)
        }
        guard response.status == .ok else {
            let body = (try? await response.body.collect(upTo: 64 * 1024)).map { Array($0.readableBytesView) } ?? []
            throw KubeletDialer.statusError(code: Int(response.status.code), body: body)
        }
        let contentType = response.headers.first(name: "content-type") ?? "text/plain"
        let body = ResponseBody { writer in
            for try await chunk in response.body {
                try await writer.write(chunk)
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: contentType, .cacheControl: "no-cache, private"], body: body)
    }
}
