import APIMachinery
import Foundation

/// The query of `GET /containerLogs/{namespace}/{pod}/{container}`: what part of a container's log to
/// serve and how.
public struct ContainerLogOptions: Sendable, Equatable {
    public var follow = false
    public var previous = false
    public var timestamps = false
    /// The last N lines only (counting joined lines); nil for all.
    public var tailLines: Int?
    /// Lines written at or after this instant only (from sinceTime or sinceSeconds).
    public var since: RFC3339.Instant?
    /// Stop after this many bytes of output (cutting a line).
    public var limitBytes: Int?

    public init(follow: Bool = false, previous: Bool = false, timestamps: Bool = false, tailLines: Int? = nil,
                since: RFC3339.Instant? = nil, limitBytes: Int? = nil) {
        self.follow = follow
        self.previous = previous
        self.timestamps = timestamps
        self.tailLines = tailLines
        self.since = since
        self.limitBytes = limitBytes
    }

    /// From query items (`follow=true&tailLines=10&sinceSeconds=5…`); sinceSeconds counts back from `now`.
    public static func parse(_ query: [(name: String, value: String)], now: Date) throws(StatusError) -> ContainerLogOptions {
        var options = ContainerLogOptions()
        func last(_ name: String) -> String? { query.last { $0.name == name }?.value }
        func bool(_ name: String) throws(StatusError) -> Bool {
            guard let value = last(name) else { return false }
            switch value.lowercased() {
            case "", "true", "1": return true
            case "false", "0": return false
            default: throw StatusError.badRequest("invalid value \"\(value)\" for \(name): expected true or false")
            }
        }
        func integer(_ name: String) throws(StatusError) -> Int? {
            guard let value = last(name) else { return nil }
            guard let number = Int(value), number >= 0 else {
                throw StatusError.badRequest("invalid value \"\(value)\" for \(name): expected a non-negative integer")
            }
            return number
        }
        options.follow = try bool("follow")
        options.previous = try bool("previous")
        options.timestamps = try bool("timestamps")
        options.tailLines = try integer("tailLines")
        options.limitBytes = try integer("limitBytes").flatMap { $0 > 0 ? $0 : nil }
        if let text = last("sinceTime") {
            guard let instant = RFC3339.parseInstant(text) else {
                throw StatusError.badRequest("invalid value \"\(text)\" for sinceTime: expected an RFC3339 time")
            }
            options.since = instant
        } else if let seconds = try integer("sinceSeconds") {
            let now = RFC3339.Instant(now)
            options.since = RFC3339.Instant(seconds: now.seconds - Int64(seconds), nanoseconds: now.nanoseconds)
        }
        return options
    }
}

/// Turns entries into the response body: drops those before `since`, prefixes timestamps, and stops at
/// `limitBytes`. Tail selection happens before (`TailBuffer`) on the lines already in the file.
public struct ContainerLogOutput: Sendable {
    public let options: ContainerLogOptions
    /// Bytes still allowed; nil without a limit.
    public private(set) var remaining: Int?

    public init(options: ContainerLogOptions) {
        self.options = options
        remaining = options.limitBytes
    }

    /// True once limitBytes are out: nothing more will be written.
    public var exhausted: Bool { remaining == 0 }

    public func accepts(_ entry: CRILogEntry) -> Bool {
        options.since.map { !(entry.time < $0) } ?? true
    }

    /// The bytes for `entries` (those `accepts` takes), cut at the limit.
    public mutating func render(_ entries: [CRILogEntry]) -> [UInt8] {
        var out: [UInt8] = []
        for entry in entries where accepts(entry) {
            if options.timestamps {
                out.append(contentsOf: entry.timestamp.utf8)
                out.append(UInt8(ascii: " "))
            }
            out.append(contentsOf: entry.message)
            if let remaining, out.count >= remaining { break }
        }
        if let left = remaining {
            if out.count > left { out.removeLast(out.count - left) }
            remaining = left - out.count
        }
        return out
    }
}

/// The last `limit` entries of those added.
public struct TailBuffer: Sendable {
    public let limit: Int
    var ring: [CRILogEntry] = []
    var next = 0

    public init(limit: Int) { self.limit = limit }

    public mutating func add(_ entry: CRILogEntry) {
        guard limit > 0 else { return }
        if ring.count < limit {
            ring.append(entry)
        } else {
            ring[next] = entry
            next = (next + 1) % limit
        }
    }

    public var entries: [CRILogEntry] { Array(ring[next...] + ring[..<next]) }
}

extension ContainerLogOptions {
    /// A whole (not followed) log file's response body: the lines, partial ones joined (a partial line
    /// without its end so far is served as it is), `since`, `tailLines`, timestamps and `limitBytes` applied.
    public func render(file: [UInt8]) -> [UInt8] {
        var parser = CRILogParser()
        var output = ContainerLogOutput(options: self)
        let entries = (parser.feed(file) + parser.flushPartials()).filter(output.accepts)
        if let tailLines {
            var tail = TailBuffer(limit: tailLines)
            entries.forEach { tail.add($0) }
            return output.render(tail.entries)
        }
        return output.render(entries)
    }
}
