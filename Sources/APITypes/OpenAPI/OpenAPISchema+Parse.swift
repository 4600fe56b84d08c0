import APIMachinery

extension OpenAPISchema {
    /// Parses the generator's line format (see tools/gen_api_schema.py). Malformed lines are skipped.
    init(compactText text: String) {
        var definitions: [String: SchemaNode] = [:]
        var currentName: String?
        var current = SchemaNode()
        func flush() {
            if let name = currentName { definitions[name] = current }
        }
        for line in text.utf8.split(separator: UInt8(ascii: "\n")) {
            let fields = line.split(separator: UInt8(ascii: "\t"), omittingEmptySubsequences: false)
                .map { String(decoding: $0, as: UTF8.self) }
            guard fields.count >= 2 else { continue }
            switch fields[0] {
            case "D":
                flush()
                currentName = fields[1]
                current = Self.definition(attributes: fields.dropFirst(2))
            case "P":
                guard currentName != nil, fields.count >= 3 else { continue }
                var parser = NodeParser(text: Array(fields[2].utf8))
                guard var node = parser.parse() else { continue }
                Self.apply(attributes: fields.dropFirst(3), to: &node)
                current.properties[fields[1]] = node
            default:
                continue
            }
        }
        flush()
        self.init(definitions: definitions)
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
            case "gvk":
                node.extensions.groupVersionKinds = value.split(separator: ",").compactMap { entry in
                    let parts = entry.split(separator: "/", omittingEmptySubsequences: false)
                    guard parts.count == 3 else { return nil }
                    return GroupVersionKind(group: String(parts[0]), version: String(parts[1]), kind: String(parts[2]))
                }
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
