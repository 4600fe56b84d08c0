import APIMachinery
import Registry
import Storage
import Logging
import Testing

/// A registry over in-memory storage with the built-in kinds and the default namespaces.
func makeRegistry() async throws -> Registry {
    let registry = Registry(storage: MemoryStorage(), definitions: Registry.builtInDefinitions(), schema: BuiltInSchema())
    try await registry.bootstrap()
    return registry
}

func configMaps(_ r: Registry) throws -> GenericStore {
    try #require(r.store(group: "", version: "v1", resource: "configmaps"))
}

@Suite struct GenericStoreTests {
    @Test func createSetsServerFields() async throws {
        let store = try configMaps(try await makeRegistry())
        let result = try await store.create(namespace: "default", object: ["metadata": ["name": "a"], "data": ["k": "v"]], options: WriteOptions())
        #expect(result.created)
        #expect(result.object.uid.count == 36)
        #expect(result.object.creationTimestamp?.hasSuffix("Z") == true)
        #expect(Int(result.object.resourceVersion) ?? 0 > 0)
        #expect(result.object.kind == "ConfigMap")
        #expect(result.object.apiVersion == "v1")
        #expect(result.object.namespace == "default")
        let read = try await store.get(namespace: "default", name: "a")
        #expect(read == result.object)
    }

