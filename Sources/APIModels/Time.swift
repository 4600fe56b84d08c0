import Foundation

/// metav1.Time: an RFC 3339 timestamp with second precision ("2024-01-02T03:04:05Z"), kept as the
/// serialized string so it round-trips unchanged. Coded as a bare string.
public struct Time: Codable, Sendable, Hashable, RawRepresentable, ExpressibleByStringLiteral,
    CustomStringConvertible
{
    public var rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }

    /// The timestamp of `date` in UTC, truncated to whole seconds.
    public init(_ date: Date) {
        rawValue = TimestampFormat.format(date, fractionDigits: 0)
    }

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    /// The parsed date, or nil when the string is not RFC 3339.
    public var date: Date? { TimestampFormat.parse(rawValue) }

    public var description: String { rawValue }
}

/// metav1.MicroTime: an RFC 3339 timestamp with microseconds ("2024-01-02T03:04:05.123456Z").
public struct MicroTime: Codable, Sendable, Hashable, RawRepresentable, ExpressibleByStringLiteral,
    CustomStringConvertible
{
    public var rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }

    /// The timestamp of `date` in UTC, truncated to whole microseconds.
    public init(_ date: Date) {
        rawValue = TimestampFormat.format(date, fractionDigits: 6)
    }

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    /// The parsed date, or nil when the string is not RFC 3339.
    public var date: Date? { TimestampFormat.parse(rawValue) }

    public var description: String { rawValue }
}

/// RFC 3339 formatting and parsing in UTC without shared formatter state.
enum TimestampFormat {
    static func format(_ date: Date, fractionDigits: Int) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .gmt
        let seconds = date.timeIntervalSince1970.rounded(.down)
        let whole = Date(timeIntervalSince1970: seconds)
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: whole)
        func pad(_ value: Int?, _ width: Int) -> String {
            let s = String(value ?? 0)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        var text = "\(pad(c.year, 4))-\(pad(c.month, 2))-\(pad(c.day, 2))T"
            + "\(pad(c.hour, 2)):\(pad(c.minute, 2)):\(pad(c.second, 2))"
        if fractionDigits > 0 {
            var scale = 1.0
            for _ in 0..<fractionDigits { scale *= 10 }
            let fraction = Int(((date.timeIntervalSince1970 - seconds) * scale).rounded(.down))
            text += "." + pad(min(fraction, Int(scale) - 1), fractionDigits)
        }
        return text + "Z"
    }

    static func parse(_ text: String) -> Date? {
        if let date = try? Date(text, strategy: .iso8601) { return date }
        return try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}
