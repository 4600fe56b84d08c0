import APIMachinery

/// Decodes Kubernetes protobuf request bodies (`application/vnd.kubernetes.protobuf`) into JSON objects,
/// driven by the embedded `ProtoSchema`. Malformed input throws `StatusError.badRequest`; it never traps.
public enum ProtobufDecoder {
    /// `"k8s\0"`, the prefix of every Kubernetes protobuf body.
    public static let magic: [UInt8] = [0x6b, 0x38, 0x73, 0x00]
    /// The deepest message nesting accepted (Kubernetes objects nest about 20 deep).
    public static let maximumDepth = 100

    /// True if `bytes` starts with the Kubernetes protobuf magic.
    public static func hasMagic(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 4 && bytes[0] == magic[0] && bytes[1] == magic[1] && bytes[2] == magic[2] && bytes[3] == magic[3]
    }

    /// Decodes `k8s\0` + `runtime.Unknown{typeMeta, raw, contentEncoding, contentType}`, then `raw` with the
    /// message for (apiVersion, kind). The result has `apiVersion`, `kind` and always a `metadata` object,
    /// with zero values dropped as Go's `omitempty` would (see `ProtoOmitEmpty`).
    public static func decodeEnvelope(_ bytes: [UInt8]) throws(StatusError) -> (apiVersion: String, kind: String, object: JSONValue) {
        try decodeEnvelope(bytes, schema: .kubernetes)
    }

    public static func decodeEnvelope(_ bytes: [UInt8], schema: ProtoSchema) throws(StatusError)
        -> (apiVersion: String, kind: String, object: JSONValue)
    {
        var decoder = ProtoMessageDecoder(schema: schema)
        return try decoder.envelope(bytes, depth: 0)
    }

    /// Decodes one message without the envelope, e.g. `raw` bytes of `k8s.io.api.core.v1.ConfigMap`.
    public static func decode(_ bytes: [UInt8], message: String, schema: ProtoSchema = .kubernetes) throws(StatusError) -> JSONValue {
        var decoder = ProtoMessageDecoder(schema: schema)
        let reader = ProtoWireReader(bytes: bytes, start: 0, end: bytes.count)
        return try decoder.topLevel(reader, message: message, depth: 0)
    }
}

/// The generic schema-driven decoder behind `ProtobufDecoder`.
struct ProtoMessageDecoder {
    let schema: ProtoSchema

    static func error(_ what: String) -> StatusError { ProtoWireReader.error(what) }

    mutating func envelope(_ bytes: [UInt8], depth: Int) throws(StatusError) -> (apiVersion: String, kind: String, object: JSONValue) {
        guard ProtobufDecoder.hasMagic(bytes) else {
            throw .badRequest("unable to decode protobuf body: missing the \"k8s\\0\" prefix")
        }
        var r = ProtoWireReader(bytes: bytes, start: 4, end: bytes.count)
        var apiVersion = "", kind = "", contentEncoding = "", contentType = ""
        var raw: Range<Int>?
        while !r.isAtEnd {
            let (number, wt) = try r.readKey()
            guard (1...4).contains(number) else { try r.skip(wt); continue }
            guard wt == .lengthDelimited else { throw Self.error("runtime.Unknown field \(number) has wire type \(wt.rawValue)") }
            let range = try r.readLengthDelimited()
            switch number {
            case 1:
                var tm = r.sub(range)
                while !tm.isAtEnd {
                    let (n, w) = try tm.readKey()
                    guard n == 1 || n == 2, w == .lengthDelimited else { try tm.skip(w); continue }
                    let s = string(tm.slice(try tm.readLengthDelimited()))
                    if n == 1 { apiVersion = s } else { kind = s }
                }
            case 2: raw = range
            case 3: contentEncoding = string(r.slice(range))
            default: contentType = string(r.slice(range))
            }
        }
        guard contentEncoding.isEmpty else { throw .badRequest("unsupported protobuf content encoding \"\(contentEncoding)\"") }
        guard !kind.isEmpty, !apiVersion.isEmpty else {
            throw .badRequest("Object 'Kind' is missing in protobuf body")
        }
        let rawRange = raw ?? 4..<4
        var object: JSONValue
        if contentType.hasPrefix("application/json") {
            do { object = try JSONValue.parse(r.slice(rawRange)) } catch { throw .badRequest("invalid JSON in protobuf envelope: \(error)") }
        } else {
            guard contentType.isEmpty || contentType.hasPrefix("application/vnd.kubernetes.protobuf") else {
                throw .badRequest("unsupported content type \"\(contentType)\" in protobuf envelope")
            }
            guard let message = schema.messageName(apiVersion: apiVersion, kind: kind) else {
                throw .badRequest("no kind \"\(kind)\" is registered for version \"\(apiVersion)\" in the protobuf scheme")
            }
            object = try topLevel(r.sub(rawRange), message: message, depth: depth)
        }
        guard case .object(var o) = object else { throw .badRequest("protobuf body is not an object") }
        o["apiVersion"] = .string(apiVersion)
        o["kind"] = .string(kind)
        return (apiVersion, kind, .object(o))
    }

