import APIMachinery

extension OpenAPISchema {
    /// How deep unknown-field detection and pruning descend (deeper values are left alone).
    static let maximumDepth = 100

    /// Paths of the members of `object` that the definition `name` does not declare, as Kubernetes'
    /// strict decoding reports them: `spec.foo`, `metadata.labelz`, `spec.containers[0].imagez`, map
    /// values as `data[key].x`. Map keys are never unknown; nothing below a free-form schema
    /// (preserve-unknown-fields, RawExtension, FieldsV1) is unknown; IntOrString, Quantity and Time are
    /// leaves. Top-level `apiVersion` and `kind` are always known. Values of the wrong JSON type are not
    /// reported here (that is validation's job).
    public func unknownFields(in object: JSONValue, definition name: String) -> [String] {
        guard let root = definition(named: name) else { return [] }
        var out: [String] = []
        walk(object, root, path: "", depth: 0, into: &out)
        return out
    }

    private func walk(_ value: JSONValue, _ node: SchemaNode, path: String, depth: Int, into out: inout [String]) {
        guard depth < Self.maximumDepth, let node = resolve(node), !node.isFreeForm else { return }
        switch value {
        case .array(let elements):
            guard let items = node.items else { return }
            for (i, element) in elements.enumerated() {
                walk(element, items, path: "\(path)[\(i)]", depth: depth + 1, into: &out)
            }
        case .object(let members):
            if let values = node.additionalProperties {
                for key in members.keys.sorted() {
                    if let v = members[key] { walk(v, values, path: "\(path)[\(key)]", depth: depth + 1, into: &out) }
                }
                return
            }
            guard node.type == .object else { return }
            for key in members.keys.sorted() {
                let child = path.isEmpty ? key : path + "." + key
                if let property = node.properties[key] {
                    if let v = members[key] { walk(v, property, path: child, depth: depth + 1, into: &out) }
                } else if !(path.isEmpty && (key == "apiVersion" || key == "kind")) {
                    out.append(child)
                }
            }
        default:
            return
        }
    }

    /// Removes every member `unknownFields` reports, as decoding into Kubernetes' typed structs drops them.
    public func pruneUnknownFields(_ object: inout JSONValue, definition name: String) {
        guard let root = definition(named: name) else { return }
        prune(&object, root, isRoot: true, depth: 0)
    }

    private func prune(_ value: inout JSONValue, _ node: SchemaNode, isRoot: Bool, depth: Int) {
        guard depth < Self.maximumDepth, let node = resolve(node), !node.isFreeForm else { return }
        switch value {
        case .array(var elements):
            guard let items = node.items else { return }
            for i in elements.indices { prune(&elements[i], items, isRoot: false, depth: depth + 1) }
            value = .array(elements)
        case .object(var members):
            if let values = node.additionalProperties {
                for key in Array(members.keys) {
                    guard var v = members[key] else { continue }
                    prune(&v, values, isRoot: false, depth: depth + 1)
                    members[key] = v
                }
            } else {
                guard node.type == .object else { return }
                for key in Array(members.keys) {
                    if let property = node.properties[key] {
                        guard var v = members[key] else { continue }
                        prune(&v, property, isRoot: false, depth: depth + 1)
                        members[key] = v
                    } else if !(isRoot && (key == "apiVersion" || key == "kind")) {
                        members[key] = nil
                    }
                }
            }
            value = .object(members)
        default:
            return
        }
    }

    /// Strategic-merge-patch and apply metadata of property `field` of definition `type`: `childType` is
    /// the definition of the value (of the elements, for lists) when it is a structured object, nil for
    /// scalars, maps and leaf or free-form types (Time, Quantity, IntOrString, RawExtension); the patch
    /// strategies and merge key, the list type and list-map keys, and the map type (of the field, else
    /// of the definition it refers to). Nil when the type or field is unknown.
    public func patchFieldInfo(_ field: String, ofType type: String) -> PatchFieldInfo? {
        guard let owner = definition(named: type).flatMap(resolve), let property = owner.properties[field] else { return nil }
        let ext = property.extensions
        var info = PatchFieldInfo(strategies: Set(ext.patchStrategies), mergeKey: ext.patchMergeKey,
                                  listType: ext.listType, mapKeys: ext.listMapKeys, mapType: ext.mapType)
        var valueNode = property
        if let resolved = resolve(property), resolved.type == .array, let items = resolved.items {
            info.isList = true
            valueNode = items
        }
        if let ref = valueNode.ref, let target = resolve(valueNode), target.type == .object, !target.properties.isEmpty {
            info.childType = ref
            if !info.isList, info.mapType == nil { info.mapType = target.extensions.mapType }
        }
        return info
    }
}
