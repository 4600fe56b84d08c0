/// A Kubernetes resource quantity (`resource.Quantity`): a fixed-point number with a binary (`Ki`..`Ei`),
/// decimal (`n`, `u`, `m`, ``, `k`, `M`, `G`, `T`, `P`, `E`) or exponent (`e3`) suffix.
///
/// The value is held exactly as a count of nano-units (sub-nano precision is rounded up, away from zero);
/// magnitudes are capped at 2^63-1 units, as the API documents. Equality and ordering compare values
/// only; the format (the kind of suffix the text used) decides how `description` writes the canonical
/// form, as the API server serializes it: `1024Mi` → `1Gi`, `0.5` → `500m`, `1000m` → `1`, `1.5Gi` →
/// `1536Mi`, `1e3` → `1e3`, `0.9Gi` → `966367641600m`.
public struct Quantity: Sendable, Hashable, Comparable, CustomStringConvertible {
    public enum Format: Sendable, Hashable {
        /// `m`, `k`, `M`, ... (and no suffix).
        case decimalSI
        /// `Ki`, `Mi`, `Gi`, ...
        case binarySI
        /// `e3`, `E-6`, ...
        case decimalExponent
    }

    /// Why a text is not a quantity; `message` is the text Kubernetes gives.
    public enum ParseError: Error, Sendable, Hashable, CustomStringConvertible {
        case formatWrong
        case numeric
        case suffix

        public var message: String {
            switch self {
            case .formatWrong: return Quantity.formatMessage
            case .numeric: return "unable to parse numeric part of quantity"
            case .suffix: return "unable to parse quantity's suffix"
            }
        }

        public var description: String { message }
    }

    /// The message Kubernetes gives for a text that is not a quantity.
    public static let formatMessage = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"

    /// The exact value in nano-units (10^-9).
    public let nanoValue: Int128
    /// The suffix family used when the quantity is written out.
    public var format: Format

