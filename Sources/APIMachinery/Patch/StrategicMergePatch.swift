/// Kubernetes' strategic merge patch (k8s.io/apimachinery/pkg/util/strategicpatch), applied with the
/// server's options: maps merge recursively and `null` deletes; lists whose field has the `merge`
/// strategy merge (by merge key for objects, as a set for primitives) and other lists are replaced;
/// the `$patch`, `$retainKeys`, `$setElementOrder/…` and `$deleteFromPrimitiveList/…` directives
/// are honoured and never left in the result. Fields the schema does not know behave as in a JSON
/// merge patch. A `$patch: delete` on a map removes that map (the whole document becomes `{}`).
///
/// As upstream, elements the patch adds to a merged list without a `$setElementOrder` go before
/// the existing ones, and existing elements keep their relative order.
public enum StrategicMergePatch {
    public static func apply(_ patch: JSONValue, to original: JSONValue, type: String?,
                             schema: any PatchSchema) throws(StatusError) -> JSONValue {
        guard let patchObject = patch.objectValue else { throw .badRequest("invalid JSON document") }
        let engine = StrategicMergeEngine(schema: schema)
        let merged = try engine.mergeMap(original.objectValue ?? [:], patchObject, type: type)
        return .object(merged ?? [:])
    }
}

struct StrategicMergeEngine {
    static let directive = "$patch"
    static let retainKeys = "$retainKeys"
    static let setElementOrderPrefix = "$setElementOrder/"
    static let deleteFromPrimitiveListPrefix = "$deleteFromPrimitiveList/"

    let schema: any PatchSchema

    func info(_ field: String, _ type: String?) -> PatchFieldInfo? {
        guard let type else { return nil }
        return schema.field(field, ofType: type)
    }

    /// Merges `patch` into `original`; nil when the patch deletes the map.
    func mergeMap(_ original: [String: JSONValue], _ patch: [String: JSONValue],
                  type: String?) throws(StatusError) -> [String: JSONValue]? {
        var patch = patch
        var original = original
        if let directive = patch.removeValue(forKey: Self.directive) {
            switch directive.stringValue {
            case "replace": return try mergeMap([:], patch, type: type)
            case "delete": return nil
            case "merge": break
            default: throw .badRequest("unknown patch type: \(directive) in map: \(JSONValue.object(patch))")
            }
        }
        if let retain = patch.removeValue(forKey: Self.retainKeys) {
            try applyRetainKeys(retain, original: &original, patch: patch)
        }
        try applySetElementOrder(&original, &patch, type: type)
        var deletions: [(String, JSONValue)] = []
        for (key, patchValue) in patch {
            if key.hasPrefix(Self.setElementOrderPrefix) { continue }
            if key.hasPrefix(Self.deleteFromPrimitiveListPrefix) {
                deletions.append((String(key.dropFirst(Self.deleteFromPrimitiveListPrefix.count)), patchValue))
                continue
            }
            if patchValue.isNull {
                original.removeValue(forKey: key)
                continue
            }
            let field = info(key, type)
            guard let originalValue = original.removeValue(forKey: key) else {
                original[key] = try fresh(patchValue, field)
                continue
            }
            switch (originalValue, patchValue) {
            case (.object(let o), .object(let p)):
                if field?.isReplace == true {
                    original[key] = try fresh(patchValue, field)
                } else if let merged = try mergeMap(o, p, type: field?.childType) {
                    original[key] = .object(merged)
                }
            case (.array(let o), .array(let p)):
                original[key] = .array(try mergeListField(o, p, field))
            default:
                original[key] = try fresh(patchValue, field)
            }
        }
        for (field, values) in deletions {
            guard let remove = values.arrayValue else { throw .badRequest("invalid patch format of primitive list") }
            guard case .array(let list) = original[field] else { continue }
            original[field] = .array(list.filter { !remove.contains($0) })
        }
        return original
    }

    /// `$retainKeys`: every non-null patch key must be listed; original keys not listed are dropped.
    func applyRetainKeys(_ retain: JSONValue, original: inout [String: JSONValue],
                         patch: [String: JSONValue]) throws(StatusError) {
        guard let list = retain.arrayValue else { throw .badRequest("invalid patch format of retainKeys") }
        var keys = Set<String>()
        for item in list {
            guard let key = item.stringValue else { throw .badRequest("invalid patch format of retainKeys") }
            keys.insert(key)
        }
        for (key, value) in patch where !value.isNull && !key.hasPrefix(Self.deleteFromPrimitiveListPrefix)
            && !key.hasPrefix(Self.setElementOrderPrefix) && !keys.contains(key) {
            throw .badRequest("invalid patch format of retainKeys")
        }
        original = original.filter { keys.contains($0.key) }
    }

    /// A patch value for a key the original lacks: merged into nothing, so nulls and directives go.
    func fresh(_ value: JSONValue, _ field: PatchFieldInfo?) throws(StatusError) -> JSONValue? {
        switch value {
        case .object(let p):
            return try mergeMap([:], p, type: field?.childType).map(JSONValue.object)
        case .array(let p):
            return .array(try mergeListField([], p, field))
        default:
            return value
        }
    }

    /// Merges two lists as the field's strategy says: merge, or replace by the (cleaned) patch.
    func mergeListField(_ original: [JSONValue], _ patch: [JSONValue], _ field: PatchFieldInfo?) throws(StatusError) -> [JSONValue] {
        if let field, field.isMerge {
            return try mergeList(original, patch, mergeKey: field.mergeKey, elementType: field.childType)
        }
        var out: [JSONValue] = []
        out.reserveCapacity(patch.count)
        for element in patch {
            if case .object(let m) = element {
                if let cleaned = try mergeMap([:], m, type: field?.childType) { out.append(.object(cleaned)) }
            } else {
                out.append(element)
            }
        }
        return out
    }
}
