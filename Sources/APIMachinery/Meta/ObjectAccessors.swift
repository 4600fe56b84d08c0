/// Typed access to the common fields of an API object held as a `JSONValue`.
extension JSONValue {
    public var metadata: JSONValue {
        get { self["metadata"] ?? .object([:]) }
        set { self["metadata"] = newValue }
    }

    private func metaString(_ key: String) -> String? { self["metadata"]?[key]?.stringValue }

    private mutating func setMeta(_ key: String, _ value: JSONValue?) {
        if self["metadata"]?.objectValue == nil { self["metadata"] = .object([:]) }
        self[key: "metadata", key] = value
    }

    /// Two-level member set used by the accessors below.
    public subscript(key first: String, _ second: String) -> JSONValue? {
        get { self[first]?[second] }
        set {
            guard case .object(var o) = self else { return }
            var inner = o[first] ?? .object([:])
            inner[second] = newValue
            o[first] = inner
            self = .object(o)
        }
    }

    public var name: String {
        get { metaString("name") ?? "" }
        set { setMeta("name", newValue.isEmpty ? nil : .string(newValue)) }
    }
    public var generateName: String { metaString("generateName") ?? "" }
    public var namespace: String {
        get { metaString("namespace") ?? "" }
        set { setMeta("namespace", newValue.isEmpty ? nil : .string(newValue)) }
    }
    public var uid: String {
        get { metaString("uid") ?? "" }
        set { setMeta("uid", newValue.isEmpty ? nil : .string(newValue)) }
    }
    public var resourceVersion: String {
        get { metaString("resourceVersion") ?? "" }
        set { setMeta("resourceVersion", newValue.isEmpty ? nil : .string(newValue)) }
    }
    public var creationTimestamp: String? {
        get { metaString("creationTimestamp") }
        set { setMeta("creationTimestamp", newValue.map { .string($0) }) }
    }
    public var deletionTimestamp: String? {
        get { metaString("deletionTimestamp") }
        set { setMeta("deletionTimestamp", newValue.map { .string($0) }) }
    }
    public var generation: Int64 {
        get { self["metadata"]?["generation"]?.intValue ?? 0 }
        set { setMeta("generation", newValue == 0 ? nil : .int(newValue)) }
    }
    public var labels: [String: String] {
        get { Self.stringMap(self["metadata"]?["labels"]) }
        set { setMeta("labels", newValue.isEmpty ? nil : .object(newValue.mapValues { .string($0) })) }
    }
    public var annotations: [String: String] {
        get { Self.stringMap(self["metadata"]?["annotations"]) }
        set { setMeta("annotations", newValue.isEmpty ? nil : .object(newValue.mapValues { .string($0) })) }
    }
    public var finalizers: [String] {
        get { self["metadata"]?["finalizers"]?.arrayValue?.compactMap(\.stringValue) ?? [] }
        set { setMeta("finalizers", newValue.isEmpty ? nil : .array(newValue.map { .string($0) })) }
    }
    public var apiVersion: String? {
        get { self["apiVersion"]?.stringValue }
        set { self["apiVersion"] = newValue.map { .string($0) } }
    }
    public var kind: String? {
        get { self["kind"]?.stringValue }
        set { self["kind"] = newValue.map { .string($0) } }
    }

    static func stringMap(_ v: JSONValue?) -> [String: String] {
        guard case .object(let o)? = v else { return [:] }
        var out: [String: String] = [:]
        for (k, v) in o { if let s = v.stringValue { out[k] = s } }
        return out
    }
}
