extension JSONValue {
    /// Serialises to compact JSON with object keys sorted, as Go marshals maps.
    public func serialized() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(into: &out)
        return out
    }

    public func serializedString() -> String {
        String(decoding: serialized(), as: UTF8.self)
    }

    /// Appends the compact JSON form of this value to `out`.
    public func write(into out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C])
        case .bool(let b): out.append(contentsOf: b ? Array("true".utf8) : Array("false".utf8))
        case .int(let i): out.append(contentsOf: String(i).utf8)
        case .double(let d): out.append(contentsOf: JSONValue.format(d).utf8)
        case .string(let s): JSONValue.writeString(s, into: &out)
        case .array(let a):
            out.append(UInt8(ascii: "["))
            for (i, v) in a.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                v.write(into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let o):
            out.append(UInt8(ascii: "{"))
            var first = true
            for key in o.keys.sorted() {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                JSONValue.writeString(key, into: &out)
                out.append(UInt8(ascii: ":"))
                (o[key] ?? .null).write(into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// Formats a double as Go's encoding/json does: the shortest digits that round-trip, in plain
    /// notation for 1e-6 <= |d| < 1e21 and exponent notation (`1e+21`, `1e-7`) outside it.
    static func format(_ d: Double) -> String {
        if !d.isFinite { return "null" }
        if d == 0 { return d.sign == .minus ? "-0" : "0" }
        if d.rounded() == d && abs(d) < 1e15 { return String(Int64(d)) }
        // Decompose Swift's shortest round-trip representation into digits and a decimal exponent.
        var digits: [UInt8] = []
        var pointPosition: Int?
        var exponent = 0
        var negative = false
        var text = Substring(d.description)
        if text.first == "-" {
            negative = true
            text = text.dropFirst()
        }
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponent = Int(String(text[text.index(after: e)...].filter { $0 != "+" })) ?? 0
            text = text[..<e]
        }
        for c in text.utf8 {
            if c == UInt8(ascii: ".") { pointPosition = digits.count } else { digits.append(c) }
        }
        var point = (pointPosition ?? digits.count) + exponent
        while digits.first == UInt8(ascii: "0") {
            digits.removeFirst()
            point -= 1
        }
        while digits.last == UInt8(ascii: "0") { digits.removeLast() }
        if digits.isEmpty { return negative ? "-0" : "0" }
        var out: [UInt8] = negative ? [UInt8(ascii: "-")] : []
        let magnitude = abs(d)
        if magnitude < 1e-6 || magnitude >= 1e21 {
            out.append(digits[0])
            if digits.count > 1 {
                out.append(UInt8(ascii: "."))
                out.append(contentsOf: digits[1...])
            }
            let e = point - 1
            out.append(contentsOf: Array((e < 0 ? "e-" : "e+").utf8))
            out.append(contentsOf: Array(String(abs(e)).utf8))
        } else if point <= 0 {
            out.append(contentsOf: [UInt8(ascii: "0"), UInt8(ascii: ".")])
            out.append(contentsOf: [UInt8](repeating: UInt8(ascii: "0"), count: -point))
            out.append(contentsOf: digits)
        } else if point >= digits.count {
            out.append(contentsOf: digits)
            out.append(contentsOf: [UInt8](repeating: UInt8(ascii: "0"), count: point - digits.count))
        } else {
            out.append(contentsOf: digits[..<point])
            out.append(UInt8(ascii: "."))
            out.append(contentsOf: digits[point...])
        }
        return String(decoding: out, as: UTF8.self)
    }

    static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    public static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { utf8 in
            var runStart = 0
            for i in 0..<utf8.count {
                let c = utf8[i]
                let escape: UInt8?
                switch c {
                case UInt8(ascii: "\""): escape = UInt8(ascii: "\"")
                case UInt8(ascii: "\\"): escape = UInt8(ascii: "\\")
                case 0x0A: escape = UInt8(ascii: "n")
                case 0x0D: escape = UInt8(ascii: "r")
                case 0x09: escape = UInt8(ascii: "t")
                case 0..<0x20: escape = 0
                default: continue
                }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<i]))
                runStart = i + 1
                out.append(UInt8(ascii: "\\"))
                if let e = escape, e != 0 {
                    out.append(e)
                } else {
                    out.append(contentsOf: [UInt8(ascii: "u"), 0x30, 0x30, hex[Int(c >> 4)], hex[Int(c & 0xF)]])
                }
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<utf8.count]))
        }
        out.append(UInt8(ascii: "\""))
    }
}
