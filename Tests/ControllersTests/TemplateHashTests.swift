import APIMachinery
import Testing
@testable import Controllers

@Suite struct TemplateHashTests {
    let template: JSONValue = ["metadata": ["labels": ["app": "web"]],
                               "spec": ["containers": [["name": "web", "image": "nginx:1.25"]]]]

    @Test func fnvTestVectors() {
        #expect(TemplateHash.fnv32a(Array("".utf8)) == 0x811c_9dc5)
        #expect(TemplateHash.fnv32a(Array("a".utf8)) == 0xe40c_292c)
        #expect(TemplateHash.fnv32a(Array("foobar".utf8)) == 0xbf9c_f968)
    }

    @Test func safeAlphabetEncodesDigits() {
        #expect(TemplateHash.safeEncode("0123456789") == "456789bcdf")
    }

    @Test func stableAndShortInTheSafeAlphabet() {
        let h = TemplateHash.hash(template)
        #expect(h == TemplateHash.hash(template))
        #expect(!h.isEmpty && h.count <= 10)
        #expect(h.allSatisfy { TemplateHash.safeAlphabet.contains($0) })
        // Pinned so that a change of algorithm (or a non-deterministic input) is noticed.
        #expect(h == "59bd5955b7")
        // Key order does not matter: objects are unordered.
        let reordered: JSONValue = ["spec": ["containers": [["image": "nginx:1.25", "name": "web"]]],
                                    "metadata": ["labels": ["app": "web"]]]
        #expect(TemplateHash.hash(reordered) == h)
    }

    @Test func changesWithTemplateAndCollisionCount() {
        var changed = template
        changed.set(path: ["spec", "containers"], to: [["name": "web", "image": "nginx:1.26"]])
        #expect(TemplateHash.hash(changed) != TemplateHash.hash(template))
        #expect(TemplateHash.hash(template, collisionCount: 1) != TemplateHash.hash(template))
        #expect(TemplateHash.hash(template, collisionCount: 1) != TemplateHash.hash(template, collisionCount: 2))
    }

    @Test func deploymentHashIgnoresItsOwnLabel() {
        var labelled = template
        labelled.set(path: ["metadata", "labels", "pod-template-hash"], to: "abc")
        let plain: JSONValue = ["spec": ["template": template]]
        let withLabel: JSONValue = ["spec": ["template": labelled]]
        #expect(TemplateHash.podTemplateHash(deployment: plain) == TemplateHash.podTemplateHash(deployment: withLabel))
        #expect(TemplateHash.podTemplateHash(deployment: plain) == TemplateHash.hash(template))
        let collided: JSONValue = ["spec": ["template": template], "status": ["collisionCount": 1]]
        #expect(TemplateHash.podTemplateHash(deployment: collided) == TemplateHash.hash(template, collisionCount: 1))
    }

    @Test func names() {
        #expect(TemplateHash.replicaSetName(deploymentName: "web", hash: "5d4f8c9b7") == "web-5d4f8c9b7")
        #expect(TemplateHash.controllerRevisionName(parent: "web", hash: "7b9c") == "web-7b9c")
        let long = String(repeating: "a", count: 250)
        #expect(TemplateHash.controllerRevisionName(parent: long, hash: "7b9c").count == 223 + 5)
    }
}
