/// Stores a property out of line so a struct can contain its own type (JSONSchemaProps.not).
/// Used with optional values: a nil value is omitted when encoding and a missing key decodes as nil,
/// exactly like a plain optional property.
@propertyWrapper
public struct Indirect<Value: Sendable & Hashable>: Sendable, Hashable {
    private indirect enum Storage: Sendable, Hashable {
        case value(Value)
    }

    private var storage: Storage

    public init(wrappedValue: Value) {
        storage = .value(wrappedValue)
    }

    public var wrappedValue: Value {
        get {
            switch storage {
            case .value(let value): value
            }
        }
        set { storage = .value(newValue) }
    }
}

extension Indirect: Codable where Value: Codable {
    public init(from decoder: any Decoder) throws {
        self.init(wrappedValue: try Value(from: decoder))
    }

    public func encode(to encoder: any Encoder) throws {
        try wrappedValue.encode(to: encoder)
    }
}

extension KeyedDecodingContainer {
    /// Synthesized Codable picks this overload: a missing or null key decodes as nil.
    public func decode<T: Decodable & Sendable & Hashable>(
        _ type: Indirect<T?>.Type, forKey key: Key
    ) throws -> Indirect<T?> {
        Indirect(wrappedValue: try decodeIfPresent(T.self, forKey: key))
    }
}

extension KeyedEncodingContainer {
    /// Synthesized Codable picks this overload: nil is omitted rather than encoded as null.
    public mutating func encode<T: Encodable & Sendable & Hashable>(
        _ value: Indirect<T?>, forKey key: Key
    ) throws {
        try encodeIfPresent(value.wrappedValue, forKey: key)
    }
}
