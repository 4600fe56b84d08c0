/// One `metadata.managedFields` entry: who owns which fields, through which operation.
public struct ManagedFieldsEntry: Sendable, Hashable {
    public var manager: String
    /// `Apply` or `Update`.
    public var operation: String
    public var apiVersion: String
    public var time: String?
    public var subresource: String?
    public var fields: FieldSet

    public init(manager: String, operation: String, apiVersion: String, time: String? = nil,
                subresource: String? = nil, fields: FieldSet) {
        self.manager = manager
        self.operation = operation
        self.apiVersion = apiVersion
        self.time = time
        self.subresource = subresource
        self.fields = fields
    }

    public static let apply = "Apply"
    public static let update = "Update"

    /// Parses one entry; throws on a malformed one.
    public init(json: JSONValue) throws(StatusError) {
        guard let object = json.objectValue else { throw .badRequest("metadata.managedFields: expected a list of objects") }
        manager = object["manager"]?.stringValue ?? ""
        operation = object["operation"]?.stringValue ?? ""
        apiVersion = object["apiVersion"]?.stringValue ?? ""
        time = object["time"]?.stringValue
        subresource = object["subresource"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        if let type = object["fieldsType"]?.stringValue, type != "FieldsV1" {
            throw .badRequest("metadata.managedFields: unsupported fieldsType \(type)")
        }
        fields = try FieldSet(fieldsV1: object["fieldsV1"] ?? .object([:]))
    }

    public var json: JSONValue {
        var o: [String: JSONValue] = [
            "manager": .string(manager), "operation": .string(operation), "apiVersion": .string(apiVersion),
            "fieldsType": "FieldsV1", "fieldsV1": fields.fieldsV1,
        ]
        if let time { o["time"] = .string(time) }
        if let subresource { o["subresource"] = .string(subresource) }
        return .object(o)
    }

    /// True when the entry is the same manager slot (manager, operation, subresource; Update entries
    /// also by apiVersion).
    func sameSlot(manager: String, operation: String, apiVersion: String, subresource: String?) -> Bool {
        self.manager == manager && self.operation == operation && self.subresource == subresource
            && (operation == Self.apply || self.apiVersion == apiVersion)
    }

    /// How apply conflicts name this manager: `"m"`, `"m" with subresource "status"`, `"m" using v1`.
    public var conflictName: String {
        var s = "\"\(manager)\""
        if let subresource { s += " with subresource \"\(subresource)\"" }
        if operation == Self.update { s += " using \(apiVersion)" }
        return s
    }
}

/// One field another manager owns that an apply would change.
public struct ApplyConflict: Sendable, Hashable {
    /// The manager as conflicts print it (`"m" using v1`).
    public var manager: String
    public var path: [PathElement]
    /// The manager's name.
    public var owner: String

    public init(manager: String, path: [PathElement], owner: String = "") {
        self.manager = manager
        self.path = path
        self.owner = owner
    }
}

/// The managedFields bookkeeping of writes (server-side apply, Kubernetes' field management).
public enum ManagedFields {
    /// The entries of an object; throws when they are malformed.
    public static func entries(of object: JSONValue) throws(StatusError) -> [ManagedFieldsEntry] {
        guard let list = object["metadata"]?["managedFields"], !list.isNull else { return [] }
        guard let items = list.arrayValue else { throw .badRequest("metadata.managedFields: expected a list") }
        var out: [ManagedFieldsEntry] = []
        for item in items { out.append(try ManagedFieldsEntry(json: item)) }
        return out
    }

    /// Stores entries in an object (removing the field when there are none).
    public static func set(_ entries: [ManagedFieldsEntry], in object: inout JSONValue) {
        let kept = entries.filter { !$0.fields.isEmpty }
        if kept.isEmpty {
            object[key: "metadata", "managedFields"] = nil
        } else {
            object[key: "metadata", "managedFields"] = .array(kept.map(\.json))
        }
    }

    /// An Update operation of `manager`: the fields it set or changed become its own (and no longer
    /// anyone else's); removed fields are no longer owned by anyone. `scope` trims the field sets
    /// to what the write may touch.
    public static func update(_ entries: [ManagedFieldsEntry], old: JSONValue?, new: JSONValue, typed: TypedFields,
                              type: String?, manager: String, apiVersion: String, subresource: String?, time: String,
                              scope: (FieldSet) -> FieldSet) -> [ManagedFieldsEntry] {
        let diff = typed.compare(old: old, new: new, type: type)
        let modified = scope(diff.modified)
        let removed = scope(diff.removed)
        if modified.isEmpty && removed.isEmpty { return entries }
        var out: [ManagedFieldsEntry] = []
        var found = false
        for var entry in entries {
            entry.fields = entry.fields.subtracting(removed)
            if entry.sameSlot(manager: manager, operation: ManagedFieldsEntry.update, apiVersion: apiVersion, subresource: subresource) {
                entry.fields = entry.fields.union(modified)
                entry.time = time
                found = true
            } else {
                entry.fields = entry.fields.subtracting(modified)
            }
            if !entry.fields.isEmpty { out.append(entry) }
        }
        if !found && !modified.isEmpty {
            out.append(ManagedFieldsEntry(manager: manager, operation: ManagedFieldsEntry.update, apiVersion: apiVersion,
                                          time: time, subresource: subresource, fields: modified))
        }
        return out
    }