    @Test func createIntoMissingNamespaceIsNotFound() async throws {
        let store = try configMaps(try await makeRegistry())
        let error = await #expect(throws: StatusError.self) {
            _ = try await store.create(namespace: "nope", object: ["metadata": ["name": "a"]], options: WriteOptions())
        }
        #expect(error?.code == 404)
        #expect(error?.message == "namespaces \"nope\" not found")
    }

    @Test func duplicateCreateIsAlreadyExists() async throws {
        let store = try configMaps(try await makeRegistry())
        _ = try await store.create(namespace: "default", object: ["metadata": ["name": "a"]], options: WriteOptions())
        let error = await #expect(throws: StatusError.self) {
            _ = try await store.create(namespace: "default", object: ["metadata": ["name": "a"]], options: WriteOptions())
        }
        #expect(error?.code == 409)
        #expect(error?.reason == "AlreadyExists")
    }

    @Test func generateNameAddsFiveCharacters() async throws {
        let store = try configMaps(try await makeRegistry())
        let result = try await store.create(namespace: "default", object: ["metadata": ["generateName": "gen-"]], options: WriteOptions())
        #expect(result.object.name.hasPrefix("gen-"))
        #expect(result.object.name.count == 9)
    }

    @Test func kindMismatchIsBadRequest() async throws {
        let store = try configMaps(try await makeRegistry())
        let error = await #expect(throws: StatusError.self) {
            _ = try await store.create(namespace: "default", object: ["kind": "Secret", "metadata": ["name": "a"]], options: WriteOptions())
        }
        #expect(error?.code == 400)
    }

    @Test func staleResourceVersionIsConflict() async throws {
        let store = try configMaps(try await makeRegistry())
        let created = try await store.create(namespace: "default", object: ["metadata": ["name": "a"]], options: WriteOptions())
        var changed = created.object
        changed["data"] = ["x": "1"]
        let updated = try await store.update(namespace: "default", name: "a", object: changed, options: WriteOptions())
        #expect(Int(updated.object.resourceVersion)! > Int(created.object.resourceVersion)!)
        changed["data"] = ["x": "2"]
        let error = await #expect(throws: StatusError.self) {
            _ = try await store.update(namespace: "default", name: "a", object: changed, options: WriteOptions())
        }
        #expect(error?.code == 409)
        #expect(error?.reason == "Conflict")
        #expect(try await store.get(namespace: "default", name: "a")["data"] == ["x": "1"])
    }

    @Test func unchangedUpdateKeepsResourceVersion() async throws {
        let store = try configMaps(try await makeRegistry())
        let created = try await store.create(namespace: "default", object: ["metadata": ["name": "a"], "data": ["x": "1"]], options: WriteOptions())
        let updated = try await store.update(namespace: "default", name: "a", object: created.object, options: WriteOptions())
        #expect(updated.object.resourceVersion == created.object.resourceVersion)
    }

    @Test func dryRunStoresNothing() async throws {
        let store = try configMaps(try await makeRegistry())
        var options = WriteOptions()
        options.dryRun = true
        _ = try await store.create(namespace: "default", object: ["metadata": ["name": "dry"]], options: options)
        await #expect(throws: StatusError.self) { _ = try await store.get(namespace: "default", name: "dry") }
    }

    @Test func finalizersHoldADeletedObject() async throws {
        let store = try configMaps(try await makeRegistry())
        _ = try await store.create(namespace: "default", object: ["metadata": ["name": "f", "finalizers": ["example.com/f"]]], options: WriteOptions())
        let deleted = try await store.delete(namespace: "default", name: "f", options: DeleteOptions())
        guard case .pending(let pending) = deleted else {
            Issue.record("expected the object to stay")
            return
        }
        #expect(pending.deletionTimestamp != nil)
        var released = try await store.get(namespace: "default", name: "f")
        released.finalizers = []
        _ = try await store.update(namespace: "default", name: "f", object: released, options: WriteOptions())
        let error = await #expect(throws: StatusError.self) { _ = try await store.get(namespace: "default", name: "f") }
        #expect(error?.code == 404)
    }

    @Test func pagingCoversEveryItemOnce() async throws {
        let store = try configMaps(try await makeRegistry())
        for i in 0..<25 {
            _ = try await store.create(namespace: "default", object: ["metadata": ["name": .string("cm-\(i)")]], options: WriteOptions())
        }
        var names: [String] = []
        var options = ListOptions()
        options.limit = 10
        var pages = 0
        repeat {
            let page = try await store.list(namespace: "default", options: options)
            names += page.items.map(\.name)
            options.continueToken = page.continueToken
            pages += 1
        } while options.continueToken != nil && pages < 10
        #expect(pages == 3)
        #expect(names.count == 25)
        #expect(Set(names).count == 25)
    }

    @Test func labelSelectorFiltersLists() async throws {
        let store = try configMaps(try await makeRegistry())
        _ = try await store.create(namespace: "default", object: ["metadata": ["name": "a", "labels": ["app": "x"]]], options: WriteOptions())
        _ = try await store.create(namespace: "default", object: ["metadata": ["name": "b", "labels": ["app": "y"]]], options: WriteOptions())
        _ = try await store.create(namespace: "default", object: ["metadata": ["name": "c"]], options: WriteOptions())
        var options = ListOptions()
        options.labelSelector = try LabelSelector.parse("app in (x,y)")
        #expect(try await store.list(namespace: "default", options: options).items.map(\.name) == ["a", "b"])
        options.labelSelector = try LabelSelector.parse("!app")
        #expect(try await store.list(namespace: "default", options: options).items.map(\.name) == ["c"])
        options.labelSelector = nil
        options.fieldSelector = try FieldSelector.parse("metadata.name=b")
        #expect(try await store.list(namespace: "default", options: options).items.map(\.name) == ["b"])
    }

    @Test func watchFromResourceVersionDeliversLaterChanges() async throws {
        let store = try configMaps(try await makeRegistry())
        let first = try await store.create(namespace: "default", object: ["metadata": ["name": "a"]], options: WriteOptions())
        var options = ListOptions()
        options.resourceVersion = first.object.resourceVersion
        let events = try await store.watch(namespace: "default", options: options)
        _ = try await store.create(namespace: "default", object: ["metadata": ["name": "b"]], options: WriteOptions())
        _ = try await store.delete(namespace: "default", name: "a", options: DeleteOptions())
        var seen: [String] = []
        for await event in events.events {
            seen.append("\(event.type.rawValue) \(event.object.name)")
            if seen.count == 2 { break }
        }
        #expect(seen == ["ADDED b", "DELETED a"])
    }

    @Test func invalidNameIsInvalidWithCause() async throws {
        let store = try configMaps(try await makeRegistry())
        let error = await #expect(throws: StatusError.self) {
            _ = try await store.create(namespace: "default", object: ["metadata": ["name": "Bad_Name"]], options: WriteOptions())
        }
        #expect(error?.code == 422)
        #expect(error?.details?.causes.first?.field == "metadata.name")
    }
}

@Suite struct NamespaceTests {
    @Test func initialNamespacesExist() async throws {
        let registry = try await makeRegistry()
        let names = try await registry.namespaces!.list(namespace: nil, options: ListOptions()).items.map(\.name)
        #expect(Set(names) == Set(Registry.initialNamespaces))
    }

