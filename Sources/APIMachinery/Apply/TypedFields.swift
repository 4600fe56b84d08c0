/// How server-side apply sees a value of a type: which fields a value sets, how two values differ,
/// how an applied configuration merges into a live object and how owned fields are removed. Types
/// come from a ``PatchSchema``: lists are `atomic`, `set` or `map` (by `x-kubernetes-list-type`,
/// falling back to the strategic merge key), objects are granular unless their map type is `atomic`.
/// Fields the schema does not know are deduced: objects are granular, lists atomic.
public struct TypedFields: Sendable {
    public let schema: any PatchSchema

    public init(schema: any PatchSchema) { self.schema = schema }

    enum ListKind: Equatable {
        case atomic
        case set
        case map([String])
    }

    /// The kind of a list field.
    func listKind(_ info: PatchFieldInfo?) -> ListKind {
        guard let info else { return .atomic }
        switch info.listType {
        case "map":
            let keys = info.mapKeys.isEmpty ? info.mergeKey.map { [$0] } ?? [] : info.mapKeys
            return keys.isEmpty ? .atomic : .map(keys)
        case "set": return .set
        case "atomic": return .atomic
        default:
            guard info.isMerge else { return .atomic }
            return info.mergeKey.map { .map([$0]) } ?? .set
        }
    }

    func isAtomicObject(_ info: PatchFieldInfo?) -> Bool {
        guard let info else { return false }
        return info.mapType == "atomic" || info.isReplace
    }

    func info(_ field: String, _ type: String?) -> PatchFieldInfo? {
        guard let type else { return nil }
        return schema.field(field, ofType: type)
    }

    /// Defaults of list-map key fields, as Kubernetes' OpenAPI declares them (`protocol` of container
    /// and service ports is "TCP"), so an item that leaves a key out names the same item as the
    /// defaulted one stored.
    static let keyDefaults: [String: JSONValue] = ["protocol": "TCP"]

    /// The key path element of a list-map item; nil when the item is not an object.
    static func keyElement(_ item: JSONValue, keys: [String]) -> PathElement? {
        guard let object = item.objectValue else { return nil }
        var out: [String: JSONValue] = [:]
        for key in keys {
            if let v = object[key], !v.isNull {
                out[key] = v
            } else if let v = keyDefaults[key] {
                out[key] = v
            }
        }
        return .key(out)
    }

    /// True when a list item has the given key values.
    static func matches(_ item: JSONValue, _ element: PathElement) -> Bool {
        switch element {
        case .key(let keys):
            guard let object = item.objectValue else { return false }
            return keys.allSatisfy { object[$0.key] == $0.value }
        case .value(let value): return item == value
        default: return false
        }
    }

    // MARK: Fields of a value

    /// The fields a value sets: its leaves, and every list-map item (as a member with its fields).
    /// With `resolvingKeysIn`, a list-map item that leaves out some of its keys (a defaulted
    /// `protocol`) takes the full key of the item it matches there.
    public func fields(of value: JSONValue, type: String?, resolvingKeysIn live: JSONValue? = nil) -> FieldSet {
        var set = FieldSet()
        walkObject(value, type: type, live: live, into: &set)
        return set
    }

    /// `markMaps`: maps of values (labels, data) are members themselves, as in Update operations.
    func walkObject(_ value: JSONValue, type: String?, markMaps: Bool = false, live: JSONValue? = nil,
                    into set: inout FieldSet) {
        guard let object = value.objectValue else { return }
        for (key, child) in object where !child.isNull {
            var node = FieldSet()
            walkField(child, info: info(key, type), markMaps: markMaps, live: live?[key], into: &node)
            if !node.isEmpty { set.children[.field(key)] = node }
        }
    }

    /// The fields of one field's value, relative to the field (the field itself is `node.isMember`).
    func walkField(_ value: JSONValue, info: PatchFieldInfo?, markMaps: Bool = false, live: JSONValue? = nil,
                   into node: inout FieldSet) {
        switch value {
        case .object(let object):
            if object.isEmpty || isAtomicObject(info) {
                node.isMember = true
            } else {
                walkObject(value, type: info?.childType, markMaps: markMaps, live: live, into: &node)
                if node.isEmpty || (markMaps && info != nil && info?.childType == nil) { node.isMember = true }
            }
        case .array(let items):
            switch listKind(info) {
            case .atomic:
                node.isMember = true
            case .set:
                if items.isEmpty { node.isMember = true }
                for item in items { node.children[.value(item)] = FieldSet(isMember: true) }
            case .map(let keys):
                if items.isEmpty { node.isMember = true }
                for item in items {
                    guard var element = Self.keyElement(item, keys: keys) else { continue }
                    let liveItem = live?.arrayValue?.first { Self.matches($0, element) }
                    if case .key(let given) = element, given.count < keys.count, let liveItem,
                       let full = Self.keyElement(liveItem, keys: keys) {
                        element = full
                    }
                    var itemSet = FieldSet(isMember: true)
                    walkObject(item, type: info?.childType, markMaps: markMaps, live: liveItem, into: &itemSet)
                    node.children[element] = node.children[element].map { $0.union(itemSet) } ?? itemSet
                }
            }
        default:
            node.isMember = true
        }
    }

