import APIMachinery
@testable import APITypes
import Testing

private let schema = OpenAPISchema.kubernetes
private let core = "io.k8s.api.core.v1."

@Suite struct OpenAPISchemaLookupTests {
    @Test func everyDefinitionIsLoaded() {
        #expect(schema.definitions.count == 638)
        #expect(schema.definition(named: core + "Pod")?.properties.keys.sorted() == ["apiVersion", "kind", "metadata", "spec", "status"])
    }

    @Test(arguments: [
        ("v1", "ConfigMap", "io.k8s.api.core.v1.ConfigMap"),
        ("v1", "Namespace", "io.k8s.api.core.v1.Namespace"),
        ("apps/v1", "Deployment", "io.k8s.api.apps.v1.Deployment"),
        ("rbac.authorization.k8s.io/v1", "ClusterRole", "io.k8s.api.rbac.v1.ClusterRole"),
        ("apiextensions.k8s.io/v1", "CustomResourceDefinition",
         "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition"),
        ("batch/v1", "CronJobList", "io.k8s.api.batch.v1.CronJobList"),
    ])
    func lookupByGroupVersionKind(apiVersion: String, kind: String, name: String) {
        #expect(schema.definitionName(apiVersion: apiVersion, kind: kind) == name)
        let gvk = GroupVersionKind(group: apiVersion.contains("/") ? String(apiVersion.split(separator: "/")[0]) : "",
                                   version: String(apiVersion.split(separator: "/").last ?? ""), kind: kind)
        #expect(schema.definition(for: gvk)?.extensions.groupVersionKinds.contains(gvk) == true)
    }

    @Test func unknownKindsAndVersionsHaveNoDefinition() {
        #expect(schema.definitionName(apiVersion: "v2", kind: "ConfigMap") == nil)
        #expect(schema.definitionName(apiVersion: "stable.example.com/v1", kind: "CronTab") == nil)
        #expect(schema.definition(named: "io.k8s.api.core.v1.Nope") == nil)
    }

    @Test func podSpecContainersIsAListMapKeyedByName() throws {
        let containers = try #require(schema.definition(named: core + "PodSpec")?.properties["containers"])
        #expect(containers.type == .array)
        #expect(containers.items?.ref == core + "Container")
        #expect(containers.extensions.listType == "map")
        #expect(containers.extensions.listMapKeys == ["name"])
        #expect(containers.extensions.patchStrategies == ["merge"])
        #expect(containers.extensions.patchMergeKey == "name")
        #expect(schema.definition(named: core + "PodSpec")?.required == ["containers"])
        let ports = try #require(schema.definition(named: core + "Container")?.properties["ports"])
        #expect(ports.extensions.listMapKeys == ["containerPort", "protocol"])
    }

    @Test func scalarsMapsFormatsEnumsAndMapTypes() throws {
        let configMap = try #require(schema.definition(named: core + "ConfigMap"))
        #expect(configMap.properties["data"]?.additionalProperties?.type == .string)
        #expect(configMap.properties["binaryData"]?.additionalProperties?.format == "byte")
        #expect(configMap.properties["apiVersion"]?.enumValues == [])
        let container = try #require(schema.definition(named: core + "Container"))
        #expect(container.properties["imagePullPolicy"]?.type == .string)
        #expect(schema.definition(named: core + "PodSpec")?.properties["activeDeadlineSeconds"]?.format == "int64")
        #expect(schema.definition(named: "io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector")?.extensions.mapType == "atomic")
        #expect(schema.definition(named: "io.k8s.apimachinery.pkg.apis.meta.v1.Time")?.type == .string)
        #expect(schema.definition(named: "io.k8s.apimachinery.pkg.apis.meta.v1.Time")?.format == "date-time")
        let seccomp = try #require(schema.definition(named: core + "SeccompProfile"))
        let union = SchemaUnion(discriminator: "type", fieldsToDiscriminateBy: ["localhostProfile": "LocalhostProfile"])
        #expect(seccomp.extensions.unions == [union])
    }