    /// The result of an apply: the new object and its entries, or the conflicts.
    public enum ApplyOutcome: Sendable {
        case applied(object: JSONValue, entries: [ManagedFieldsEntry])
        case conflicts([ApplyConflict])
    }

    /// A server-side apply of `applied` by `manager` over `live` (nil when the object does not exist).
    /// Fields the manager applied before and no longer sends are removed unless another manager owns
    /// them; fields it sets that another manager owns with a different value conflict unless `force`,
    /// which takes them over.
    public static func apply(_ entries: [ManagedFieldsEntry], live: JSONValue?, applied: JSONValue, typed: TypedFields,
                             type: String?, manager: String, apiVersion: String, subresource: String?, time: String,
                             force: Bool, scope: (FieldSet) -> FieldSet) -> ApplyOutcome {
        var merged = typed.merge(live: live, applied: applied, type: type)
        let appliedFields = scope(typed.fields(of: applied, type: type, resolvingKeysIn: merged))
        let mineIndex = entries.firstIndex {
            $0.sameSlot(manager: manager, operation: ManagedFieldsEntry.apply, apiVersion: apiVersion, subresource: subresource)
        }
        let previous = mineIndex.map { entries[$0].fields } ?? .empty
        var others = FieldSet()
        for (i, entry) in entries.enumerated() where i != mineIndex { others = others.union(entry.fields) }

        let dropped = previous.subtracting(appliedFields).subtracting(others)
        if !dropped.isEmpty {
            merged = typed.remove(dropped, from: merged, keep: others.union(appliedFields))
        }
        let diff = typed.compare(old: live, new: merged, type: type)
        let changed = scope(diff.modified.union(diff.removed))

        var conflicts: [ApplyConflict] = []
        var out: [ManagedFieldsEntry] = []
        for (i, var entry) in entries.enumerated() where i != mineIndex {
            if entry.manager != manager {
                let clash = entry.fields.intersection(changed).intersection(appliedFields)
                if !clash.isEmpty {
                    if force {
                        entry.fields = entry.fields.subtracting(clash)
                    } else {
                        conflicts += clash.paths.map { ApplyConflict(manager: entry.conflictName, path: $0, owner: entry.manager) }
                    }
                }
            }
            entry.fields = entry.fields.subtracting(scope(diff.removed))
            if !entry.fields.isEmpty { out.append(entry) }
        }
        if !conflicts.isEmpty { return .conflicts(conflicts) }
        let mine = ManagedFieldsEntry(manager: manager, operation: ManagedFieldsEntry.apply, apiVersion: apiVersion,
                                      time: time, subresource: subresource, fields: appliedFields)
        if !appliedFields.isEmpty {
            // Apply entries first, as Kubernetes lists them.
            let firstUpdate = out.firstIndex { $0.operation != ManagedFieldsEntry.apply } ?? out.count
            out.insert(mine, at: min(mineIndex ?? firstUpdate, firstUpdate))
        }
        return .applied(object: merged, entries: out)
    }

    /// The 409 Conflict Kubernetes answers for apply conflicts.
    public static func conflictError(_ conflicts: [ApplyConflict]) -> StatusError {
        let causes = conflicts.map {
            StatusError.Cause(reason: "FieldManagerConflict", message: "conflict with \($0.manager)", field: FieldSet.text(of: $0.path))
        }
        let message: String
        if conflicts.count == 1, let c = conflicts.first {
            message = "Apply failed with 1 conflict: conflict with \(c.manager): \(FieldSet.text(of: c.path))"
        } else {
            var byManager: [String: [String]] = [:]
            for c in conflicts { byManager[c.manager, default: []].append(FieldSet.text(of: c.path)) }
            var lines: [String] = []
            for m in byManager.keys.sorted() {
                lines.append("conflicts with \(m):")
                lines += (byManager[m] ?? []).map { "- " + $0 }
            }
            message = "Apply failed with \(conflicts.count) conflicts: " + lines.joined(separator: "\n")
        }
        return StatusError(code: 409, reason: "Conflict", message: message, details: .init(causes: causes))
    }
}
