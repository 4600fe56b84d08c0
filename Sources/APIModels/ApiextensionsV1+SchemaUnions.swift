extension ApiextensionsV1 {
    /// JSONSchemaProps `items`: one schema for every item, or one schema per position.
    public indirect enum JSONSchemaPropsOrArray: Codable, Sendable, Hashable {
        case schema(JSONSchemaProps)
        case schemas([JSONSchemaProps])

        public init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let value = try? container.decode([JSONSchemaProps].self) {
                self = .schemas(value)
            } else {
                self = .schema(try container.decode(JSONSchemaProps.self))
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .schema(let value): try container.encode(value)
            case .schemas(let value): try container.encode(value)
            }
        }
    }

    /// JSONSchemaProps `additionalProperties` / `additionalItems`: a boolean or a schema.
    public indirect enum JSONSchemaPropsOrBool: Codable, Sendable, Hashable {
        case bool(Bool)
        case schema(JSONSchemaProps)

        public init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let value = try? container.decode(Bool.self) {
                self = .bool(value)
            } else {
                self = .schema(try container.decode(JSONSchemaProps.self))
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .bool(let value): try container.encode(value)
            case .schema(let value): try container.encode(value)
            }
        }
    }

    /// JSONSchemaProps `dependencies` values: a list of property names or a schema.
    public indirect enum JSONSchemaPropsOrStringArray: Codable, Sendable, Hashable {
        case strings([String])
        case schema(JSONSchemaProps)

        public init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let value = try? container.decode([String].self) {
                self = .strings(value)
            } else {
                self = .schema(try container.decode(JSONSchemaProps.self))
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .strings(let value): try container.encode(value)
            case .schema(let value): try container.encode(value)
            }
        }
    }
}