    @Test func parsesEveryAttributeOfTheLineFormat() throws {
        let text = "D\tx.v1.Thing\treq=a\tgvk=x/v1/Thing,/v1/Other\tmt=granular\n"
            + "P\ta\t[{@x.v1.Item}]\tlt=map\tmk=k1,k2\tps=merge,retainKeys\tpk=k1\n"
            + "P\te\ts\ten=[\"A\",\"B\"]\n"
            + "P\tfree\to\tpu=1\ter=1\n"
            + "P\tn\ti:int32\tios=1\n"
            + "D\tx.v1.Any\tany=1\n"
        let custom = OpenAPISchema(compactText: text)
        let thing = try #require(custom.definition(named: "x.v1.Thing"))
        #expect(custom.definitionName(apiVersion: "v1", kind: "Other") == "x.v1.Thing")
        #expect(thing.required == ["a"] && thing.extensions.mapType == "granular" && thing.type == .object)
        let a = try #require(thing.properties["a"])
        #expect(a.items?.additionalProperties?.ref == "x.v1.Item")
        #expect(a.extensions.listMapKeys == ["k1", "k2"] && a.extensions.patchStrategies == ["merge", "retainKeys"])
        #expect(thing.properties["e"]?.enumValues == ["A", "B"])
        #expect(thing.properties["free"]?.extensions.preserveUnknownFields == true)
        #expect(thing.properties["free"]?.extensions.embeddedResource == true)
        #expect(thing.properties["n"]?.format == "int32" && thing.properties["n"]?.isIntOrString == true)
        #expect(custom.definition(named: "x.v1.Any")?.isFreeForm == true)
        #expect(thing.properties["e"]?.openAPIJSON(.v3) == ["type": "string", "enum": ["A", "B"]])
    }

    @Test func intOrStringAndQuantityAreOneOfLeaves() throws {
        let intOrString = try #require(schema.definition(named: "io.k8s.apimachinery.pkg.util.intstr.IntOrString"))
        #expect(intOrString.isIntOrString)
        #expect(!intOrString.isFreeForm)
        #expect(intOrString.openAPIJSON(.v2) == ["type": "string", "format": "int-or-string"])
        #expect(intOrString.openAPIJSON(.v3)["oneOf"]?.arrayValue?.count == 2)
        let quantity = try #require(schema.definition(named: "io.k8s.apimachinery.pkg.api.resource.Quantity"))
        #expect(!quantity.isIntOrString)
        #expect(Set(quantity.oneOfTypes) == [.string, .number])
        var flagged = SchemaNode(type: .string)
        flagged.extensions.intOrString = true
        #expect(flagged.isIntOrString)
    }

    @Test func closureFollowsReferencesTransitively() {
        let names = schema.closure(of: [core + "Pod"])
        for name in [core + "Pod", core + "PodSpec", core + "Container", core + "Probe", core + "HTTPGetAction",
                     "io.k8s.apimachinery.pkg.util.intstr.IntOrString", "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta",
                     "io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1"] {
            #expect(names.contains(name), "\(name)")
        }
        #expect(!names.contains(core + "ConfigMap"))
    }
}

@Suite struct OpenAPIUnknownFieldTests {
    let pod: JSONValue = [
        "apiVersion": "v1", "kind": "Pod",
        "metadata": ["name": "p", "labels": ["any/key": "v"], "labelz": ["x": "y"],
                     "managedFields": [["manager": "m", "fieldsV1": ["f:data": ["f:anything": [:]]]]]],
        "spec": [
            "foo": 1,
            "containers": [
                ["name": "a", "image": "nginx", "resources": ["limits": ["cpu": "1", "memory": 1024]]],
                ["name": "b", "imagez": "x",
                 "livenessProbe": ["httpGet": ["port": "http", "bogus": true], "initialDelaySeconds": 3],
                 "readinessProbe": ["tcpSocket": ["port": 8080]],
                 "env": [["name": "E", "valueFrom": ["fieldRef": ["fieldPath": "metadata.name", "nope": 1]]]]],
            ],
            "nodeSelector": ["disk": "ssd"],
        ],
        "status": ["startTime": "2024-01-01T00:00:00Z"],
    ]

