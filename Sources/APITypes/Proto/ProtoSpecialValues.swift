import APIMachinery

extension ProtoMessageDecoder {
    /// A raw field value read without a schema, for the special messages.
    enum RawValue {
        case varint(UInt64)
        case bytes(Range<Int>)
        case other
    }

    /// All (number, value) pairs of a message, in wire order.
    func rawFields(_ reader: ProtoWireReader) throws(StatusError) -> [(Int, RawValue)] {
        var r = reader
        var out: [(Int, RawValue)] = []
        while !r.isAtEnd {
            let (n, wt) = try r.readKey()
            switch wt {
            case .varint: out.append((n, .varint(try r.readVarint())))
            case .lengthDelimited: out.append((n, .bytes(try r.readLengthDelimited())))
            default:
                try r.skip(wt)
                out.append((n, .other))
            }
        }
        return out
    }

    private func lastVarint(_ fields: [(Int, RawValue)], _ number: Int) throws(StatusError) -> UInt64? {
        var result: UInt64?
        for (n, v) in fields where n == number {
            guard case .varint(let x) = v else { throw Self.error("field \(number) is not a varint") }
            result = x
        }
        return result
    }

    private func lastBytes(_ fields: [(Int, RawValue)], _ number: Int) throws(StatusError) -> Range<Int>? {
        var result: Range<Int>?
        for (n, v) in fields where n == number {
            guard case .bytes(let x) = v else { throw Self.error("field \(number) is not length-delimited") }
            result = x
        }
        return result
    }

    /// The JSON form of a special message; nil means absent (empty Time, empty RawExtension).
    mutating func specialValue(_ r: ProtoWireReader, _ special: ProtoSpecialType, depth: Int) throws(StatusError) -> JSONValue? {
        let fields = try rawFields(r)
        switch special {
        case .time, .microTime:
            let secondsRaw = try lastVarint(fields, 1)
            let nanosRaw = try lastVarint(fields, 2)
            if secondsRaw == nil && nanosRaw == nil { return nil }
            let seconds = Int64(bitPattern: secondsRaw ?? 0)
            let nanos = Int64(Int32(truncatingIfNeeded: nanosRaw ?? 0))
            guard let s = ProtoTimeFormat.rfc3339(seconds: seconds, nanos: nanos, micro: special == .microTime) else {
                throw .badRequest("unable to decode protobuf body: time \(seconds)s \(nanos)ns out of range")
            }
            return .string(s)
        case .duration:
            return .string(ProtoTimeFormat.goDuration(nanoseconds: Int64(bitPattern: try lastVarint(fields, 1) ?? 0)))
        case .quantity:
            return .string(try lastBytes(fields, 1).map { string(r.slice($0)) } ?? "")
        case .intOrString:
            let type = try lastVarint(fields, 1) ?? 0
            switch type {
            case 0: return .int(Int64(Int32(truncatingIfNeeded: try lastVarint(fields, 2) ?? 0)))
            case 1: return .string(try lastBytes(fields, 3).map { string(r.slice($0)) } ?? "")
            default: throw Self.error("IntOrString has invalid type \(type)")
            }
        case .stringList:
            var items: [JSONValue] = []
            for (n, v) in fields where n == 1 {
                guard case .bytes(let range) = v else { throw Self.error("list item is not length-delimited") }
                items.append(.string(string(r.slice(range))))
            }
            return .array(items)
        case .rawExtension, .fieldsV1:
            guard let range = try lastBytes(fields, 1), !range.isEmpty else { return nil }
            let raw = Array(r.slice(range))
            if ProtobufDecoder.hasMagic(raw) {
                return try envelope(raw, depth: depth + 1).object
            }
            do {
                return try JSONValue.parse(raw)
            } catch {
                throw .badRequest("unable to decode protobuf body: embedded object is not valid JSON: \(error)")
            }
        }
    }
}

/// Standard base64 with padding, as Go's `encoding/json` renders `[]byte`.
enum ProtoBase64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ bytes: ArraySlice<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let b0 = UInt32(bytes[i])
            let has1 = i + 1 < bytes.endIndex
            let has2 = i + 2 < bytes.endIndex
            let b1 = has1 ? UInt32(bytes[i + 1]) : 0
            let b2 = has2 ? UInt32(bytes[i + 2]) : 0
            let n = b0 << 16 | b1 << 8 | b2
            out.append(alphabet[Int(n >> 18 & 63)])
            out.append(alphabet[Int(n >> 12 & 63)])
            out.append(has1 ? alphabet[Int(n >> 6 & 63)] : UInt8(ascii: "="))
            out.append(has2 ? alphabet[Int(n & 63)] : UInt8(ascii: "="))
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }
}
