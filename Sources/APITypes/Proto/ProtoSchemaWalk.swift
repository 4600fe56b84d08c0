import APIMachinery

extension ProtoSchema {
    /// Paths of JSON members of `object` that the schema of `message` does not declare, in Kubernetes'
    /// field-path style: `spec.foo`, `metadata.labelz`, `spec.containers[0].imagez`. Map members
    /// (`data`, `labels`) take any key; free-form types (RawExtension, FieldsV1) take anything; special
    /// leaf types (Time, Quantity, IntOrString, …) are leaves. Top-level `apiVersion`/`kind` are known.
    /// Values of the wrong JSON type are not reported here (that is validation's job).
    public func unknownFields(in object: JSONValue, message: String) -> [String] {
        var out: [String] = []
        guard case .object(let members) = object else { return out }
        for key in members.keys.sorted() where key != "apiVersion" && key != "kind" {
            if let value = members[key] { walk(key: key, value: value, message: message, path: key, depth: 0, into: &out) }
        }
        return out
    }

    private func walk(object: JSONValue, message: String, path: String, depth: Int, into out: inout [String]) {
        guard depth < ProtobufDecoder.maximumDepth, case .object(let members) = object else { return }
        for key in members.keys.sorted() {
            if let value = members[key] {
                walk(key: key, value: value, message: message, path: path + "." + key, depth: depth, into: &out)
            }
        }
    }

    private func walk(key: String, value: JSONValue, message: String, path: String, depth: Int, into out: inout [String]) {
        guard let (field, _) = jsonField(key, in: message) else {
            out.append(path)
            return
        }
        guard case .message(let child) = field.type, self.message(named: child)?.special == nil else { return }
        if field.isMap {
            guard case .object(let entries) = value else { return }
            for k in entries.keys.sorted() {
                if let v = entries[k] { walk(object: v, message: child, path: "\(path)[\(k)]", depth: depth + 1, into: &out) }
            }
        } else if field.isRepeated {
            guard case .array(let items) = value else { return }
            for (i, item) in items.enumerated() {
                walk(object: item, message: child, path: "\(path)[\(i)]", depth: depth + 1, into: &out)
            }
        } else {
            walk(object: value, message: child, path: path, depth: depth + 1, into: &out)
        }
    }

    /// Strategic-merge-patch metadata of a field of a message type (fully qualified, leading dot accepted):
    /// `childType` is the fully qualified message of the field (of its elements for lists, of its values
    /// for maps; nil for scalars and for special leaf/free-form types such as Time, Quantity, RawExtension),
    /// `isList` whether it is repeated, and `strategies`/`mergeKey` from `PatchStrategies` (Go's
    /// `patchStrategy`/`patchMergeKey` tags). Fields of inlined embedded structs are found through their
    /// parent (`ports` of `EphemeralContainer`). Nil if the type or field is unknown.
    public func patchInfo(field: String, ofType type: String)
        -> (childType: String?, isList: Bool, strategies: Set<String>, mergeKey: String?)?
    {
        let typeName = type.hasPrefix(".") ? String(type.dropFirst()) : type
        guard let (f, owner) = jsonField(field, in: typeName) else { return nil }
        var child: String?
        if case .message(let name) = f.type, message(named: name)?.special == nil { child = name }
        let overlay = PatchStrategies.lookup(message: owner, field: f.name)
        return (child, f.isRepeated, overlay?.strategies ?? [], overlay?.mergeKey)
    }
}
