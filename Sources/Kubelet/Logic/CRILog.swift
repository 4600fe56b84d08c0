import APIMachinery

/// One log line of a container as the kubelet serves it: a CRI log file line
/// (`<RFC3339Nano> <stdout|stderr> <P|F> <message>`), or several partial (`P`) lines joined up to their
/// final (`F`) line. `message` is the raw bytes with "\n" after a final line.
public struct CRILogEntry: Sendable, Equatable {
    public enum Stream: String, Sendable, Equatable { case stdout, stderr }

    /// When the (first fragment of the) line was written.
    public var time: RFC3339.Instant
    /// The time as the kubelet prints it with `timestamps=true`: nine fraction digits, the file's zone.
    public var timestamp: String
    public var stream: Stream
    public var message: [UInt8]

    public init(time: RFC3339.Instant, timestamp: String, stream: Stream, message: [UInt8]) {
        self.time = time
        self.timestamp = timestamp
        self.stream = stream
        self.message = message
    }
}

/// Splits CRI log file bytes into entries, fed in chunks as they are read: a line without its "\n" yet
/// waits for the next chunk; `P` fragments wait (per stream) for their `F` line. Malformed lines are
/// skipped.
public struct CRILogParser: Sendable {
    var buffer: [UInt8] = []
    var pending: [CRILogEntry.Stream: CRILogEntry] = [:]

    public init() {}

    /// The complete entries in `bytes` (with what earlier calls left).
    public mutating func feed<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> [CRILogEntry] {
        buffer.append(contentsOf: bytes)
        var out: [CRILogEntry] = []
        var start = 0
        while let newline = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) {
            if let entry = line(buffer[start..<newline]) { out.append(entry) }
            start = newline + 1
        }
        buffer.removeFirst(start)
        return out
    }

    /// Partial lines still waiting for their final fragment (in stream order stdout, stderr), as they
    /// are; the parser forgets them. Bytes of an unterminated line stay.
    public mutating func flushPartials() -> [CRILogEntry] {
        let out = [CRILogEntry.Stream.stdout, .stderr].compactMap { pending[$0] }.sorted { $0.time < $1.time }
        pending = [:]
        return out
    }

    /// Whether a line is half-read or a partial line waits for its end.
    public var hasPending: Bool { !buffer.isEmpty || !pending.isEmpty }

    mutating func line(_ line: ArraySlice<UInt8>) -> CRILogEntry? {
        guard let parsed = Self.parse(line) else { return nil }
        var entry = pending.removeValue(forKey: parsed.stream)
            ?? CRILogEntry(time: parsed.time, timestamp: parsed.timestamp, stream: parsed.stream, message: [])
        entry.message.append(contentsOf: parsed.message)
        if parsed.partial {
            pending[parsed.stream] = entry
            return nil
        }
        entry.message.append(UInt8(ascii: "\n"))
        return entry
    }

    /// One CRI line without its "\n"; nil when malformed.
    public static func parse(_ line: ArraySlice<UInt8>)
        -> (time: RFC3339.Instant, timestamp: String, stream: CRILogEntry.Stream, partial: Bool, message: ArraySlice<UInt8>)?
    {
        let space = UInt8(ascii: " ")
        guard let s1 = line.firstIndex(of: space) else { return nil }
        let stamp = String(decoding: line[line.startIndex..<s1], as: UTF8.self)
        guard let time = RFC3339.parseInstant(stamp) else { return nil }
        let rest = line[(s1 + 1)...]
        guard let s2 = rest.firstIndex(of: space),
              let stream = CRILogEntry.Stream(rawValue: String(decoding: rest[rest.startIndex..<s2], as: UTF8.self))
        else { return nil }
        let afterStream = rest[(s2 + 1)...]
        let s3 = afterStream.firstIndex(of: space) ?? afterStream.endIndex
        let tags = afterStream[afterStream.startIndex..<s3]
        let partial = tags.split(separator: UInt8(ascii: ":")).first.map { Array($0) == [UInt8(ascii: "P")] } ?? false
        let message = s3 < afterStream.endIndex ? afterStream[(s3 + 1)...] : afterStream[s3...]
        return (time, fixedNano(stamp), stream, partial, message)
    }

    /// `2026-11-30T10:00:00.5Z` → `2026-11-30T10:00:00.500000000Z` (Go's RFC3339NanoFixed, zone kept).
    static func fixedNano(_ stamp: String) -> String {
        let bytes = Array(stamp.utf8)
        guard bytes.count >= 20 else { return stamp }
        var i = 19
        var digits: [UInt8] = []
        if bytes[i] == UInt8(ascii: ".") || bytes[i] == UInt8(ascii: ",") {
            i += 1
            while i < bytes.count, bytes[i] >= 0x30, bytes[i] <= 0x39 {
                digits.append(bytes[i])
                i += 1
            }
        }
        digits = Array(digits.prefix(9))
        digits += Array(repeating: UInt8(ascii: "0"), count: 9 - digits.count)
        return String(decoding: bytes[0..<19] + [UInt8(ascii: ".")] + digits + bytes[i...], as: UTF8.self)
    }
}
