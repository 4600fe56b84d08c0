import APIMachinery
import Foundation

/// The opaque `continue` token of a paged LIST: the revision of the first page and the next key.
struct ContinueToken: Sendable, Hashable {
    var revision: Int64
    var startKey: String

    func encoded() -> String {
        let json: JSONValue = ["v": "meta.k8s.io/v1", "rv": .int(revision), "start": .string(startKey)]
        return Data(json.serialized()).base64EncodedString()
    }

    static func decode(_ token: String) throws(StatusError) -> ContinueToken {
        guard let data = Data(base64Encoded: token),
              let json = try? JSONValue.parse(Array(data)),
              json["v"]?.stringValue == "meta.k8s.io/v1",
              let rv = json["rv"]?.intValue, rv > 0,
              let start = json["start"]?.stringValue
        else {
            throw StatusError.badRequest("continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)")
        }
        return ContinueToken(revision: rv, startKey: start)
    }

    static let expiredMessage = "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list."
}
