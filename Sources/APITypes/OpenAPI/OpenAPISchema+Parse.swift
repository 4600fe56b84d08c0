import APIMachinery
import Synchronization

/// Where an `OpenAPISchema` gets its definitions: parsed ones, or the generator's text, each definition
/// parsed on first use and kept.
final class DefinitionSource: Sendable {
    private let bytes: [UInt8]
    /// Byte range of each definition's block (its `D` line and its `P` lines) in `bytes`.
    private let blocks: [String: Range<Int>]
    private let parsed: Mutex<[String: SchemaNode]>

    init(parsed: [String: SchemaNode]) {
        bytes = []
        blocks = [:]
        self.parsed = Mutex(parsed)
    }

    init(bytes: [UInt8], blocks: [String: Range<Int>]) {
        self.bytes = bytes
        self.blocks = blocks
        parsed = Mutex([:])
    }

    func definition(_ name: String) -> SchemaNode? {
        if let node = parsed.withLock({ $0[name] }) { return node }
        guard let range = blocks[name] else { return nil }
        let node = OpenAPISchema.parseBlock(bytes[range])
        parsed.withLock { $0[name] = node }
        return node
    }
}

extension OpenAPISchema {
    /// Indexes the generator's line format (see tools/gen_api_schema.py): only the `D` lines are read
    /// here; a definition's `P` lines are parsed when it is first asked for. Malformed lines are skipped.
    init(compactText text: String) {
        let bytes = Array(text.utf8)
        var blocks: [String: Range<Int>] = [:]
        var byGVK: [GroupVersionKind: String] = [:]
        var current: (name: String, start: Int)?
        var lineStart = 0
        let newline = UInt8(ascii: "\n")
        while lineStart < bytes.count {
            let lineEnd = bytes[lineStart...].firstIndex(of: newline) ?? bytes.count
            if lineEnd - lineStart > 2, bytes[lineStart] == UInt8(ascii: "D"),
               bytes[lineStart + 1] == UInt8(ascii: "\t") {
                if let current { blocks[current.name] = current.start..<lineStart }
                let fields = Self.fields(bytes[lineStart..<lineEnd])
                if fields.count >= 2 {
                    current = (fields[1], lineStart)
                    // The text is sorted by name: the first definition of a GVK is the one `init(definitions:)` picks.
                    let gvk = fields.dropFirst(2).first { $0.hasPrefix("gvk=") }
                    for gvk in gvk.map({ Self.groupVersionKinds(String($0.dropFirst(4))) }) ?? [] where byGVK[gvk] == nil {
                        byGVK[gvk] = fields[1]
                    }
                } else {
                    current = nil
                }
            }
            lineStart = lineEnd + 1
        }
        if let current { blocks[current.name] = current.start..<bytes.count }
        self.init(source: DefinitionSource(bytes: bytes, blocks: blocks), byGVK: byGVK, names: blocks.keys.sorted())
    }

    /// Parses one definition's block: its `D` line and its `P` lines.
    static func parseBlock(_ block: ArraySlice<UInt8>) -> SchemaNode {
        var current = SchemaNode(type: .object)
        for line in block.split(separator: UInt8(ascii: "\n")) {
            let fields = Self.fields(line)
            guard fields.count >= 2 else { continue }
            switch fields[0] {
            case "D":
                current = definition(attributes: fields.dropFirst(2))
            case "P":
                guard fields.count >= 3 else { continue }
                var parser = NodeParser(text: Array(fields[2].utf8))
                guard var node = parser.parse() else { continue }
                apply(attributes: fields.dropFirst(3), to: &node)
                current.properties[fields[1]] = node
            default:
                continue
            }
        }
        return current
    }

    private static func fields(_ line: ArraySlice<UInt8>) -> [String] {
        line.split(separator: UInt8(ascii: "\t"), omittingEmptySubsequences: false)
            .map { String(decoding: $0, as: UTF8.self) }
    }

    private static func groupVersionKinds(_ value: String) -> [GroupVersionKind] {
        value.split(separator: ",").compactMap { entry in
            let parts = entry.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 3 else { return nil }
            return GroupVersionKind(group: String(parts[0]), version: String(parts[1]), kind: String(parts[2]))
        }
    }

