import APIMachinery
import APITypes
@testable import Registry
import Testing

private struct PlainStrategy: ResourceStrategy {}

@Suite struct BuiltInSchemaTests {
    let schema = BuiltInSchema()

    @Test func unknownFieldsOfBuiltInKinds() {
        let configMap: JSONValue = ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "a", "bogusMeta": 1],
                                    "data": ["any-key": "v"], "bogus": 1]
        #expect(schema.unknownFields(in: configMap, apiVersion: "v1", kind: "ConfigMap") == ["bogus", "metadata.bogusMeta"])
        let deployment: JSONValue = ["spec": ["template": ["spec": ["containers": [["name": "a", "imagez": "x"]]]], "replicaz": 1]]
        #expect(schema.unknownFields(in: deployment, apiVersion: "apps/v1", kind: "Deployment")
            == ["spec.replicaz", "spec.template.spec.containers[0].imagez"])
        // Kinds the schema does not know are not checked.
        #expect(schema.unknownFields(in: ["x": 1], apiVersion: "stable.example.com/v1", kind: "CronTab") == [])
        var pruned = configMap
        schema.pruneUnknownFields(&pruned, apiVersion: "v1", kind: "ConfigMap")
        #expect(pruned == ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "a"], "data": ["any-key": "v"]])
    }

    @Test func patchSchemaOfAKind() throws {
        let (patchSchema, type) = try #require(schema.patchSchema(apiVersion: "v1", kind: "Pod"))
        #expect(type == "io.k8s.api.core.v1.Pod")
        let containers = try #require(patchSchema.field("containers", ofType: "io.k8s.api.core.v1.PodSpec"))
        #expect(containers.mergeKey == "name" && containers.listType == "map" && containers.mapKeys == ["name"])
        #expect(schema.patchSchema(apiVersion: "stable.example.com/v1", kind: "CronTab") == nil)
    }

    /// Pods are served by another branch: the pod schema reaches `kubectl explain` through this document.
    @Test func v3DocumentOfAPodDefinition() throws {
        let pods = ResourceDefinition(group: "", version: "v1", resource: "pods", kind: "Pod", namespaced: true,
                                      subresources: ["status"], strategy: PlainStrategy())
        let doc = OpenAPIDocumentBuilder().v3Document(resources: [pods.openAPIResource])
        let schemas = try #require(doc["components"]?["schemas"]?.objectValue)
        let container = try #require(schemas["io.k8s.api.core.v1.Container"]?["properties"])
        #expect(container["livenessProbe"] == ["$ref": "#/components/schemas/io.k8s.api.core.v1.Probe"])
        let probe = try #require(schemas["io.k8s.api.core.v1.Probe"]?["properties"]?.objectValue)
        #expect(Set(probe.keys) == ["exec", "failureThreshold", "grpc", "httpGet", "initialDelaySeconds", "periodSeconds",
                                   "successThreshold", "tcpSocket", "terminationGracePeriodSeconds", "timeoutSeconds"])
        let patch = try #require(doc["paths"]?["/api/v1/namespaces/{namespace}/pods/{name}"]?["patch"])
        #expect(patch["x-kubernetes-group-version-kind"] == ["group": "", "version": "v1", "kind": "Pod"])
    }

    @Test func everyServedBuiltInKindHasASchema() {
        let openAPI = OpenAPISchema.kubernetes
        // Computed resources (metrics.k8s.io) are not in Kubernetes' own schema: metrics-server serves theirs.
        for d in Registry.builtInDefinitions() where d.reader == nil {
            #expect(openAPI.definitionName(apiVersion: d.groupVersion, kind: d.kind) != nil, "\(d.groupVersion) \(d.kind)")
        }
    }
}
