import Foundation
import Testing

@testable import APIModels

/// Decoding a manifest into the typed models and encoding it again gives back the same JSON:
/// no field the user set is dropped. Only keys unknown to the schema are dropped (and explicit
/// JSON nulls in object fields, which mean "unset"): see `unknownKeysAndNullsAreTheOnlyLoss`.
struct ManifestRoundTripTests {
    @Test func podWithProbesVolumesAffinityAndSecurityContext() throws {
        let result = try RoundTrip.run(CoreV1.Pod.self, Fixtures.pod)
        #expect(result.output == result.input)

        let pod = try JSONDecoder().decode(CoreV1.Pod.self, from: Data(Fixtures.pod.utf8))
        let web = try #require(pod.spec?.containers?.first)
        #expect(web.livenessProbe?.httpGet?.port == .int(8080))
        #expect(pod.spec?.containers?.first?.readinessProbe?.tcpSocket?.port == .string("http"))
        #expect(web.resources?.requests?["cpu"] == "500m")
        #expect(web.securityContext?.capabilities?.drop == ["ALL"])
        #expect(pod.spec?.tolerations?.first?.tolerationSeconds == 300)
        #expect(pod.spec?.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution?
            .first?.weight == 100)
        #expect(pod.metadata?.managedFields?.first?.fieldsV1?["f:metadata"] != nil)
        #expect(pod.status?.containerStatuses?.first?.lastState?.terminated?.exitCode == 137)
    }

    @Test func deployment() throws {
        let result = try RoundTrip.run(AppsV1.Deployment.self, Fixtures.deployment)
        #expect(result.output == result.input)
        let deployment = try JSONDecoder().decode(AppsV1.Deployment.self, from: Data(Fixtures.deployment.utf8))
        #expect(deployment.spec?.strategy?.rollingUpdate?.maxSurge == "25%")
        #expect(deployment.spec?.strategy?.rollingUpdate?.maxUnavailable == 1)
    }

    @Test func service() throws {
        let result = try RoundTrip.run(CoreV1.Service.self, Fixtures.service)
        #expect(result.output == result.input)
        let service = try JSONDecoder().decode(CoreV1.Service.self, from: Data(Fixtures.service.utf8))
        #expect(service.spec?.ports?.map(\.targetPort) == [.string("http"), .int(8443)])
    }

    @Test func cronJob() throws {
        let result = try RoundTrip.run(BatchV1.CronJob.self, Fixtures.cronJob)
        #expect(result.output == result.input)
    }

    @Test func horizontalPodAutoscalerV2() throws {
        let result = try RoundTrip.run(AutoscalingV2.HorizontalPodAutoscaler.self, Fixtures.hpa)
        #expect(result.output == result.input)
        let hpa = try JSONDecoder().decode(
            AutoscalingV2.HorizontalPodAutoscaler.self, from: Data(Fixtures.hpa.utf8))
        #expect(hpa.spec?.metrics?[1].pods?.target?.averageValue == Quantity("1k"))
    }

    @Test func customResourceDefinitionWithRecursiveSchema() throws {
        let result = try RoundTrip.run(ApiextensionsV1.CustomResourceDefinition.self, Fixtures.crd)
        #expect(result.output == result.input)

        let crd = try JSONDecoder().decode(
            ApiextensionsV1.CustomResourceDefinition.self, from: Data(Fixtures.crd.utf8))
        let root = try #require(crd.spec?.versions?.first?.schema?.openAPIV3Schema)
        let spec = try #require(root.properties?["spec"])
        let tree = try #require(spec.properties?["tree"])
        #expect(tree.not?.not?.properties?["deep"]?.type == "boolean")
        #expect(tree.dependencies?["a"] == .strings(["b", "c"]))
        guard case .schema(let item)? = tree.properties?["children"]?.items else {
            Issue.record("children items should be one schema")
            return
        }
        #expect(item.properties?["leaf"]?.properties?["weight"]?.type == "number")
        #expect(spec.properties?["extra"]?.additionalProperties == .bool(false))
        #expect(spec.properties?["port"]?.xKubernetesIntOrString == true)
        #expect(spec.properties?["template"]?.xKubernetesPreserveUnknownFields == true)
        #expect(spec.properties?["config"]?.default?["retries"] == .int(3))
        #expect(spec.properties?["color"]?.enum?.last == .null)
        #expect(root.xKubernetesValidations?.first?.rule == "self.spec.replicas <= 10")
    }

    @Test func decodingTheOutputAgainGivesAnEqualValue() throws {
        let pod = try JSONDecoder().decode(CoreV1.Pod.self, from: Data(Fixtures.pod.utf8))
        let again = try JSONDecoder().decode(CoreV1.Pod.self, from: JSONEncoder().encode(pod))
        #expect(again == pod)
        var changed = again
        changed.spec?.containers?[0].image = "nginx:1.28"
        #expect(changed != pod)
    }

    /// The documented losses: keys the schema does not know, and explicit nulls (read as unset).
    @Test func unknownKeysAndNullsAreTheOnlyLoss() throws {
        let json = #"""
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "bogus": 1},
             "data": {"k": "v"}, "extraTopLevel": {"a": 1}, "immutable": null}
            """#
        let result = try RoundTrip.run(CoreV1.ConfigMap.self, json)
        #expect(result.input != result.output)
        #expect(result.output == #"{"apiVersion":"v1","data":{"k":"v"},"kind":"ConfigMap","metadata":{"name":"c"}}"#)
    }

    @Test func missingFieldsDecodeAsNilAndNilIsOmitted() throws {
        let pod = try JSONDecoder().decode(CoreV1.Pod.self, from: Data("{}".utf8))
        #expect(pod.metadata == nil && pod.spec == nil && pod.apiVersion == nil)
        #expect(try RoundTrip.encode(pod) == "{}")
        #expect(try RoundTrip.encode(ApiextensionsV1.JSONSchemaProps()) == "{}")
    }
}
