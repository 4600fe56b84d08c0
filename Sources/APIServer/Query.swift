import APIMachinery
import Registry

/// Decoded URL query parameters (`+` is a space, percent escapes decoded), repeated keys kept.
struct Query {
    var values: [String: [String]] = [:]

    init(_ query: String?) {
        guard let query, !query.isEmpty else { return }
        for part in query.split(separator: "&", omittingEmptySubsequences: true) {
            let pieces = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = Self.decode(pieces[0])
            let value = pieces.count > 1 ? Self.decode(pieces[1]) : ""
            values[key, default: []].append(value)
        }
    }

    subscript(_ key: String) -> String? { values[key]?.last }

    static func decode(_ s: Substring) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(s.utf8.count)
        var it = Array(s.utf8)[...]
        while let c = it.popFirst() {
            if c == UInt8(ascii: "+") {
                bytes.append(0x20)
            } else if c == UInt8(ascii: "%"), it.count >= 2, let h = hex(it[it.startIndex]), let l = hex(it[it.startIndex + 1]) {
                bytes.append(h << 4 | l)
                it.removeFirst(2)
            } else {
                bytes.append(c)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func hex(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    func bool(_ key: String) throws(StatusError) -> Bool? {
        guard let v = self[key] else { return nil }
        switch v.lowercased() {
        case "true", "1", "": return true
        case "false", "0": return false
        default: throw StatusError.badRequest("\(key): invalid boolean value \"\(v)\"")
        }
    }

    func int(_ key: String) throws(StatusError) -> Int64? {
        guard let v = self[key], !v.isEmpty else { return nil }
        guard let i = Int64(v) else { throw StatusError.badRequest("\(key): invalid integer value \"\(v)\"") }
        return i
    }

    /// LIST and WATCH options.
    func listOptions() throws(StatusError) -> ListOptions {
        var o = ListOptions()
        if let s = self["labelSelector"], !s.isEmpty { o.labelSelector = try LabelSelector.parse(s) }
        if let s = self["fieldSelector"], !s.isEmpty { o.fieldSelector = try FieldSelector.parse(s) }
        o.resourceVersion = self["resourceVersion"]
        if let m = self["resourceVersionMatch"], !m.isEmpty {
            guard ["Exact", "NotOlderThan"].contains(m) else {
                throw StatusError.badRequest("resourceVersionMatch: Unsupported value: \"\(m)\": supported values: \"Exact\", \"NotOlderThan\"")
            }
            o.resourceVersionMatch = m
        }
        if let limit = try int("limit") {
            guard limit >= 0 else { throw StatusError.badRequest("limit: Invalid value: \(limit): must be non-negative") }
            o.limit = limit > 0 ? Int(min(limit, 1_000_000)) : nil
        }
        o.continueToken = self["continue"].flatMap { $0.isEmpty ? nil : $0 }
        o.allowWatchBookmarks = try bool("allowWatchBookmarks") ?? false
        o.sendInitialEvents = try bool("sendInitialEvents")
        if let t = try int("timeoutSeconds") { o.timeoutSeconds = Int(max(0, min(t, 86_400))) }
        return o
    }

    /// dryRun: only "All" is defined.
    func dryRun() throws(StatusError) -> Bool {
        guard let values = values["dryRun"] else { return false }
        for v in values where v != "All" {
            throw StatusError.badRequest("Invalid dryRun value: \(v). Supported values: [All]")
        }
        return !values.isEmpty
    }

    func writeOptions() throws(StatusError) -> WriteOptions {
        var o = WriteOptions()
        o.dryRun = try dryRun()
        o.fieldManager = self["fieldManager"]
        o.fieldValidation = .warn
        if let v = self["fieldValidation"], !v.isEmpty {
            guard let fv = WriteOptions.FieldValidation(rawValue: v) else {
                throw StatusError.badRequest("fieldValidation: Invalid value: \"\(v)\": fieldValidation must be one of \"Ignore\", \"Warn\", or \"Strict\"")
            }
            o.fieldValidation = fv
        }
        return o
    }
}
