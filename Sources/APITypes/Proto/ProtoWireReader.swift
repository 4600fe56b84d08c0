import APIMachinery

/// A bounds-checked cursor over protobuf wire data. Every read checks the remaining length and throws
/// `StatusError.badRequest` on truncation; it never reads outside `start..<end`.
struct ProtoWireReader {
    /// Protobuf wire types.
    enum WireType: UInt8 {
        case varint = 0, fixed64 = 1, lengthDelimited = 2, startGroup = 3, endGroup = 4, fixed32 = 5
    }

    let bytes: [UInt8]
    private(set) var position: Int
    let end: Int

    init(bytes: [UInt8], start: Int, end: Int) {
        self.bytes = bytes
        let e = max(0, min(end, bytes.count))
        self.position = max(0, min(start, e))
        self.end = e
    }

    var isAtEnd: Bool { position >= end }

    static func error(_ what: String) -> StatusError {
        .badRequest("unable to decode protobuf body: \(what)")
    }

    /// A base-128 varint of at most 10 bytes.
    mutating func readVarint() throws(StatusError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < end else { throw Self.error("truncated varint") }
            let b = bytes[position]
            position += 1
            if shift == 63 && b > 1 { throw Self.error("varint overflows 64 bits") }
            result |= UInt64(b & 0x7f) << shift
            if b & 0x80 == 0 { return result }
            shift += 7
            if shift > 63 { throw Self.error("varint longer than 10 bytes") }
        }
    }

    mutating func readFixed32() throws(StatusError) -> UInt32 {
        guard end - position >= 4 else { throw Self.error("truncated fixed32") }
        var v: UInt32 = 0
        for i in 0..<4 { v |= UInt32(bytes[position + i]) << (8 * UInt32(i)) }
        position += 4
        return v
    }

    mutating func readFixed64() throws(StatusError) -> UInt64 {
        guard end - position >= 8 else { throw Self.error("truncated fixed64") }
        var v: UInt64 = 0
        for i in 0..<8 { v |= UInt64(bytes[position + i]) << (8 * UInt64(i)) }
        position += 8
        return v
    }

    /// Reads a length prefix and returns the range of the payload, advancing past it.
    mutating func readLengthDelimited() throws(StatusError) -> Range<Int> {
        let length = try readVarint()
        guard length <= UInt64(end - position) else { throw Self.error("length \(length) beyond end of buffer") }
        let start = position
        position += Int(length)
        return start..<position
    }

    /// Reads a field key: (field number, wire type).
    mutating func readKey() throws(StatusError) -> (number: Int, wireType: WireType) {
        let key = try readVarint()
        let number = key >> 3
        guard number > 0, number <= 536_870_911 else { throw Self.error("invalid field number \(number)") }
        guard let wt = WireType(rawValue: UInt8(key & 7)) else { throw Self.error("invalid wire type \(key & 7)") }
        return (Int(number), wt)
    }

    /// Skips a field value of an unknown field.
    mutating func skip(_ wireType: WireType) throws(StatusError) {
        switch wireType {
        case .varint: _ = try readVarint()
        case .fixed64: _ = try readFixed64()
        case .fixed32: _ = try readFixed32()
        case .lengthDelimited: _ = try readLengthDelimited()
        case .startGroup, .endGroup: throw Self.error("groups are not supported")
        }
    }

    /// A sub-reader over a range of the same buffer.
    func sub(_ range: Range<Int>) -> ProtoWireReader {
        ProtoWireReader(bytes: bytes, start: range.lowerBound, end: range.upperBound)
    }

    func slice(_ range: Range<Int>) -> ArraySlice<UInt8> {
        let lo = max(0, min(range.lowerBound, bytes.count))
        let hi = max(lo, min(range.upperBound, bytes.count))
        return bytes[lo..<hi]
    }
}
