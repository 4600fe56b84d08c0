/// RFC 6902 JSON Patch, with Kubernetes' error mapping: a body that is not a list of operation
/// objects is 400 BadRequest; an operation that cannot be applied (a failed `test`, a missing path,
/// an unknown op) is 422 Invalid with the detail as a cause.
public enum JSONPatch {
    public static func apply(_ patch: JSONValue, to document: JSONValue) throws(StatusError) -> JSONValue {
        guard let operations = patch.arrayValue else {
            throw .badRequest("json: cannot unmarshal \(patch.typeName) into Go value of type jsonpatch.Patch")
        }
        var doc = document
        for operation in operations {
            guard let op = operation.objectValue else {
                throw .badRequest("json: cannot unmarshal \(operation.typeName) into Go value of type jsonpatch.Operation")
            }
            try apply(operation: op, to: &doc)
        }
        return doc
    }

    /// The 422 Kubernetes answers for a patch that cannot be applied.
    public static func invalid(_ detail: String) -> StatusError {
        StatusError(code: 422, reason: "Invalid", message: "the server rejected our request due to an error in our request",
                    details: .init(causes: [.init(reason: "UnexpectedServerResponse", message: detail)]))
    }

    static func pointer(_ op: [String: JSONValue], _ key: String, _ name: String) throws(StatusError) -> JSONPointer {
        guard let text = op[key]?.stringValue else { throw invalid("\(name) operation missing \(key) string") }
        guard let pointer = JSONPointer(text) else { throw invalid("\(name) operation has an invalid \(key): \"\(text)\"") }
        return pointer
    }

    static func apply(operation op: [String: JSONValue], to doc: inout JSONValue) throws(StatusError) {
        let name = op["op"]?.stringValue ?? ""
        switch name {
        case "add":
            let path = try pointer(op, "path", name)
            guard let value = op["value"] else { throw invalid("add operation does not apply: missing value") }
            try add(value, at: path.tokens[...], in: &doc, path: path)
        case "remove":
            let path = try pointer(op, "path", name)
            _ = try remove(at: path.tokens[...], in: &doc, path: path)
        case "replace":
            let path = try pointer(op, "path", name)
            guard let value = op["value"] else { throw invalid("replace operation does not apply: missing value") }
            guard path.value(in: doc) != nil else {
                throw invalid("replace operation does not apply: doc is missing key: \(path)")
            }
            _ = try remove(at: path.tokens[...], in: &doc, path: path)
            try add(value, at: path.tokens[...], in: &doc, path: path)
        case "move":
            let from = try pointer(op, "from", name)
            let path = try pointer(op, "path", name)
            if from == path { return }
            if path.tokens.count > from.tokens.count, Array(path.tokens.prefix(from.tokens.count)) == from.tokens {
                throw invalid("move operation does not apply: cannot move \(from) into its own child \(path)")
            }
            let value = try remove(at: from.tokens[...], in: &doc, path: from)
            try add(value, at: path.tokens[...], in: &doc, path: path)
        case "copy":
            let from = try pointer(op, "from", name)
            let path = try pointer(op, "path", name)
            guard let value = from.value(in: doc) else { throw invalid("copy operation does not apply: doc is missing from path: \(from)") }
            try add(value, at: path.tokens[...], in: &doc, path: path)
        case "test":
            let path = try pointer(op, "path", name)
            let expected = op["value"] ?? .null
            guard let actual = path.value(in: doc), numericEqual(actual, expected) else {
                throw invalid("testing value \(path) failed: test failed")
            }
        default:
            throw invalid("Unexpected kind: \(name)")
        }
    }

    /// Deep equality where an `.int` and a `.double` holding the same number are equal.
    public static func numericEqual(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case (.int(let x), .double(let y)), (.double(let y), .int(let x)):
            return Double(x) == y && y.rounded() == y && Int64(exactly: y) == x
        case (.array(let x), .array(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { numericEqual($0, $1) }
        case (.object(let x), .object(let y)):
            guard x.count == y.count else { return false }
            for (key, value) in x {
                guard let other = y[key], numericEqual(value, other) else { return false }
            }
            return true
        default:
            return a == b
        }
    }

    static func add(_ value: JSONValue, at tokens: ArraySlice<String>, in doc: inout JSONValue,
                    path: JSONPointer) throws(StatusError) {
        guard let token = tokens.first else {
            doc = value
            return
        }
        let last = tokens.count == 1
        switch doc {
        case .object(var o):
            doc = .null
            defer { doc = .object(o) }
            if last {
                o[token] = value
            } else {
                guard var child = o.removeValue(forKey: token) else {
                    throw invalid("add operation does not apply: doc is missing path: \(path)")
                }
                defer { o[token] = child }
                try add(value, at: tokens.dropFirst(), in: &child, path: path)
            }
        case .array(var a):
            doc = .null
            defer { doc = .array(a) }
            if last {
                if token == "-" {
                    a.append(value)
                } else if let i = JSONPointer.index(token), i <= a.count {
                    a.insert(value, at: i)
                } else {
                    throw invalid("add operation does not apply: index out of bounds: \(path)")
                }
            } else {
                guard let i = JSONPointer.index(token), i < a.count else {
                    throw invalid("add operation does not apply: doc is missing path: \(path)")
                }
                try add(value, at: tokens.dropFirst(), in: &a[i], path: path)
            }
        default:
            throw invalid("add operation does not apply: doc is missing path: \(path)")
        }
    }

    /// Removes and returns the value at the path, which must exist.
    static func remove(at tokens: ArraySlice<String>, in doc: inout JSONValue, path: JSONPointer) throws(StatusError) -> JSONValue {
        guard let token = tokens.first else {
            let old = doc
            doc = .null
            return old
        }
        let last = tokens.count == 1
        switch doc {
        case .object(var o):
            doc = .null
            defer { doc = .object(o) }
            if last {
                guard let old = o.removeValue(forKey: token) else {
                    throw invalid("remove operation does not apply: doc is missing path: \(path)")
                }
                return old
            }
            guard var child = o.removeValue(forKey: token) else {
                throw invalid("remove operation does not apply: doc is missing path: \(path)")
            }
            defer { o[token] = child }
            return try remove(at: tokens.dropFirst(), in: &child, path: path)
        case .array(var a):
            doc = .null
            defer { doc = .array(a) }
            guard let i = JSONPointer.index(token), i < a.count else {
                throw invalid("remove operation does not apply: doc is missing path: \(path)")
            }
            if last { return a.remove(at: i) }
            return try remove(at: tokens.dropFirst(), in: &a[i], path: path)
        default:
            throw invalid("remove operation does not apply: doc is missing path: \(path)")
        }
    }
}
