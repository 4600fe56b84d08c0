import APIMachinery
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Registry

/// JSON responses: objects, lists (items without kind/apiVersion, as built-in lists are served) and
/// Status errors.
enum ResponseEncoding {
    static let jsonHeaders: HTTPFields = [.contentType: "application/json"]

    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok, headers extra: HTTPFields = [:]) -> Response {
        var headers = jsonHeaders
        headers.append(contentsOf: extra)
        return bytes(value.serialized(), status: status, headers: headers)
    }

    static func bytes(_ bytes: [UInt8], status: HTTPResponse.Status = .ok, headers: HTTPFields = jsonHeaders) -> Response {
        var buffer = ByteBufferAllocator().buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: buffer))
    }

    static func status(_ error: StatusError) -> Response {
        var headers = HTTPFields()
        if let retry = error.details?.retryAfterSeconds { headers[.retryAfter] = String(retry) }
        return json(error.status, status: HTTPResponse.Status(code: error.code), headers: headers)
    }

    /// A list of objects, written without re-building one big value.
    static func list(_ response: ListResponse, definition: ResourceDefinition) -> Response {
        var out: [UInt8] = []
        out.reserveCapacity(64 + response.items.count * 512)
        out.append(contentsOf: "{\"apiVersion\":".utf8)
        JSONValue.writeString(definition.groupVersion, into: &out)
        out.append(contentsOf: ",\"items\":[".utf8)
        for (i, item) in response.items.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            var item = item
            if case .object(var o) = item {
                o["apiVersion"] = nil
                o["kind"] = nil
                item = .object(o)
            }
            item.write(into: &out)
        }
        out.append(contentsOf: "],\"kind\":".utf8)
        JSONValue.writeString(definition.listKind, into: &out)
        out.append(contentsOf: ",\"metadata\":".utf8)
        listMetadata(response).write(into: &out)
        out.append(UInt8(ascii: "}"))
        return bytes(out)
    }

    static func listMetadata(_ response: ListResponse) -> JSONValue {
        var meta: [String: JSONValue] = ["resourceVersion": .string(String(response.resourceVersion))]
        if let c = response.continueToken { meta["continue"] = .string(c) }
        if let r = response.remainingItemCount { meta["remainingItemCount"] = .int(r) }
        return .object(meta)
    }

    static let warningName = HTTPField.Name("Warning") ?? .via

    /// `Warning: 299 - "<text>"` headers for field validation warnings.
    static func warningHeaders(_ warnings: [String]) -> HTTPFields {
        var headers = HTTPFields()
        for w in warnings {
            let escaped = w.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            headers.append(HTTPField(name: warningName, value: "299 - \"\(escaped)\""))
        }
        return headers
    }
}