    static let nano: Int128 = 1_000_000_000
    /// 2^63-1 units, in nano-units.
    static let maxNanos: Int128 = Int128(Int64.max) * nano
    static let decimalExponents: [String: Int] = ["n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18]
    static let decimalSuffixes: [Int: String] = [-9: "n", -6: "u", -3: "m", 0: "", 3: "k", 6: "M", 9: "G", 12: "T", 15: "P", 18: "E"]
    static let binaryPowers: [String: Int] = ["Ki": 1, "Mi": 2, "Gi": 3, "Ti": 4, "Pi": 5, "Ei": 6]
    static let binarySuffixes = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"]

    /// A quantity of `nanoValue` nano-units (capped at ±(2^63-1) units).
    public init(nanoValue: Int128, format: Format = .decimalSI) {
        self.nanoValue = Swift.min(Swift.max(nanoValue, -Self.maxNanos), Self.maxNanos)
        self.format = format
    }

    /// A whole number of units (`Quantity(value: 2)` is `2`; with `.binarySI`, `Quantity(value: 1024, format: .binarySI)` is `1Ki`).
    public init(value: Int64, format: Format = .decimalSI) {
        self.init(nanoValue: Int128(value) * Self.nano, format: format)
    }

    /// A number of milli-units (`Quantity(milliValue: 500)` is `500m`).
    public init(milliValue: Int64, format: Format = .decimalSI) {
        self.init(nanoValue: Int128(milliValue) * 1_000_000, format: format)
    }

    /// Parses a quantity, or nil when the text is not one.
    public init?(_ text: String) {
        guard let q = try? Self.parse(text) else { return nil }
        self = q
    }

    /// A quantity from its JSON form (a string or a number), or nil when it is not one.
    public init?(json: JSONValue?) {
        guard let text = Self.text(of: json), let q = Quantity(text) else { return nil }
        self = q
    }

    /// The text of a JSON quantity (a string, or a number written as JSON writes it).
    public static func text(of json: JSONValue?) -> String? {
        switch json {
        case .string(let s)?: return s
        case .int(let i)?: return String(i)
        case .double(let d)?: return JSONValue.double(d).serializedString()
        default: return nil
        }
    }

    /// Parses a quantity, throwing the error Kubernetes reports for a malformed one.
    public static func parse(_ text: String) throws(ParseError) -> Quantity {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty else { throw .formatWrong }
        var i = 0
        var negative = false
        if bytes[0] == UInt8(ascii: "+") || bytes[0] == UInt8(ascii: "-") {
            negative = bytes[0] == UInt8(ascii: "-")
            i = 1
        }
        // Number: digits, digits.digits, digits., .digits
        var whole: [UInt8] = []
        var fraction: [UInt8] = []
        var seenDot = false
        while i < bytes.count {
            let c = bytes[i]
            if c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") {
                if seenDot { fraction.append(c - 48) } else { whole.append(c - 48) }
            } else if c == UInt8(ascii: "."), !seenDot {
                seenDot = true
            } else {
                break
            }
            i += 1
        }
        if whole.isEmpty && fraction.isEmpty {
            throw .formatWrong
        }
        // Suffix: [eEinumkKMGTP]*[-+]?[0-9]*
        let suffixBytes = bytes[i...]
        var j = suffixBytes.startIndex
        while j < suffixBytes.endIndex, "eEinumkKMGTP".utf8.contains(suffixBytes[j]) { j += 1 }
        if j < suffixBytes.endIndex, suffixBytes[j] == UInt8(ascii: "+") || suffixBytes[j] == UInt8(ascii: "-") { j += 1 }
        while j < suffixBytes.endIndex, suffixBytes[j] >= UInt8(ascii: "0") && suffixBytes[j] <= UInt8(ascii: "9") { j += 1 }
        guard j == suffixBytes.endIndex else { throw .formatWrong }
        let suffix = String(decoding: suffixBytes, as: UTF8.self)

        var exponent = -fraction.count
        var binaryPower = 0
        let format: Format
        if let e = decimalExponents[suffix] {
            exponent += e
            format = .decimalSI
        } else if let k = binaryPowers[suffix] {
            binaryPower = k
            format = .binarySI
        } else if let first = suffix.first, first == "e" || first == "E", suffix.count > 1 {
            var rest = suffix.dropFirst()
            var expNegative = false
            if let s = rest.first, s == "+" || s == "-" {
                expNegative = s == "-"
                rest = rest.dropFirst()
            }
            guard !rest.isEmpty, rest.allSatisfy({ $0.isASCII && $0.isNumber }) else { throw .suffix }
            guard rest.count <= 6, let e = Int(rest) else { throw .suffix }
            exponent += expNegative ? -e : e
            format = .decimalExponent
        } else {
            throw .suffix
        }

        // digits × 1024^binaryPower × 10^(exponent) in nano-units, rounded up away from zero.
        var digits = ArraySlice(whole + fraction)
        while let d = digits.first, d == 0 { digits = digits.dropFirst() }
        if digits.isEmpty { return Quantity(nanoValue: 0, format: format) }
        var shift = exponent + 9
        var roundUp = false
        if shift < 0 {
            // Drop digits below a nano-unit.
            let drop = -shift
            if drop >= digits.count {
                roundUp = true
                digits = []
            } else {
                roundUp = digits.suffix(drop).contains { $0 != 0 }
                digits = digits.dropLast(drop)
            }
            shift = 0
        }
        var nanos: Int128 = 0
        var capped = false
        for d in digits {
            let (m, o1) = nanos.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(Int128(d))
            if o1 || o2 || a > maxNanos { capped = true; break }
            nanos = a
        }
        if !capped {
            for _ in 0..<binaryPower {
                let (m, o) = nanos.multipliedReportingOverflow(by: 1024)
                if o || m > maxNanos { capped = true; break }
                nanos = m
            }
        }
        if !capped {
            for _ in 0..<shift {
                let (m, o) = nanos.multipliedReportingOverflow(by: 10)
                if o || m > maxNanos { capped = true; break }
                nanos = m
            }
        }
        if capped { nanos = maxNanos }
        if roundUp { nanos += 1 }
        return Quantity(nanoValue: negative ? -nanos : nanos, format: format)
    }

    // MARK: Values

    /// The value in units, rounded up away from zero (`1500m` → 2, `-1500m` → -2).
    public var value: Int64 { Self.scaled(nanoValue, by: Self.nano) }

