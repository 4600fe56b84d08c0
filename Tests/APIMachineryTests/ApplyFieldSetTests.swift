import Testing
@testable import APIMachinery

/// A schema with a list map (containers by name, ports by containerPort and protocol), a set list
/// (finalizers), an atomic list (args) and an atomic map (selector).
let applySchema = StaticPatchSchema([
    "Deployment": ["metadata": .init(childType: "ObjectMeta"), "spec": .init(childType: "DeploymentSpec")],
    "ObjectMeta": ["finalizers": .init(isList: true, strategies: ["merge"]), "labels": .init()],
    "DeploymentSpec": [
        "selector": .init(childType: "LabelSelector", mapType: "atomic"),
        "template": .init(childType: "PodTemplateSpec"),
    ],
    "PodTemplateSpec": ["spec": .init(childType: "PodSpec")],
    "PodSpec": ["containers": .init(childType: "Container", isList: true, strategies: ["merge"], mergeKey: "name")],
    "Container": [
        "args": .init(isList: true),
        "ports": .init(childType: "ContainerPort", isList: true, strategies: ["merge"], mergeKey: "containerPort",
                       listType: "map", mapKeys: ["containerPort", "protocol"]),
    ],
])

@Suite struct ApplyFieldSetTests {
    let typed = TypedFields(schema: applySchema)

    func json(_ s: String) throws -> JSONValue { try JSONValue.parse(s) }

    func paths(_ set: FieldSet) -> [String] { set.paths.map(FieldSet.text(of:)) }

    @Test func fieldsV1RoundTrip() throws {
        let text = #"{"f:data":{".":{},"f:a":{}},"f:spec":{"f:containers":{"k:{\"name\":\"c\"}":{".":{},"f:image":{}}},"f:finalizers":{"v:\"x\"":{}},"f:list":{"i:0":{}}}}"#
        let set = try FieldSet(fieldsV1: try json(text))
        #expect(paths(set) == [".data", ".data.a", #".spec.containers[name="c"]"#, #".spec.containers[name="c"].image"#,
                               #".spec.finalizers[="x"]"#, ".spec.list[0]"])
        #expect(set.fieldsV1 == (try json(text)))
        #expect(set.fieldsV1.serializedString() == (try json(text)).serializedString())
    }

    @Test func invalidFieldsV1IsRejected() throws {
        #expect(throws: StatusError.self) { try FieldSet(fieldsV1: try json(#"{"x:a":{}}"#)) }
        #expect(throws: StatusError.self) { try FieldSet(fieldsV1: try json(#"{"k:notjson":{}}"#)) }
        #expect(throws: StatusError.self) { try FieldSet(fieldsV1: .array([])) }
    }

    @Test func setOperations() {
        var a = FieldSet()
        a.insert([.field("data"), .field("a")])
        a.insert([.field("data"), .field("b")])
        var b = FieldSet()
        b.insert([.field("data"), .field("b")])
        b.insert([.field("data"), .field("c")])
        #expect(paths(a.union(b)) == [".data.a", ".data.b", ".data.c"])
        #expect(paths(a.subtracting(b)) == [".data.a"])
        #expect(paths(a.intersection(b)) == [".data.b"])
        #expect(a.subtracting(a).isEmpty)
        #expect(a.contains([.field("data"), .field("a")]))
        #expect(!a.contains([.field("data")]))
    }

