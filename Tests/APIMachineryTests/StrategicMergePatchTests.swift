import Testing
@testable import APIMachinery

/// A small fake of the Kubernetes schema: enough types to exercise every strategy.
let fakeSchema = StaticPatchSchema([
    "Deployment": ["metadata": .init(childType: "ObjectMeta"), "spec": .init(childType: "DeploymentSpec")],
    "ObjectMeta": [
        "finalizers": .init(isList: true, strategies: ["merge"]),
        "labels": .init(),
        "ownerReferences": .init(childType: "OwnerReference", isList: true, strategies: ["merge"], mergeKey: "uid"),
    ],
    "DeploymentSpec": [
        "strategy": .init(childType: "DeploymentStrategy", strategies: ["retainKeys"]),
        "template": .init(childType: "PodTemplateSpec"),
    ],
    "DeploymentStrategy": ["rollingUpdate": .init(childType: "RollingUpdate")],
    "PodTemplateSpec": ["metadata": .init(childType: "ObjectMeta"), "spec": .init(childType: "PodSpec")],
    "PodSpec": [
        "containers": .init(childType: "Container", isList: true, strategies: ["merge"], mergeKey: "name"),
        "volumes": .init(childType: "Volume", isList: true, strategies: ["merge", "retainKeys"], mergeKey: "name"),
        "tolerations": .init(childType: "Toleration", isList: true),
        "affinity": .init(childType: "Affinity", strategies: ["replace"]),
    ],
    "Container": [
        "env": .init(childType: "EnvVar", isList: true, strategies: ["merge"], mergeKey: "name"),
        "ports": .init(childType: "ContainerPort", isList: true, strategies: ["merge"], mergeKey: "containerPort"),
        "args": .init(isList: true),
    ],
    "Volume": ["hostPath": .init(childType: "HostPathVolumeSource"), "emptyDir": .init(childType: "EmptyDirVolumeSource")],
    "Service": ["spec": .init(childType: "ServiceSpec")],
    "ServiceSpec": ["ports": .init(childType: "ServicePort", isList: true, strategies: ["merge"], mergeKey: "port")],
])

@Suite struct StrategicMergePatchTests {
    func smp(_ original: String, _ patch: String, type: String? = "Deployment") throws -> String {
        try StrategicMergePatch.apply(try JSONValue.parse(patch), to: try JSONValue.parse(original),
                                      type: type, schema: fakeSchema).serializedString()
    }

