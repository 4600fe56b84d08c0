import APIMachinery

/// resource.Quantity text: a signed decimal with an optional binary (Ki..Ei), decimal (n..E) or
/// exponent (e3) suffix. Only parsed to check it and to compare values.
enum WorkloadQuantity {
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

extension WorkloadQuantity {
    static let decimalSuffixes: [Int: String] = [-9: "n", -6: "u", -3: "m", 0: "", 3: "k", 6: "M", 9: "G", 12: "T", 15: "P", 18: "E"]
    static let decimalExponents: [String: Int] = ["n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18]
    static let binarySuffixes = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"]

    enum Format { case decimalSI, binarySI, decimalExponent }

    /// The canonical text of a quantity as the API server returns it (`0.5` → `500m`, `1024Mi` →
    /// `1Gi`, `1000m` → `1`), or nil when it does not parse or does not fit.
    static func canonical(_ json: JSONValue) -> String? {
        let text: String
        switch json {
        case .string(let s): text = s
        case .int(let i): text = String(i)
        case .double(let d): text = JSONValue.double(d).serializedString()
        default: return nil
        }
        guard parse(text) != nil else { return nil }
        var chars = Substring(text)
        var negative = false
        if let first = chars.first, first == "+" || first == "-" {
            negative = first == "-"
            chars = chars.dropFirst()
        }
        let number = chars.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
        let suffix = String(chars.dropFirst(number.count))
        // mantissa × 10^exp
        let parts = number.split(separator: ".", omittingEmptySubsequences: false)
        let whole = parts.first.map(String.init) ?? ""
        let fraction = parts.count > 1 ? String(parts[1]) : ""
        var digits = (whole + fraction).drop { $0 == "0" }
        var exp = -fraction.count
        // Keep at most 18 significant digits (nanosecond precision of large values is lost anyway).
        while digits.count > 18 {
            if digits.last != "0" { return nil }
            digits = digits.dropLast()
            exp += 1
        }
        var mantissa = Int64(digits) ?? 0
        var format = Format.decimalSI
        if let e = decimalExponents[suffix] {
            exp += e
        } else if let k = binarySuffixes.firstIndex(of: suffix) {
            format = .binarySI
            for _ in 0..<k {
                let (m, overflow) = mantissa.multipliedReportingOverflow(by: 1024)
                if overflow { return nil }
                mantissa = m
            }
        } else if let first = suffix.first, first == "e" || first == "E", let e = Int(suffix.dropFirst()) {
            format = .decimalExponent
            exp += e
        } else {
            return nil
        }
        if mantissa == 0 { return "0" }
        // Round up to nano units.
        if exp < -9 {
            var roundUp = false
            while exp < -9 {
                if mantissa % 10 != 0 { roundUp = true }
                mantissa /= 10
                exp += 1
            }
            if roundUp { mantissa += 1 }
        }
        while mantissa % 10 == 0 && mantissa != 0 {
            mantissa /= 10
            exp += 1
        }
        let sign = negative ? "-" : ""
        if format == .binarySI, exp >= 0 {
            var value = mantissa
            for _ in 0..<exp {
                let (v, overflow) = value.multipliedReportingOverflow(by: 10)
                if overflow { return nil }
                value = v
            }
            if value >= 1024 {
                var k = 0
                while k < 6 && value % 1024 == 0 {
                    value /= 1024
                    k += 1
                }
                return sign + String(value) + binarySuffixes[k]
            }
        }
        // Largest multiple of 3 not above exp, within n..E.
        var e3 = exp >= 0 ? (exp / 3) * 3 : -(((-exp) + 2) / 3) * 3
        if e3 > 18 { e3 = 18 }
        for _ in 0..<(exp - e3) {
            let (m, overflow) = mantissa.multipliedReportingOverflow(by: 10)
            if overflow { return nil }
            mantissa = m
        }
        if format == .decimalExponent {
            return sign + String(mantissa) + (e3 == 0 ? "" : "e\(e3)")
        }
        return sign + String(mantissa) + (decimalSuffixes[e3] ?? "")
    }

    /// Rewrites every quantity of a resource map (`limits`, `requests`) in canonical form.
    static func canonicalizeMap(_ object: inout JSONValue, _ key: String) {
        guard case .object(var map)? = object[key] else { return }
        for (name, value) in map {
            if let c = canonical(value) { map[name] = .string(c) }
        }
        object[key] = .object(map)
    }
}
