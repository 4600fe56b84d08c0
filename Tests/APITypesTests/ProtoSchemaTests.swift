import APIMachinery
import Testing
@testable import APITypes

@Suite struct ProtoSchemaTests {
    let schema = ProtoSchema.kubernetes

    @Test func parsesQuickly() {
        let clock = ContinuousClock()
        let elapsed = clock.measure { _ = ProtoSchema(compactText: ProtoSchemaData.text) }
        #expect(elapsed < .milliseconds(200))  // a few ms in release; debug builds are slower
        #expect(schema.messageNames.count == 546)
    }

    @Test func messagesByNumberAndName() throws {
        let container = try #require(schema.message(named: "k8s.io.api.core.v1.Container"))
        #expect(container.field(named: "image")?.number == 2)
        #expect(container.field(number: 2)?.name == "image")
        #expect(container.field(named: "ports")?.type == .message("k8s.io.api.core.v1.ContainerPort"))
        #expect(container.field(named: "ports")?.isRepeated == true)
        let cm = try #require(schema.message(named: ".k8s.io.api.core.v1.ConfigMap"))
        let binary = try #require(cm.field(named: "binaryData"))
        #expect(binary.isMap && binary.mapKey == .string && binary.type == .bytes)
        #expect(schema.message(named: "k8s.io.apimachinery.pkg.apis.meta.v1.Time")?.special == .time)
    }

    @Test func apiVersionKindMapping() {
        let cases: [(String, String, String?)] = [
            ("v1", "ConfigMap", "k8s.io.api.core.v1.ConfigMap"),
            ("apps/v1", "Deployment", "k8s.io.api.apps.v1.Deployment"),
            ("batch/v1", "CronJob", "k8s.io.api.batch.v1.CronJob"),
            ("rbac.authorization.k8s.io/v1", "Role", "k8s.io.api.rbac.v1.Role"),
            ("networking.k8s.io/v1", "Ingress", "k8s.io.api.networking.v1.Ingress"),
            ("authorization.k8s.io/v1", "SelfSubjectAccessReview", "k8s.io.api.authorization.v1.SelfSubjectAccessReview"),
            ("authentication.k8s.io/v1", "TokenRequest", "k8s.io.api.authentication.v1.TokenRequest"),
            ("flowcontrol.apiserver.k8s.io/v1", "FlowSchema", "k8s.io.api.flowcontrol.v1.FlowSchema"),
            ("policy/v1", "PodDisruptionBudget", "k8s.io.api.policy.v1.PodDisruptionBudget"),
            ("autoscaling/v2", "HorizontalPodAutoscaler", "k8s.io.api.autoscaling.v2.HorizontalPodAutoscaler"),
            ("meta.k8s.io/v1", "DeleteOptions", "k8s.io.apimachinery.pkg.apis.meta.v1.DeleteOptions"),
            ("v1", "DeleteOptions", "k8s.io.apimachinery.pkg.apis.meta.v1.DeleteOptions"),
            ("apps.example.com/v1", "Deployment", nil),
            ("apiextensions.k8s.io/v1", "CustomResourceDefinition", nil),
            ("v1", "Nope", nil),
            ("apps/v1", "", nil),
            ("", "ConfigMap", nil),
        ]
        for (apiVersion, kind, expected) in cases {
            #expect(schema.messageName(apiVersion: apiVersion, kind: kind) == expected, "\(apiVersion) \(kind)")
        }
    }

    @Test func inlineTableMatchesTheSchema() {
        for key in ProtoInline.fields.sorted() {
            guard let dot = key.lastIndex(of: ".") else { Issue.record("bad key \(key)"); continue }
            let message = String(key[..<dot]), field = String(key[key.index(after: dot)...])
            #expect(schema.message(named: message)?.field(named: field) != nil, "\(key)")
        }
    }
}
