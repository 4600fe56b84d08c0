/// resource.Quantity kept as its serialized string ("100m", "1Gi", "0.5"). Coded as a bare string.
/// A JSON number is accepted when decoding and becomes its decimal string, as the API server does,
/// so `cpu: 1` re-encodes as `"1"`.
public struct Quantity: Codable, Sendable, Hashable, RawRepresentable, ExpressibleByStringLiteral,
    CustomStringConvertible
{
    public var rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ value: String) { self.rawValue = value }
    public init(stringLiteral value: String) { self.rawValue = value }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(String.self) {
            rawValue = value
        } else if let value = try? container.decode(Int64.self) {
            rawValue = String(value)
        } else {
            let value = try container.decode(Double.self)
            rawValue = String(value)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    public var description: String { rawValue }
}
