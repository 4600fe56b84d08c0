import APIMachinery
import Client
import Testing

@Suite struct IndexerTests {
    func object(_ name: String, namespace: String = "default", node: String? = nil, rv: String = "1",
                labels: [String: JSONValue] = [:]) -> JSONValue {
        var o = pod(name, namespace: namespace, node: node, labels: labels)
        o[key: "metadata", "resourceVersion"] = .string(rv)
        return o
    }

    @Test func keysAndIndices() {
        let indexer = Indexer(indexers: [Indexer.namespaceIndex: Indexer.byNamespace, Indexer.nodeNameIndex: Indexer.byNodeName])
        indexer.upsert(object("a", node: "n1"))
        indexer.upsert(object("b", namespace: "other", node: "n1"))
        indexer.upsert(object("c"))
        #expect(Indexer.key(of: object("a")) == "default/a")
        #expect(Indexer.key(namespace: "", name: "node-1") == "node-1")
        #expect(Indexer.split("ns/x") == ("ns", "x"))
        #expect(Indexer.split("x") == ("", "x"))
        #expect(indexer.count == 3)
        #expect(Set(indexer.keys(index: Indexer.nodeNameIndex, value: "n1")) == ["default/a", "other/b"])
        #expect(indexer.byIndex(Indexer.namespaceIndex, "default").map(\.name).sorted() == ["a", "c"])

        // Moving a to n2 moves it between buckets; removing b empties n1.
        let old = indexer.upsert(object("a", node: "n2", rv: "2"))
        #expect(old?.resourceVersion == "1")
        #expect(indexer.byIndex(Indexer.nodeNameIndex, "n1").map(\.name) == ["b"])
        #expect(indexer.byIndex(Indexer.nodeNameIndex, "n2").map(\.name) == ["a"])
        #expect(indexer.remove(key: "other/b")?.name == "b")
        #expect(indexer.byIndex(Indexer.nodeNameIndex, "n1").isEmpty)
        #expect(indexer.indexValues(Indexer.nodeNameIndex) == ["n2"])
        #expect(indexer.remove(key: "other/b") == nil)
    }

    @Test func addedIndexerCoversExistingObjects() {
        let indexer = Indexer()
        indexer.upsert(object("a", labels: ["app": "x"]))
        indexer.upsert(object("b", labels: ["app": "y"]))
        indexer.addIndexers(["app": { [$0.labels["app"] ?? ""] }])
        #expect(indexer.byIndex("app", "x").map(\.name) == ["a"])
    }

    @Test func replaceAnswersTheDifferences() {
        let indexer = Indexer()
        indexer.upsert(object("same"))
        indexer.upsert(object("changed"))
        indexer.upsert(object("gone"))
        let difference = indexer.replace(with: [object("same"), object("changed", rv: "5"), object("new")])
        #expect(difference.added.map(\.name) == ["new"])
        #expect(difference.updated.map { "\($0.old.resourceVersion)->\($0.new.resourceVersion)" } == ["1->5"])
        #expect(difference.deleted.map(\.name) == ["gone"])
        #expect(indexer.keys().sorted() == ["default/changed", "default/new", "default/same"])
        #expect(indexer.byIndex(Indexer.namespaceIndex, "default").count == 3)
    }

    @Test func listerFiltersByNamespaceAndSelector() throws {
        let indexer = Indexer()
        indexer.upsert(object("a", labels: ["tier": "web"]))
        indexer.upsert(object("b", labels: ["tier": "db"]))
        indexer.upsert(object("c", namespace: "other", labels: ["tier": "web"]))
        let lister = Lister(indexer: indexer)
        #expect(lister.list().count == 3)
        #expect(lister.list(namespace: "default").map(\.name).sorted() == ["a", "b"])
        let web = try LabelSelector.parse("tier=web")
        #expect(lister.list(selector: web).map(\.name).sorted() == ["a", "c"])
        #expect(lister.list(namespace: "other", selector: web).map(\.name) == ["c"])
        #expect(lister.get(namespace: "other", name: "c")?.name == "c")
        #expect(lister.get(namespace: "default", name: "c") == nil)

        // Without a namespace index, the lister filters.
        let bare = Indexer(indexers: [:])
        bare.upsert(object("x", namespace: "n1"))
        bare.upsert(object("y", namespace: "n2"))
        #expect(Lister(indexer: bare).list(namespace: "n2").map(\.name) == ["y"])
    }
}