    // MARK: Comparing

    /// The fields that differ between two values: set or changed in `new` (`modified`), and set in
    /// `old` but gone from `new` (`removed`).
    public func compare(old: JSONValue?, new: JSONValue?, type: String?) -> (modified: FieldSet, removed: FieldSet) {
        var modified = FieldSet()
        var removed = FieldSet()
        compareObjects(old?.objectValue ?? [:], new?.objectValue ?? [:], type: type, modified: &modified, removed: &removed)
        return (modified, removed)
    }

    func compareObjects(_ old: [String: JSONValue], _ new: [String: JSONValue], type: String?,
                        modified: inout FieldSet, removed: inout FieldSet) {
        for key in Set(old.keys).union(new.keys) {
            var m = FieldSet()
            var r = FieldSet()
            compareField(old[key].flatMap { $0.isNull ? nil : $0 }, new[key].flatMap { $0.isNull ? nil : $0 },
                         info: info(key, type), modified: &m, removed: &r)
            if !m.isEmpty { modified.children[.field(key)] = m }
            if !r.isEmpty { removed.children[.field(key)] = r }
        }
    }

    func compareField(_ old: JSONValue?, _ new: JSONValue?, info: PatchFieldInfo?,
                      modified: inout FieldSet, removed: inout FieldSet) {
        switch (old, new) {
        case (nil, nil):
            return
        case (let o?, nil):
            walkField(o, info: info, into: &removed)
            if case .object = o { removed.isMember = true }
        case (nil, let n?):
            // A new map of values (labels, data) is itself set, as Kubernetes marks it with `.`.
            walkField(n, info: info, markMaps: true, into: &modified)
        case (.object(let o)?, .object(let n)?) where !o.isEmpty && !n.isEmpty && !isAtomicObject(info):
            compareObjects(o, n, type: info?.childType, modified: &modified, removed: &removed)
        case (.array(let o)?, .array(let n)?) where !o.isEmpty && !n.isEmpty && listKind(info) != .atomic:
            compareLists(o, n, info: info, modified: &modified, removed: &removed)
        case (let o?, let n?):
            if o == n { return }
            var oldFields = FieldSet()
            walkField(o, info: info, into: &oldFields)
            var newFields = FieldSet()
            walkField(n, info: info, into: &newFields)
            modified = modified.union(newFields)
            removed = removed.union(oldFields.subtracting(newFields))
        }
    }

    func compareLists(_ old: [JSONValue], _ new: [JSONValue], info: PatchFieldInfo?,
                      modified: inout FieldSet, removed: inout FieldSet) {
        switch listKind(info) {
        case .atomic:
            return
        case .set:
            for item in new where !old.contains(item) { modified.children[.value(item)] = FieldSet(isMember: true) }
            for item in old where !new.contains(item) { removed.children[.value(item)] = FieldSet(isMember: true) }
        case .map(let keys):
            var oldByKey: [PathElement: JSONValue] = [:]
            for item in old { if let k = Self.keyElement(item, keys: keys) { oldByKey[k] = item } }
            var newKeys = Set<PathElement>()
            for item in new {
                guard let k = Self.keyElement(item, keys: keys) else { continue }
                newKeys.insert(k)
                if let o = oldByKey[k] {
                    var m = FieldSet()
                    var r = FieldSet()
                    compareObjects(o.objectValue ?? [:], item.objectValue ?? [:], type: info?.childType, modified: &m, removed: &r)
                    if !m.isEmpty { modified.children[k] = modified.children[k].map { $0.union(m) } ?? m }
                    if !r.isEmpty { removed.children[k] = removed.children[k].map { $0.union(r) } ?? r }
                } else {
                    var itemSet = FieldSet(isMember: true)
                    walkObject(item, type: info?.childType, markMaps: true, into: &itemSet)
                    modified.children[k] = itemSet
                }
            }
            for (k, o) in oldByKey where !newKeys.contains(k) {
                var itemSet = FieldSet(isMember: true)
                walkObject(o, type: info?.childType, into: &itemSet)
                removed.children[k] = itemSet
            }
        }
    }