    /// Decodes a root object: like `message`, but `metadata` is kept (as `{}` when empty).
    mutating func topLevel(_ r: ProtoWireReader, message name: String, depth: Int) throws(StatusError) -> JSONValue {
        guard let msg = schema.message(named: name) else { throw .badRequest("no protobuf message \"\(name)\"") }
        var o = try object(r, msg, depth: depth)
        if msg.field(named: "metadata") != nil, o["metadata"] == nil { o["metadata"] = .object([:]) }
        return .object(o)
    }

    /// Decodes the JSON value of a message-typed field; nil means "absent" (an empty Time or RawExtension).
    mutating func messageValue(_ r: ProtoWireReader, _ name: String, depth: Int) throws(StatusError) -> JSONValue? {
        guard depth < ProtobufDecoder.maximumDepth else { throw Self.error("nesting deeper than \(ProtobufDecoder.maximumDepth)") }
        guard let msg = schema.message(named: name) else { throw Self.error("unknown message type \(name)") }
        if let special = msg.special { return try specialValue(r, special, depth: depth) }
        return .object(try object(r, msg, depth: depth))
    }

    /// Decodes a message to its JSON members, dropping zero values, and flattening inlined structs.
    mutating func object(_ reader: ProtoWireReader, _ msg: ProtoMessage, depth: Int) throws(StatusError) -> [String: JSONValue] {
        guard depth < ProtobufDecoder.maximumDepth else { throw Self.error("nesting deeper than \(ProtobufDecoder.maximumDepth)") }
        var r = reader
        var singles: [String: JSONValue] = [:]
        var lists: [String: [JSONValue]] = [:]
        var maps: [String: [String: JSONValue]] = [:]
        var inlined: [String: [String: JSONValue]] = [:]
        while !r.isAtEnd {
            let (number, wt) = try r.readKey()
            guard let field = msg.field(number: number) else { try r.skip(wt); continue }
            if let keyType = field.mapKey {
                guard wt == .lengthDelimited else { throw Self.error("map field \(field.name) has wire type \(wt.rawValue)") }
                let (k, v) = try mapEntry(r.sub(try r.readLengthDelimited()), keyType: keyType, valueType: field.type, depth: depth + 1)
                maps[field.name, default: [:]][k] = v
                continue
            }
            if case .message(let child) = field.type {
                guard wt == .lengthDelimited else { throw Self.error("message field \(field.name) has wire type \(wt.rawValue)") }
                let sub = r.sub(try r.readLengthDelimited())
                if ProtoInline.isInline(message: msg.name, field: field.name), let childMsg = schema.message(named: child),
                   childMsg.special == nil {
                    inlined[field.name] = try object(sub, childMsg, depth: depth + 1)
                    continue
                }
                let value = try messageValue(sub, child, depth: depth + 1)
                if field.isRepeated {
                    lists[field.name, default: []].append(value ?? .null)
                } else {
                    singles[field.name] = value
                }
                continue
            }
            if field.isRepeated, wt == .lengthDelimited, field.type != .string, field.type != .bytes {
                var packed = r.sub(try r.readLengthDelimited())
                while !packed.isAtEnd {
                    lists[field.name, default: []].append(try scalar(&packed, field.type, wireType: expectedWireType(field.type)))
                }
                continue
            }
            let value = try scalar(&r, field.type, wireType: wt)
            if field.isRepeated { lists[field.name, default: []].append(value) } else { singles[field.name] = value }
        }
        var out: [String: JSONValue] = [:]
        for (name, value) in singles where !ProtoOmitEmpty.drop(emptiness(value), field: name, message: msg.name) {
            out[name] = value
        }
        for (name, list) in lists where !list.isEmpty { out[name] = .array(list) }
        for (name, map) in maps where !map.isEmpty { out[name] = .object(map) }
        for (_, members) in inlined {
            for (k, v) in members where out[k] == nil { out[k] = v }
        }
        return out
    }

    private func emptiness(_ v: JSONValue) -> ProtoOmitEmpty.JSONValueRef {
        switch v {
        case .string(let s): return s.isEmpty ? .zero : .other
        case .int(let i): return i == 0 ? .zero : .other
        case .double(let d): return d == 0 ? .zero : .other
        case .bool(let b): return b ? .other : .zero
        case .array(let a): return a.isEmpty ? .emptyList : .other
        case .object(let o): return o.isEmpty ? .emptyObject : .other
        case .null: return .emptyObject
        }
    }

