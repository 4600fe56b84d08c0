/// An RFC 6901 JSON pointer, split into unescaped reference tokens (`~1` → `/`, `~0` → `~`).
public struct JSONPointer: Sendable, Hashable, CustomStringConvertible {
    public var tokens: [String]

    public init(tokens: [String]) { self.tokens = tokens }

    /// Parses `""` (the whole document) or `/a/b~1c/0`; nil for text not starting with `/` or a bad escape.
    public init?(_ text: String) {
        if text.isEmpty {
            tokens = []
            return
        }
        guard text.hasPrefix("/") else { return nil }
        var tokens: [String] = []
        for raw in text.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
            var token = String.UnicodeScalarView()
            var tilde = false
            for c in raw.unicodeScalars {
                if tilde {
                    switch c {
                    case "0": token.append("~")
                    case "1": token.append("/")
                    default: return nil
                    }
                    tilde = false
                } else if c == "~" {
                    tilde = true
                } else {
                    token.append(c)
                }
            }
            if tilde { return nil }
            tokens.append(String(token))
        }
        self.tokens = tokens
    }

    public var description: String {
        tokens.map { "/" + $0.replacing("~", with: "~0").replacing("/", with: "~1") }.joined()
    }

    /// The array index a token denotes: decimal without leading zeros, no sign.
    static func index(_ token: String) -> Int? {
        guard let first = token.utf8.first, token.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        if first == UInt8(ascii: "0") && token.utf8.count > 1 { return nil }
        return Int(token)
    }

    /// The value the pointer refers to, or nil.
    public func value(in document: JSONValue) -> JSONValue? {
        var current = document
        for token in tokens {
            switch current {
            case .object(let o):
                guard let next = o[token] else { return nil }
                current = next
            case .array(let a):
                guard let i = Self.index(token), i < a.count else { return nil }
                current = a[i]
            default:
                return nil
            }
        }
        return current
    }
}
