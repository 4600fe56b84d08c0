import APIMachinery
import Testing
@testable import APITypes

@Suite struct ProtoWireFormatTests {
    private func decode(_ apiVersion: String, _ kind: String, _ raw: [UInt8]) throws -> JSONValue {
        try ProtobufDecoder.decodeEnvelope(PB.envelope(apiVersion, kind, raw)).object
    }

    @Test func packedAndUnpackedRepeatedScalars() throws {
        let packed = PB.bytes(1, PB.varint(80) + PB.varint(8080))
        let unpacked = PB.int(1, 80) + PB.int(1, 8080)
        for raw in [packed, unpacked, PB.int(1, 80) + PB.bytes(1, PB.varint(8080))] {
            let o = try decode("v1", "PodPortForwardOptions", raw)
            #expect(o["ports"] == [80, 8080])
        }
    }

    @Test func negativeInt32IsATenByteVarint() throws {
        let raw = PB.bytes(2, PB.int(1, -1))  // Deployment.spec.replicas = -1
        #expect(PB.int(1, -1).count == 11)
        let o = try decode("apps/v1", "Deployment", raw)
        #expect(o["spec"]?["replicas"] == -1)
        #expect(o["metadata"] == [:])
    }

    @Test func pointerZeroesAreKeptOthersDropped() throws {
        // DeploymentSpec{replicas: 0, minReadySeconds: 0, paused: false}
        let d = try decode("apps/v1", "Deployment", PB.bytes(2, PB.int(1, 0) + PB.int(5, 0) + PB.int(7, 0)))
        #expect(d["spec"] == ["replicas": 0])
        // ConfigMap{immutable: false}
        let c = try decode("v1", "ConfigMap", PB.int(4, 0))
        #expect(c["immutable"] == false)
    }

    @Test func emptyMapValuesAndEmptyDirAreKept() throws {
        let cm = try decode("v1", "ConfigMap", PB.bytes(2, PB.str(1, "empty") + PB.str(2, "")) + PB.bytes(2, PB.str(1, "nokey")))
        #expect(cm["data"] == ["empty": "", "nokey": ""])
        // Pod.spec.volumes[0] = {name: "scratch", volumeSource: {emptyDir: {}}} → inlined.
        let volume = PB.str(1, "scratch") + PB.bytes(2, PB.bytes(2, []))
        let pod = try decode("v1", "Pod", PB.bytes(2, PB.bytes(1, volume)))
        #expect(pod[path: ["spec", "volumes"]] == [["name": "scratch", "emptyDir": [:]]])
        // ConfigMapVolumeSource.localObjectReference.name is inlined as configMap.name.
        let cmVolume = PB.str(1, "cfg") + PB.bytes(2, PB.bytes(19, PB.bytes(1, PB.str(1, "c1"))))
        let pod2 = try decode("v1", "Pod", PB.bytes(2, PB.bytes(1, cmVolume)))
        #expect(pod2[path: ["spec", "volumes"]] == [["name": "cfg", "configMap": ["name": "c1"]]])
    }

