import APIMachinery
import APITypes
import Registry

/// Request body formats the server reads.
enum BodyDecoding {
    /// The largest request body read (as kube-apiserver's 3 MiB limit).
    static let maximumBodyBytes = 3 * 1024 * 1024

    /// The media type of a Content-Type header without parameters, lower-cased; nil when absent.
    static func mediaType(_ header: String?) -> String? {
        guard let header, !header.isEmpty else { return nil }
        let base = header.split(separator: ";", maxSplits: 1).first.map(String.init) ?? header
        return base.trimmingCharacters(in: .whitespaces).lowercased()
    }

    /// Decodes a create/update body: JSON (also when no Content-Type is given), YAML or protobuf.
    static func object(_ bytes: [UInt8], contentType: String?, strict: Bool = false) throws(StatusError) -> JSONValue {
        switch mediaType(contentType) {
        case nil, "application/json", "*/*":
            return strict ? try strictJSON(bytes) : try json(bytes)
        case "application/yaml", "application/x-yaml", "text/yaml":
            return try yaml(bytes)
        case "application/vnd.kubernetes.protobuf":
            return try ProtobufDecoder.decodeEnvelope(bytes).object
        default:
            throw StatusError.unsupportedMediaType(contentType ?? "")
        }
    }

    static func json(_ bytes: [UInt8]) throws(StatusError) -> JSONValue {
        do {
            return try JSONValue.parse(bytes)
        } catch {
            throw StatusError.badRequest("couldn't get version/kind; json parse error: \(error.message)")
        }
    }

    /// JSON with duplicate keys rejected, as strict field validation requires.
    static func strictJSON(_ bytes: [UInt8]) throws(StatusError) -> JSONValue {
        var duplicates: [String] = []
        let value: JSONValue
        do {
            value = try JSONValue.parse(bytes, duplicateKeys: &duplicates)
        } catch {
            throw StatusError.badRequest("couldn't get version/kind; json parse error: \(error.message)")
        }
        if !duplicates.isEmpty {
            let list = duplicates.map { "duplicate field \"\($0)\"" }.joined(separator: ", ")
            throw StatusError.badRequest("strict decoding error: \(list)")
        }
        return value
    }

    static func yaml(_ bytes: [UInt8]) throws(StatusError) -> JSONValue {
        // JSON is YAML, and clients send JSON under YAML media types (kubectl's server-side apply
        // does): read it as JSON, as Kubernetes does, so `"replicas":2` stays a number.
        if bytes.first(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }) == UInt8(ascii: "{") {
            return try json(bytes)
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw StatusError.badRequest("error converting YAML to JSON: invalid UTF-8")
        }
        return try YAMLConversion.parse(text)
    }

    /// Decodes a PATCH body by its patch type.
    static func patch(_ bytes: [UInt8], contentType: String?) throws(StatusError) -> (PatchType, JSONValue) {
        guard let media = mediaType(contentType), let type = PatchType(rawValue: media) else {
            throw StatusError(code: 415, reason: "UnsupportedMediaType",
                              message: "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json")
        }
        let body = type == .apply ? try yaml(bytes) : try json(bytes)
        return (type, body)
    }
}