    @Test func deletingANamespaceEmptiesItThenRemovesIt() async throws {
        let registry = try await makeRegistry()
        let namespaces = try #require(registry.namespaces)
        _ = try await namespaces.create(namespace: "", object: ["metadata": ["name": "doomed"]], options: WriteOptions())
        let store = try configMaps(registry)
        _ = try await store.create(namespace: "doomed", object: ["metadata": ["name": "a"]], options: WriteOptions())
        let deleted = try await namespaces.delete(namespace: "", name: "doomed", options: DeleteOptions())
        guard case .pending(let ns) = deleted else {
            Issue.record("a namespace is finalized before it goes")
            return
        }
        #expect(ns["status"]?["phase"] == "Terminating")
        let error = await #expect(throws: StatusError.self) {
            _ = try await store.create(namespace: "doomed", object: ["metadata": ["name": "b"]], options: WriteOptions())
        }
        #expect(error?.code == 403)
        await NamespaceLifecycle(registry: registry, logger: .init(label: "test")).finalize("doomed")
        #expect(try await store.list(namespace: "doomed", options: ListOptions()).items.isEmpty)
        await #expect(throws: StatusError.self) { _ = try await namespaces.get(namespace: "", name: "doomed") }
    }
}

@Suite struct ListWireFormTests {
    /// The spliced list items (no parse of stored values) equal the parsed objects without kind/apiVersion.
    @Test func splicedItemsMatchDecodedObjects() async throws {
        let store = try configMaps(try await makeRegistry())
        _ = try await store.create(namespace: "default", object: ["metadata": ["name": "a", "labels": ["x": "1"]], "data": ["k": "v"]], options: WriteOptions())
        _ = try await store.create(namespace: "default", object: ["metadata": ["name": "b"]], options: WriteOptions())
        let raw = try await store.listJSON(namespace: "default", options: ListOptions())
        let parsed = try await store.list(namespace: "default", options: ListOptions())
        #expect(raw.resourceVersion == parsed.resourceVersion)
        let fromRaw = try raw.items.map { try JSONValue.parse($0) }
        let expected = parsed.items.map { item -> JSONValue in
            var item = item
            item["apiVersion"] = nil
            item["kind"] = nil
            return item
        }
        #expect(fromRaw == expected)
        #expect(fromRaw.first?.resourceVersion.isEmpty == false)
    }
}

@Suite struct ProtectedNamespaceTests {
    @Test(arguments: ["default", "kube-system", "kube-public"])
    func systemNamespacesCanNotBeDeleted(name: String) async throws {
        let namespaces = try #require(try await makeRegistry().namespaces)
        let error = await #expect(throws: StatusError.self) {
            _ = try await namespaces.delete(namespace: "", name: name, options: DeleteOptions())
        }
        #expect(error?.code == 403)
        #expect(try await namespaces.get(namespace: "", name: name).deletionTimestamp == nil)
    }
}

@Suite struct ExpiredResourceVersionTests {
    @Test func watchAndListFromACompactedRevisionAreExpired() async throws {
        let storage = MemoryStorage()
        let registry = Registry(storage: storage, definitions: Registry.builtInDefinitions(), schema: BuiltInSchema())
        try await registry.bootstrap()
        let store = try configMaps(registry)
        let first = try await store.create(namespace: "default", object: ["metadata": ["name": "a"]], options: WriteOptions())
        for i in 0..<5 {
            _ = try await store.create(namespace: "default", object: ["metadata": ["name": .string("b\(i)")]], options: WriteOptions())
        }
        try await storage.compact(revision: try await storage.currentRevision())

        var options = ListOptions()
        options.resourceVersion = first.object.resourceVersion
        let watch = try await store.watch(namespace: "default", options: options)
        var events: [APIWatchEvent] = []
        for await event in watch.events { events.append(event) }
        #expect(events.count == 1)
        #expect(events.first?.type == .error)
        #expect(events.first?.object["code"] == 410)
        #expect(events.first?.object["reason"] == "Expired")
        #expect(events.first?.object["kind"] == "Status")

        options.resourceVersionMatch = "Exact"
        let error = await #expect(throws: StatusError.self) { _ = try await store.list(namespace: "default", options: options) }
        #expect(error?.code == 410)
    }
}

