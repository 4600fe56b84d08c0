import APIMachinery
import Client
import ClientLoopback
import Storage
import Testing

@Suite struct InformerTests {
    @Test func deliversAddUpdateDeleteAndFillsTheCache() async throws {
        let (client, _) = try await makeClient()
        _ = try await client.create(.configMaps, namespace: "default", object: configMap("before"))
        let informer = SharedInformer(client: client, resource: .configMaps, namespace: "default")
        let recorder = Recorder()
        informer.addHandler(recorder.handler)
        #expect(!informer.hasSynced)
        let run = Task { await informer.run() }
        defer { run.cancel() }
        #expect(await informer.waitForSync())
        #expect(recorder.entries == ["add:before"])
        #expect(informer.lister.get(namespace: "default", name: "before") != nil)

        _ = try await client.create(.configMaps, namespace: "default", object: configMap("x"))
        _ = try await client.patch(.configMaps, namespace: "default", name: "x", format: .merge, body: ["data": ["k": "v"]])
        _ = try await client.delete(.configMaps, namespace: "default", name: "before")
        _ = try await client.create(.configMaps, namespace: "kube-system", object: configMap("not-mine", namespace: "kube-system"))
        try await eventually("three events") { recorder.entries.count >= 4 }
        #expect(recorder.entries == ["add:before", "add:x", "update:x", "delete:before"])
        #expect(informer.lister.list().map(\.name) == ["x"])
        #expect(informer.lister.get(namespace: "default", name: "x")?["data"]?["k"] == "v")
        #expect(informer.listCount == 1)
    }

    @Test func relistsAfterExpiredAndDeliversTheDifferences() async throws {
        let (loopback, storage) = try await makeClient()
        let client = SeverableClient(base: loopback)
        for name in ["keep", "change", "remove"] {
            _ = try await client.create(.configMaps, namespace: "default", object: configMap(name))
        }
        let informer = SharedInformer(client: client, resource: .configMaps)
        let recorder = Recorder()
        informer.addHandler(recorder.handler)
        let run = Task { await informer.run() }
        defer { run.cancel() }
        #expect(await informer.waitForSync())
        try await eventually("watching") { informer.watchCount == 1 }
        #expect(Set(recorder.entries) == ["add:keep", "add:change", "add:remove"])
        recorder.reset()

        // The connection drops; meanwhile objects change and history is compacted.
        client.sever(holdingNewWatches: true)
        _ = try await client.patch(.configMaps, namespace: "default", name: "change", format: .merge, body: ["data": ["k": "v"]])
        _ = try await client.delete(.configMaps, namespace: "default", name: "remove")
        _ = try await client.create(.configMaps, namespace: "default", object: configMap("new"))
        try await storage.compact(revision: try await storage.currentRevision())
        client.release()

        try await eventually("relist") { informer.listCount == 2 && recorder.entries.count >= 3 }
        #expect(Set(recorder.entries) == ["update:change", "delete:remove", "add:new"])
        #expect(informer.lister.list().map(\.name).sorted() == ["change", "keep", "new"])

        // Watching goes on from the relist.
        _ = try await client.delete(.configMaps, namespace: "default", name: "keep")
        try await eventually("delete after relist") { recorder.entries.contains("delete:keep") }
        #expect(informer.listCount == 2)
    }

    @Test func resumesADroppedWatchWithoutRelisting() async throws {
        let (loopback, _) = try await makeClient()
        let client = SeverableClient(base: loopback)
        let informer = SharedInformer(client: client, resource: .configMaps)
        let recorder = Recorder()
        informer.addHandler(recorder.handler)
        let run = Task { await informer.run() }
        defer { run.cancel() }
        #expect(await informer.waitForSync())
        try await eventually("watching") { informer.watchCount == 1 }
        client.sever(holdingNewWatches: true)
        _ = try await client.create(.configMaps, namespace: "default", object: configMap("during"))
        client.release()
        try await eventually("event after re-watch") { recorder.entries == ["add:during"] }
        #expect(informer.listCount == 1)
        #expect(informer.watchCount == 2)
    }

    @Test func resyncRedeliversCachedObjects() async throws {
        let (client, _) = try await makeClient()
        _ = try await client.create(.configMaps, namespace: "default", object: configMap("r"))
        let informer = SharedInformer(client: client, resource: .configMaps, namespace: "default", resyncPeriod: .milliseconds(30))
        let recorder = Recorder()
        informer.addHandler(recorder.handler)
        let run = Task { await informer.run() }
        defer { run.cancel() }
        try await eventually("two resyncs") { recorder.entries.filter { $0 == "resync:r" }.count >= 2 }
        #expect(recorder.entries.first == "add:r")
    }

    @Test func selectorsAndCustomIndexers() async throws {
        let (client, _) = try await makeClient()
        _ = try await client.create(.pods, namespace: "default", object: pod("a", node: "n1", labels: ["app": "web"]))
        _ = try await client.create(.pods, namespace: "default", object: pod("b", node: "n2", labels: ["app": "web"]))
        _ = try await client.create(.pods, namespace: "default", object: pod("c", labels: ["app": "db"]))
        let informer = SharedInformer(client: client, resource: .pods, labelSelector: "app=web",
                                      indexers: [Indexer.namespaceIndex: Indexer.byNamespace, Indexer.nodeNameIndex: Indexer.byNodeName])
        let run = Task { await informer.run() }
        defer { run.cancel() }
        #expect(await informer.waitForSync())
        #expect(informer.indexer.byIndex(Indexer.nodeNameIndex, "n1").map(\.name) == ["a"])
        try await client.bind(namespace: "default", pod: "c", node: "n3")  // not selected
        _ = try await client.create(.pods, namespace: "default", object: pod("d", labels: ["app": "web"]))
        try await client.bind(namespace: "default", pod: "d", node: "n1")
        try await eventually("d on n1") { informer.indexer.byIndex(Indexer.nodeNameIndex, "n1").count == 2 }
        #expect(informer.indexer.byIndex(Indexer.nodeNameIndex, "n1").map(\.name).sorted() == ["a", "d"])
        #expect(informer.indexer.byIndex(Indexer.nodeNameIndex, "n3").isEmpty)
    }
}

@Suite struct InformerFactoryTests {
    @Test func informersAreSharedAndLateHandlersLearnTheCache() async throws {
        let (client, _) = try await makeClient()
        _ = try await client.create(.configMaps, namespace: "default", object: configMap("early"))
        let factory = SharedInformerFactory(client: client)
        let first = factory.informer(for: .configMaps)
        let again = factory.informer(for: .configMaps, indexers: ["name": { [$0.name] }])
        #expect(first === again)
        #expect(first.indexer.hasIndex("name"))
        let early = Recorder()
        first.addHandler(early.handler)
        factory.start()
        #expect(await factory.waitForCacheSync())
        #expect(early.entries == ["add:early"])

        // A component starting later shares the running informer and is told what is cached.
        let late = Recorder()
        again.addHandler(late.handler)
        try await eventually("replay") { late.entries == ["add:early"] }
        _ = try await client.create(.configMaps, namespace: "default", object: configMap("next"))
        try await eventually("both see next") { early.entries.contains("add:next") && late.entries.contains("add:next") }
        #expect(early.entries == ["add:early", "add:next"])
        #expect(first.indexer.byIndex("name", "next").count == 1)

        // An informer asked for after start runs at once.
        let nodes = factory.informer(for: .nodes)
        #expect(await nodes.waitForSync())
        #expect(first.listCount == 1)
        await factory.shutDown()
    }
}
