import APIMachinery
import Testing
@testable import APITypes

/// The two generated schemas agree: every object decoded from a protobuf body (kubectl's form) has no
/// field the OpenAPI schema calls unknown, and a Deployment's misspelled fields are found.
@Suite struct ProtoAndOpenAPIAgreementTests {
    let openAPI = OpenAPISchema.kubernetes

    @Test func protobufBodiesHaveNoUnknownFields() throws {
        for (_, body) in ProtoFixtures.all {
            let r = try ProtobufDecoder.decodeEnvelope(body)
            let name = try #require(openAPI.definitionName(apiVersion: r.apiVersion, kind: r.kind))
            #expect(openAPI.unknownFields(in: r.object, definition: name).isEmpty, "\(r.kind)")
        }
    }

    @Test func unknownFieldsOfADeployment() throws {
        let bad = try JSONValue.parse("""
            {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d","labelz":{}},
             "spec":{"foo":1,"replicas":1,"selector":{"matchLabels":{"any":"thing"}},
              "template":{"metadata":{"labels":{"a":"b"},"creationTimestamp":null},
               "spec":{"containers":[{"name":"c","image":"x"},{"name":"d","imagez":"y","resources":{"limits":{"cpu":"1"}}}],
                       "volumes":[{"name":"v","emptyDir":{},"volumeSource":{}}]}}}}
            """)
        #expect(openAPI.unknownFields(in: bad, definition: "io.k8s.api.apps.v1.Deployment")
            == ["metadata.labelz", "spec.foo", "spec.template.spec.containers[1].imagez", "spec.template.spec.volumes[0].volumeSource"])
    }
}
