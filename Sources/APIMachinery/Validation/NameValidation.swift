/// Kubernetes' string-format checks (k8s.io/apimachinery/pkg/util/validation), written as hand-rolled
/// character scans. Each `is…` function returns the problems found as messages, empty when valid; the
/// `validate…` functions wrap them as field errors.
public enum NameValidation {
    public static let dns1123LabelMaxLength = 63
    public static let dns1123SubdomainMaxLength = 253
    public static let qualifiedNameMaxLength = 63
    public static let labelValueMaxLength = 63
    public static let configMapKeyMaxLength = 253

    static let dns1123LabelFormat = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
    static let dns1123SubdomainFormat = dns1123LabelFormat + "(\\." + dns1123LabelFormat + ")*"
    static let qualifiedNameFormat = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
    static let labelValueFormat = "(" + qualifiedNameFormat + ")?"
    static let configMapKeyFormat = "[-._a-zA-Z0-9]+"

    /// `must be no more than N characters`
    public static func maxLengthError(_ length: Int) -> String { "must be no more than \(length) characters" }

    /// Kubernetes' RegexError: the message, examples and the regex used for validation.
    public static func regexError(_ message: String, _ format: String, examples: [String]) -> String {
        if examples.isEmpty { return message + " (regex used for validation is '" + format + "')" }
        var s = message + " (e.g. "
        for (i, example) in examples.enumerated() {
            if i > 0 { s += " or " }
            s += "'" + example + "', "
        }
        return s + "regex used for validation is '" + format + "')"
    }

    @inline(__always) static func isLowerAlnum(_ c: UInt8) -> Bool {
        (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39)
    }
    @inline(__always) static func isAlnum(_ c: UInt8) -> Bool {
        isLowerAlnum(c) || (c >= 0x41 && c <= 0x5A)
    }

    static func matchesDNS1123Label<S: BidirectionalCollection<UInt8>>(_ bytes: S) -> Bool {
        guard let first = bytes.first, let last = bytes.last, isLowerAlnum(first), isLowerAlnum(last) else { return false }
        return bytes.allSatisfy { isLowerAlnum($0) || $0 == UInt8(ascii: "-") }
    }

    static func matchesDNS1123Subdomain(_ value: String) -> Bool {
        let parts = value.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        return parts.allSatisfy { matchesDNS1123Label($0) }
    }