    @Test func fieldsOfAValueFollowTheSchema() throws {
        let value = try json(#"""
        {"metadata":{"labels":{"app":"x"},"finalizers":["f1"]},
         "spec":{"selector":{"matchLabels":{"app":"x"}},
                 "template":{"spec":{"containers":[{"name":"c","image":"i","args":["a","b"],
                                                    "ports":[{"containerPort":80,"protocol":"TCP"}]}]}}}}
        """#)
        #expect(paths(typed.fields(of: value, type: "Deployment")) == [
            #".metadata.finalizers[="f1"]"#, ".metadata.labels.app", ".spec.selector",
            #".spec.template.spec.containers[name="c"]"#, #".spec.template.spec.containers[name="c"].args"#,
            #".spec.template.spec.containers[name="c"].image"#, #".spec.template.spec.containers[name="c"].name"#,
            #".spec.template.spec.containers[name="c"].ports[containerPort=80,protocol="TCP"]"#,
            #".spec.template.spec.containers[name="c"].ports[containerPort=80,protocol="TCP"].containerPort"#,
            #".spec.template.spec.containers[name="c"].ports[containerPort=80,protocol="TCP"].protocol"#,
        ])
        // Untyped: objects granular, lists atomic; empty maps are leaves.
        #expect(paths(typed.fields(of: try json(#"{"a":{"b":[1],"c":{}}}"#), type: nil)) == [".a.b", ".a.c"])
    }

    @Test func mergeByKeySetAndAtomic() throws {
        let live = try json(#"{"metadata":{"finalizers":["a"]},"spec":{"selector":{"matchLabels":{"x":"1"}},"template":{"spec":{"containers":[{"name":"a","image":"1","args":["x"]},{"name":"b","image":"1"}]}}}}"#)
        let applied = try json(#"{"metadata":{"finalizers":["b"]},"spec":{"selector":{"matchExpressions":[]},"template":{"spec":{"containers":[{"name":"b","image":"2","args":["y"]},{"name":"c","image":"3"}]}}}}"#)
        let merged = typed.merge(live: live, applied: applied, type: "Deployment")
        #expect(merged == (try json(#"{"metadata":{"finalizers":["a","b"]},"spec":{"selector":{"matchExpressions":[]},"template":{"spec":{"containers":[{"name":"a","image":"1","args":["x"]},{"name":"b","image":"2","args":["y"]},{"name":"c","image":"3"}]}}}}"#)))
    }

    @Test func compareReportsModifiedAndRemoved() throws {
        let old = try json(#"{"data":{"a":"1","b":"2"},"spec":{"template":{"spec":{"containers":[{"name":"a","image":"1"},{"name":"b"}]}}}}"#)
        let new = try json(#"{"data":{"a":"1","c":"3"},"spec":{"template":{"spec":{"containers":[{"name":"a","image":"2"}]}}}}"#)
        let diff = typed.compare(old: old, new: new, type: "Deployment")
        #expect(paths(diff.modified) == [".data.c", #".spec.template.spec.containers[name="a"].image"#])
        #expect(paths(diff.removed) == [".data.b", #".spec.template.spec.containers[name="b"]"#,
                                        #".spec.template.spec.containers[name="b"].name"#])
    }

    @Test func removeKeepsFieldsOthersOwn() throws {
        let value = try json(#"{"data":{"a":"1","b":"2"},"labels":{"x":"1"},"spec":{"template":{"spec":{"containers":[{"name":"a","image":"1","env":"e"},{"name":"b"}]}}}}"#)
        var remove = FieldSet()
        remove.insert([.field("data"), .field("a")])
        remove.insert([.field("labels"), .field("x")])
        let a: [PathElement] = [.field("spec"), .field("template"), .field("spec"), .field("containers"), .key(["name": "a"])]
        let b: [PathElement] = [.field("spec"), .field("template"), .field("spec"), .field("containers"), .key(["name": "b"])]
        remove.insert(a)
        remove.insert(a + [.field("image")])
        remove.insert(b)
        var keep = FieldSet()
        keep.insert(a + [.field("env")])
        let result = typed.remove(remove, from: value, keep: keep)
        // labels emptied → gone; container a stays for env; container b goes.
        #expect(result == (try json(#"{"data":{"b":"2"},"spec":{"template":{"spec":{"containers":[{"name":"a","env":"e"}]}}}}"#)))
    }

    func entry(_ manager: String, _ op: String, _ fields: String) throws -> ManagedFieldsEntry {
        ManagedFieldsEntry(manager: manager, operation: op, apiVersion: "v1", time: "t", fields: try FieldSet(fieldsV1: try json(fields)))
    }

    @Test func updateTakesChangedFieldsFromOthers() throws {
        let entries = [try entry("a", "Update", #"{"f:data":{"f:x":{},"f:y":{}}}"#)]
        let out = ManagedFields.update(entries, old: try json(#"{"data":{"x":"1","y":"1"}}"#), new: try json(#"{"data":{"x":"2","z":"1"}}"#),
                                       typed: typed, type: nil, manager: "b", apiVersion: "v1", subresource: nil, time: "t2",
                                       scope: { $0 })
        #expect(out.map(\.manager) == ["b"])
        #expect(paths(out[0].fields) == [".data.x", ".data.z"])
        #expect(out[0].operation == "Update")
        #expect(out[0].time == "t2")
        // No change: no new entry.
        let same = ManagedFields.update(entries, old: try json(#"{"data":{"x":"1"}}"#), new: try json(#"{"data":{"x":"1"}}"#),
                                        typed: typed, type: nil, manager: "b", apiVersion: "v1", subresource: nil, time: "t2", scope: { $0 })
        #expect(same == entries)
    }

    func apply(_ entries: [ManagedFieldsEntry], live: String?, applied: String, manager: String = "m",
               force: Bool = false) throws -> ManagedFields.ApplyOutcome {
        ManagedFields.apply(entries, live: try live.map(json), applied: try json(applied), typed: typed, type: nil,
                            manager: manager, apiVersion: "v1", subresource: nil, time: "t", force: force, scope: { $0 })
    }

    @Test func reapplyRemovesFieldsNoLongerSent() throws {
        guard case .applied(let first, let entries) = try apply([], live: nil, applied: #"{"data":{"a":"1","b":"2"}}"#) else {
            Issue.record("conflict"); return
        }
        #expect(first == (try json(#"{"data":{"a":"1","b":"2"}}"#)))
        #expect(entries.count == 1 && entries[0].operation == "Apply")
        guard case .applied(let second, let entries2) = try apply(entries, live: #"{"data":{"a":"1","b":"2","c":"3"}}"#,
                                                                 applied: #"{"data":{"a":"1"}}"#) else {
            Issue.record("conflict"); return
        }
        // b was the applier's and goes; c was never its and stays.
        #expect(second == (try json(#"{"data":{"a":"1","c":"3"}}"#)))
        #expect(paths(entries2[0].fields) == [".data.a"])
    }

    @Test func sharedFieldsStayWhenOneApplierDropsThem() throws {
        let entries = [try entry("m", "Apply", #"{"f:data":{"f:a":{}}}"#), try entry("o", "Apply", #"{"f:data":{"f:a":{}}}"#)]
        guard case .applied(let object, let out) = try apply(entries, live: #"{"data":{"a":"1"}}"#, applied: #"{"data":{"b":"1"}}"#) else {
            Issue.record("conflict"); return
        }
        #expect(object == (try json(#"{"data":{"a":"1","b":"1"}}"#)))
        #expect(out.map(\.manager) == ["m", "o"])
    }

    @Test func conflictsAndForce() throws {
        let entries = [try entry("other", "Update", #"{"f:data":{"f:key":{},"f:keep":{}}}"#)]
        let live = #"{"data":{"key":"1","keep":"1"}}"#
        // Same value: shared, no conflict.
        guard case .applied(_, let shared) = try apply(entries, live: live, applied: #"{"data":{"key":"1"}}"#) else {
            Issue.record("unexpected conflict"); return
        }
        #expect(shared.count == 2)
        guard case .conflicts(let conflicts) = try apply(entries, live: live, applied: #"{"data":{"key":"2"}}"#) else {
            Issue.record("expected a conflict"); return
        }
        #expect(conflicts == [ApplyConflict(manager: #""other" using v1"#, path: [.field("data"), .field("key")], owner: "other")])
        let error = ManagedFields.conflictError(conflicts)
        #expect(error.code == 409)
        #expect(error.reason == "Conflict")
        #expect(error.message == #"Apply failed with 1 conflict: conflict with "other" using v1: .data.key"#)
        #expect(error.details?.causes == [.init(reason: "FieldManagerConflict", message: #"conflict with "other" using v1"#, field: ".data.key")])
        guard case .applied(let object, let forced) = try apply(entries, live: live, applied: #"{"data":{"key":"2"}}"#, force: true) else {
            Issue.record("force must not conflict"); return
        }
        #expect(object == (try json(#"{"data":{"key":"2","keep":"1"}}"#)))
        #expect(forced.map(\.manager) == ["m", "other"])
        #expect(paths(forced[0].fields) == [".data.key"])
        #expect(paths(forced[1].fields) == [".data.keep"])
    }

    @Test func severalConflictsAreGroupedByManager() {
        let error = ManagedFields.conflictError([
            ApplyConflict(manager: #""b""#, path: [.field("x")]),
            ApplyConflict(manager: #""a" using v1"#, path: [.field("y")]),
            ApplyConflict(manager: #""a" using v1"#, path: [.field("z")]),
        ])
        #expect(error.message == "Apply failed with 3 conflicts: conflicts with \"a\" using v1:\n- .y\n- .z\nconflicts with \"b\":\n- .x")
    }

    @Test func entryJSONRoundTrip() throws {
        let e = try entry("m", "Update", #"{"f:data":{".":{},"f:a":{}}}"#)
        var withSub = e
        withSub.subresource = "status"
        for x in [e, withSub] {
            #expect(try ManagedFieldsEntry(json: x.json) == x)
        }
        #expect(e.json["fieldsType"] == "FieldsV1")
        #expect(withSub.conflictName == #""m" with subresource "status" using v1"#)
    }
}

@Suite struct ApplyKeyResolutionTests {
    @Test func partialListMapKeysTakeTheLiveItemsKey() throws {
        let typed = TypedFields(schema: applySchema)
        let live = try JSONValue.parse(#"{"spec":{"template":{"spec":{"containers":[{"name":"c","ports":[{"containerPort":80,"protocol":"TCP"}]}]}}}}"#)
        let applied = try JSONValue.parse(#"{"spec":{"template":{"spec":{"containers":[{"name":"c","ports":[{"containerPort":80,"name":"http"}]}]}}}}"#)
        let merged = typed.merge(live: live, applied: applied, type: "Deployment")
        #expect(merged["spec"]?["template"]?["spec"]?["containers"] == [["name": "c", "ports": [["containerPort": 80, "protocol": "TCP", "name": "http"]]]])
        let resolved = typed.fields(of: applied, type: "Deployment", resolvingKeysIn: merged).paths.map(FieldSet.text(of:))
        #expect(resolved.contains(#".spec.template.spec.containers[name="c"].ports[containerPort=80,protocol="TCP"].name"#))
        // Without a live object the key's declared default fills the missing protocol.
        let defaulted = typed.fields(of: applied, type: "Deployment").paths.map(FieldSet.text(of:))
        #expect(defaulted.contains(#".spec.template.spec.containers[name="c"].ports[containerPort=80,protocol="TCP"].name"#))
    }
}

@Suite struct ApplyListConflictTests {
    let typed = TypedFields(schema: applySchema)

    func deployment(_ containers: String) throws -> JSONValue {
        try JSONValue.parse(#"{"spec":{"template":{"spec":{"containers":"# + containers + "}}}}")
    }

    func apply(_ entries: [ManagedFieldsEntry], live: JSONValue?, applied: JSONValue, manager: String,
               force: Bool = false) -> ManagedFields.ApplyOutcome {
        ManagedFields.apply(entries, live: live, applied: applied, typed: typed, type: "Deployment", manager: manager,
                            apiVersion: "apps/v1", subresource: nil, time: "t", force: force, scope: { $0 })
    }

    @Test func listItemsConflictFieldByField() throws {
        guard case .applied(let live, let entries) = apply([], live: nil, applied: try deployment(#"[{"name":"a","image":"1"}]"#), manager: "first") else {
            Issue.record("conflict"); return
        }
        // Another manager adds a container and an env var to a: no conflict, both are new fields.
        let second = try deployment(#"[{"name":"a","env":[{"name":"E","value":"v"}]},{"name":"b","image":"2"}]"#)
        guard case .applied(let live2, let entries2) = apply(entries, live: live, applied: second, manager: "second") else {
            Issue.record("conflict"); return
        }
        #expect(live2 == (try deployment(#"[{"name":"a","image":"1","env":[{"name":"E","value":"v"}]},{"name":"b","image":"2"}]"#)))
        // Changing a's image conflicts with the first manager, at the item's field.
        guard case .conflicts(let conflicts) = apply(entries2, live: live2, applied: try deployment(#"[{"name":"a","image":"9"}]"#), manager: "second") else {
            Issue.record("expected a conflict"); return
        }
        #expect(conflicts.map { FieldSet.text(of: $0.path) } == [#".spec.template.spec.containers[name="a"].image"#])
        #expect(conflicts.first?.manager == #""first""#)
        // The first manager dropping container a keeps it: the second still owns its env.
        guard case .applied(let live3, _) = apply(entries2, live: live2, applied: try deployment("[]"), manager: "first") else {
            Issue.record("conflict"); return
        }
        #expect(live3 == (try deployment(#"[{"name":"a","env":[{"name":"E","value":"v"}]},{"name":"b","image":"2"}]"#)))
    }
}
