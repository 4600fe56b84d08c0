/// SPDY/3.1 framing, as the Kubernetes streaming protocols use it (remotecommand and portforward over
/// an `Upgrade: SPDY/3.1` connection). Everything is big-endian:
///
///     control frame: C=1 | version(15)=3 | type(16) | flags(8) | length(24) | payload
///     data frame:    C=0 | stream-id(31)          | flags(8) | length(24) | data      (flag 0x01 = FIN)
///
/// Header blocks are a zlib stream per direction, preset with SPDY/3's dictionary. This client never
/// needs the peer's headers (the streams it opens are identified by their ids), so it skips them, and
/// it writes its own as *stored* (uncompressed) deflate blocks, which every inflater accepts, with or
/// without the dictionary.
public enum SPDYFrame: Sendable, Equatable {
    case synStream(streamID: UInt32, fin: Bool)
    case synReply(streamID: UInt32, fin: Bool)
    case rstStream(streamID: UInt32, status: UInt32)
    case ping(id: UInt32)
    case goAway(lastGoodStreamID: UInt32, status: UInt32)
    case data(streamID: UInt32, payload: [UInt8], fin: Bool)
    /// SETTINGS, HEADERS, WINDOW_UPDATE and anything newer: nothing to do for this client.
    case ignored(type: UInt16)

    static let version: UInt16 = 3
    static let finFlag: UInt8 = 0x01
}

public struct SPDYProtocolError: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Splits bytes as they arrive into frames.
public struct SPDYFrameParser: Sendable {
    private var buffer: [UInt8] = []
    private var start = 0

    public init() {}