    /// The value in milli-units, rounded up away from zero (`1n` → 1).
    public var milliValue: Int64 { Self.scaled(nanoValue, by: 1_000_000) }

    /// The value at 10^scale, rounded up away from zero (`scaledValue(-9)` is the nano value).
    public func scaledValue(_ scale: Int) -> Int64 {
        var divisor: Int128 = 1
        var n = nanoValue
        if scale + 9 >= 0 {
            for _ in 0..<(scale + 9) { divisor *= 10 }
        } else {
            for _ in 0..<(-(scale + 9)) { n = n.multipliedReportingOverflow(by: 10).partialValue }
        }
        return Self.scaled(n, by: divisor)
    }

    static func scaled(_ nanos: Int128, by divisor: Int128) -> Int64 {
        let (q, r) = nanos.quotientAndRemainder(dividingBy: divisor)
        let rounded = r == 0 ? q : (nanos < 0 ? q - 1 : q + 1)
        return Int64(clamping: rounded)
    }

    /// An approximation for ratios and scores (never for equality).
    public var doubleValue: Double { Double(nanoValue) / 1e9 }

    public var isZero: Bool { nanoValue == 0 }
    /// -1, 0 or 1.
    public var sign: Int { nanoValue == 0 ? 0 : (nanoValue < 0 ? -1 : 1) }

    // MARK: Arithmetic and comparison

    public static func + (a: Quantity, b: Quantity) -> Quantity { Quantity(nanoValue: a.nanoValue + b.nanoValue, format: a.format) }
    public static func - (a: Quantity, b: Quantity) -> Quantity { Quantity(nanoValue: a.nanoValue - b.nanoValue, format: a.format) }
    public static prefix func - (a: Quantity) -> Quantity { Quantity(nanoValue: -a.nanoValue, format: a.format) }
    public static func += (a: inout Quantity, b: Quantity) { a = a + b }
    public static func -= (a: inout Quantity, b: Quantity) { a = a - b }

    public static func < (a: Quantity, b: Quantity) -> Bool { a.nanoValue < b.nanoValue }
    public static func == (a: Quantity, b: Quantity) -> Bool { a.nanoValue == b.nanoValue }
    public func hash(into hasher: inout Hasher) { hasher.combine(nanoValue) }

    public static let zero = Quantity(nanoValue: 0)

    // MARK: Canonical form

    /// The canonical text, as the API server writes the quantity.
    public var description: String { canonical }

    public var canonical: String {
        if nanoValue == 0 { return "0" }
        let sign = nanoValue < 0 ? "-" : ""
        let magnitude = nanoValue.magnitude
        if format == .binarySI, magnitude >= UInt128(1024) * UInt128(Self.nano), magnitude % UInt128(Self.nano) == 0 {
            var amount = magnitude / UInt128(Self.nano)
            var power = 0
            while power < 6, amount % 1024 == 0 {
                amount /= 1024
                power += 1
            }
            return sign + String(amount) + Self.binarySuffixes[power]
        }
        var mantissa = magnitude
        var exponent = -9
        while mantissa % 10 == 0 {
            mantissa /= 10
            exponent += 1
        }
        while exponent % 3 != 0 {
            mantissa *= 10
            exponent -= 1
        }
        if format == .decimalExponent {
            return sign + String(mantissa) + (exponent == 0 ? "" : "e\(exponent)")
        }
        if let suffix = Self.decimalSuffixes[exponent] { return sign + String(mantissa) + suffix }
        return sign + String(mantissa) + "e\(exponent)"
    }

    /// The canonical JSON form of a quantity (a string), or nil when the value is not a quantity.
    public static func canonical(_ json: JSONValue?) -> JSONValue? {
        Quantity(json: json).map { .string($0.canonical) }
    }

    /// Rewrites every quantity of a resource list (`{"cpu": "1000m"}` → `{"cpu": "1"}`); values that are
    /// not quantities are left for validation to report.
    public static func canonicalizeList(_ list: inout JSONValue) {
        guard case .object(var map) = list else { return }
        for (key, value) in map {
            if let c = canonical(value) { map[key] = c }
        }
        list = .object(map)
    }
}
