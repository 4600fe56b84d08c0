/// A value in the small part of TOML that containerd's files need.
public enum TOMLValue: Sendable, Equatable {
    case string(String)
    case integer(Int)
    case boolean(Bool)
    case strings([String])
    case stringLists([[String]])

    var rendered: String {
        switch self {
        case .string(let value): TOMLDocument.quote(value)
        case .integer(let value): String(value)
        case .boolean(let value): value ? "true" : "false"
        case .strings(let values): "[" + values.map(TOMLDocument.quote).joined(separator: ", ") + "]"
        case .stringLists(let lists):
            "[" + lists.map { "[" + $0.map(TOMLDocument.quote).joined(separator: ", ") + "]" }.joined(separator: ", ") + "]"
        }
    }
}

/// An ordered TOML document: top-level keys, then tables in the order they were added. Tests read it
/// back by table path and key; `render()` writes the text.
public struct TOMLDocument: Sendable, Equatable {
    public struct Table: Sendable, Equatable {
        public var path: [String]
        public var entries: [Entry]

        public func value(_ key: String) -> TOMLValue? { entries.first { $0.key == key }?.value }
    }

    public struct Entry: Sendable, Equatable {
        public var key: String
        public var value: TOMLValue
    }

    /// The root table has the empty path.
    public private(set) var tables: [Table] = [Table(path: [], entries: [])]

    public init() {}

    public subscript(path: String...) -> Table? { table(path) }

    public func table(_ path: [String]) -> Table? { tables.first { $0.path == path } }

    /// Sets `key` in the table at `path`, creating the table (at the end) if needed.
    public mutating func set(_ path: [String], _ key: String, _ value: TOMLValue) {
        if let index = tables.firstIndex(where: { $0.path == path }) {
            if let entry = tables[index].entries.firstIndex(where: { $0.key == key }) {
                tables[index].entries[entry].value = value
            } else {
                tables[index].entries.append(Entry(key: key, value: value))
            }
        } else {
            tables.append(Table(path: path, entries: [Entry(key: key, value: value)]))
        }
    }

    /// Adds an empty table at `path` if it is not there yet (so it is rendered even without keys).
    public mutating func addTable(_ path: [String]) {
        if table(path) == nil { tables.append(Table(path: path, entries: [])) }
    }

    public func render() -> String {
        var lines: [String] = []
        for table in tables {
            if !table.path.isEmpty {
                if !lines.isEmpty { lines.append("") }
                lines.append("[" + table.path.map(Self.key).joined(separator: ".") + "]")
            }
            for entry in table.entries {
                lines.append("\(Self.key(entry.key)) = \(entry.value.rendered)")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func key(_ key: String) -> String {
        let bare = !key.isEmpty && key.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == "-"
        }
        return bare ? key : quote(key)
    }

    static func quote(_ value: String) -> String {
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    out += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count)
                        + String(scalar.value, radix: 16).uppercased()
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