    static func matchesQualifiedNamePart<S: BidirectionalCollection<UInt8>>(_ bytes: S) -> Bool {
        guard let first = bytes.first, let last = bytes.last, isAlnum(first), isAlnum(last) else { return false }
        return bytes.allSatisfy { isAlnum($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") }
    }

    /// IsDNS1123Label: lower-case alphanumerics and '-', at most 63 characters.
    public static func isDNS1123Label(_ value: String) -> [String] {
        var errors: [String] = []
        if value.utf8.count > dns1123LabelMaxLength { errors.append(maxLengthError(dns1123LabelMaxLength)) }
        if !matchesDNS1123Label(value.utf8) {
            errors.append(regexError("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
                                     dns1123LabelFormat, examples: ["my-name", "123-abc"]))
        }
        return errors
    }

    /// IsDNS1123Subdomain: dot-separated RFC 1123 labels, at most 253 characters.
    public static func isDNS1123Subdomain(_ value: String) -> [String] {
        var errors: [String] = []
        if value.utf8.count > dns1123SubdomainMaxLength { errors.append(maxLengthError(dns1123SubdomainMaxLength)) }
        if !matchesDNS1123Subdomain(value) {
            errors.append(regexError("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
                                     dns1123SubdomainFormat, examples: ["example.com"]))
        }
        return errors
    }

    static let qualifiedNameMessage = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"

    /// IsQualifiedName: an optional DNS subdomain prefix and '/', then a name of at most 63 characters.
    public static func isQualifiedName(_ value: String) -> [String] {
        var errors: [String] = []
        let parts = value.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        let name: Substring.UTF8View
        switch parts.count {
        case 1:
            name = parts[0]
        case 2:
            let prefix = parts[0]
            name = parts[1]
            if prefix.isEmpty {
                errors.append("prefix part must be non-empty")
            } else {
                errors.append(contentsOf: isDNS1123Subdomain(String(decoding: prefix, as: UTF8.self)).map { "prefix part " + $0 })
            }
        default:
            return [
                "a qualified name " + regexError(qualifiedNameMessage, qualifiedNameFormat, examples: ["MyName", "my.name", "123-abc"])
                    + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
            ]
        }
        if name.isEmpty {
            errors.append("name part must be non-empty")
        } else if name.count > qualifiedNameMaxLength {
            errors.append("name part " + maxLengthError(qualifiedNameMaxLength))
        }
        if !matchesQualifiedNamePart(name) {
            errors.append("name part " + regexError(qualifiedNameMessage, qualifiedNameFormat, examples: ["MyName", "my.name", "123-abc"]))
        }
        return errors
    }

    /// IsValidLabelValue: empty, or a qualified-name part of at most 63 characters.
    public static func isValidLabelValue(_ value: String) -> [String] {
        var errors: [String] = []
        if value.utf8.count > labelValueMaxLength { errors.append(maxLengthError(labelValueMaxLength)) }
        if !value.isEmpty && !matchesQualifiedNamePart(value.utf8) {
            errors.append(regexError("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
                                     labelValueFormat, examples: ["MyValue", "my_value", "12345"]))
        }
        return errors
    }

    /// IsConfigMapKey: alphanumerics, '-', '_' and '.', at most 253 characters, not `.`/`..`/`..*`.
    public static func isConfigMapKey(_ value: String) -> [String] {
        var errors: [String] = []
        if value.utf8.count > configMapKeyMaxLength { errors.append(maxLengthError(configMapKeyMaxLength)) }
        let valid = !value.isEmpty && value.utf8.allSatisfy {
            isAlnum($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".")
        }
        if !valid {
            errors.append(regexError("a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
                                     configMapKeyFormat, examples: ["key.name", "KEY_NAME", "key-name"]))
        }
        if errors.isEmpty {
            if value == "." {
                errors.append("must not be '.'")
            } else if value == ".." {
                errors.append("must not be '..'")
            } else if value.hasPrefix("..") {
                errors.append("must not start with '..'")
            }
        }
        return errors
    }

    /// NameIsDNSSubdomain as a name validator: with `prefix` (a generateName), a trailing '-' is allowed.
    public static func nameIsDNSSubdomain(_ name: String, prefix: Bool) -> [String] {
        isDNS1123Subdomain(prefix ? maskTrailingDash(name) : name)
    }

    /// NameIsDNSLabel as a name validator: with `prefix` (a generateName), a trailing '-' is allowed.
    public static func nameIsDNSLabel(_ name: String, prefix: Bool) -> [String] {
        isDNS1123Label(prefix ? maskTrailingDash(name) : name)
    }

    /// ValidatePathSegmentName: any name usable as one URL path segment.
    public static func pathSegmentName(_ name: String, prefix: Bool) -> [String] {
        if !prefix, name == "." || name == ".." { return ["may not be '\(name)'"] }
        var errors: [String] = []
        for illegal in ["/", "%"] where name.contains(illegal) {
            errors.append("may not contain '\(illegal)'")
        }
        return errors
    }

    static func maskTrailingDash(_ name: String) -> String {
        guard name.utf8.count > 1, name.hasSuffix("-") else { return name }
        return String(name.dropLast()) + "a"
    }
}

/// Field-error wrappers around ``NameValidation``.
public func validateDNS1123Subdomain(_ value: String, field: String) -> [FieldError] {
    NameValidation.isDNS1123Subdomain(value).map { FieldError.invalid(field, string: value, $0) }
}

public func validateDNS1123Label(_ value: String, field: String) -> [FieldError] {
    NameValidation.isDNS1123Label(value).map { FieldError.invalid(field, string: value, $0) }
}

public func validateConfigMapKey(_ value: String, field: String) -> [FieldError] {
    NameValidation.isConfigMapKey(value).map { FieldError.invalid(field, string: value, $0) }
}

public func validateQualifiedName(_ value: String, field: String) -> [FieldError] {
    NameValidation.isQualifiedName(value).map { FieldError.invalid(field, string: value, $0) }
}

public func validateLabelKey(_ value: String, field: String) -> [FieldError] {
    validateQualifiedName(value, field: field)
}

public func validateLabelValue(_ value: String, field: String) -> [FieldError] {
    NameValidation.isValidLabelValue(value).map { FieldError.invalid(field, string: value, $0) }
}
