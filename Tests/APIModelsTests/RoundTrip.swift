import Foundation

/// Decoding into typed models and re-encoding, compared as canonical JSON (parsed with
/// JSONSerialization, re-serialized with sorted keys) so formatting and key order do not matter.
enum RoundTrip {
    struct Result {
        var input: String
        var output: String
    }

    static func run<T: Codable>(_ type: T.Type, _ json: String) throws -> Result {
        let data = Data(json.utf8)
        let value = try JSONDecoder().decode(T.self, from: data)
        let encoded = try JSONEncoder().encode(value)
        return Result(input: try canonical(data), output: try canonical(encoded))
    }

    static func canonical(_ data: Data) throws -> String {
        let object = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        let out = try JSONSerialization.data(
            withJSONObject: object, options: [.sortedKeys, .fragmentsAllowed])
        return String(decoding: out, as: UTF8.self)
    }

    static func encode<T: Encodable>(_ value: T) throws -> String {
        try canonical(JSONEncoder().encode(value))
    }
}
