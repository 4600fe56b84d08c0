import APIMachinery

/// resource.Quantity text: a signed decimal with an optional binary (Ki..Ei), decimal (n..E) or
/// exponent (e3) suffix. Only parsed to check it and to compare values.
enum Quantity {
    static let formatError = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"

    /// The value of a quantity (a JSON string or number), or nil if it does not parse.
    static func value(_ json: JSONValue) -> Double? {
        switch json {
        case .int(let i): return Double(i)
        case .double(let d): return d
        case .string(let s): return parse(s)
        default: return nil
        }
    }

    static func parse(_ text: String) -> Double? {
        var chars = Substring(text)
        var sign = 1.0
        if let first = chars.first, first == "+" || first == "-" {
            if first == "-" { sign = -1 }
            chars = chars.dropFirst()
        }
        let number = chars.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
        guard !number.isEmpty, number.filter({ $0 == "." }).count <= 1, number != ".", let base = Double(number) else { return nil }
        let suffix = String(chars.dropFirst(number.count))
        let multipliers: [String: Double] = [
            "": 1, "Ki": 1024, "Mi": 1_048_576, "Gi": 1_073_741_824, "Ti": 1_099_511_627_776, "Pi": 1_125_899_906_842_624,
            "Ei": 1_152_921_504_606_846_976, "n": 1e-9, "u": 1e-6, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12,
            "P": 1e15, "E": 1e18,
        ]
        if let m = multipliers[suffix] { return sign * base * m }
        if let first = suffix.first, first == "e" || first == "E" {
            var exponent = suffix.dropFirst()
            var expSign = 1.0
            if let s = exponent.first, s == "+" || s == "-" {
                if s == "-" { expSign = -1 }
                exponent = exponent.dropFirst()
            }
            guard !exponent.isEmpty, exponent.allSatisfy({ $0.isASCII && $0.isNumber }), let e = Double(exponent) else { return nil }
            return sign * base * pow10(expSign * e)
        }
        return nil
    }

    static func pow10(_ e: Double) -> Double {
        var result = 1.0
        let n = Int(min(abs(e), 400))
        for _ in 0..<n { result *= 10 }
        return e < 0 ? 1 / result : result
    }

    /// The text Kubernetes shows for a quantity value in messages (the original text).
    static func text(_ json: JSONValue) -> String {
        switch json {
        case .string(let s): return s
        default: return json.serializedString()
        }
    }
}