    @Test func reportsEveryUnknownFieldWithKubernetesPaths() {
        let unknown = schema.unknownFields(in: pod, definition: core + "Pod")
        #expect(unknown == [
            "metadata.labelz",
            "spec.containers[1].env[0].valueFrom.fieldRef.nope",
            "spec.containers[1].imagez",
            "spec.containers[1].livenessProbe.httpGet.bogus",
            "spec.foo",
        ])
    }

    @Test func freeFormValuesAreNeverUnknown() {
        // ControllerRevision.data is a RawExtension: anything below it is known.
        let revision: JSONValue = ["apiVersion": "apps/v1", "kind": "ControllerRevision", "revision": 1,
                                   "data": ["spec": ["whatever": ["deep": [1, 2, ["x": true]]]]]]
        #expect(schema.unknownFields(in: revision, definition: "io.k8s.api.apps.v1.ControllerRevision") == [])
        let crd: JSONValue = ["spec": ["versions": [["name": "v1", "schema": ["openAPIV3Schema": [
            "type": "object", "default": ["any": "thing"], "x-kubernetes-preserve-unknown-fields": true]]]]]]
        let crdName = "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition"
        #expect(schema.unknownFields(in: crd, definition: crdName) == [])
    }

    @Test func preserveUnknownFieldsStopsDetection() {
        var spec = SchemaNode(type: .object)
        spec.properties = ["known": SchemaNode(type: .string)]
        var open = spec
        open.extensions.preserveUnknownFields = true
        var root = SchemaNode(type: .object)
        root.properties = ["spec": spec, "open": open, "list": .array(of: .reference("Item"))]
        var item = SchemaNode(type: .object)
        item.properties = ["name": SchemaNode(type: .string)]
        let custom = OpenAPISchema(definitions: ["Root": root, "Item": item])
        let object: JSONValue = ["apiVersion": "x/v1", "kind": "Root", "spec": ["known": "a", "extra": 1],
                                 "open": ["known": "a", "extra": ["deep": 1]], "list": [["name": "a"], ["name": "b", "x": 1]]]
        #expect(custom.unknownFields(in: object, definition: "Root") == ["list[1].x", "spec.extra"])
        var pruned = object
        custom.pruneUnknownFields(&pruned, definition: "Root")
        #expect(pruned == ["apiVersion": "x/v1", "kind": "Root", "spec": ["known": "a"],
                           "open": ["known": "a", "extra": ["deep": 1]], "list": [["name": "a"], ["name": "b"]]])
    }

    @Test func intOrStringQuantityAndTimeAreLeaves() {
        let service: JSONValue = ["spec": ["ports": [["port": 80, "targetPort": "http"], ["port": 81, "targetPort": 8081]]]]
        #expect(schema.unknownFields(in: service, definition: core + "Service") == [])
        let objectValued: JSONValue = ["spec": ["ports": [["port": 80, "targetPort": ["odd": 1]]]]]
        #expect(schema.unknownFields(in: objectValued, definition: core + "Service") == [])
    }

    @Test func pruningRemovesExactlyTheUnknownFields() {
        var object = pod
        schema.pruneUnknownFields(&object, definition: core + "Pod")
        #expect(schema.unknownFields(in: object, definition: core + "Pod") == [])
        #expect(object["spec"]?["foo"] == nil)
        #expect(object["metadata"]?["labelz"] == nil)
        #expect(object["metadata"]?["labels"] == ["any/key": "v"])
        #expect(object["spec"]?["containers"]?.arrayValue?[1]["livenessProbe"] == ["httpGet": ["port": "http"], "initialDelaySeconds": 3])
        #expect(object["metadata"]?["managedFields"] == pod["metadata"]?["managedFields"])
        #expect(object["apiVersion"] == "v1")
    }
}