    public mutating func append(_ bytes: some Sequence<UInt8>) {
        if start > 65_536, start * 2 > buffer.count {
            buffer.removeFirst(start)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next whole frame, or nil until more bytes arrive.
    public mutating func next() throws(SPDYProtocolError) -> SPDYFrame? {
        guard buffer.count - start >= 8 else { return nil }
        let head = start
        let length = Int(buffer[head + 5]) << 16 | Int(buffer[head + 6]) << 8 | Int(buffer[head + 7])
        guard buffer.count - start >= 8 + length else { return nil }
        let flags = buffer[head + 4]
        let payload = head + 8
        start = payload + length
        func word(_ at: Int) -> UInt32 {
            UInt32(buffer[at]) << 24 | UInt32(buffer[at + 1]) << 16 | UInt32(buffer[at + 2]) << 8 | UInt32(buffer[at + 3])
        }
        let first = word(head)
        guard first & 0x8000_0000 != 0 else {
            return .data(streamID: first & 0x7FFF_FFFF, payload: Array(buffer[payload..<payload + length]), fin: flags & SPDYFrame.finFlag != 0)
        }
        let version = UInt16((first >> 16) & 0x7FFF), type = UInt16(first & 0xFFFF)
        guard version == SPDYFrame.version else { throw SPDYProtocolError("SPDY version \(version), expected 3") }
        func need(_ bytes: Int) throws(SPDYProtocolError) {
            if length < bytes { throw SPDYProtocolError("SPDY control frame \(type) too short (\(length) bytes)") }
        }
        switch type {
        case 1:
            try need(10)
            return .synStream(streamID: word(payload) & 0x7FFF_FFFF, fin: flags & SPDYFrame.finFlag != 0)
        case 2:
            try need(4)
            return .synReply(streamID: word(payload) & 0x7FFF_FFFF, fin: flags & SPDYFrame.finFlag != 0)
        case 3:
            try need(8)
            return .rstStream(streamID: word(payload) & 0x7FFF_FFFF, status: word(payload + 4))
        case 6:
            try need(4)
            return .ping(id: word(payload))
        case 7:
            try need(8)
            return .goAway(lastGoodStreamID: word(payload) & 0x7FFF_FFFF, status: word(payload + 4))
        default:
            return .ignored(type: type)
        }
    }
}

/// Writes frames; keeps the outgoing header stream's state (its zlib header goes before the first block).
public struct SPDYFrameWriter: Sendable {
    private var headerStreamStarted = false

    public init() {}

    /// SYN_STREAM opening `streamID` with `headers` (names lowercase), priority 0.
    public mutating func synStream(streamID: UInt32, headers: [(String, String)], fin: Bool = false) -> [UInt8] {
        var payload: [UInt8] = []
        Self.put(streamID & 0x7FFF_FFFF, into: &payload)
        Self.put(0, into: &payload)  // associated stream
        payload += [0, 0]            // priority, slot
        payload += headerBlock(headers)
        return Self.control(type: 1, flags: fin ? SPDYFrame.finFlag : 0, payload: payload)
    }

    public static func data(streamID: UInt32, _ bytes: some Collection<UInt8>, fin: Bool = false) -> [UInt8] {
        var frame: [UInt8] = []
        frame.reserveCapacity(8 + bytes.count)
        put(streamID & 0x7FFF_FFFF, into: &frame)
        frame.append(fin ? SPDYFrame.finFlag : 0)
        put24(UInt32(bytes.count), into: &frame)
        frame += bytes
        return frame
    }

    public static func ping(id: UInt32) -> [UInt8] {
        var payload: [UInt8] = []
        put(id, into: &payload)
        return control(type: 6, flags: 0, payload: payload)
    }

    public static func rstStream(streamID: UInt32, status: UInt32) -> [UInt8] {
        var payload: [UInt8] = []
        put(streamID & 0x7FFF_FFFF, into: &payload)
        put(status, into: &payload)
        return control(type: 3, flags: 0, payload: payload)
    }

    public static func goAway(lastGoodStreamID: UInt32, status: UInt32 = 0) -> [UInt8] {
        var payload: [UInt8] = []
        put(lastGoodStreamID & 0x7FFF_FFFF, into: &payload)
        put(status, into: &payload)
        return control(type: 7, flags: 0, payload: payload)
    }

    /// The header block: u32 count, then u32-length-prefixed names and values, as stored deflate
    /// blocks of the connection's one zlib stream (ending, like Z_SYNC_FLUSH, with an empty block).
    mutating func headerBlock(_ headers: [(String, String)]) -> [UInt8] {
        var plain: [UInt8] = []
        Self.put(UInt32(headers.count), into: &plain)
        for (name, value) in headers {
            Self.put(UInt32(name.utf8.count), into: &plain)
            plain += name.lowercased().utf8
            Self.put(UInt32(value.utf8.count), into: &plain)
            plain += value.utf8
        }
        var block: [UInt8] = []
        if !headerStreamStarted {
            block += [0x78, 0x01]  // zlib header: deflate, 32 KiB window, no preset dictionary
            headerStreamStarted = true
        }
        var offset = 0
        repeat {
            let count = min(65_535, plain.count - offset)
            block += Self.storedBlock(plain[offset..<offset + count])
            offset += count
        } while offset < plain.count
        block += Self.storedBlock([])
        return block
    }

    /// A non-final stored deflate block: header bits 000 padded to a byte, LEN and NLEN little-endian.
    static func storedBlock(_ bytes: some Collection<UInt8>) -> [UInt8] {
        let length = UInt16(bytes.count)
        return [0x00, UInt8(length & 0xFF), UInt8(length >> 8), UInt8(~length & 0xFF), UInt8(~length >> 8)] + bytes
    }

    static func control(type: UInt16, flags: UInt8, payload: [UInt8]) -> [UInt8] {
        var frame: [UInt8] = [0x80 | UInt8(SPDYFrame.version >> 8), UInt8(SPDYFrame.version & 0xFF), UInt8(type >> 8), UInt8(type & 0xFF), flags]
        put24(UInt32(payload.count), into: &frame)
        return frame + payload
    }

    static func put(_ value: UInt32, into bytes: inout [UInt8]) {
        bytes += [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }

    static func put24(_ value: UInt32, into bytes: inout [UInt8]) {
        bytes += [UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }
}
