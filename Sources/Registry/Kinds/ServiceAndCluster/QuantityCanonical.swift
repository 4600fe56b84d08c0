import APIMachinery

/// The canonical text Kubernetes writes for a quantity (resource.Quantity's String): the value rounded
/// up to nano units, trailing zeros folded into the largest suffix that keeps an integer mantissa
/// (`1000m` → `1`, `0.5` → `500m`, `1024Mi` → `1Gi`, `1.5Gi` → `1536Mi`), binary suffixes kept only
/// for whole values of at least 1024.
enum CanonicalQuantity {
    enum Format { case decimalSI, binarySI, decimalExponent }

    static let decimalExponents: [String: Int] = ["n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18]
    static let decimalSuffixes: [Int: String] = [-9: "n", -6: "u", -3: "m", 0: "", 3: "k", 6: "M", 9: "G", 12: "T", 15: "P", 18: "E"]
    static let binaryPowers: [String: Int] = ["Ki": 1, "Mi": 2, "Gi": 3, "Ti": 4, "Pi": 5, "Ei": 6]
    static let binarySuffixes = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"]

    /// The canonical form of `text`, or nil when it is not a quantity or does not fit 64-bit arithmetic.
    static func canonical(_ text: String) -> String? {
        var rest = Substring(text)
        var negative = false
        if let first = rest.first, first == "+" || first == "-" {
            negative = first == "-"
            rest = rest.dropFirst()
        }
        let number = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
        let suffix = String(rest.dropFirst(number.count))
        let parts = number.split(separator: ".", omittingEmptySubsequences: false)
        guard !number.isEmpty, parts.count <= 2, parts.contains(where: { !$0.isEmpty }) else { return nil }
        let digits = parts.joined()
        var scale = -(parts.count == 2 ? parts[1].count : 0)
        let trimmed = digits.drop { $0 == "0" }
        guard trimmed.count <= 18, var mantissa = Int64(trimmed.isEmpty ? "0" : String(trimmed)) else { return nil }
        let format: Format
        if let e = decimalExponents[suffix] {
            scale += e
            format = .decimalSI
        } else if let k = binaryPowers[suffix] {
            for _ in 0..<k {
                let (m, overflow) = mantissa.multipliedReportingOverflow(by: 1024)
                if overflow { return nil }
                mantissa = m
            }
            format = .binarySI
        } else if let e = suffix.first, e == "e" || e == "E", suffix.count > 1, let exponent = Int(suffix.dropFirst()) {
            scale += exponent
            format = .decimalExponent
        } else {
            return nil
        }
        if mantissa == 0 { return "0" }
        // Round up (away from zero) to nano units.
        if scale < -9 {
            var divisor: Int64 = 1
            for _ in 0..<(-9 - scale) {
                if divisor > Int64.max / 10 { return nil }
                divisor *= 10
            }
            let (q, r) = mantissa.quotientAndRemainder(dividingBy: divisor)
            mantissa = r == 0 ? q : q + 1
            scale = -9
        }
        let sign = negative ? "-" : ""
        if format == .binarySI, let whole = integerValue(mantissa, scale), whole >= 1024 {
            var amount = whole
            var power = 0
            while power < 6, amount % 1024 == 0 {
                amount /= 1024
                power += 1
            }
            return sign + String(amount) + binarySuffixes[power]
        }
        // Decimal: strip trailing zeros, then lower the exponent to a multiple of 3.
        while mantissa % 10 == 0 {
            mantissa /= 10
            scale += 1
        }
        var shift = ((scale % 3) + 3) % 3
        while shift > 0 {
            let (m, overflow) = mantissa.multipliedReportingOverflow(by: 10)
            if overflow { return nil }
            mantissa = m
            scale -= 1
            shift -= 1
        }
        if format == .decimalSI, let s = decimalSuffixes[scale] {
            return sign + String(mantissa) + s
        }
        return sign + String(mantissa) + (scale == 0 ? "" : "e\(scale)")
    }

    /// mantissa × 10^scale when it is a whole number that fits.
    static func integerValue(_ mantissa: Int64, _ scale: Int) -> Int64? {
        var value = mantissa
        if scale >= 0 {
            for _ in 0..<scale {
                let (m, overflow) = value.multipliedReportingOverflow(by: 10)
                if overflow { return nil }
                value = m
            }
            return value
        }
        for _ in 0..<(-scale) {
            guard value % 10 == 0 else { return nil }
            value /= 10
        }
        return value
    }

    /// Rewrites every quantity of a resource list (`{"cpu": "1000m"}`) to its canonical form.
    static func canonicalizeList(_ object: inout JSONValue, at path: [String]) {
        guard case .object(var map)? = object[path: path] else { return }
        for (key, value) in map {
            if let text = quantityText(value), let canonical = canonical(text) { map[key] = .string(canonical) }
        }
        object.set(path: path, to: .object(map))
    }

    /// Rewrites one quantity field to its canonical form.
    static func canonicalizeValue(_ object: inout JSONValue, at path: [String]) {
        guard let text = quantityText(object[path: path]), let canonical = canonical(text) else { return }
        object.set(path: path, to: .string(canonical))
    }
}
