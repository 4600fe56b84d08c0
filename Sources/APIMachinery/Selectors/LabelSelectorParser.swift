/// Why a label selector could not be parsed; the message follows k8s.io/apimachinery/pkg/labels.
struct SelectorSyntaxError: Error {
    var message: String
}

/// A lexer and recursive-descent parser for the label selector grammar of
/// k8s.io/apimachinery/pkg/labels (selector.go).
struct LabelSelectorParser {
    enum Token: Equatable {
        case identifier(String)
        case endOfString
        case comma, doesNotExist, doubleEquals, equals, notEquals, greaterThan, lessThan
        case `in`, notIn, openParen, closeParen
        case error(String)

        var literal: String {
            switch self {
            case .identifier(let s), .error(let s): return s
            case .endOfString: return ""
            case .comma: return ","
            case .doesNotExist: return "!"
            case .doubleEquals: return "=="
            case .equals: return "="
            case .notEquals: return "!="
            case .greaterThan: return ">"
            case .lessThan: return "<"
            case .in: return "in"
            case .notIn: return "notin"
            case .openParen: return "("
            case .closeParen: return ")"
            }
        }
    }

    /// The tokens of the whole input, ending with `.endOfString`.
    var tokens: [Token] = []
    var position = 0

    init(_ input: String) {
        let bytes = Array(input.utf8)
        var i = 0
        func isSpecial(_ c: UInt8) -> Bool {
            switch c {
            case UInt8(ascii: "="), UInt8(ascii: "!"), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: ","),
                 UInt8(ascii: ">"), UInt8(ascii: "<"): return true
            default: return false
            }
        }
        func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D || c == 0x0B || c == 0x0C }
        while true {
            while i < bytes.count, isSpace(bytes[i]) { i += 1 }
            guard i < bytes.count else {
                tokens.append(.endOfString)
                break
            }
            let c = bytes[i]
            if isSpecial(c) {
                let next: UInt8? = i + 1 < bytes.count ? bytes[i + 1] : nil
                switch (c, next) {
                case (UInt8(ascii: "!"), UInt8(ascii: "=")): tokens.append(.notEquals); i += 2
                case (UInt8(ascii: "="), UInt8(ascii: "=")): tokens.append(.doubleEquals); i += 2
                case (UInt8(ascii: "="), _): tokens.append(.equals); i += 1
                case (UInt8(ascii: "!"), _): tokens.append(.doesNotExist); i += 1
                case (UInt8(ascii: "("), _): tokens.append(.openParen); i += 1
                case (UInt8(ascii: ")"), _): tokens.append(.closeParen); i += 1
                case (UInt8(ascii: ","), _): tokens.append(.comma); i += 1
                case (UInt8(ascii: ">"), _): tokens.append(.greaterThan); i += 1
                default: tokens.append(.lessThan); i += 1
                }
                continue
            }
            let start = i
            while i < bytes.count, !isSpecial(bytes[i]), !isSpace(bytes[i]) { i += 1 }
            let word = String(decoding: bytes[start..<i], as: UTF8.self)
            switch word {
            case "in": tokens.append(.in)
            case "notin": tokens.append(.notIn)
            default: tokens.append(.identifier(word))
            }
        }
    }

    /// The next token; in value position the keywords `in`/`notin` read as identifiers.
    func lookahead(values: Bool = false) -> Token {
        let token = position < tokens.count ? tokens[position] : .endOfString
        if values, token == .in || token == .notIn { return .identifier(token.literal) }
        return token
    }

    mutating func consume(values: Bool = false) -> Token {
        let token = lookahead(values: values)
        if position < tokens.count { position += 1 }
        return token
    }

    mutating func parse() throws(SelectorSyntaxError) -> [LabelSelector.Requirement] {
        var requirements: [LabelSelector.Requirement] = []
        while true {
            switch lookahead(values: true) {
            case .identifier, .doesNotExist:
                do {
                    requirements.append(try parseRequirement())
                } catch {
                    throw SelectorSyntaxError(message: "unable to parse requirement: " + error.message)
                }
                let next = consume(values: true)
                switch next {
                case .endOfString:
                    return requirements
                case .comma:
                    let after = lookahead(values: true)
                    if case .identifier = after { continue }
                    if after == .doesNotExist { continue }
                    throw SelectorSyntaxError(message: "found '\(after.literal)', expected: identifier after ','")
                default:
                    throw SelectorSyntaxError(message: "found '\(next.literal)', expected: ',' or 'end of string'")
                }
            case .endOfString:
                return requirements
            case let other:
                throw SelectorSyntaxError(message: "found '\(other.literal)', expected: !, identifier, or 'end of string'")
            }
        }
    }

    mutating func parseRequirement() throws(SelectorSyntaxError) -> LabelSelector.Requirement {
        var op: LabelSelector.Operator = .exists
        if lookahead(values: true) == .doesNotExist {
            _ = consume()
            op = .doesNotExist
        }
        let keyToken = consume(values: true)
        guard case .identifier(let key) = keyToken else {
            throw SelectorSyntaxError(message: "found '\(keyToken.literal)', expected: identifier")
        }
        if let message = NameValidation.isQualifiedName(key).first {
            throw SelectorSyntaxError(message: "key: Invalid value: \"\(key)\": \(message)")
        }
        let next = lookahead(values: true)
        if op == .doesNotExist || next == .endOfString || next == .comma {
            return LabelSelector.Requirement(key: key, op: op)
        }
        let opToken = consume()
        var values: [String]
        switch opToken {
        case .equals: op = .equals
        case .doubleEquals: op = .doubleEquals
        case .notEquals: op = .notEquals
        case .in: op = .in
        case .notIn: op = .notIn
        case .greaterThan: op = .greaterThan
        case .lessThan: op = .lessThan
        default:
            throw SelectorSyntaxError(message: "found '\(opToken.literal)', expected: in, notin, =, ==, !=, gt, lt")
        }
        if op == .in || op == .notIn {
            let open = consume()
            guard open == .openParen else { throw SelectorSyntaxError(message: "found '\(open.literal)', expected: '('") }
            values = try parseValueList()
            if values.isEmpty { throw SelectorSyntaxError(message: "for 'in', 'notin' operators, values set can't be empty") }
        } else {
            switch lookahead(values: true) {
            case .identifier(let value):
                _ = consume(values: true)
                values = [value]
            case .endOfString, .comma:
                values = [""]
            case let other:
                throw SelectorSyntaxError(message: "found '\(other.literal)', expected: identifier")
            }
            if op == .greaterThan || op == .lessThan, Int64(values[0]) == nil {
                throw SelectorSyntaxError(message: "for 'Gt', 'Lt' operators, the value must be an integer")
            }
        }
        for value in values {
            if let message = NameValidation.isValidLabelValue(value).first {
                throw SelectorSyntaxError(message: "values[0][\(key)]: Invalid value: \"\(value)\": \(message)")
            }
        }
        return LabelSelector.Requirement(key: key, op: op, values: values)
    }

    /// Parses `a, b, c)` after the opening parenthesis; an empty item stands for the empty string.
    mutating func parseValueList() throws(SelectorSyntaxError) -> [String] {
        if lookahead(values: true) == .closeParen {
            _ = consume()
            return []
        }
        var values: [String] = []
        while true {
            let token = consume(values: true)
            switch token {
            case .identifier(let value):
                values.append(value)
                let next = consume(values: true)
                if next == .closeParen { return values }
                guard next == .comma else { throw SelectorSyntaxError(message: "found '\(next.literal)', expected: ',', ')'") }
            case .comma:
                values.append("")
                if lookahead(values: true) == .closeParen {
                    _ = consume()
                    values.append("")
                    return values
                }
            default:
                throw SelectorSyntaxError(message: "found '\(token.literal)', expected: ',', or identifier")
            }
        }
    }
}
