import Foundation
@testable import HostOS

/// Reads back the TOML subset `TOMLDocument.render()` writes, so tests compare rendered text field by
/// field instead of trusting the document model.
struct TOMLReader {
    struct ParseError: Error { var line: String }

    static func parse(_ text: String) throws -> TOMLDocument {
        var document = TOMLDocument()
        var path: [String] = []
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            var scanner = Scanner(Array(line))
            if line.hasPrefix("[") {
                scanner.index += 1
                path = []
                while true {
                    path.append(try scanner.key())
                    if scanner.peek == "." { scanner.index += 1; continue }
                    guard scanner.peek == "]" else { throw ParseError(line: line) }
                    break
                }
                document.addTable(path)
                continue
            }
            let key = try scanner.key()
            scanner.skipSpaces()
            guard scanner.peek == "=" else { throw ParseError(line: line) }
            scanner.index += 1
            scanner.skipSpaces()
            document.set(path, key, try scanner.value())
        }
        return document
    }

    private struct Scanner {
        var chars: [Character]
        var index = 0
        init(_ chars: [Character]) { self.chars = chars }
        var peek: Character? { index < chars.count ? chars[index] : nil }
        mutating func skipSpaces() { while peek == " " { index += 1 } }

        mutating func key() throws -> String {
            skipSpaces()
            if peek == "\"" { return try string() }
            var out = ""
            while let c = peek, c.isLetter || c.isNumber || c == "_" || c == "-" { out.append(c); index += 1 }
            guard !out.isEmpty else { throw ParseError(line: String(chars)) }
            return out
        }

        mutating func string() throws -> String {
            index += 1
            var out = ""
            while let c = peek {
                index += 1
                if c == "\"" { return out }
                if c == "\\" {
                    guard let e = peek else { break }
                    index += 1
                    switch e {
                    case "n": out.append("\n")
                    case "t": out.append("\t")
                    case "r": out.append("\r")
                    case "u":
                        let hex = String(chars[index..<index + 4])
                        index += 4
                        out.unicodeScalars.append(Unicode.Scalar(UInt32(hex, radix: 16)!)!)
                    default: out.append(e)
                    }
                } else {
                    out.append(c)
                }
            }
            throw ParseError(line: String(chars))
        }

        mutating func strings() throws -> [String] {
            index += 1
            var out: [String] = []
            while true {
                skipSpaces()
                if peek == "]" { index += 1; return out }
                out.append(try string())
                skipSpaces()
                if peek == "," { index += 1 }
            }
        }

        mutating func value() throws -> TOMLValue {
            if peek == "\"" { return .string(try string()) }
            if peek == "[" {
                var probe = self
                probe.index += 1
                probe.skipSpaces()
                if probe.peek == "[" {
                    index += 1
                    var lists: [[String]] = []
                    while true {
                        skipSpaces()
                        if peek == "]" { index += 1; return .stringLists(lists) }
                        lists.append(try strings())
                        skipSpaces()
                        if peek == "," { index += 1 }
                    }
                }
                return .strings(try strings())
            }
            let rest = String(chars[index...]).trimmingCharacters(in: .whitespaces)
            if rest == "true" { return .boolean(true) }
            if rest == "false" { return .boolean(false) }
            if let number = Int(rest) { return .integer(number) }
            throw ParseError(line: String(chars))
        }
    }
}