@Suite struct OpenAPIPatchMetadataTests {
    @Test func listsCarryStrategiesKeysAndListTypes() throws {
        let containers = try #require(schema.patchFieldInfo("containers", ofType: core + "PodSpec"))
        #expect(containers == PatchFieldInfo(childType: core + "Container", isList: true, strategies: ["merge"], mergeKey: "name",
                                             listType: "map", mapKeys: ["name"]))
        let volumes = try #require(schema.patchFieldInfo("volumes", ofType: core + "PodSpec"))
        #expect(volumes.strategies == ["merge", "retainKeys"])
        let finalizers = try #require(schema.patchFieldInfo("finalizers", ofType: "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"))
        #expect(finalizers.isList && finalizers.childType == nil && finalizers.mergeKey == nil && finalizers.strategies == ["merge"])
        let args = try #require(schema.patchFieldInfo("args", ofType: core + "Container"))
        #expect(args.isList && args.strategies.isEmpty && args.listType == "atomic")
    }

    @Test func objectsAndLeaves() throws {
        let strategy = try #require(schema.patchFieldInfo("strategy", ofType: "io.k8s.api.apps.v1.DeploymentSpec"))
        #expect(strategy.strategies == ["retainKeys"] && !strategy.isList && strategy.childType == "io.k8s.api.apps.v1.DeploymentStrategy")
        let selector = try #require(schema.patchFieldInfo("selector", ofType: "io.k8s.api.apps.v1.DeploymentSpec"))
        #expect(selector.mapType == "atomic")
        #expect(schema.patchFieldInfo("data", ofType: core + "ConfigMap")?.childType == nil)
        #expect(schema.patchFieldInfo("targetPort", ofType: core + "ServicePort")?.childType == nil)
        #expect(schema.patchFieldInfo("creationTimestamp", ofType: "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta")?.childType == nil)
        #expect(schema.patchFieldInfo("nope", ofType: core + "PodSpec") == nil)
        #expect(schema.patchFieldInfo("containers", ofType: "Nope") == nil)
    }

    @Test func strategicMergeUsesTheSchema() throws {
        let patchSchema = SchemaPatchSchema(schema: schema)
        let original: JSONValue = ["spec": ["containers": [["name": "a", "image": "1"], ["name": "b", "image": "1"]]]]
        let patch: JSONValue = ["spec": ["containers": [["name": "b", "image": "2"]]]]
        let merged = try StrategicMergePatch.apply(patch, to: original, type: core + "Pod", schema: patchSchema)
        #expect(merged == ["spec": ["containers": [["name": "a", "image": "1"], ["name": "b", "image": "2"]]]])
    }
}

private struct SchemaPatchSchema: PatchSchema {
    let schema: OpenAPISchema
    func field(_ name: String, ofType type: String) -> PatchFieldInfo? { schema.patchFieldInfo(name, ofType: type) }
}

@Suite struct OpenAPIDocumentBuilderTests {
    let pods = OpenAPIResource(group: "", version: "v1", resource: "pods", kind: "Pod", namespaced: true,
                               verbs: ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
                               subresources: ["status"])

    /// Every `$ref` in a document.
    func references(_ value: JSONValue, into out: inout Set<String>) {
        switch value {
        case .object(let o):
            if let ref = o["$ref"]?.stringValue { out.insert(ref) }
            for v in o.values { references(v, into: &out) }
        case .array(let a):
            for v in a { references(v, into: &out) }
        default: break
        }
    }

