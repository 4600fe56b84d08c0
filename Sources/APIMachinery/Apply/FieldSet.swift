/// One step of a field path in server-side apply: a named field (`f:name`), a list element picked by
/// its list-map keys (`k:{"name":"a"}`), a set element by value (`v:"x"`) or a list index (`i:0`).
public enum PathElement: Sendable, Hashable {
    case field(String)
    case key([String: JSONValue])
    case value(JSONValue)
    case index(Int)

    /// The FieldsV1 key form.
    public var fieldsV1Key: String {
        switch self {
        case .field(let name): return "f:" + name
        case .key(let keys): return "k:" + JSONValue.object(keys).serializedString()
        case .value(let value): return "v:" + value.serializedString()
        case .index(let i): return "i:" + String(i)
        }
    }

    /// Parses a FieldsV1 key; nil when it is not one.
    public init?(fieldsV1Key key: String) {
        guard key.count >= 2, key.dropFirst().first == ":" else { return nil }
        let rest = String(key.dropFirst(2))
        switch key.first {
        case "f": self = .field(rest)
        case "k":
            guard let value = try? JSONValue.parse(Array(rest.utf8)), let keys = value.objectValue else { return nil }
            self = .key(keys)
        case "v":
            guard let value = try? JSONValue.parse(Array(rest.utf8)) else { return nil }
            self = .value(value)
        case "i":
            guard let i = Int(rest) else { return nil }
            self = .index(i)
        default: return nil
        }
    }

    /// The path text Kubernetes prints in apply conflicts: `.name`, `[name="a"]`, `[="x"]`, `[0]`.
    public var pathText: String {
        switch self {
        case .field(let name): return "." + name
        case .key(let keys):
            return "[" + keys.keys.sorted().map { "\($0)=\(keys[$0]?.serializedString() ?? "null")" }.joined(separator: ",") + "]"
        case .value(let value): return "[=" + value.serializedString() + "]"
        case .index(let i): return "[\(i)]"
        }
    }

    var sortKey: String { fieldsV1Key }
}

/// A set of field paths, as a tree: a node is a member when its own path is in the set. The
/// managedFields `fieldsV1` form is the tree with `.` marking members that also have children.
public struct FieldSet: Sendable, Hashable {
    public var isMember: Bool
    public var children: [PathElement: FieldSet]

    public init(isMember: Bool = false, children: [PathElement: FieldSet] = [:]) {
        self.isMember = isMember
        self.children = children
    }

    public static let empty = FieldSet()

    public var isEmpty: Bool { !isMember && children.isEmpty }

    /// Adds `path` (a member path; the empty path marks the root).
    public mutating func insert(_ path: some Collection<PathElement>) {
        guard let first = path.first else {
            isMember = true
            return
        }
        children[first, default: FieldSet()].insert(path.dropFirst())
    }

    public func contains(_ path: some Collection<PathElement>) -> Bool {
        guard let first = path.first else { return isMember }
        return children[first]?.contains(path.dropFirst()) ?? false
    }

    /// The subtree under `path` (paths relative to it), empty when there is none.
    public func subtree(_ path: some Collection<PathElement>) -> FieldSet {
        guard let first = path.first else { return self }
        return children[first]?.subtree(path.dropFirst()) ?? .empty
    }

    public func union(_ other: FieldSet) -> FieldSet {
        var out = self
        out.isMember = isMember || other.isMember
        for (key, child) in other.children {
            out.children[key] = out.children[key].map { $0.union(child) } ?? child
        }
        return out
    }

    public func subtracting(_ other: FieldSet) -> FieldSet {
        var out = FieldSet(isMember: isMember && !other.isMember)
        for (key, child) in children {
            let rest = other.children[key].map { child.subtracting($0) } ?? child
            if !rest.isEmpty { out.children[key] = rest }
        }
        return out
    }

    public func intersection(_ other: FieldSet) -> FieldSet {
        var out = FieldSet(isMember: isMember && other.isMember)
        for (key, child) in children {
            guard let theirs = other.children[key] else { continue }
            let both = child.intersection(theirs)
            if !both.isEmpty { out.children[key] = both }
        }
        return out
    }

    /// Every member path, in a stable order.
    public var paths: [[PathElement]] {
        var out: [[PathElement]] = []
        collect(prefix: [], into: &out)
        return out
    }

    private func collect(prefix: [PathElement], into out: inout [[PathElement]]) {
        if isMember { out.append(prefix) }
        for key in children.keys.sorted(by: { $0.sortKey < $1.sortKey }) {
            children[key]?.collect(prefix: prefix + [key], into: &out)
        }
    }

    /// The text of a path as Kubernetes prints it: `.spec.containers[name="a"].image`.
    public static func text(of path: [PathElement]) -> String {
        path.map(\.pathText).joined()
    }

    // MARK: FieldsV1

    /// The `fieldsV1` JSON of this set (the root's membership is not representable and is ignored).
    public var fieldsV1: JSONValue {
        var out: [String: JSONValue] = [:]
        for (key, child) in children {
            var node = child.fieldsV1.objectValue ?? [:]
            if child.isMember && !child.children.isEmpty { node["."] = .object([:]) }
            out[key.fieldsV1Key] = .object(node)
        }
        return .object(out)
    }

    /// Parses a `fieldsV1` JSON value.
    public init(fieldsV1 value: JSONValue) throws(StatusError) {
        guard let object = value.objectValue else { throw .badRequest("fieldsV1: expected an object") }
        self.init()
        for (key, child) in object {
            if key == "." {
                isMember = true
                continue
            }
            guard let element = PathElement(fieldsV1Key: key) else {
                throw .badRequest("fieldsV1: invalid path element \"\(key)\"")
            }
            var node = try FieldSet(fieldsV1: child)
            if child.objectValue?.isEmpty ?? true { node.isMember = true }
            children[element] = node
        }
    }
}