    @Test func specialMessages() throws {
        // metadata.creationTimestamp {seconds}, deletionTimestamp {} (omitted)
        let meta = PB.str(1, "x") + PB.bytes(8, PB.int(1, 1_795_326_056)) + PB.bytes(9, [])
        let cm = try decode("v1", "ConfigMap", PB.bytes(1, meta))
        #expect(cm["metadata"] == ["name": "x", "creationTimestamp": "2026-11-22T05:40:56Z"])
        // Lease.spec.acquireTime MicroTime {seconds, nanos}
        let lease = try decode("coordination.k8s.io/v1", "Lease",
                               PB.bytes(2, PB.bytes(3, PB.int(1, 1_795_326_056) + PB.int(2, 123_456_789))))
        #expect(lease[path: ["spec", "acquireTime"]] == "2026-11-22T05:40:56.123456Z")
        // ServicePort.targetPort as a string, resources as quantities.
        let port = PB.int(3, 80) + PB.bytes(4, PB.int(1, 1) + PB.str(3, "http"))
        let svc = try decode("v1", "Service", PB.bytes(2, PB.bytes(1, port)))
        #expect(svc[path: ["spec", "ports"]] == [["port": 80, "targetPort": "http"]])
        let limits = PB.bytes(1, PB.str(1, "cpu") + PB.bytes(2, PB.str(1, "500m")))
        let container = PB.str(1, "c") + PB.bytes(8, limits)
        let pod = try decode("v1", "Pod", PB.bytes(2, PB.bytes(2, container)))
        #expect(pod[path: ["spec", "containers"]] == [["name": "c", "resources": ["limits": ["cpu": "500m"]]]])
        // WatchEvent.object RawExtension with JSON, and with a nested protobuf envelope.
        let ev = try decode("meta.k8s.io/v1", "WatchEvent", PB.str(1, "ADDED") + PB.bytes(2, PB.bytes(1, Array(#"{"a":[1]}"#.utf8))))
        #expect(ev["object"] == ["a": [1]])
        let nested = try decode("v1", "WatchEvent", PB.bytes(2, PB.bytes(1, ProtoFixtures.namespace)))
        #expect(nested["object"] == ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "ns1"]])
        // APIResource.verbs is a Verbs{items} wrapper rendered as a list.
        let res = try decode("meta.k8s.io/v1", "APIResourceList",
                             PB.bytes(2, PB.str(1, "pods") + PB.bytes(4, PB.str(1, "get") + PB.str(1, "list"))))
        #expect(res["resources"] == [["name": "pods", "verbs": ["get", "list"]]])
    }

    @Test func unknownFieldNumbersAreSkipped() throws {
        let raw = PB.int(99, 7) + PB.bytes(98, [1, 2, 3]) + [0x9d, 0x06, 1, 2, 3, 4] + PB.bytes(2, PB.str(1, "k") + PB.str(2, "v"))
        #expect(try decode("v1", "ConfigMap", raw) == ["apiVersion": "v1", "kind": "ConfigMap", "metadata": [:], "data": ["k": "v"]])
    }

    @Test func badSpecialValuesThrow() {
        let outOfRange = PB.bytes(1, PB.bytes(8, PB.int(1, Int64.max)))
        #expect(throws: StatusError.self) { try self.decode("v1", "ConfigMap", outOfRange) }
        let badJSON = PB.bytes(2, PB.bytes(1, Array("{nope".utf8)))
        #expect(throws: StatusError.self) { try self.decode("v1", "WatchEvent", badJSON) }
        let badIntOrString = PB.bytes(2, PB.bytes(1, PB.bytes(4, PB.int(1, 7))))
        #expect(throws: StatusError.self) { try self.decode("v1", "Service", badIntOrString) }
    }

    @Test func goDurationAndRFC3339() {
        #expect(ProtoTimeFormat.goDuration(nanoseconds: 3_600_000_000_000) == "1h0m0s")
        #expect(ProtoTimeFormat.goDuration(nanoseconds: 30_000_000_000) == "30s")
        #expect(ProtoTimeFormat.goDuration(nanoseconds: 1_500_000_000) == "1.5s")
        #expect(ProtoTimeFormat.goDuration(nanoseconds: 90_061_000_000_000) == "25h1m1s")
        #expect(ProtoTimeFormat.goDuration(nanoseconds: 2_000_000) == "2ms")
        #expect(ProtoTimeFormat.goDuration(nanoseconds: 1_500) == "1.5µs")
        #expect(ProtoTimeFormat.goDuration(nanoseconds: 7) == "7ns")
        #expect(ProtoTimeFormat.goDuration(nanoseconds: 0) == "0s")
        #expect(ProtoTimeFormat.goDuration(nanoseconds: -61_000_000_000) == "-1m1s")
        #expect(ProtoTimeFormat.goDuration(nanoseconds: Int64.min) == "-2562047h47m16.854775808s")
        #expect(ProtoTimeFormat.rfc3339(seconds: 0, nanos: 0, micro: false) == "1970-01-01T00:00:00Z")
        #expect(ProtoTimeFormat.rfc3339(seconds: 951_782_400, nanos: 0, micro: false) == "2000-02-29T00:00:00Z")
        #expect(ProtoTimeFormat.rfc3339(seconds: -1, nanos: 5000, micro: true) == "1969-12-31T23:59:59.000005Z")
        #expect(ProtoTimeFormat.rfc3339(seconds: ProtoTimeFormat.minSeconds, nanos: 0, micro: false) == "0001-01-01T00:00:00Z")
        #expect(ProtoTimeFormat.rfc3339(seconds: ProtoTimeFormat.maxSeconds + 1, nanos: 0, micro: false) == nil)
    }
}
