/// RFC 7386 JSON Merge Patch: objects merge recursively, `null` deletes a member, anything else replaces.
public enum MergePatch {
    public static func apply(_ patch: JSONValue, to document: JSONValue) -> JSONValue {
        guard case .object(let patchObject) = patch else { return patch }
        var target = document.objectValue ?? [:]
        for (key, value) in patchObject {
            if value.isNull {
                target.removeValue(forKey: key)
            } else {
                target[key] = apply(value, to: target.removeValue(forKey: key) ?? .null)
            }
        }
        return .object(target)
    }
}
