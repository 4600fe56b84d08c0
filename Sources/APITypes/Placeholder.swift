// TEMPORARY stub until the proto branch lands.
import APIMachinery
public enum ProtobufDecoder {
    public static func decodeEnvelope(_ bytes: [UInt8]) throws(StatusError) -> (apiVersion: String, kind: String, object: JSONValue) { throw StatusError.badRequest("x") }
}
