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

    /// A list whose items are already in wire form.
    static func list(_ response: RawListResponse, definition: ResourceDefinition) -> Response {
        var out: [UInt8] = []
        out.reserveCapacity(128 + response.items.reduce(0) { $0 + $1.count + 1 })
        out.append(contentsOf: "{\"apiVersion\":".utf8)
        JSONValue.writeString(definition.groupVersion, into: &out)
        out.append(contentsOf: ",\"items\":[".utf8)
        for (i, item) in response.items.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: item)
        }
        out.append(contentsOf: "],\"kind\":".utf8)
        JSONValue.writeString(definition.listKind, into: &out)
        out.append(contentsOf: ",\"metadata\":".utf8)
        listMetadata(resourceVersion: response.resourceVersion, continueToken: response.continueToken).write(into: &out)
        out.append(UInt8(ascii: "}"))
        return bytes(out)
    }

    /// A list of objects (items written without kind and apiVersion).
    static func list(_ response: ListResponse, definition: ResourceDefinition) -> Response {
        let items = response.items.map { item -> [UInt8] in
            guard case .object(var o) = item else { return item.serialized() }
            o["apiVersion"] = nil
            o["kind"] = nil
            return JSONValue.object(o).serialized()
        }
        return list(RawListResponse(items: items, resourceVersion: response.resourceVersion, continueToken: response.continueToken),
                    definition: definition)
    }

    static func listMetadata(resourceVersion: Int64, continueToken: String?) -> JSONValue {
        var meta: [String: JSONValue] = ["resourceVersion": .string(String(resourceVersion))]
        if let c = continueToken { meta["continue"] = .string(c) }
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
