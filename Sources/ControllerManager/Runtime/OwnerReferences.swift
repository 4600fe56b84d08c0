import APIMachinery
import Client

/// ownerReferences as controllers use them: the controller reference of a dependent, references to
/// write on created objects, and the adoption and release rules of label selectors.
public enum OwnerReferences {
    /// Every owner reference of an object.
    public static func all(_ object: JSONValue) -> [JSONValue] {
        object["metadata"]?["ownerReferences"]?.arrayValue ?? []
    }

    /// The owner reference with controller: true, if any.
    public static func controllerRef(of object: JSONValue) -> JSONValue? {
        all(object).first { $0["controller"]?.boolValue == true }
    }

    /// A controller reference to `owner` (which needs apiVersion, kind, name, uid), with
    /// blockOwnerDeletion as controllers set it.
    public static func makeControllerRef(to owner: JSONValue, apiVersion: String, kind: String) -> JSONValue {
        ["apiVersion": .string(apiVersion), "kind": .string(kind), "name": .string(owner.name), "uid": .string(owner.uid),
         "controller": true, "blockOwnerDeletion": true]
    }

    /// Whether `ref` points at an object of `kind` (any version of `group`).
    public static func refers(_ ref: JSONValue, toKind kind: String, group: String) -> Bool {
        guard ref["kind"]?.stringValue == kind, let apiVersion = ref["apiVersion"]?.stringValue else { return false }
        let refGroup = apiVersion.contains("/") ? String(apiVersion.split(separator: "/")[0]) : ""
        return refGroup == group
    }

    /// The owner in `lister` that `object`'s controller reference points at (same namespace, kind and
    /// uid), nil if it has none or the owner is gone or was replaced.
    public static func resolveController(of object: JSONValue, kind: String, group: String, in lister: Lister) -> JSONValue? {
        guard let ref = controllerRef(of: object), refers(ref, toKind: kind, group: group),
              let name = ref["name"]?.stringValue,
              let owner = lister.get(namespace: object.namespace, name: name),
              owner.uid == ref["uid"]?.stringValue else { return nil }
        return owner
    }

    /// The key (namespace/name) of the owner `object`'s controller reference names, if it is of `kind`.
    public static func controllerKey(of object: JSONValue, kind: String, group: String) -> String? {
        guard let ref = controllerRef(of: object), refers(ref, toKind: kind, group: group),
              let name = ref["name"]?.stringValue else { return nil }
        return Indexer.key(namespace: object.namespace, name: name)
    }

    /// A JSON merge patch body adopting `object`: its controller reference becomes `ref`, checked
    /// against its uid so a replaced object is not adopted.
    public static func adoptPatch(_ object: JSONValue, ref: JSONValue) -> JSONValue {
        let others = all(object).filter { $0["uid"] != ref["uid"] }
        return ["metadata": ["ownerReferences": .array(others + [ref]), "uid": .string(object.uid)]]
    }

    /// A JSON merge patch body releasing `object` from the owner with `ownerUID`.
    public static func releasePatch(_ object: JSONValue, ownerUID: String) -> JSONValue {
        let others = all(object).filter { $0["uid"]?.stringValue != ownerUID }
        return ["metadata": ["ownerReferences": others.isEmpty ? .null : .array(others), "uid": .string(object.uid)]]
    }
}