    // MARK: Merging an applied configuration

    /// Merges an applied configuration into a live object: granular objects merge field by field,
    /// list-map items by key and set lists by value; everything else is replaced. Nulls in the
    /// applied configuration are dropped.
    public func merge(live: JSONValue?, applied: JSONValue, type: String?) -> JSONValue {
        mergeObject(live?.objectValue ?? [:], applied.objectValue ?? [:], type: type)
    }

    func mergeObject(_ live: [String: JSONValue], _ applied: [String: JSONValue], type: String?) -> JSONValue {
        var out = live
        for (key, value) in applied where !value.isNull {
            out[key] = mergeField(live[key], value, info: info(key, type))
        }
        return .object(out)
    }

    func mergeField(_ live: JSONValue?, _ applied: JSONValue, info: PatchFieldInfo?) -> JSONValue {
        switch (live, applied) {
        case (.object(let l)?, .object(let a)) where !isAtomicObject(info):
            return mergeObject(l, a, type: info?.childType)
        case (_, .object(let a)) where !isAtomicObject(info):
            return mergeObject([:], a, type: info?.childType)
        case (.array(let l)?, .array(let a)):
            return .array(mergeList(l, a, info: info))
        case (_, .array(let a)):
            return .array(mergeList([], a, info: info))
        default:
            return applied.withoutNulls
        }
    }

    func mergeList(_ live: [JSONValue], _ applied: [JSONValue], info: PatchFieldInfo?) -> [JSONValue] {
        switch listKind(info) {
        case .atomic:
            return applied.map(\.withoutNulls)
        case .set:
            var out = live
            for item in applied where !out.contains(item) { out.append(item) }
            return out
        case .map(let keys):
            var out = live
            for item in applied {
                guard let k = Self.keyElement(item, keys: keys), let object = item.objectValue else { continue }
                if let i = out.firstIndex(where: { Self.matches($0, k) }) {
                    out[i] = mergeObject(out[i].objectValue ?? [:], object, type: info?.childType)
                } else {
                    out.append(mergeObject([:], object, type: info?.childType))
                }
            }
            return out
        }
    }

    // MARK: Removing fields

    /// Removes the member paths of `fields` from a value, except where `keep` still has members at or
    /// below the path; maps and lists left empty by a removal go too.
    public func remove(_ fields: FieldSet, from value: JSONValue, keep: FieldSet) -> JSONValue {
        removeFromObject(fields, value, keep: keep) ?? .object([:])
    }

    func removeFromObject(_ fields: FieldSet, _ value: JSONValue, keep: FieldSet) -> JSONValue? {
        guard var object = value.objectValue else { return value }
        for (element, sub) in fields.children {
            guard case .field(let key) = element, let child = object[key] else { continue }
            let kept = keep.children[element] ?? .empty
            if let result = removeFromValue(sub, child, keep: kept) {
                object[key] = result
            } else {
                object.removeValue(forKey: key)
            }
        }
        return .object(object)
    }

    /// nil when the value itself goes.
    func removeFromValue(_ fields: FieldSet, _ value: JSONValue, keep: FieldSet) -> JSONValue? {
        if fields.isMember && keep.isEmpty { return nil }
        switch value {
        case .object(let before):
            guard let after = removeFromObject(fields, value, keep: keep) else { return nil }
            if let o = after.objectValue, o.isEmpty, !before.isEmpty, !keep.isMember { return nil }
            return after
        case .array(let items):
            var out: [JSONValue] = []
            for item in items {
                guard let element = fields.children.keys.first(where: { Self.matches(item, $0) }), let sub = fields.children[element] else {
                    out.append(item)
                    continue
                }
                if let kept = removeFromValue(sub, item, keep: keep.children[element] ?? .empty) { out.append(kept) }
            }
            if out.isEmpty && !items.isEmpty && !keep.isMember { return nil }
            return .array(out)
        default:
            return value
        }
    }
}

extension JSONValue {
    /// The value with null members of objects dropped, recursively.
    var withoutNulls: JSONValue {
        switch self {
        case .object(let o):
            var out: [String: JSONValue] = [:]
            for (k, v) in o where !v.isNull { out[k] = v.withoutNulls }
            return .object(out)
        case .array(let a): return .array(a.map(\.withoutNulls))
        default: return self
        }
    }
}
