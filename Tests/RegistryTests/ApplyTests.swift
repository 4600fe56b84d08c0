import APIMachinery
import Foundation
import Registry
import Storage
import Testing

/// Server-side apply and managedFields through the store, and strategic merge patches over the
/// built-in schema (Deployments and Pods: containers by name, env by name, ports by containerPort).
@Suite struct ApplyTests {
    func options(_ manager: String?, force: Bool = false) -> WriteOptions {
        var o = WriteOptions()
        o.fieldManager = manager
        o.force = force
        return o
    }

    func managers(_ object: JSONValue) -> [String] {
        (object["metadata"]?["managedFields"]?.arrayValue ?? []).map {
            "\($0["manager"]?.stringValue ?? ""):\($0["operation"]?.stringValue ?? "")"
        }
    }

    func fields(_ object: JSONValue, _ manager: String) -> JSONValue? {
        object["metadata"]?["managedFields"]?.arrayValue?.first { $0["manager"]?.stringValue == manager }?["fieldsV1"]
    }

    @Test func writesRecordUpdateEntries() async throws {
        let store = try configMaps(try await makeRegistry())
        let created = try await store.create(namespace: "default", object: ["metadata": ["name": "a", "labels": ["x": "1"]], "data": ["k": "v"]],
                                             options: options("kubectl-create"))
        #expect(managers(created.object) == ["kubectl-create:Update"])
        #expect(fields(created.object, "kubectl-create") == ["f:data": [".": [:], "f:k": [:]], "f:metadata": ["f:labels": [".": [:], "f:x": [:]]]])
        let entry = try #require(created.object["metadata"]?["managedFields"]?.arrayValue?.first)
        #expect(entry["apiVersion"] == "v1")
        #expect(entry["fieldsType"] == "FieldsV1")
        #expect(entry["time"]?.stringValue?.hasSuffix("Z") == true)
        #expect(entry["subresource"] == nil)

        let patched = try await store.patch(namespace: "default", name: "a", type: .merge, body: ["data": ["k": "w", "j": "1"]],
                                            options: options("kubectl-edit"))
        #expect(managers(patched.object) == ["kubectl-create:Update", "kubectl-edit:Update"])
        #expect(fields(patched.object, "kubectl-create") == ["f:data": [:], "f:metadata": ["f:labels": [".": [:], "f:x": [:]]]])
        #expect(fields(patched.object, "kubectl-edit") == ["f:data": ["f:j": [:], "f:k": [:]]])
        // Without a manager nothing is recorded; a no-op write changes nothing.
        let same = try await store.update(namespace: "default", name: "a", object: patched.object, options: options("other"))
        #expect(same.object.resourceVersion == patched.object.resourceVersion)
        let plain = try await store.create(namespace: "default", object: ["metadata": ["name": "b"]], options: WriteOptions())
        #expect(plain.object["metadata"]?["managedFields"] == nil)
    }

    @Test func listsServeManagedFields() async throws {
        let store = try configMaps(try await makeRegistry())
        _ = try await store.create(namespace: "default", object: ["metadata": ["name": "a"], "data": ["k": "v"]], options: options("m"))
        let list = try await store.list(namespace: "default", options: ListOptions())
        #expect(managers(try #require(list.items.first)) == ["m:Update"])
        let raw = try await store.listJSON(namespace: "default", options: ListOptions())
        let item = try JSONValue.parse(try #require(raw.items.first))
        #expect(managers(item) == ["m:Update"])
    }

    @Test func applyRequiresAFieldManager() async throws {
        let store = try configMaps(try await makeRegistry())
        let error = await #expect(throws: StatusError.self) {
            _ = try await store.patch(namespace: "default", name: "a", type: .apply, body: ["metadata": ["name": "a"]], options: WriteOptions())
        }
        #expect(error?.code == 422)
        #expect(error?.message == #"PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch"#)
    }

