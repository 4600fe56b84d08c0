import APIMachinery

/// The byte form objects take in storage, and the fast path that turns stored bytes into list items.
enum StoredObject {
    static let prefix = Array(#"{"metadata":{"#.utf8)

    /// `{"metadata":{…},"<other keys sorted>":…}` without resourceVersion, apiVersion and kind.
    static func encode(_ object: JSONValue) -> [UInt8] {
        guard case .object(var members) = object else { return object.serialized() }
        var metadata = members["metadata"] ?? .object([:])
        metadata["resourceVersion"] = nil
        members["metadata"] = nil
        members["apiVersion"] = nil
        members["kind"] = nil
        var out: [UInt8] = []
        out.reserveCapacity(512)
        out.append(contentsOf: #"{"metadata":"#.utf8)
        metadata.write(into: &out)
        for key in members.keys.sorted() {
            out.append(UInt8(ascii: ","))
            JSONValue.writeString(key, into: &out)
            out.append(UInt8(ascii: ":"))
            members[key]?.write(into: &out)
        }
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// The list-item JSON of a stored value (no kind or apiVersion, as built-in lists are served) with
    /// `metadata.resourceVersion` spliced in; nil if the bytes are not in the stored layout.
    static func listItem(_ stored: [UInt8], revision: Int64) -> [UInt8]? {
        guard stored.count > prefix.count + 1, stored.starts(with: prefix) else { return nil }
        let rest = stored[prefix.count...]
        var out: [UInt8] = []
        out.reserveCapacity(stored.count + 32)
        out.append(contentsOf: prefix)
        out.append(contentsOf: #""resourceVersion":""#.utf8)
        out.append(contentsOf: String(revision).utf8)
        out.append(UInt8(ascii: "\""))
        if rest.first != UInt8(ascii: "}") { out.append(UInt8(ascii: ",")) }
        out.append(contentsOf: rest)
        return out
    }
}
