import APIMachinery
import Foundation
import Kubelet
import Testing

@Suite struct VolumeFilesTests {
    static let pod: JSONValue = [
        "metadata": ["name": "web", "namespace": "shop", "uid": "u-9", "labels": ["app": "web", "tier": "front\"end"],
                     "annotations": ["note": "line1\nline2"]],
        "spec": ["containers": [["name": "app", "resources": ["limits": ["memory": "128Mi"]]]]],
    ]
    let sources = VolumeFiles(
        configMap: { ns, name in ns == "shop" && name == "cfg" ? ["data": ["a.conf": "A", "b.conf": "B"]] : nil },
        secret: { ns, name in ns == "shop" && name == "creds" ? ["data": ["token": .string(Data("t0k".utf8).base64EncodedString())]] : nil },
        nodeAllocatable: ["memory": Quantity("1Gi")!])

    func text(_ files: [String: VolumeFiles.File]?, _ path: String) -> String? {
        files?[path].map { String(decoding: $0.data, as: UTF8.self) }
    }

    @Test func configMapSecretAndItems() throws {
        let all = try sources.files(of: ["name": "v", "configMap": ["name": "cfg"]], pod: Self.pod)
        #expect(all?.keys.sorted() == ["a.conf", "b.conf"])
        #expect(all?["a.conf"]?.mode == 0o644)
        let items = try sources.files(of: ["name": "v", "configMap": ["name": "cfg", "defaultMode": 0o600,
                                                                       "items": [["key": "b.conf", "path": "conf/b"], ["key": "a.conf", "path": "a", "mode": 0o400]]]],
                                      pod: Self.pod)
        #expect(text(items, "conf/b") == "B" && items?["conf/b"]?.mode == 0o600 && items?["a"]?.mode == 0o400 && items?.count == 2)
        let secret = try sources.files(of: ["name": "s", "secret": ["secretName": "creds"]], pod: Self.pod)
        #expect(text(secret, "token") == "t0k")
        #expect(try sources.files(of: ["name": "e", "emptyDir": [:]], pod: Self.pod) == nil)
        #expect(try sources.files(of: ["name": "o", "configMap": ["name": "gone", "optional": true]], pod: Self.pod) == [:])
        #expect(throws: VolumeFiles.SourceError(message: "configmap \"gone\" not found")) {
            try sources.files(of: ["name": "o", "configMap": ["name": "gone"]], pod: Self.pod)
        }
        #expect(throws: VolumeFiles.SourceError(message: "secret \"gone\" not found")) {
            try sources.files(of: ["name": "o", "secret": ["secretName": "gone"]], pod: Self.pod)
        }
        #expect(throws: VolumeFiles.SourceError(message: "configmap references non-existent config key: z")) {
            try sources.files(of: ["name": "o", "configMap": ["name": "cfg", "items": [["key": "z", "path": "z"]]]], pod: Self.pod)
        }
    }

    @Test func downwardAPIAndProjected() throws {
        let volume: JSONValue = ["name": "info", "downwardAPI": ["items": [
            ["path": "labels", "fieldRef": ["fieldPath": "metadata.labels"]],
            ["path": "annotations", "fieldRef": ["fieldPath": "metadata.annotations"]],
            ["path": "name", "fieldRef": ["fieldPath": "metadata.name"]],
            ["path": "mem", "resourceFieldRef": ["containerName": "app", "resource": "limits.memory", "divisor": "1Mi"]],
        ]]]
        let files = try sources.files(of: volume, pod: Self.pod)
        #expect(text(files, "labels") == "app=\"web\"\ntier=\"front\\\"end\"")
        #expect(text(files, "annotations") == "note=\"line1\\nline2\"")
        #expect(text(files, "name") == "web")
        #expect(text(files, "mem") == "128")
        let projected: JSONValue = ["name": "all", "projected": ["defaultMode": 0o440, "sources": [
            ["configMap": ["name": "cfg", "items": [["key": "a.conf", "path": "a.conf"]]]],
            ["secret": ["name": "creds"]],
            ["downwardAPI": ["items": [["path": "ns", "fieldRef": ["fieldPath": "metadata.namespace"]]]]],
        ]]]
        let merged = try sources.files(of: projected, pod: Self.pod)
        #expect(merged?.keys.sorted() == ["a.conf", "ns", "token"])
        #expect(merged?["token"]?.mode == 0o440 && text(merged, "ns") == "shop")
    }

    @Test func atomicWriterSwapsTheWholeSet() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("swiftlet-atomic-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let writer = AtomicWriter(directory: dir)
        #expect(try writer.write(["a.conf": .init(Array("one".utf8), mode: 0o644), "sub/b": .init(Array("two".utf8), mode: 0o600)]))
        #expect(try String(contentsOfFile: dir + "/a.conf", encoding: .utf8) == "one")
        #expect(try String(contentsOfFile: dir + "/sub/b", encoding: .utf8) == "two")
        let first = try FileManager.default.destinationOfSymbolicLink(atPath: dir + "/..data")
        #expect(first.hasPrefix("..20"))
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: dir + "/a.conf") == "..data/a.conf")
        #expect((try FileManager.default.attributesOfItem(atPath: dir + "/sub/b")[.posixPermissions] as? Int) == 0o600)
        // The same content again: nothing changes.
        #expect(try !writer.write(["a.conf": .init(Array("one".utf8), mode: 0o644), "sub/b": .init(Array("two".utf8), mode: 0o600)]))
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: dir + "/..data") == first)
        // An update: new content, a removed name, an added one; the old directory goes.
        #expect(try writer.write(["a.conf": .init(Array("uno".utf8), mode: 0o644), "c": .init(Array("tres".utf8), mode: 0o644)]))
        #expect(try String(contentsOfFile: dir + "/a.conf", encoding: .utf8) == "uno")
        #expect(try String(contentsOfFile: dir + "/c", encoding: .utf8) == "tres")
        #expect(!FileManager.default.fileExists(atPath: dir + "/sub"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/" + first))
        let entries = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        #expect(entries.filter { $0.hasPrefix("..20") }.count == 1)
        #expect(entries.contains("..data") && !entries.contains("..data_tmp"))
        #expect(throws: (any Error).self) { try writer.write(["../escape": .init([], mode: 0o644)]) }
        #expect(throws: (any Error).self) { try writer.write(["/abs": .init([], mode: 0o644)]) }
    }
}