    @Test func applyCreatesThenRemovesWhatItNoLongerSends() async throws {
        let store = try configMaps(try await makeRegistry())
        let first = try await store.patch(namespace: "default", name: "cm", type: .apply, body: [
            "apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "cm", "labels": ["a": "1", "b": "2"]], "data": ["x": "1", "y": "2"],
        ], options: options("mgr"))
        #expect(first.created)
        #expect(first.object.uid.count == 36)
        #expect(managers(first.object) == ["mgr:Apply"])
        #expect(fields(first.object, "mgr") == ["f:data": ["f:x": [:], "f:y": [:]], "f:metadata": ["f:labels": ["f:a": [:], "f:b": [:]]]])
        // Someone else adds a key; the applier drops y and label b.
        _ = try await store.patch(namespace: "default", name: "cm", type: .merge, body: ["data": ["z": "3"]], options: options("editor"))
        let second = try await store.patch(namespace: "default", name: "cm", type: .apply, body: [
            "apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "cm", "labels": ["a": "1"]], "data": ["x": "1"],
        ], options: options("mgr"))
        #expect(!second.created)
        #expect(second.object["data"] == ["x": "1", "z": "3"])
        #expect(second.object.labels == ["a": "1"])
        #expect(managers(second.object) == ["mgr:Apply", "editor:Update"])
        // Re-applying the same thing changes nothing.
        let third = try await store.patch(namespace: "default", name: "cm", type: .apply, body: [
            "apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "cm", "labels": ["a": "1"]], "data": ["x": "1"],
        ], options: options("mgr"))
        #expect(third.object["data"] == second.object["data"])
        #expect(managers(third.object) == managers(second.object))
        #expect(third.object.resourceVersion == second.object.resourceVersion)
    }