    @Test func v3DocumentOfPodsHasTheSchemaTreeAndOperations() throws {
        let doc = OpenAPIDocumentBuilder().v3Document(resources: [pods])
        let schemas = try #require(doc["components"]?["schemas"]?.objectValue)
        let probe = try #require(schemas[core + "Probe"]?["properties"]?.objectValue)
        for field in ["exec", "httpGet", "tcpSocket", "grpc", "initialDelaySeconds", "periodSeconds", "failureThreshold"] {
            #expect(probe[field] != nil, "\(field)")
        }
        #expect(schemas[core + "Pod"]?["x-kubernetes-group-version-kind"] == [["group": "", "version": "v1", "kind": "Pod"]])
        #expect(schemas[core + "PodList"] != nil)
        #expect(schemas[core + "ConfigMap"] == nil)
        let containers = try #require(schemas[core + "PodSpec"]?["properties"]?["containers"])
        #expect(containers["x-kubernetes-list-map-keys"] == ["name"])
        #expect(containers["items"] == ["$ref": .string("#/components/schemas/\(core)Container")])
        var refs: Set<String> = []
        references(doc, into: &refs)
        for ref in refs {
            let name = String(ref.dropFirst("#/components/schemas/".count))
            #expect(schemas[name] != nil, "dangling \(ref)")
        }

        let item = try #require(doc["paths"]?["/api/v1/namespaces/{namespace}/pods/{name}"])
        let patch = try #require(item["patch"])
        #expect(patch["x-kubernetes-action"] == "patch")
        #expect(patch["operationId"] == "patchCoreV1NamespacedPod")
        #expect(patch["x-kubernetes-group-version-kind"] == ["group": "", "version": "v1", "kind": "Pod"])
        let names = Set((patch["parameters"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue })
        #expect(names.isSuperset(of: ["fieldValidation", "dryRun", "fieldManager", "force"]))
        #expect(patch["requestBody"]?["content"]?["application/strategic-merge-patch+json"] != nil)
        #expect(doc["paths"]?["/api/v1/namespaces/{namespace}/pods"]?["get"]?["operationId"] == "listCoreV1NamespacedPod")
        #expect(doc["paths"]?["/api/v1/pods"]?["get"]?["operationId"] == "listCoreV1PodForAllNamespaces")
        #expect(doc["paths"]?["/api/v1/"]?["get"]?["operationId"] == "getCoreV1APIResources")
        let status = doc["paths"]?["/api/v1/namespaces/{namespace}/pods/{name}/status"]
        #expect(status?["patch"]?["operationId"] == "patchCoreV1NamespacedPodStatus")
    }

    @Test func customResourcesGetAFreeFormSchemaAndNoStrategicMerge() throws {
        let crontabs = OpenAPIResource(group: "stable.example.com", version: "v1", resource: "crontabs", kind: "CronTab",
                                       namespaced: true, verbs: ["get", "patch"])
        let doc = OpenAPIDocumentBuilder().v3Document(resources: [crontabs])
        let schema = try #require(doc["components"]?["schemas"]?["com.example.stable.v1.CronTab"])
        #expect(schema["x-kubernetes-preserve-unknown-fields"] == true)
        #expect(doc["components"]?["schemas"]?["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"] != nil)
        let patch = try #require(doc["paths"]?["/apis/stable.example.com/v1/namespaces/{namespace}/crontabs/{name}"]?["patch"])
        #expect(patch["operationId"] == "patchStableExampleComV1NamespacedCronTab")
        #expect(patch["requestBody"]?["content"]?["application/merge-patch+json"] != nil)
        #expect(patch["requestBody"]?["content"]?["application/strategic-merge-patch+json"] == nil)
        #expect(doc["paths"]?["/apis/stable.example.com/v1/namespaces/{namespace}/crontabs"] == nil)
    }

    @Test func scaleSubresourceUsesTheAutoscalingScaleKind() throws {
        let deployments = OpenAPIResource(group: "apps", version: "v1", resource: "deployments", kind: "Deployment",
                                          namespaced: true, verbs: ["get", "list", "patch", "update"], subresources: ["status", "scale"])
        let doc = OpenAPIDocumentBuilder().v3Document(resources: [deployments])
        let scale = try #require(doc["paths"]?["/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale"]?["patch"])
        #expect(scale["x-kubernetes-group-version-kind"] == ["group": "autoscaling", "version": "v1", "kind": "Scale"])
        #expect(scale["operationId"] == "patchAppsV1NamespacedDeploymentScale")
        let schemas = try #require(doc["components"]?["schemas"]?.objectValue)
        #expect(schemas["io.k8s.api.autoscaling.v1.Scale"] != nil)
        var refs: Set<String> = []
        OpenAPIDocumentBuilder.collectReferences(doc, prefix: "#/components/schemas/", into: &refs)
        #expect(refs.subtracting(schemas.keys).isEmpty, "dangling: \(refs.subtracting(schemas.keys))")
    }

    @Test func v2DocumentUsesDefinitions() throws {
        let doc = OpenAPIDocumentBuilder().v2Document(resources: [pods])
        #expect(doc["swagger"] == "2.0")
        let definitions = try #require(doc["definitions"]?.objectValue)
        #expect(definitions[core + "Pod"]?["properties"]?["spec"] == ["$ref": .string("#/definitions/\(core)PodSpec")])
        let post = try #require(doc["paths"]?["/api/v1/namespaces/{namespace}/pods"]?["post"])
        #expect(post["parameters"]?.arrayValue?.first?["in"] == "body")
        #expect(post["responses"]?["201"]?["schema"] == ["$ref": .string("#/definitions/\(core)Pod")])
        var refs: Set<String> = []
        OpenAPIDocumentBuilder.collectReferences(doc, prefix: "#/definitions/", into: &refs)
        #expect(!refs.isEmpty && refs.subtracting(definitions.keys).isEmpty)
    }

    @Test func operationNames() {
        let rbac = OpenAPIResource(group: "rbac.authorization.k8s.io", version: "v1", resource: "roles", kind: "Role",
                                   namespaced: true, verbs: [])
        #expect(rbac.operationGroupVersion == "RbacAuthorizationV1")
        #expect(rbac.tag == "rbacAuthorization_v1")
        #expect(pods.operationGroupVersion == "CoreV1")
        #expect(pods.tag == "core_v1")
    }
}