    /// One `{1: key, 2: value}` map entry. A missing value is the type's zero value.
    private mutating func mapEntry(_ reader: ProtoWireReader, keyType: ProtoFieldType, valueType: ProtoFieldType,
                                   depth: Int) throws(StatusError) -> (String, JSONValue) {
        var r = reader
        var key: JSONValue?
        var value: JSONValue?
        while !r.isAtEnd {
            let (n, wt) = try r.readKey()
            switch n {
            case 1: key = try scalar(&r, keyType, wireType: wt)
            case 2:
                if case .message(let name) = valueType {
                    guard wt == .lengthDelimited else { throw Self.error("map value has wire type \(wt.rawValue)") }
                    value = try messageValue(r.sub(try r.readLengthDelimited()), name, depth: depth + 1) ?? .null
                } else {
                    value = try scalar(&r, valueType, wireType: wt)
                }
            default: try r.skip(wt)
            }
        }
        let keyString: String
        switch key {
        case .string(let s): keyString = s
        case .int(let i): keyString = String(i)
        case .bool(let b): keyString = b ? "true" : "false"
        case .double(let d): keyString = String(d)
        default: keyString = ""
        }
        if value == nil {
            if case .message(let name) = valueType {
                value = try messageValue(r.sub(r.end..<r.end), name, depth: depth + 1) ?? .null
            } else {
                value = zero(valueType)
            }
        }
        return (keyString, value ?? .null)
    }

    private func zero(_ type: ProtoFieldType) -> JSONValue {
        switch type {
        case .string, .bytes: return .string("")
        case .bool: return .bool(false)
        case .double, .float: return .double(0)
        case .message: return .null
        default: return .int(0)
        }
    }

    func expectedWireType(_ type: ProtoFieldType) -> ProtoWireReader.WireType {
        switch type {
        case .int32, .int64, .uint32, .uint64, .sint32, .sint64, .bool: return .varint
        case .fixed64, .sfixed64, .double: return .fixed64
        case .fixed32, .sfixed32, .float: return .fixed32
        case .string, .bytes, .message: return .lengthDelimited
        }
    }

    /// Reads one scalar of `type`, checking that the wire type matches.
    func scalar(_ r: inout ProtoWireReader, _ type: ProtoFieldType, wireType: ProtoWireReader.WireType) throws(StatusError) -> JSONValue {
        guard wireType == expectedWireType(type) else {
            throw Self.error("wire type \(wireType.rawValue) does not match field type \(type)")
        }
        switch type {
        case .int32: return .int(Int64(Int32(truncatingIfNeeded: try r.readVarint())))
        case .int64: return .int(Int64(bitPattern: try r.readVarint()))
        case .uint32: return .int(Int64(UInt32(truncatingIfNeeded: try r.readVarint())))
        case .uint64: return unsigned(try r.readVarint())
        case .sint32:
            let v = UInt32(truncatingIfNeeded: try r.readVarint())
            return .int(Int64(Int32(bitPattern: (v >> 1) ^ (0 &- (v & 1)))))
        case .sint64:
            let v = try r.readVarint()
            return .int(Int64(bitPattern: (v >> 1) ^ (0 &- (v & 1))))
        case .bool: return .bool(try r.readVarint() != 0)
        case .fixed32: return .int(Int64(try r.readFixed32()))
        case .sfixed32: return .int(Int64(Int32(bitPattern: try r.readFixed32())))
        case .fixed64: return unsigned(try r.readFixed64())
        case .sfixed64: return .int(Int64(bitPattern: try r.readFixed64()))
        case .float: return try finite(Double(Float(bitPattern: try r.readFixed32())))
        case .double: return try finite(Double(bitPattern: try r.readFixed64()))
        case .string: return .string(string(r.slice(try r.readLengthDelimited())))
        case .bytes: return .string(ProtoBase64.encode(r.slice(try r.readLengthDelimited())))
        case .message: throw Self.error("unexpected message")
        }
    }

    private func unsigned(_ v: UInt64) -> JSONValue {
        v <= UInt64(Int64.max) ? .int(Int64(v)) : .double(Double(v))
    }

    private func finite(_ d: Double) throws(StatusError) -> JSONValue {
        guard d.isFinite else { throw Self.error("non-finite floating-point value") }
        return .double(d)
    }

    func string(_ bytes: ArraySlice<UInt8>) -> String {
        String(decoding: bytes, as: UTF8.self)
    }
}
