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

    @Test func unknownFieldsOfADeployment() throws {
        let bad = try JSONValue.parse("""
            {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d","labelz":{}},
             "spec":{"foo":1,"replicas":1,"selector":{"matchLabels":{"any":"thing"}},
              "template":{"metadata":{"labels":{"a":"b"},"creationTimestamp":null},
               "spec":{"containers":[{"name":"c","image":"x"},{"name":"d","imagez":"y","resources":{"limits":{"cpu":"1"}}}],
                       "volumes":[{"name":"v","emptyDir":{},"volumeSource":{}}]}}}}
            """)
        #expect(schema.unknownFields(in: bad, message: "k8s.io.api.apps.v1.Deployment")
            == ["metadata.labelz", "spec.foo", "spec.template.spec.containers[1].imagez", "spec.template.spec.volumes[0].volumeSource"])
        let good = try ProtobufDecoder.decodeEnvelope(ProtoFixtures.deployment).object
        #expect(schema.unknownFields(in: good, message: "k8s.io.api.apps.v1.Deployment").isEmpty)
        for (_, body) in ProtoFixtures.all {
            let r = try ProtobufDecoder.decodeEnvelope(body)
            let name = try #require(schema.messageName(apiVersion: r.apiVersion, kind: r.kind))
            #expect(schema.unknownFields(in: r.object, message: name).isEmpty)
        }
    }

    @Test func freeFormAndInlinedFieldsAreKnown() throws {
        let pod = try JSONValue.parse("""
            {"metadata":{"managedFields":[{"fieldsV1":{"f:metadata":{"f:x":{}}},"time":"2026-01-01T00:00:00Z"}]},
             "spec":{"volumes":[{"name":"c","configMap":{"name":"cm","items":[{"key":"k","path":"p"}]}}],
                     "containers":[{"name":"c","env":[{"name":"E","valueFrom":{"secretKeyRef":{"name":"s","key":"k"}}}],
                                    "livenessProbe":{"httpGet":{"port":"http","path":"/"}}}]}}
            """)
        #expect(schema.unknownFields(in: pod, message: "k8s.io.api.core.v1.Pod").isEmpty)
        let ev = try JSONValue.parse(#"{"type":"ADDED","object":{"anything":{"goes":1}}}"#)
        #expect(schema.unknownFields(in: ev, message: "k8s.io.apimachinery.pkg.apis.meta.v1.WatchEvent").isEmpty)
    }

    @Test func patchInfo() throws {
        let ports = try #require(schema.patchInfo(field: "ports", ofType: "k8s.io.api.core.v1.Container"))
        #expect(ports.mergeKey == "containerPort")
        #expect(ports.isList && ports.strategies == ["merge"] && ports.childType == "k8s.io.api.core.v1.ContainerPort")
        #expect(schema.patchInfo(field: "ports", ofType: "k8s.io.api.core.v1.ServiceSpec")?.mergeKey == "port")
        #expect(schema.patchInfo(field: "ports", ofType: "k8s.io.api.core.v1.EphemeralContainer")?.mergeKey == "containerPort")
        let volumes = try #require(schema.patchInfo(field: "volumes", ofType: ".k8s.io.api.core.v1.PodSpec"))
        #expect(volumes.strategies == ["merge", "retainKeys"] && volumes.mergeKey == "name")
        let strategy = try #require(schema.patchInfo(field: "strategy", ofType: "k8s.io.api.apps.v1.DeploymentSpec"))
        #expect(strategy.strategies == ["retainKeys"] && !strategy.isList && strategy.childType == "k8s.io.api.apps.v1.DeploymentStrategy")
        let fin = try #require(schema.patchInfo(field: "finalizers", ofType: "k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta"))
        #expect(fin.isList && fin.childType == nil && fin.strategies == ["merge"] && fin.mergeKey == nil)
        let args = try #require(schema.patchInfo(field: "args", ofType: "k8s.io.api.core.v1.Container"))
        #expect(args.isList && args.strategies.isEmpty)
        #expect(schema.patchInfo(field: "creationTimestamp", ofType: "k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta")?.childType == nil)
        #expect(schema.patchInfo(field: "emptyDir", ofType: "k8s.io.api.core.v1.Volume")?.childType
            == "k8s.io.api.core.v1.EmptyDirVolumeSource")
        #expect(schema.patchInfo(field: "nope", ofType: "k8s.io.api.core.v1.Container") == nil)
        #expect(schema.patchInfo(field: "ports", ofType: "k8s.io.api.core.v1.Nope") == nil)
    }

    @Test func overlayAndInlineTablesMatchTheSchema() {
        for key in PatchStrategies.table.keys.sorted() + ProtoInline.fields.sorted() {
            guard let dot = key.lastIndex(of: ".") else { Issue.record("bad key \(key)"); continue }
            let message = String(key[..<dot]), field = String(key[key.index(after: dot)...])
            #expect(schema.message(named: message)?.field(named: field) != nil, "\(key)")
        }
    }
}
