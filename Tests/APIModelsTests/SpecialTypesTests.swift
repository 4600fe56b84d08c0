import Foundation
import Testing

@testable import APIModels

struct SpecialTypesTests {
    struct Holder<T: Codable & Equatable>: Codable, Equatable {
        var value: T
    }

    private func decode<T: Codable>(_ type: T.Type, _ json: String) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(json.utf8))
    }

    @Test(arguments: [
        (#"{"value":8080}"#, IntOrString.int(8080)),
        (#"{"value":"http"}"#, IntOrString.string("http")),
        (#"{"value":"25%"}"#, IntOrString.string("25%")),
        (#"{"value":"1"}"#, IntOrString.string("1")),
    ])
    func intOrStringRoundTripsAsABareValue(json: String, expected: IntOrString) throws {
        let holder = try decode(Holder<IntOrString>.self, json)
        #expect(holder.value == expected)
        #expect(try RoundTrip.encode(holder) == json)
    }

    @Test func intOrStringRejectsOtherValues() {
        #expect(throws: DecodingError.self) { try decode(Holder<IntOrString>.self, #"{"value":true}"#) }
        #expect(throws: DecodingError.self) { try decode(Holder<IntOrString>.self, #"{"value":1.5}"#) }
    }

    @Test(arguments: ["100m", "1Gi", "0.5", "1e3", "500Mi", "2"])
    func quantityRoundTripsAsABareString(text: String) throws {
        let json = #"{"value":"\#(text)"}"#
        let holder = try decode(Holder<Quantity>.self, json)
        #expect(holder.value.rawValue == text)
        #expect(try RoundTrip.encode(holder) == json)
    }

    @Test func quantityAcceptsANumberAndWritesItAsAString() throws {
        #expect(try decode(Holder<Quantity>.self, #"{"value":2}"#).value == "2")
        #expect(try decode(Holder<Quantity>.self, #"{"value":0.5}"#).value == "0.5")
        #expect(try RoundTrip.encode(decode(Holder<Quantity>.self, #"{"value":2}"#)) == #"{"value":"2"}"#)
    }

    @Test func timeFormatsAndParsesRFC3339() throws {
        let date = Date(timeIntervalSince1970: 1_714_557_600.75)  // 2024-05-01T10:00:00.75Z
        #expect(Time(date).rawValue == "2024-05-01T10:00:00Z")
        #expect(MicroTime(date).rawValue == "2024-05-01T10:00:00.750000Z")
        #expect(Time(rawValue: "2024-05-01T10:00:00Z").date == Date(timeIntervalSince1970: 1_714_557_600))
        #expect(Time(rawValue: "not a time").date == nil)
        let micro = try #require(MicroTime(rawValue: "2024-05-01T10:00:00.250000Z").date)
        #expect(abs(micro.timeIntervalSince1970 - 1_714_557_600.25) < 0.001)
        #expect(try RoundTrip.encode(Holder(value: Time(date))) == #"{"value":"2024-05-01T10:00:00Z"}"#)
    }

    @Test func jsonAnyKeepsEveryValueKind() throws {
        let json = #"{"a":null,"b":true,"c":-3,"d":2.5,"e":"s","f":[1,"x",{}],"g":{"h":[]}}"#
        let value = try decode(JSONAny.self, json)
        #expect(value["c"] == .int(-3))
        #expect(value["d"] == .double(2.5))
        #expect(value["a"] == .null)
        #expect(try RoundTrip.encode(value) == json)
    }

    @Test func kindsCarryTheirGroupVersionKind() throws {
        #expect(CoreV1.Pod.gvk == GroupVersionKind(group: "", version: "v1", kind: "Pod"))
        #expect(AppsV1.Deployment.gvk.apiVersion == "apps/v1")
        #expect(AutoscalingV2.HorizontalPodAutoscaler.gvk.apiVersion == "autoscaling/v2")
        #expect(ApiextensionsV1.CustomResourceDefinition.gvk.group == "apiextensions.k8s.io")
        #expect(ApiregistrationV1.APIService.gvk.apiVersion == "apiregistration.k8s.io/v1")
        let pod = CoreV1.Pod(metadata: MetaV1.ObjectMeta(name: "p"))
        #expect(try RoundTrip.encode(pod) == #"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"}}"#)
    }

    @Test func listsAndObjectsConformToTheirProtocols() {
        func apiVersion<T: APIObject>(of _: T.Type) -> String { T.gvk.apiVersion }
        func itemType<L: APIList>(of _: L.Type) -> ObjectIdentifier { ObjectIdentifier(L.Item.self) }
        #expect(apiVersion(of: BatchV1.CronJob.self) == "batch/v1")
        #expect(itemType(of: CoreV1.PodList.self) == ObjectIdentifier(CoreV1.Pod.self))
        #expect(itemType(of: AppsV1.DeploymentList.self) == ObjectIdentifier(AppsV1.Deployment.self))
    }

    @Test func swiftKeywordPropertiesKeepTheirJSONNames() throws {
        let json = #"{"continue":"token","remainingItemCount":5,"resourceVersion":"9"}"#
        let meta = try decode(MetaV1.ListMeta.self, json)
        #expect(meta.continue == "token")
        #expect(try RoundTrip.encode(meta) == json)
        let schema = try decode(
            ApiextensionsV1.JSONSchemaProps.self, ##"{"$ref":"#/x","$schema":"s","default":{"a":1}}"##)
        #expect(schema.ref == "#/x")
        #expect(schema.schema == "s")
        #expect(try RoundTrip.encode(schema) == ##"{"$ref":"#\/x","$schema":"s","default":{"a":1}}"##)
    }

    @Test func indirectPropertiesBehaveLikeOptionals() throws {
        var schema = ApiextensionsV1.JSONSchemaProps(not: ApiextensionsV1.JSONSchemaProps(type: "string"))
        #expect(schema.not?.type == "string")
        schema.not = nil
        #expect(try RoundTrip.encode(schema) == "{}")
        let decoded = try decode(ApiextensionsV1.JSONSchemaProps.self, #"{"not":null}"#)
        #expect(decoded.not == nil)
    }
}
