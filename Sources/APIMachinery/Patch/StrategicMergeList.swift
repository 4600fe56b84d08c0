/// List merging and element ordering for ``StrategicMergePatch`` (mergeSlice, $setElementOrder and
/// normalizeElementOrder of apimachinery's strategicpatch).
extension StrategicMergeEngine {
    /// Merges a list with the `merge` strategy. Objects match by `mergeKey`; primitives are a set.
    func mergeList(_ original: [JSONValue], _ patch: [JSONValue], mergeKey: String?,
                   elementType: String?) throws(StatusError) -> [JSONValue] {
        var original = original
        var rest: [JSONValue] = []
        var replace = false
        for element in patch {
            guard case .object(var m) = element, let directive = m.removeValue(forKey: Self.directive) else {
                rest.append(element)
                continue
            }
            switch directive.stringValue {
            case "replace":
                replace = true
            case "delete":
                guard let mergeKey, let keyValue = m[mergeKey] else {
                    throw .badRequest("map: \(element) does not contain declared merge key: \(mergeKey ?? "")")
                }
                original.removeAll { $0[mergeKey] == keyValue }
            case "merge":
                rest.append(.object(m))
            default:
                throw .badRequest("unknown patch type: \(directive) in map: \(element)")
            }
        }
        if replace {
            return try mergeListField([], rest, PatchFieldInfo(childType: elementType, isList: true))
        }
        if original.isEmpty && rest.isEmpty { return [] }
        var sawObject = false
        var sawOther = false
        for element in original + rest {
            switch element {
            case .array: throw JSONPatch.invalid("lists of lists are not supported")
            case .object: sawObject = true
            default: sawOther = true
            }
        }
        if sawObject && sawOther { throw .badRequest("mismatched types in a merged list") }

        if !sawObject {
            var merged: [JSONValue] = []
            for element in original + rest where !merged.contains(element) { merged.append(element) }
            let patchItems = merged.filter { rest.contains($0) }
            let serverOnly = merged.filter { !rest.contains($0) }
            return normalizeElementOrder(patchItems, serverOnly, patchOrder: rest, serverOrder: original, mergeKey: nil)
        }
        guard let mergeKey else { throw .badRequest("cannot merge lists without merge key for \(elementType ?? "unknown type")") }
        var merged = original
        for element in rest {
            guard case .object(let m) = element, let keyValue = m[mergeKey] else {
                throw .badRequest("map: \(element) does not contain declared merge key: \(mergeKey)")
            }
            if let i = merged.firstIndex(where: { $0[mergeKey] == keyValue }) {
                let existing = merged[i].objectValue ?? [:]
                if let result = try mergeMap(existing, m, type: elementType) {
                    merged[i] = .object(result)
                } else {
                    merged.remove(at: i)
                }
            } else if let result = try mergeMap([:], m, type: elementType) {
                merged.append(.object(result))
            }
        }
        let patchKeys = rest.map { $0[mergeKey] }
        let patchItems = merged.filter { patchKeys.contains($0[mergeKey]) }
        let serverOnly = merged.filter { !patchKeys.contains($0[mergeKey]) }
        return normalizeElementOrder(patchItems, serverOnly, patchOrder: rest, serverOrder: original, mergeKey: mergeKey)
    }

    /// Processes every `$setElementOrder/<field>` of a patch map: merges the field's list (removing it
    /// from the patch) and puts its elements in the requested order.
    func applySetElementOrder(_ original: inout [String: JSONValue], _ patch: inout [String: JSONValue],
                              type: String?) throws(StatusError) {
        for key in patch.keys.sorted() where key.hasPrefix(Self.setElementOrderPrefix) {
            let fieldName = String(key.dropFirst(Self.setElementOrderPrefix.count))
            guard let order = patch[key]?.arrayValue else { throw .badRequest("invalid patch format of setElementOrder list") }
            let field = info(fieldName, type)
            let mergeKey = field?.mergeKey
            let originalList = try listValue(original[fieldName])
            let patchList = try listValue(patch[fieldName])
            try validateOrder(patchList ?? [], order, mergeKey: mergeKey)
            let merged: [JSONValue]
            switch (originalList, patchList) {
            case (let o?, nil): merged = o
            case (nil, let p?): merged = try mergeListField([], p, field)
            case (let o?, let p?): merged = try mergeListField(o, p, field)
            case (nil, nil): continue
            }
            let keyOf: (JSONValue) -> JSONValue? = { element in mergeKey.map { element[$0] } ?? element }
            let orderKeys = order.map(keyOf)
            let patchItems = merged.filter { orderKeys.contains(keyOf($0)) }
            let serverOnly = merged.filter { !orderKeys.contains(keyOf($0)) }
            original[fieldName] = .array(normalizeElementOrder(patchItems, serverOnly, patchOrder: order,
                                                                serverOrder: originalList ?? [], mergeKey: mergeKey))
            patch.removeValue(forKey: fieldName)
        }
    }

    func listValue(_ value: JSONValue?) throws(StatusError) -> [JSONValue]? {
        guard let value, !value.isNull else { return nil }
        guard let list = value.arrayValue else { throw .badRequest("invalid patch format of setElementOrder list") }
        return list
    }

    /// The non-deleting elements of the patch list must appear in the order list, in the same order.
    func validateOrder(_ patchList: [JSONValue], _ order: [JSONValue], mergeKey: String?) throws(StatusError) {
        if patchList.isEmpty || order.isEmpty { return }
        let items = patchList.filter { $0[Self.directive] == nil }
        var p = 0
        var o = 0
        while p < items.count && o < order.count {
            let same = mergeKey.map { items[p][$0] == order[o][$0] } ?? (items[p] == order[o])
            if same { p += 1 }
            o += 1
        }
        if p < items.count {
            throw .badRequest("the order in patch list doesn't match $setElementOrder list: \(JSONValue.array(order))")
        }
    }

    /// Sorts patch items by `patchOrder` and server-only items by `serverOrder`, then interleaves them
    /// as upstream's mergeSortedSlice does.
    func normalizeElementOrder(_ patchItems: [JSONValue], _ serverOnly: [JSONValue], patchOrder: [JSONValue],
                               serverOrder: [JSONValue], mergeKey: String?) -> [JSONValue] {
        func index(_ list: [JSONValue], _ item: JSONValue) -> Int? {
            if let mergeKey {
                let key = item[mergeKey]
                return list.firstIndex { $0[mergeKey] == key }
            }
            return list.firstIndex(of: item)
        }
        func sorted(_ items: [JSONValue], by order: [JSONValue]) -> [JSONValue] {
            items.enumerated()
                .map { (index(order, $0.element) ?? Int.max, $0.offset, $0.element) }
                .sorted { ($0.0, $0.1) < ($1.0, $1.1) }
                .map(\.2)
        }
        let right = sorted(patchItems, by: patchOrder)
        let left = sorted(serverOnly, by: serverOrder)
        var out: [JSONValue] = []
        out.reserveCapacity(left.count + right.count)
        var i = 0
        var j = 0
        while i < left.count || j < right.count {
            if i >= left.count {
                out.append(right[j]); j += 1
            } else if j >= right.count {
                out.append(left[i]); i += 1
            } else if let li = index(serverOrder, left[i]), let ri = index(serverOrder, right[j]), li < ri {
                out.append(left[i]); i += 1
            } else {
                out.append(right[j]); j += 1
            }
        }
        return out
    }
}