@Suite struct ReviewFollowUpTests {
    @Test func selectiveWatchFromARevisionReportsObjectsThatStopMatching() async throws {
        let store = try configMaps(try await makeRegistry())
        _ = try await store.create(namespace: "default", object: ["metadata": ["name": "a", "labels": ["app": "web"]]], options: WriteOptions())
        _ = try await store.create(namespace: "default", object: ["metadata": ["name": "b"]], options: WriteOptions())
        var options = ListOptions()
        options.labelSelector = try LabelSelector.parse("app=web")
        options.resourceVersion = try await store.list(namespace: "default", options: ListOptions()).resourceVersion.description
        let watch = try await store.watch(namespace: "default", options: options)
        _ = try await store.patch(namespace: "default", name: "a", type: .merge, body: ["metadata": ["labels": ["app": nil]]], options: WriteOptions())
        _ = try await store.patch(namespace: "default", name: "b", type: .merge, body: ["metadata": ["labels": ["app": "web"]]], options: WriteOptions())
        var seen: [String] = []
        for await event in watch.events {
            seen.append("\(event.type.rawValue) \(event.object.name)")
            if seen.count == 2 { break }
        }
        #expect(seen == ["DELETED a", "ADDED b"])
    }

    @Test func watchFromAFutureRevisionIsRefused() async throws {
        let store = try configMaps(try await makeRegistry())
        var options = ListOptions()
        options.resourceVersion = "999999"
        let error = await #expect(throws: StatusError.self) { _ = try await store.watch(namespace: "default", options: options) }
        #expect(error?.code == 504)
    }

    @Test func noNewFinalizersWhileDeleting() async throws {
        let store = try configMaps(try await makeRegistry())
        _ = try await store.create(namespace: "default", object: ["metadata": ["name": "f", "finalizers": ["example.com/a"]]], options: WriteOptions())
        _ = try await store.delete(namespace: "default", name: "f", options: DeleteOptions())
        let error = await #expect(throws: StatusError.self) {
            _ = try await store.patch(namespace: "default", name: "f", type: .merge,
                                      body: ["metadata": ["finalizers": ["example.com/a", "example.com/b"]]], options: WriteOptions())
        }
        #expect(error?.code == 422)
        #expect(error?.details?.causes.first?.field == "metadata.finalizers")
    }

    @Test func namespaceHeldByAFinalizerIsTerminating() async throws {
        let namespaces = try #require(try await makeRegistry().namespaces)
        _ = try await namespaces.create(namespace: "", object: ["metadata": ["name": "held", "finalizers": ["example.com/x"]]], options: WriteOptions())
        _ = try await namespaces.delete(namespace: "", name: "held", options: DeleteOptions())
        #expect(try await namespaces.get(namespace: "", name: "held")["status"]?["phase"] == "Terminating")
    }

    @Test func jsonPatchCopyBombIsRejected() async throws {
        let store = try configMaps(try await makeRegistry())
        _ = try await store.create(namespace: "default", object: ["metadata": ["name": "bomb"]], options: WriteOptions())
        var ops: [JSONValue] = [["op": "add", "path": "/data", "value": ["x": ["a": "b"]]]]
        for _ in 0..<40 { ops.append(["op": "copy", "from": "/data/x", "path": "/data/x/b"]) }
        let error = await #expect(throws: StatusError.self) {
            _ = try await store.patch(namespace: "default", name: "bomb", type: .json, body: .array(ops), options: WriteOptions())
        }
        #expect(error?.code == 422)
        #expect(try await store.get(namespace: "default", name: "bomb")["data"] == nil)
    }

    @Test func patchWithoutAResourceVersionSurvivesAConcurrentWrite() async throws {
        let store = try configMaps(try await makeRegistry())
        _ = try await store.create(namespace: "default", object: ["metadata": ["name": "race"]], options: WriteOptions())
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<16 {
                group.addTask {
                    _ = try await store.patch(namespace: "default", name: "race", type: .merge,
                                              body: .object(["metadata": .object(["labels": .object(["k\(i)": "v"])])]), options: WriteOptions())
                }
            }
            try await group.waitForAll()
        }
        #expect(try await store.get(namespace: "default", name: "race").labels.count == 16)
    }
}
