import NIOCore

/// RFC 6455 framing for the API server's side of a kubelet WebSocket, where the API server is the
/// client: what it sends is masked; what it reads may be masked or not.
struct RawWebSocketFrame: Sendable, Equatable {
    static let continuation: UInt8 = 0x0, text: UInt8 = 0x1, binary: UInt8 = 0x2, close: UInt8 = 0x8, ping: UInt8 = 0x9, pong: UInt8 = 0xA

    var fin: Bool
    var opcode: UInt8
    var payload: ByteBuffer

    var isControl: Bool { opcode & 0x8 != 0 }

    /// The frame on the wire; `masked` with a random key (client to server).
    func encoded(masked: Bool) -> ByteBuffer {
        var out = ByteBuffer()
        out.reserveCapacity(payload.readableBytes + 14)
        out.writeInteger(UInt8((fin ? 0x80 : 0) | (opcode & 0x0F)))
        let maskBit: UInt8 = masked ? 0x80 : 0
        let length = payload.readableBytes
        if length < 126 {
            out.writeInteger(maskBit | UInt8(length))
        } else if length <= 0xFFFF {
            out.writeInteger(maskBit | 126)
            out.writeInteger(UInt16(length))
        } else {
            out.writeInteger(maskBit | 127)
            out.writeInteger(UInt64(length))
        }
        if masked {
            let key: [UInt8] = (0..<4).map { _ in UInt8.random(in: 0...255) }
            out.writeBytes(key)
            var index = 0
            for byte in payload.readableBytesView {
                out.writeInteger(byte ^ key[index & 3])
                index += 1
            }
        } else {
            out.writeImmutableBuffer(payload)
        }
        return out
    }
}

/// Splits a byte stream into WebSocket frames.
struct RawWebSocketFrameParser {
    enum Failure: Error { case frameTooLarge(Int) }

    var buffer = ByteBuffer()
    var maximumPayload = 16 << 20

    mutating func append(_ bytes: ByteBuffer) {
        var bytes = bytes
        buffer.writeBuffer(&bytes)
    }

    /// The next complete frame (unmasked), or nil when more bytes are needed.
    mutating func next() throws -> RawWebSocketFrame? {
        let view = buffer.readableBytesView
        guard view.count >= 2 else { return nil }
        let b0 = view[view.startIndex], b1 = view[view.startIndex + 1]
        var offset = 2
        var length = Int(b1 & 0x7F)
        if length == 126 {
            guard view.count >= 4 else { return nil }
            length = Int(view[view.startIndex + 2]) << 8 | Int(view[view.startIndex + 3])
            offset = 4
        } else if length == 127 {
            guard view.count >= 10 else { return nil }
            var value: UInt64 = 0
            for i in 2..<10 { value = value << 8 | UInt64(view[view.startIndex + i]) }
            guard value <= UInt64(maximumPayload) else { throw Failure.frameTooLarge(Int(clamping: value)) }
            length = Int(value)
            offset = 10
        }
        guard length <= maximumPayload else { throw Failure.frameTooLarge(length) }
        let masked = b1 & 0x80 != 0
        let keyStart = offset
        if masked { offset += 4 }
        guard view.count >= offset + length else { return nil }
        var payload: ByteBuffer
        if masked {
            let key = (0..<4).map { view[view.startIndex + keyStart + $0] }
            payload = ByteBuffer()
            payload.reserveCapacity(length)
            for i in 0..<length { payload.writeInteger(view[view.startIndex + offset + i] ^ key[i & 3]) }
        } else {
            payload = buffer.getSlice(at: buffer.readerIndex + offset, length: length) ?? ByteBuffer()
        }
        buffer.moveReaderIndex(forwardBy: offset + length)
        if buffer.readableBytes == 0 { buffer.clear() } else if buffer.readerIndex > 1 << 16 { buffer.discardReadBytes() }
        return RawWebSocketFrame(fin: b0 & 0x80 != 0, opcode: b0 & 0x0F, payload: payload)
    }
}