    @Test func applyConflictsWithAnotherManagerUnlessForced() async throws {
        let store = try configMaps(try await makeRegistry())
        _ = try await store.create(namespace: "default", object: ["metadata": ["name": "cm"], "data": ["key": "1"]],
                                   options: options("kubectl-client-side-apply"))
        let body: JSONValue = ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "cm"], "data": ["key": "2"]]
        let error = await #expect(throws: StatusError.self) {
            _ = try await store.patch(namespace: "default", name: "cm", type: .apply, body: body, options: options("other"))
        }
        #expect(error?.code == 409)
        #expect(error?.reason == "Conflict")
        #expect(error?.message == #"Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using v1: .data.key"#)
        #expect(error?.details?.causes.first?.reason == "FieldManagerConflict")
        #expect(error?.details?.causes.first?.field == ".data.key")
        #expect(try await store.get(namespace: "default", name: "cm")["data"] == ["key": "1"])

        let forced = try await store.patch(namespace: "default", name: "cm", type: .apply, body: body, options: options("other", force: true))
        #expect(forced.object["data"] == ["key": "2"])
        // The creator keeps the data map itself, as in Kubernetes.
        #expect(managers(forced.object) == ["other:Apply", "kubectl-client-side-apply:Update"])
        #expect(fields(forced.object, "kubectl-client-side-apply") == ["f:data": [:]])
        #expect(fields(forced.object, "other") == ["f:data": ["f:key": [:]]])
    }

    @Test func serverSideApplyTakesOverClientSideApplyFields() async throws {
        let store = try configMaps(try await makeRegistry())
        let lastApplied = #"{"apiVersion":"v1","data":{"key":"1"},"kind":"ConfigMap","metadata":{"name":"cm","namespace":"default"}}"#
        _ = try await store.create(namespace: "default", object: [
            "metadata": ["name": "cm", "annotations": ["kubectl.kubernetes.io/last-applied-configuration": .string(lastApplied)]],
            "data": ["key": "1", "other": "x"],
        ], options: options("kubectl-client-side-apply"))
        let body: JSONValue = ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "cm"], "data": ["key": "2"]]
        let applied = try await store.patch(namespace: "default", name: "cm", type: .apply, body: body, options: options("kubectl"))
        #expect(applied.object["data"] == ["key": "2", "other": "x"])
        let annotation = try #require(applied.object.annotations["kubectl.kubernetes.io/last-applied-configuration"])
        #expect(try JSONValue.parse(annotation)["data"] == ["key": "2"])
        // A field the annotation does not name still conflicts.
        let error = await #expect(throws: StatusError.self) {
            _ = try await store.patch(namespace: "default", name: "cm", type: .apply,
                                      body: ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "cm"], "data": ["other": "y"]],
                                      options: options("third"))
        }
        #expect(error?.code == 409)
    }

    @Test func noOpApplyDoesNotWriteForATimestamp() async throws {
        // A clock that moves a minute per reading: every entry time differs.
        let ticks = Ticks()
        let registry = Registry(storage: MemoryStorage(), definitions: Registry.builtInDefinitions(), schema: BuiltInSchema(),
                                clock: { ticks.next() })
        try await registry.bootstrap()
        let store = try configMaps(registry)
        let body: JSONValue = ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "cm"], "data": ["a": "1"]]
        let first = try await store.patch(namespace: "default", name: "cm", type: .apply, body: body, options: options("m"))
        let second = try await store.patch(namespace: "default", name: "cm", type: .apply, body: body, options: options("m"))
        #expect(second.object.resourceVersion == first.object.resourceVersion)
        #expect(second.object["metadata"]?["managedFields"] == first.object["metadata"]?["managedFields"])
        let changed = try await store.patch(namespace: "default", name: "cm", type: .apply,
                                            body: ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "cm"], "data": ["a": "2"]],
                                            options: options("m"))
        #expect(changed.object.resourceVersion != first.object.resourceVersion)
        #expect(changed.object["metadata"]?["managedFields"] != first.object["metadata"]?["managedFields"])
    }

    @Test func statusWritesRecordTheSubresource() async throws {
        let registry = try await makeRegistry()
        let namespaces = try #require(registry.namespaces)
        let created = try await namespaces.create(namespace: "", object: ["metadata": ["name": "n1", "labels": ["a": "1"]]],
                                                  options: options("creator"))
        // The namespace's status is the server's, not the creator's; defaults are the creator's.
        #expect(fields(created.object, "creator") == [
            "f:metadata": ["f:labels": [".": [:], "f:a": [:], "f:kubernetes.io/metadata.name": [:]]], "f:spec": ["f:finalizers": [:]],
        ])
        var object = created.object
        object["status"] = ["phase": "Active", "conditions": [["type": "X", "status": "True"]]]
        let updated = try await namespaces.update(namespace: "", name: "n1", object: object, target: .status, options: options("statuser"))
        let entry = try #require(updated.object["metadata"]?["managedFields"]?.arrayValue?.first { $0["manager"] == "statuser" })
        #expect(entry["subresource"] == "status")
        #expect(entry["fieldsV1"]?["f:status"]?["f:conditions"] != nil)
        #expect(entry["fieldsV1"]?["f:metadata"] == nil)
    }

    @Test func appliedConfigurationsMustFitTheSchema() async throws {
        let store = try configMaps(try await makeRegistry())
        for validation in [WriteOptions.FieldValidation.ignore, .warn, .strict] {
            var o = options("m")
            o.fieldValidation = validation
            let error = await #expect(throws: StatusError.self) {
                _ = try await store.patch(namespace: "default", name: "cm", type: .apply,
                                          body: ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "cm"], "spec": ["x": 1]], options: o)
            }
            #expect(error?.code == 400)
            #expect(error?.message == "failed to create typed patch object (default/cm; /v1, Kind=ConfigMap): .spec: field not declared in schema")
        }
    }

    @Test func dryRunApplyStoresNothing() async throws {
        let store = try configMaps(try await makeRegistry())
        var o = options("m")
        o.dryRun = true
        let result = try await store.patch(namespace: "default", name: "dry", type: .apply,
                                           body: ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "dry"]], options: o)
        #expect(result.object.name == "dry")
        await #expect(throws: StatusError.self) { _ = try await store.get(namespace: "default", name: "dry") }
    }

    @Test func managedFieldsCanBeReset() async throws {
        let store = try configMaps(try await makeRegistry())
        _ = try await store.create(namespace: "default", object: ["metadata": ["name": "a"], "data": ["k": "v"]], options: options("m"))
        let reset = try await store.patch(namespace: "default", name: "a", type: .merge,
                                          body: ["metadata": ["managedFields": [[:]]]], options: options("m"))
        #expect(reset.object["metadata"]?["managedFields"] == nil)
    }

    // MARK: Strategic merge patch over the built-in schema

    func builtInSMP(_ apiVersion: String, _ kind: String, _ original: String, _ patch: String) throws -> JSONValue {
        let (schema, type) = try #require(BuiltInSchema().patchSchema(apiVersion: apiVersion, kind: kind))
        return try StrategicMergePatch.apply(try JSONValue.parse(patch), to: try JSONValue.parse(original), type: type, schema: schema)
    }

    @Test func deploymentContainersEnvAndPortsMergeByKey() throws {
        let original = #"""
        {"spec":{"template":{"spec":{"containers":[
          {"name":"a","image":"a:1","env":[{"name":"X","value":"1"},{"name":"Y","value":"2"}],"ports":[{"containerPort":80},{"containerPort":81}]},
          {"name":"b","image":"b:1"}]}}}}
        """#
        let patch = #"""
        {"spec":{"template":{"spec":{"containers":[
          {"name":"a","image":"a:2","env":[{"name":"Y","value":"3"}],"ports":[{"containerPort":81,"name":"http"}]}]}}}}
        """#
        let result = try builtInSMP("apps/v1", "Deployment", original, patch)
        let containers = try #require(result["spec"]?["template"]?["spec"]?["containers"]?.arrayValue)
        #expect(containers.count == 2)
        #expect(containers[0]["image"] == "a:2")
        #expect(containers[0]["env"] == [["name": "X", "value": "1"], ["name": "Y", "value": "3"]])
        #expect(containers[0]["ports"] == [["containerPort": 80], ["containerPort": 81, "name": "http"]])
        #expect(containers[1] == ["name": "b", "image": "b:1"])
    }

    @Test func podDirectivesOverTheBuiltInSchema() throws {
        let original = #"""
        {"metadata":{"finalizers":["a","b"]},"spec":{"containers":[{"name":"a","image":"1"},{"name":"b","image":"1"}],
         "volumes":[{"name":"v","hostPath":{"path":"/x"}}],"tolerations":[{"key":"k1"}]}}
        """#
        let patch = #"""
        {"metadata":{"$deleteFromPrimitiveList/finalizers":["a"],"finalizers":["c"]},
         "spec":{"containers":[{"name":"b","$patch":"delete"}],"$setElementOrder/containers":[{"name":"a"}],
                 "volumes":[{"name":"v","emptyDir":{},"$retainKeys":["emptyDir","name"]}],"tolerations":[{"key":"k2"}]}}
        """#
        let result = try builtInSMP("v1", "Pod", original, patch)
        #expect(result["metadata"]?["finalizers"] == ["c", "b"])
        #expect(result["spec"]?["containers"] == [["name": "a", "image": "1"]])
        #expect(result["spec"]?["volumes"] == [["name": "v", "emptyDir": [:]]])
        #expect(result["spec"]?["tolerations"] == [["key": "k2"]])
    }

    @Test func deploymentStrategyRetainKeys() throws {
        let original = #"{"spec":{"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":1}}}}"#
        let patch = #"{"spec":{"strategy":{"$retainKeys":["type"],"type":"Recreate"}}}"#
        let result = try builtInSMP("apps/v1", "Deployment", original, patch)
        #expect(result["spec"]?["strategy"] == ["type": "Recreate"])
    }

    @Test func applyMergesContainersByNameOnTheBuiltInSchema() throws {
        let (schema, type) = try #require(BuiltInSchema().patchSchema(apiVersion: "apps/v1", kind: "Deployment"))
        let typed = TypedFields(schema: schema)
        let live = try JSONValue.parse(#"{"spec":{"template":{"spec":{"containers":[{"name":"a","image":"1"},{"name":"b","image":"1"}]}}}}"#)
        let applied = try JSONValue.parse(#"{"spec":{"template":{"spec":{"containers":[{"name":"b","image":"2","env":[{"name":"E","value":"v"}]}]}}}}"#)
        let merged = typed.merge(live: live, applied: applied, type: type)
        #expect(merged["spec"]?["template"]?["spec"]?["containers"] == [
            ["name": "a", "image": "1"], ["name": "b", "image": "2", "env": [["name": "E", "value": "v"]]],
        ])
        let set = typed.fields(of: applied, type: type)
        #expect(set.paths.map(FieldSet.text(of:)).contains(#".spec.template.spec.containers[name="b"].env[name="E"].value"#))
    }
}

/// A thread-safe clock that advances a minute on every reading.
final class Ticks: @unchecked Sendable {
    private let lock = NSLock()
    private var now = 1_700_000_000.0
    func next() -> Double {
        lock.lock()
        defer { lock.unlock() }
        now += 60
        return now
    }
}