    private static func definition(attributes: ArraySlice<String>) -> SchemaNode {
        var node = SchemaNode(type: .object)
        for attribute in attributes {
            guard let (key, value) = split(attribute) else { continue }
            switch key {
            case "t": node.type = SchemaType(rawValue: value)
            case "f": node.format = value
            case "any": node.type = nil
            case "one":
                node.type = nil
                node.oneOfTypes = value.split(separator: ",").compactMap { SchemaType(rawValue: String($0)) }
            case "req": node.required = list(value)
            case "gvk": node.extensions.groupVersionKinds = groupVersionKinds(value)
            default: break
            }
        }
        apply(attributes: attributes, to: &node)
        return node
    }

    /// Applies the attributes shared by definitions and properties.
    private static func apply(attributes: ArraySlice<String>, to node: inout SchemaNode) {
        for attribute in attributes {
            guard let (key, value) = split(attribute) else { continue }
            switch key {
            case "lt": node.extensions.listType = value
            case "mk": node.extensions.listMapKeys = list(value)
            case "ps": node.extensions.patchStrategies = list(value)
            case "pk": node.extensions.patchMergeKey = value
            case "mt": node.extensions.mapType = value
            case "pu": node.extensions.preserveUnknownFields = value == "1"
            case "ios": node.extensions.intOrString = value == "1"
            case "er": node.extensions.embeddedResource = value == "1"
            case "en":
                node.enumValues = ((try? JSONValue.parse(value))?.arrayValue ?? []).compactMap(\.stringValue)
            case "un":
                node.extensions.unions = ((try? JSONValue.parse(value))?.arrayValue ?? []).map { union in
                    var fields: [String: String] = [:]
                    for (k, v) in union["fields-to-discriminateBy"]?.objectValue ?? [:] { fields[k] = v.stringValue ?? "" }
                    return SchemaUnion(discriminator: union["discriminator"]?.stringValue ?? "", fieldsToDiscriminateBy: fields)
                }
            default: break
            }
        }
    }

    private static func split(_ attribute: String) -> (String, String)? {
        guard let eq = attribute.firstIndex(of: "=") else { return nil }
        return (String(attribute[..<eq]), String(attribute[attribute.index(after: eq)...]))
    }

    private static func list(_ value: String) -> [String] {
        value.split(separator: ",").map(String.init)
    }
}

/// Parses one type expression: `@name`, `s`, `i:int32`, `[node]`, `{node}`, `*`.
private struct NodeParser {
    let text: [UInt8]
    var index = 0

    init(text: [UInt8]) { self.text = text }

    mutating func parse() -> SchemaNode? {
        guard index < text.count else { return nil }
        let c = text[index]
        index += 1
        switch c {
        case UInt8(ascii: "@"):
            let start = index
            while index < text.count, text[index] != UInt8(ascii: "]"), text[index] != UInt8(ascii: "}") { index += 1 }
            return .reference(String(decoding: text[start..<index], as: UTF8.self))
        case UInt8(ascii: "["):
            guard let items = parse(), close(UInt8(ascii: "]")) else { return nil }
            return .array(of: items)
        case UInt8(ascii: "{"):
            guard let values = parse(), close(UInt8(ascii: "}")) else { return nil }
            return .map(of: values)
        case UInt8(ascii: "*"):
            return SchemaNode()
        default:
            let type: SchemaType
            switch c {
            case UInt8(ascii: "s"): type = .string
            case UInt8(ascii: "i"): type = .integer
            case UInt8(ascii: "n"): type = .number
            case UInt8(ascii: "b"): type = .boolean
            case UInt8(ascii: "o"): type = .object
            default: return nil
            }
            var node = SchemaNode(type: type)
            if index < text.count, text[index] == UInt8(ascii: ":") {
                index += 1
                let start = index
                while index < text.count, text[index] != UInt8(ascii: "]"), text[index] != UInt8(ascii: "}") { index += 1 }
                node.format = String(decoding: text[start..<index], as: UTF8.self)
            }
            return node
        }
    }

    private mutating func close(_ c: UInt8) -> Bool {
        guard index < text.count, text[index] == c else { return false }
        index += 1
        return true
    }
}
