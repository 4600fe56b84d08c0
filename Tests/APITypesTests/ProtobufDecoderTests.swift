import APIMachinery
import Testing
@testable import APITypes

@Suite struct ProtobufFixtureTests {
    private func decode(_ bytes: [UInt8]) throws -> JSONValue {
        try ProtobufDecoder.decodeEnvelope(bytes).object
    }

    private func json(_ s: String) throws -> JSONValue { try JSONValue.parse(s) }

    @Test func configMap() throws {
        let r = try ProtobufDecoder.decodeEnvelope(ProtoFixtures.configMap)
        #expect(r.apiVersion == "v1")
        #expect(r.kind == "ConfigMap")
        #expect(r.object == (try json(#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c1"},"data":{"a":"1","b":"2"}}"#)))
    }

    @Test func secretDataIsBase64() throws {
        #expect(try decode(ProtoFixtures.secret)
            == (try json(#"{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s1"},"data":{"p":"eA=="}}"#)))
    }

    @Test func namespaceAndServiceAccount() throws {
        #expect(try decode(ProtoFixtures.namespace) == (try json(#"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"ns1"}}"#)))
        #expect(try decode(ProtoFixtures.serviceAccount)
            == (try json(#"{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"sa1"}}"#)))
    }

    @Test func deploymentHasNoJunkZeroFields() throws {
        let d = try decode(ProtoFixtures.deployment)
        #expect(d["spec"]?["replicas"] == 2)
        let container = d[path: ["spec", "template", "spec", "containers"]]?.arrayValue?.first
        #expect(container == (try json(#"{"name":"nginx","image":"nginx","ports":[{"containerPort":80}]}"#)))
        #expect(d[path: ["spec", "template", "metadata"]] == (try json(#"{"labels":{"app":"d1"}}"#)))
        #expect(d["status"] == nil)
        #expect(d["spec"]?["strategy"] == nil)
        #expect(!d.description.contains("creationTimestamp"))
        #expect(!d.description.contains("hostPort"))
        #expect(!d.description.contains("stdin"))
        #expect(d == (try json("""
            {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"labels":{"app":"d1"},"name":"d1"},
             "spec":{"replicas":2,"selector":{"matchLabels":{"app":"d1"}},
              "template":{"metadata":{"labels":{"app":"d1"}},
               "spec":{"containers":[{"image":"nginx","name":"nginx","ports":[{"containerPort":80}]}]}}}}
            """)))
    }

    @Test func serviceWithIntTargetPort() throws {
        #expect(try decode(ProtoFixtures.service) == (try json("""
            {"apiVersion":"v1","kind":"Service","metadata":{"labels":{"app":"s1"},"name":"s1"},
             "spec":{"ports":[{"name":"80-8080","port":80,"protocol":"TCP","targetPort":8080}],
                     "selector":{"app":"s1"},"type":"ClusterIP"}}
            """)))
    }

    @Test func jobAndCronJob() throws {
        #expect(try decode(ProtoFixtures.job) == (try json("""
            {"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"j1"},
             "spec":{"template":{"spec":{"containers":[{"image":"busybox","name":"j1"}],"restartPolicy":"Never"}}}}
            """)))
        #expect(try decode(ProtoFixtures.cronJob) == (try json("""
            {"apiVersion":"batch/v1","kind":"CronJob","metadata":{"name":"cj1"},
             "spec":{"schedule":"*/1 * * * *","jobTemplate":{"metadata":{"name":"cj1"},
              "spec":{"template":{"spec":{"containers":[{"image":"busybox","name":"cj1"}],"restartPolicy":"OnFailure"}}}}}}
            """)))
    }
}

@Suite struct ProtobufMalformedInputTests {
    private func expectBadRequest(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            let r = try ProtobufDecoder.decodeEnvelope(bytes)
            Issue.record("decoded unexpectedly: \(r.object)", sourceLocation: sourceLocation)
        } catch {
            #expect(error.code == 400, sourceLocation: sourceLocation)
            #expect(error.reason == "BadRequest", sourceLocation: sourceLocation)
        }
    }

    @Test func badMagicEmptyAndMissingKind() {
        expectBadRequest([])
        expectBadRequest([0x6b, 0x38, 0x73])
        expectBadRequest(Array("{\"kind\":\"ConfigMap\"}".utf8))
        expectBadRequest([0x6b, 0x38, 0x73, 0x00])
        expectBadRequest(PB.envelope("v1", "", []))
    }

    @Test func unknownKindsAndGroups() {
        expectBadRequest(PB.envelope("v1", "Frobnicator", []))
        expectBadRequest(PB.envelope("example.com/v1", "Widget", []))
        expectBadRequest(PB.envelope("apps.example.com/v1", "Deployment", []))
        expectBadRequest(PB.envelope("apps/v1beta9", "Deployment", []))
    }

    @Test func truncatedVarintsAndLengths() {
        let meta = PB.bytes(1, PB.str(1, "x"))
        expectBadRequest(PB.envelope("v1", "ConfigMap", meta + [0x12]))            // key without value
        expectBadRequest(PB.envelope("v1", "ConfigMap", meta + [0x12, 0xff]))      // truncated length varint
        expectBadRequest(PB.envelope("v1", "ConfigMap", meta + [0x12, 0x7f, 0x01])) // length beyond buffer
        expectBadRequest(PB.envelope("v1", "ConfigMap", [0x0a, 0x0b] + PB.str(1, "x")))
        expectBadRequest(PB.envelope("apps/v1", "Deployment",
                                     PB.bytes(2, [0x08] + Array(repeating: 0xff, count: 11) + [0x01])))
        expectBadRequest(PB.envelope("v1", "ConfigMap", [0x00, 0x00]))             // field number 0
        expectBadRequest(PB.envelope("v1", "ConfigMap", [0x0b]))                   // group wire type
        expectBadRequest(PB.envelope("v1", "ConfigMap", PB.int(1, 5)))             // message as varint
        let bigLength = [0x6b, 0x38, 0x73, 0x00, 0x12] + PB.varint(UInt64.max >> 1)
        expectBadRequest(bigLength)
    }

    @Test func nestingDepthIsLimited() {
        var body = PB.envelope("v1", "ConfigMap", PB.bytes(1, PB.str(1, "inner")))
        for _ in 0..<200 {
            body = PB.envelope("meta.k8s.io/v1", "WatchEvent", PB.str(1, "ADDED") + PB.bytes(2, PB.bytes(1, body)))
        }
        expectBadRequest(body)
    }

    @Test func randomMutationsNeverCrash() {
        var rng = SplitMix64(state: 0x5eed)
        let fixtures = ProtoFixtures.all.map(\.1)
        var thrown = 0
        for i in 0..<600 {
            var body = fixtures[i % fixtures.count]
            switch rng.next() % 4 {
            case 0:
                body = Array(body.prefix(Int(rng.next() % UInt64(body.count))))
            case 1:
                for _ in 0..<(1 + rng.next() % 4) {
                    let at = Int(rng.next() % UInt64(body.count))
                    body[at] ^= UInt8(truncatingIfNeeded: 1 + rng.next() % 255)
                }
            case 2:
                let at = 4 + Int(rng.next() % UInt64(body.count - 4))
                body.insert(contentsOf: (0..<(1 + rng.next() % 8)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }, at: at)
            default:
                body = ProtobufDecoder.magic + (0..<(rng.next() % 64)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            }
            do {
                _ = try ProtobufDecoder.decodeEnvelope(body)
            } catch {
                #expect(error.code == 400)
                thrown += 1
            }
        }
        #expect(thrown > 300)
    }

    @Test func everyStrictTruncationOfTheDeploymentFailsOrDecodes() {
        let body = ProtoFixtures.deployment
        for n in 0..<body.count {
            do { _ = try ProtobufDecoder.decodeEnvelope(Array(body.prefix(n))) } catch { #expect(error.code == 400) }
        }
        // Cutting inside the raw object is always an error: its length prefix runs past the end.
        // (The body ends with the 4 bytes of empty contentEncoding/contentType, which may go.)
        for n in 30..<(body.count - 4) {
            #expect(throws: StatusError.self) { try ProtobufDecoder.decodeEnvelope(Array(body.prefix(n))) }
        }
    }
}

@Suite struct ProtobufAuthFixtureTests {
    private func decode(_ bytes: [UInt8]) throws -> JSONValue { try ProtobufDecoder.decodeEnvelope(bytes).object }
    private func json(_ s: String) throws -> JSONValue { try JSONValue.parse(s) }

    @Test func roleAndRoleBinding() throws {
        #expect(try decode(ProtoFixtures.role) == (try json("""
            {"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role","metadata":{"name":"r1"},
             "rules":[{"apiGroups":[""],"resources":["pods"],"verbs":["get","list"]}]}
            """)))
        #expect(try decode(ProtoFixtures.roleBinding) == (try json("""
            {"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"rb1"},
             "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"r1"},
             "subjects":[{"apiGroup":"rbac.authorization.k8s.io","kind":"User","name":"alice"}]}
            """)))
    }

    @Test func canIAndToken() throws {
        // `allowed` has no omitempty in Go, so `status: {allowed: false}` is what the JSON client sends too.
        #expect(try decode(ProtoFixtures.selfSubjectAccessReview) == (try json("""
            {"apiVersion":"authorization.k8s.io/v1","kind":"SelfSubjectAccessReview","metadata":{},
             "spec":{"resourceAttributes":{"namespace":"default","resource":"pods","verb":"get"}},"status":{"allowed":false}}
            """)))
        #expect(try decode(ProtoFixtures.tokenRequest) == (try json("""
            {"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest","metadata":{},"spec":{"expirationSeconds":3600}}
            """)))
    }
}
