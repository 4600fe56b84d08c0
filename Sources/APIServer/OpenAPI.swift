import APIMachinery
import APITypes
import Foundation
import HTTPTypes
import Hummingbird
import Registry
import Synchronization

/// The OpenAPI documents: /openapi/v2 (Swagger 2.0, JSON) and /openapi/v3 (an index with one
/// `serverRelativeURL?hash=` per served group-version, and the documents). Built from the served
/// resource definitions once, on the first request (so that starting the server stays fast), and served
/// with ETags and the caching headers kube-apiserver uses.
final class OpenAPIDocuments: Sendable {
    /// A serialised document and its content hash.
    struct Document: Sendable {
        let bytes: [UInt8]
        let hash: String

        init(_ value: JSONValue) {
            bytes = value.serialized()
            hash = OpenAPIDocuments.hash(bytes)
        }
    }

    struct Built: Sendable {
        let v3Index: Document
        /// Keyed by `api/v1`, `apis/apps/v1`.
        let v3: [String: Document]
    }

    private let resources: [OpenAPIResource]
    private let state = Mutex<Built?>(nil)
    private let v2State = Mutex<Document?>(nil)

    init(definitions: [ResourceDefinition]) {
        resources = definitions.map(\.openAPIResource)
    }

    /// The Swagger 2.0 document, built on first use.
    var v2Document: Document {
        v2State.withLock { state in
            if let state { return state }
            let doc = Document(OpenAPIDocumentBuilder().v2Document(resources: resources))
            state = doc
            return doc
        }
    }

    /// The OpenAPI v3 index and documents, built on first use.
    var built: Built {
        state.withLock { state in
            if let state { return state }
            let built = Self.build(resources)
            state = built
            return built
        }
    }

    static func build(_ resources: [OpenAPIResource]) -> Built {
        let builder = OpenAPIDocumentBuilder()
        var order: [String] = []
        var byGroupVersion: [String: [OpenAPIResource]] = [:]
        for r in resources {
            if byGroupVersion[r.groupVersionPath] == nil { order.append(r.groupVersionPath) }
            byGroupVersion[r.groupVersionPath, default: []].append(r)
        }
        var documents: [String: Document] = [:]
        var paths: [String: JSONValue] = [:]
        for key in order {
            let doc = Document(builder.v3Document(resources: byGroupVersion[key] ?? []))
            documents[key] = doc
            paths[key] = ["serverRelativeURL": .string("/openapi/v3/\(key)?hash=\(doc.hash)")]
        }
        return Built(v3Index: Document(["paths": .object(paths)]), v3: documents)
    }

    /// FNV-1a 64 of the bytes, as 16 upper-case hex digits.
    static func hash(_ bytes: [UInt8]) -> String {
        var h: UInt64 = 0xcbf29ce484222325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x100000001b3 }
        let hex = String(h, radix: 16, uppercase: true)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    // MARK: Serving

    /// GET /openapi/v2: the JSON document. A client that asks only for the protobuf form (kubectl does,
    /// as a fallback, for a kind whose v3 document has no PATCH operation, such as `kind: List` files)
    /// gets an empty protobuf Swagger document: no operations, so it validates those on its own.
    func v2(_ request: Request) throws(StatusError) -> Response {
        if Self.acceptsOnly(Self.protobufV2, request) {
            // The answer's type spells `@` as `.`: Go's media-type parser refuses `@`.
            return ResponseEncoding.bytes(Self.emptyProtobufV2, headers: [
                .contentType: "application/com.github.proto-openapi.spec.v2.v1.0+protobuf", .cacheControl: "no-cache, private"])
        }
        try Self.requireJSON(request)
        return Self.serve(v2Document, request, immutable: false)
    }

    static let protobufV2 = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"

    /// gnostic's openapi.v2.Document with swagger "2.0" (field 1), info {title "Kubernetes", version
    /// "v1.32.0"} (field 2) and empty paths (field 8).
    static let emptyProtobufV2: [UInt8] = {
        func field(_ number: UInt8, _ bytes: [UInt8]) -> [UInt8] { [number << 3 | 2, UInt8(bytes.count)] + bytes }
        let info = field(1, Array("Kubernetes".utf8)) + field(2, Array("v1.32.0".utf8))
        return field(1, Array("2.0".utf8)) + field(2, info) + field(8, [])
    }()

    private static func acceptsOnly(_ mediaType: String, _ request: Request) -> Bool {
        guard let accept = request.headers[.accept], !accept.isEmpty else { return false }
        return accept.split(separator: ",").allSatisfy { part in
            (part.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased() ?? "") == mediaType.lowercased()
        }
    }

    /// GET /openapi/v3.
    func v3Index(_ request: Request) throws(StatusError) -> Response {
        try Self.requireJSON(request)
        return Self.serve(built.v3Index, request, immutable: false)
    }

    /// GET /openapi/v3/<group-version>[?hash=]: a stale hash is redirected to the current one.
    func v3(_ key: String, _ request: Request) throws(StatusError) -> Response {
        guard let doc = built.v3[key] else { throw StatusError.notFoundPath() }
        try Self.requireJSON(request)
        if let hash = Query(request.uri.query)["hash"], !hash.isEmpty {
            guard hash == doc.hash else {
                return Response(status: .movedPermanently,
                                headers: [.location: "/openapi/v3/\(key)?hash=\(doc.hash)", .cacheControl: "no-cache, no-store"])
            }
            return Self.serve(doc, request, immutable: true)
        }
        return Self.serve(doc, request, immutable: false)
    }

    private static func serve(_ doc: Document, _ request: Request, immutable: Bool) -> Response {
        let etag = "\"\(doc.hash)\""
        var headers: HTTPFields = [.eTag: etag,
                                   .cacheControl: immutable ? "public, immutable, max-age=31536000" : "no-cache, private"]
        if let match = request.headers[.ifNoneMatch], match.split(separator: ",").contains(where: {
            let tag = $0.trimmingCharacters(in: .whitespaces)
            return tag == etag || tag == "W/" + etag || tag == "*"
        }) {
            return Response(status: .notModified, headers: headers)
        }
        headers[.contentType] = "application/json"
        return ResponseEncoding.bytes(doc.bytes, headers: headers)
    }

    /// Throws 406 unless the Accept header allows JSON.
    private static func requireJSON(_ request: Request) throws(StatusError) {
        guard let accept = request.headers[.accept], !accept.isEmpty else { return }
        let acceptsJSON = accept.split(separator: ",").contains { part in
            let type = part.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
            return type == "application/json" || type == "*/*" || type == "application/*"
        }
        if !acceptsJSON {
            throw StatusError.notAcceptable("only the following media types are accepted: application/json")
        }
    }
}
