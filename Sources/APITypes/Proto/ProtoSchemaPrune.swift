import APIMachinery

extension ProtoSchema {
    /// Removes every member the schema of `message` does not declare (the members `unknownFields`
    /// reports), as decoding into Kubernetes' typed structs drops them.
    public func pruneUnknownFields(_ object: inout JSONValue, message: String) {
        guard case .object(var members) = object else { return }
        for key in Array(members.keys) where key != "apiVersion" && key != "kind" {
            guard var value = members[key] else { continue }
            if prune(key: key, value: &value, message: message, depth: 0) {
                members[key] = value
            } else {
                members[key] = nil
            }
        }
        object = .object(members)
    }

    /// Prunes the members of an object of type `message`.
    private func prune(object: inout JSONValue, message: String, depth: Int) {
        guard depth < ProtobufDecoder.maximumDepth, case .object(var members) = object else { return }
        for key in Array(members.keys) {
            guard var value = members[key] else { continue }
            if prune(key: key, value: &value, message: message, depth: depth) {
                members[key] = value
            } else {
                members[key] = nil
            }
        }
        object = .object(members)
    }

    /// Prunes inside one member; false when the member itself is unknown and must go.
    private func prune(key: String, value: inout JSONValue, message: String, depth: Int) -> Bool {
        guard let (field, _) = jsonField(key, in: message) else { return false }
        guard case .message(let child) = field.type, self.message(named: child)?.special == nil else { return true }
        if field.isMap {
            guard case .object(var entries) = value else { return true }
            for k in Array(entries.keys) {
                guard var v = entries[k] else { continue }
                prune(object: &v, message: child, depth: depth + 1)
                entries[k] = v
            }
            value = .object(entries)
        } else if field.isRepeated {
            guard case .array(var items) = value else { return true }
            for i in items.indices { prune(object: &items[i], message: child, depth: depth + 1) }
            value = .array(items)
        } else {
            prune(object: &value, message: child, depth: depth + 1)
        }
        return true
    }
}