    func podSpec(_ json: String) -> String { #"{"spec":{"template":{"spec":"# + json + "}}}" }

    @Test(arguments: [
        // Maps merge; null deletes.
        (#"{"metadata":{"labels":{"a":"1","b":"2"}}}"#, #"{"metadata":{"labels":{"a":null,"c":"3"}}}"#,
         #"{"metadata":{"labels":{"b":"2","c":"3"}}}"#),
        // Unknown fields behave like JSON merge patch: lists replaced, nested nulls dropped.
        (#"{"x":{"l":[1,2],"k":1}}"#, #"{"x":{"l":[3],"n":{"a":null,"b":1}}}"#, #"{"x":{"k":1,"l":[3],"n":{"b":1}}}"#),
        // Primitive merge list: union, new items first (upstream's ordering).
        (#"{"metadata":{"finalizers":["a","b"]}}"#, #"{"metadata":{"finalizers":["b","c"]}}"#,
         #"{"metadata":{"finalizers":["a","b","c"]}}"#),
        (#"{"metadata":{"finalizers":["a"]}}"#, #"{"metadata":{"finalizers":["c"]}}"#, #"{"metadata":{"finalizers":["c","a"]}}"#),
        // $deleteFromPrimitiveList.
        (#"{"metadata":{"finalizers":["a","b","c"]}}"#, #"{"metadata":{"$deleteFromPrimitiveList/finalizers":["b","x"]}}"#,
         #"{"metadata":{"finalizers":["a","c"]}}"#),
        // Map replace directive.
        (#"{"metadata":{"labels":{"a":"1"}}}"#, #"{"metadata":{"labels":{"$patch":"replace","b":"2"}}}"#,
         #"{"metadata":{"labels":{"b":"2"}}}"#),
        // Map delete directive removes the map.
        (#"{"metadata":{"labels":{"a":"1"},"name":"n"}}"#, #"{"metadata":{"labels":{"$patch":"delete"}}}"#,
         #"{"metadata":{"name":"n"}}"#),
        (#"{"metadata":{"name":"n"}}"#, #"{"$patch":"delete"}"#, #"{}"#),
        // Explicit merge directive is the default.
        (#"{"metadata":{"labels":{"a":"1"}}}"#, #"{"metadata":{"$patch":"merge","labels":{"b":"2"}}}"#,
         #"{"metadata":{"labels":{"a":"1","b":"2"}}}"#),
        // Field with the replace strategy.
        (#"{"spec":{"template":{"spec":{"affinity":{"a":1,"b":2}}}}}"#, #"{"spec":{"template":{"spec":{"affinity":{"b":3}}}}}"#,
         #"{"spec":{"template":{"spec":{"affinity":{"b":3}}}}}"#),
        // Lists without merge strategy are replaced.
        (#"{"spec":{"template":{"spec":{"tolerations":[{"key":"a"}]}}}}"#, #"{"spec":{"template":{"spec":{"tolerations":[{"key":"b"}]}}}}"#,
         #"{"spec":{"template":{"spec":{"tolerations":[{"key":"b"}]}}}}"#),
        // Directives never stay in a value that is new to the original.
        (#"{}"#, #"{"metadata":{"labels":{"$patch":"replace","a":"1","b":null}}}"#, #"{"metadata":{"labels":{"a":"1"}}}"#),
    ])
    func maps(original: String, patch: String, expected: String) throws {
        #expect(try smp(original, patch) == expected)
    }

    @Test func containersMergeByName() throws {
        let original = podSpec(#"{"containers":[{"name":"a","image":"a:1","env":[{"name":"X","value":"1"},{"name":"Y","value":"2"}],"args":["x"]},{"name":"b","image":"b:1"}]}"#)
        let patch = podSpec(#"{"containers":[{"name":"a","image":"a:2","env":[{"name":"Y","value":"3"},{"name":"Z","value":"4"}],"args":["y"]},{"name":"c","image":"c:1"}]}"#)
        let expected = podSpec(#"{"containers":[{"args":["y"],"env":[{"name":"X","value":"1"},{"name":"Y","value":"3"},{"name":"Z","value":"4"}],"image":"a:2","name":"a"},{"image":"c:1","name":"c"},{"image":"b:1","name":"b"}]}"#)
        #expect(try smp(original, patch) == (try JSONValue.parse(expected)).serializedString())
    }

    @Test func listDirectives() throws {
        let original = podSpec(#"{"containers":[{"name":"a"},{"name":"b"},{"name":"c"}]}"#)
        #expect(try smp(original, podSpec(#"{"containers":[{"name":"b","$patch":"delete"}]}"#))
            == podSpec(#"{"containers":[{"name":"a"},{"name":"c"}]}"#))
        #expect(try smp(original, podSpec(#"{"containers":[{"name":"z","image":"i"},{"$patch":"replace"}]}"#))
            == podSpec(#"{"containers":[{"image":"i","name":"z"}]}"#))
        #expect(throws: StatusError.self) { try smp(original, podSpec(#"{"containers":[{"$patch":"delete"}]}"#)) }
        #expect(throws: StatusError.self) { try smp(original, podSpec(#"{"containers":[{"image":"no-name"}]}"#)) }
        #expect(throws: StatusError.self) { try smp(original, podSpec(#"{"containers":[{"name":"a","$patch":"bogus"}]}"#)) }
    }

    @Test func portsUseTheMergeKeyOfTheirParentType() throws {
        let container = podSpec(#"{"containers":[{"name":"a","ports":[{"containerPort":80,"name":"http"},{"containerPort":443}]}]}"#)
        let patched = try smp(container, podSpec(#"{"containers":[{"name":"a","ports":[{"containerPort":80,"protocol":"TCP"}]}]}"#))
        #expect(patched == podSpec(#"{"containers":[{"name":"a","ports":[{"containerPort":80,"name":"http","protocol":"TCP"},{"containerPort":443}]}]}"#))

        let service = #"{"spec":{"ports":[{"port":80,"targetPort":8080},{"port":443,"targetPort":8443}]}}"#
        let servicePatched = try smp(service, #"{"spec":{"ports":[{"port":443,"targetPort":9443}]}}"#, type: "Service")
        #expect(servicePatched == #"{"spec":{"ports":[{"port":80,"targetPort":8080},{"port":443,"targetPort":9443}]}}"#)
        // Without a schema the same list is replaced.
        #expect(try smp(service, #"{"spec":{"ports":[{"port":443}]}}"#, type: nil) == #"{"spec":{"ports":[{"port":443}]}}"#)
    }

    @Test func setElementOrder() throws {
        let original = podSpec(#"{"containers":[{"name":"a"},{"name":"b"},{"name":"c"}]}"#)
        let patch = podSpec(#"{"$setElementOrder/containers":[{"name":"c"},{"name":"d"},{"name":"a"}],"containers":[{"name":"d"}]}"#)
        // The listed items take the given order; b (not listed) is interleaved by its live position as
        // upstream's mergeSortedSlice does: it was before c in the live list, so it goes before c.
        #expect(try smp(original, patch) == podSpec(#"{"containers":[{"name":"b"},{"name":"c"},{"name":"d"},{"name":"a"}]}"#))
        let complete = podSpec(#"{"$setElementOrder/containers":[{"name":"c"},{"name":"b"},{"name":"a"}]}"#)
        #expect(try smp(original, complete) == podSpec(#"{"containers":[{"name":"c"},{"name":"b"},{"name":"a"}]}"#))
        let primitive = #"{"metadata":{"finalizers":["x","y","z"]}}"#
        #expect(try smp(primitive, #"{"metadata":{"$setElementOrder/finalizers":["z","y","x"]}}"#)
            == #"{"metadata":{"finalizers":["z","y","x"]}}"#)
        #expect(throws: StatusError.self) {
            try smp(original, podSpec(#"{"$setElementOrder/containers":[{"name":"a"}],"containers":[{"name":"z"}]}"#))
        }
        #expect(throws: StatusError.self) { try smp(original, podSpec(#"{"$setElementOrder/containers":"x"}"#)) }
    }

    @Test func retainKeys() throws {
        let original = podSpec(#"{"volumes":[{"name":"data","emptyDir":{},"secret":{"secretName":"s"}}]}"#)
        let patch = podSpec(#"{"volumes":[{"$retainKeys":["hostPath","name"],"hostPath":{"path":"/tmp"},"name":"data"}]}"#)
        #expect(try smp(original, patch) == podSpec(#"{"volumes":[{"hostPath":{"path":"/tmp"},"name":"data"}]}"#))
        // Patch keys must be listed.
        #expect(throws: StatusError.badRequest("invalid patch format of retainKeys")) {
            try smp(original, podSpec(#"{"volumes":[{"$retainKeys":["name"],"hostPath":{},"name":"data"}]}"#))
        }
        #expect(throws: StatusError.badRequest("invalid patch format of retainKeys")) {
            try smp(original, podSpec(#"{"volumes":[{"$retainKeys":"name","name":"data"}]}"#))
        }
    }

    @Test func kubectlApplyPatch() throws {
        let original = #"""
        {"metadata":{"name":"d","finalizers":["example.com/a","example.com/b"]},
         "spec":{"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":1}},
          "template":{"spec":{
            "containers":[{"name":"a","image":"a","env":[{"name":"X","value":"1"},{"name":"Y","value":"2"}]},{"name":"b","image":"b"}],
            "volumes":[{"name":"data","emptyDir":{}}]}}}}
        """#
        let patch = #"{"metadata":{"$deleteFromPrimitiveList/finalizers":["example.com/b"],"$setElementOrder/finalizers":["example.com/a"]},"spec":{"strategy":{"$retainKeys":["type"],"rollingUpdate":null,"type":"Recreate"},"template":{"spec":{"$setElementOrder/containers":[{"name":"a"}],"$setElementOrder/volumes":[{"name":"data"}],"containers":[{"$setElementOrder/env":[{"name":"Y"}],"env":[{"$patch":"delete","name":"X"}],"name":"a"},{"$patch":"delete","name":"b"}],"volumes":[{"$retainKeys":["hostPath","name"],"emptyDir":null,"hostPath":{"path":"/tmp"},"name":"data"}]}}}}"#
        let expected = try JSONValue.parse(#"""
        {"metadata":{"name":"d","finalizers":["example.com/a"]},
         "spec":{"strategy":{"type":"Recreate"},
          "template":{"spec":{
            "containers":[{"name":"a","image":"a","env":[{"name":"Y","value":"2"}]}],
            "volumes":[{"name":"data","hostPath":{"path":"/tmp"}}]}}}}
        """#)
        #expect(try smp(original, patch) == expected.serializedString())
        #expect(!(try smp(original, patch)).contains("$"))
    }

    @Test(arguments: [
        #"[1]"#,
        #"{"metadata":{"$patch":"bogus"}}"#,
        #"{"metadata":{"$deleteFromPrimitiveList/finalizers":"a"}}"#,
    ])
    func badRequests(patch: String) throws {
        let original = #"{"metadata":{"finalizers":["a"]}}"#
        #expect(throws: StatusError.self) { try smp(original, patch) }
        do {
            _ = try StrategicMergePatch.apply(try JSONValue.parse(patch), to: try JSONValue.parse(original),
                                              type: "Deployment", schema: fakeSchema)
        } catch let error as StatusError {
            #expect(error.code == 400)
        }
    }

    @Test func listsOfListsAreUnprocessable() throws {
        let schema = StaticPatchSchema(["T": ["l": .init(isList: true, strategies: ["merge"])]])
        do {
            _ = try StrategicMergePatch.apply(["l": [[1]]], to: ["l": [[2]]], type: "T", schema: schema)
            Issue.record("expected failure")
        } catch {
            #expect(error.code == 422)
        }
    }
}
