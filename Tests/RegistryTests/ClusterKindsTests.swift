import APIMachinery
@testable import Registry
import Storage
import Testing

private func store(_ r: Registry, _ group: String, _ version: String, _ resource: String) throws -> GenericStore {
    try #require(r.store(group: group, version: version, resource: resource))
}

/// The field errors of a rejected write as "field: message" lines.
private func invalidCauses(_ body: () async throws -> Void) async -> [String] {
    do {
        try await body()
        return ["no error"]
    } catch let error as StatusError {
        guard error.code == 422 else { return ["\(error.code) \(error.message)"] }
        return (error.details?.causes ?? []).map { "\($0.field ?? ""): \($0.message)" }
    } catch {
        return ["\(error)"]
    }
}

@Suite struct ClusterKindsDefaultsTests {
    @Test func persistentVolumeDefaults() async throws {
        let pvs = try store(try await makeRegistry(), "", "v1", "persistentvolumes")
        let created = try await pvs.create(namespace: "", object: [
            "metadata": ["name": "pv1"],
            "spec": ["capacity": ["storage": "1Gi"], "accessModes": ["ReadWriteOnce"], "hostPath": ["path": "/data"]],
            "status": ["phase": "Bound"],
        ], options: WriteOptions()).object
        #expect(created["spec"]?["persistentVolumeReclaimPolicy"] == "Retain")
        #expect(created["spec"]?["volumeMode"] == "Filesystem")
        #expect(created["spec"]?["hostPath"]?["type"] == "")
        #expect(created["status"]?["phase"] == "Pending")
        #expect(created["status"]?["lastPhaseTransitionTime"]?.stringValue != nil)
        let read = try await pvs.get(namespace: "", name: "pv1")
        #expect(read == created)
    }

    @Test func persistentVolumeReportsEveryError() async throws {
        let pvs = try store(try await makeRegistry(), "", "v1", "persistentvolumes")
        let causes = await invalidCauses {
            _ = try await pvs.create(namespace: "", object: [
                "metadata": ["name": "pv2"],
                "spec": ["capacity": ["storage": "0", "cpu": "1"], "accessModes": ["Sometimes"], "persistentVolumeReclaimPolicy": "Keep",
                         "nfs": ["server": "h", "path": "/x"], "hostPath": ["path": "/y"]],
            ], options: WriteOptions())
        }
        #expect(causes == [
            "spec.accessModes: Unsupported value: \"Sometimes\": supported values: \"ReadOnlyMany\", \"ReadWriteMany\", \"ReadWriteOnce\", \"ReadWriteOncePod\"",
            "spec.capacity: Unsupported value: \"cpu\": supported values: \"storage\"",
            "spec.capacity[storage]: Invalid value: \"0\": must be greater than zero",
            "spec.persistentVolumeReclaimPolicy: Unsupported value: \"Keep\": supported values: \"Delete\", \"Recycle\", \"Retain\"",
            "spec.nfs: Forbidden: may not specify more than 1 volume type",
        ])
    }

    @Test func claimDefaultsRequiredFieldsAndImmutableSpec() async throws {
        let pvcs = try store(try await makeRegistry(), "", "v1", "persistentvolumeclaims")
        let causes = await invalidCauses {
            _ = try await pvcs.create(namespace: "default", object: ["metadata": ["name": "c"], "spec": [:]], options: WriteOptions())
        }
        #expect(causes == ["spec.accessModes: Required value: at least 1 access mode is required", "spec.resources[storage]: Required value"])
        let spec: JSONValue = ["accessModes": ["ReadWriteOnce"], "resources": ["requests": ["storage": "1Gi"]]]
        let created = try await pvcs.create(namespace: "default", object: ["metadata": ["name": "c"], "spec": spec], options: WriteOptions()).object
        #expect(created["spec"]?["volumeMode"] == "Filesystem")
        #expect(created["status"] == ["phase": "Pending"])
        let patched = await invalidCauses {
            _ = try await pvcs.patch(namespace: "default", name: "c", type: .merge, body: ["spec": ["resources": ["requests": ["storage": "2Gi"]]]],
                                     options: WriteOptions())
        }
        #expect(patched == ["spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims"])
        // A bound claim may grow, not shrink.
        _ = try await pvcs.patch(namespace: "default", name: "c", type: .merge, body: ["status": ["phase": "Bound"]], target: .status, options: WriteOptions())
        let grown = try await pvcs.patch(namespace: "default", name: "c", type: .merge, body: ["spec": ["resources": ["requests": ["storage": "2Gi"]]]],
                                         options: WriteOptions()).object
        #expect(grown["spec"]?["resources"]?["requests"]?["storage"] == "2Gi")
        let shrunk = await invalidCauses {
            _ = try await pvcs.patch(namespace: "default", name: "c", type: .merge, body: ["spec": ["resources": ["requests": ["storage": "1Gi"]]]],
                                     options: WriteOptions())
        }
        #expect(shrunk == ["spec.resources.requests.storage: Forbidden: field can not be less than previous value"])
    }

    @Test func limitRangeDefaultsAndOrdering() async throws {
        let limits = try store(try await makeRegistry(), "", "v1", "limitranges")
        let created = try await limits.create(namespace: "default", object: [
            "metadata": ["name": "l"],
            "spec": ["limits": [["type": "Container", "max": ["cpu": "2", "memory": "1Gi"], "min": ["cpu": "100m"], "default": ["memory": "512Mi"]]]],
        ], options: WriteOptions()).object
        let item = created["spec"]?["limits"]?.arrayValue?.first
        #expect(item?["default"] == ["cpu": "2", "memory": "512Mi"])
        #expect(item?["defaultRequest"] == ["cpu": "2", "memory": "512Mi"])
        let causes = await invalidCauses {
            _ = try await limits.create(namespace: "default", object: [
                "metadata": ["name": "bad"],
                "spec": ["limits": [["type": "Pod", "max": ["cpu": "500m"], "min": ["cpu": "1"], "default": ["cpu": "1"]],
                                    ["type": "Pod"]]],
            ], options: WriteOptions())
        }
        #expect(causes == [
            "spec.limits[0].default: Forbidden: may not be specified when `type` is 'Pod'",
            "spec.limits[0].min[cpu]: Invalid value: \"1\": min value 1 is greater than max value 500m",
            "spec.limits[0].default[cpu]: Invalid value: \"1\": default value 1 is greater than max value 500m",
            "spec.limits[1].type: Duplicate value: \"Pod\"",
        ])
    }

    @Test func quantities() {
        #expect(Quantity("1Gi")?.doubleValue == 1_073_741_824.0)
        #expect(Quantity("500m")?.doubleValue == 0.5)
        #expect(Quantity("1e3")?.doubleValue == 1000)
        #expect(Quantity("-2k")?.doubleValue == -2000)
        #expect(Quantity("1.5")?.doubleValue == 1.5)
        #expect(Quantity("abc") == nil)
        #expect(Quantity("1Gb") == nil)
        #expect(Quantity("") == nil)
    }

    @Test func canonicalQuantities() {
        let cases: [(String, String)] = [
            ("1000m", "1"), ("0.5", "500m"), ("1.5", "1500m"), ("1024Mi", "1Gi"), ("1.5Gi", "1536Mi"), ("0.5Ki", "512"),
            ("1536", "1536"), ("1000", "1k"), ("100M", "100M"), ("1e3", "1e3"), ("1500e0", "1500"), ("10", "10"),
            ("0.0000000001", "1n"), ("-2000", "-2k"), ("0", "0"), ("0Gi", "0"), ("500Mi", "500Mi"), ("12e6", "12e6"),
        ]
        for (input, expected) in cases {
            #expect(Quantity(input)?.canonical == expected, "\(input)")
        }
        #expect(Quantity("1Gb") == nil)
        #expect(Quantity(".") == nil)
    }

    @Test func quantitiesAreStoredCanonical() async throws {
        let registry = try await makeRegistry()
        let pvcs = try store(registry, "", "v1", "persistentvolumeclaims")
        let claim = try await pvcs.create(namespace: "default", object: [
            "metadata": ["name": "q"], "spec": ["accessModes": ["ReadWriteOnce"], "resources": ["requests": ["storage": "1024Mi"]]],
        ], options: WriteOptions()).object
        #expect(claim["spec"]?["resources"]?["requests"]?["storage"] == "1Gi")
        let quota = try await store(registry, "", "v1", "resourcequotas").create(namespace: "default", object: [
            "metadata": ["name": "q"], "spec": ["hard": ["cpu": "0.5", "pods": 10]],
        ], options: WriteOptions()).object
        #expect(quota["spec"]?["hard"] == ["cpu": "500m", "pods": "10"])
    }

    @Test func storageClassPriorityClassAndPDBDefaults() async throws {
        let registry = try await makeRegistry()
        let sc = try await store(registry, "storage.k8s.io", "v1", "storageclasses").create(
            namespace: "", object: ["metadata": ["name": "fast"], "provisioner": "x.io/p"], options: WriteOptions()).object
        #expect(sc["reclaimPolicy"] == "Delete")
        #expect(sc["volumeBindingMode"] == "Immediate")
        let pcs = try store(registry, "scheduling.k8s.io", "v1", "priorityclasses")
        let pc = try await pcs.create(namespace: "", object: ["metadata": ["name": "high"], "value": 100], options: WriteOptions()).object
        #expect(pc["preemptionPolicy"] == "PreemptLowerPriority")
        #expect(try await pcs.get(namespace: "", name: "system-node-critical")["value"] == 2_000_001_000)
        #expect(try await pcs.get(namespace: "", name: "system-cluster-critical")["value"] == 2_000_000_000)
        let pdb = try await store(registry, "policy", "v1", "poddisruptionbudgets").create(
            namespace: "default", object: ["metadata": ["name": "p"], "spec": ["maxUnavailable": "25%"]], options: WriteOptions()).object
        #expect(pdb.generation == 1)
        #expect(pdb["status"] == ["currentHealthy": 0, "desiredHealthy": 0, "disruptionsAllowed": 0, "expectedPods": 0])
    }
}

@Suite struct ClusterKindsValidationTests {
    @Test func podDisruptionBudgetErrors() async throws {
        let pdbs = try store(try await makeRegistry(), "policy", "v1", "poddisruptionbudgets")
        let causes = await invalidCauses {
            _ = try await pdbs.create(namespace: "default", object: [
                "metadata": ["name": "p"],
                "spec": ["minAvailable": -1, "maxUnavailable": "x%", "selector": ["matchExpressions": [["key": "a", "operator": "In"]]]],
            ], options: WriteOptions())
        }
        #expect(causes.count == 4)
        #expect(causes.contains { $0.hasPrefix("spec: Invalid value:") && $0.hasSuffix("minAvailable and maxUnavailable cannot be both set") })
        #expect(causes.contains("spec.minAvailable: Invalid value: -1: must be greater than or equal to 0"))
        #expect(causes.contains { $0.hasPrefix("spec.maxUnavailable: Invalid value: \"x%\": a valid percent string") })
        #expect(causes.contains("spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'"))
    }

    @Test func priorityClassRules() async throws {
        let pcs = try store(try await makeRegistry(), "scheduling.k8s.io", "v1", "priorityclasses")
        let tooHigh = await invalidCauses {
            _ = try await pcs.create(namespace: "", object: ["metadata": ["name": "x"], "value": 2_000_000_000, "preemptionPolicy": "Always"],
                                     options: WriteOptions())
        }
        #expect(tooHigh == ["value: Forbidden: maximum allowed value of a user defined priority is 1000000000",
                            "preemptionPolicy: Unsupported value: \"Always\": supported values: \"Never\", \"PreemptLowerPriority\""])
        let reserved = await invalidCauses {
            _ = try await pcs.create(namespace: "", object: ["metadata": ["name": "system-x"], "value": 1], options: WriteOptions())
        }
        #expect(reserved == ["metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: system-x is not a known system priority class"])
        _ = try await pcs.create(namespace: "", object: ["metadata": ["name": "y"], "value": 1], options: WriteOptions())
        let changed = await invalidCauses {
            _ = try await pcs.patch(namespace: "", name: "y", type: .merge, body: ["value": 2, "preemptionPolicy": "Never"], options: WriteOptions())
        }
        #expect(changed == ["value: Forbidden: may not be changed in an update.", "preemptionPolicy: Invalid value: \"Never\": field is immutable"])
    }

    @Test func rbacRules() async throws {
        let registry = try await makeRegistry()
        let roles = try store(registry, "rbac.authorization.k8s.io", "v1", "roles")
        let roleErrors = await invalidCauses {
            _ = try await roles.create(namespace: "default", object: [
                "metadata": ["name": "r"],
                "rules": [["apiGroups": [""], "resources": ["pods"]], ["verbs": ["get"], "nonResourceURLs": ["/x"]]],
            ], options: WriteOptions())
        }
        #expect(roleErrors == ["rules[0].verbs: Required value: verbs must contain at least one value",
                               "rules[1].nonResourceURLs: Invalid value: [\"/x\"]: namespaced rules cannot apply to non-resource URLs"])
        let bindings = try store(registry, "rbac.authorization.k8s.io", "v1", "clusterrolebindings")
        let bindingErrors = await invalidCauses {
            _ = try await bindings.create(namespace: "", object: [
                "metadata": ["name": "b"], "roleRef": ["kind": "Role", "name": ""],
                "subjects": [["kind": "ServiceAccount", "name": "sa"], ["kind": "Team", "name": "t"]],
            ], options: WriteOptions())
        }
        #expect(bindingErrors == ["roleRef.kind: Unsupported value: \"Role\": supported values: \"ClusterRole\"",
                                  "roleRef.name: Required value",
                                  "subjects[0].namespace: Required value",
                                  "subjects[1].kind: Unsupported value: \"Team\": supported values: \"ServiceAccount\", \"User\", \"Group\""])
        let ok = try await bindings.create(namespace: "", object: [
            "metadata": ["name": "b"], "roleRef": ["kind": "ClusterRole", "name": "view"],
            "subjects": [["kind": "Group", "name": "devs"], ["kind": "ServiceAccount", "name": "sa", "namespace": "default"]],
        ], options: WriteOptions()).object
        #expect(ok["roleRef"]?["apiGroup"] == "rbac.authorization.k8s.io")
        #expect(ok["subjects"]?.arrayValue?.map { $0["apiGroup"] } == ["rbac.authorization.k8s.io", nil])
        let changed = await invalidCauses {
            _ = try await bindings.patch(namespace: "", name: "b", type: .merge, body: ["roleRef": ["name": "edit"]], options: WriteOptions())
        }
        #expect(changed.count == 1 && changed[0].hasPrefix("roleRef: Invalid value:") && changed[0].hasSuffix("cannot change roleRef"))
    }

    @Test func hpaValidationReportsEveryMetricError() async throws {
        let hpas = try store(try await makeRegistry(), "autoscaling", "v2", "horizontalpodautoscalers")
        let causes = await invalidCauses {
            _ = try await hpas.create(namespace: "default", object: [
                "metadata": ["name": "h"],
                "spec": ["scaleTargetRef": ["name": "web"], "minReplicas": 3, "maxReplicas": 2,
                         "metrics": [["type": "Pods", "pods": ["metric": ["name": "q"], "target": ["type": "Value"]]],
                                     ["type": "Resource", "resource": ["name": "cpu", "target": ["type": "Utilization", "averageUtilization": 0]]],
                                     ["type": "Object", "pods": ["metric": ["name": "q"], "target": ["type": "AverageValue", "averageValue": "1"]]]],
                         "behavior": ["scaleUp": ["policies": []]]],
            ], options: WriteOptions())
        }
        #expect(causes == [
            "spec.maxReplicas: Invalid value: 2: must be greater than or equal to `minReplicas`",
            "spec.scaleTargetRef.kind: Required value",
            "spec.metrics[0].pods.target.averageValue: Required value: must specify a positive target averageValue",
            "spec.metrics[1].resource.target.averageUtilization: Invalid value: 0: must be greater than 0",
            "spec.metrics[2].object: Required value: must populate information for the given metric source",
            "spec.behavior.scaleUp.policies: Required value: must specify at least one Policy",
        ])
    }
}

@Suite struct ClusterKindsConversionTests {
    static let hpa: JSONValue = [
        "metadata": ["name": "web", "annotations": ["keep": "me"]],
        "spec": ["scaleTargetRef": ["apiVersion": "apps/v1", "kind": "Deployment", "name": "web"], "maxReplicas": 5,
                 "metrics": [["type": "Resource", "resource": ["name": "cpu", "target": ["type": "Utilization", "averageUtilization": 50]]],
                             ["type": "External", "external": ["metric": ["name": "queue"], "target": ["type": "Value", "value": "30"]]]]],
    ]

    @Test func hpaV2ReadThroughV1AndBack() async throws {
        let registry = try await makeRegistry()
        let v2 = try store(registry, "autoscaling", "v2", "horizontalpodautoscalers")
        let v1 = try store(registry, "autoscaling", "v1", "horizontalpodautoscalers")
        let created = try await v2.create(namespace: "default", object: Self.hpa, options: WriteOptions()).object
        #expect(created["spec"]?["minReplicas"] == 1)
        #expect(created["status"] == ["currentMetrics": .null, "desiredReplicas": 0])

        let old = try await v1.get(namespace: "default", name: "web")
        #expect(old.apiVersion == "autoscaling/v1")
        #expect(old["spec"] == ["scaleTargetRef": ["apiVersion": "apps/v1", "kind": "Deployment", "name": "web"],
                                "minReplicas": 1, "maxReplicas": 5, "targetCPUUtilizationPercentage": 50])
        #expect(old.annotations["autoscaling.alpha.kubernetes.io/metrics"]
            == #"[{"type":"External","external":{"metricName":"queue","targetValue":"30"}}]"#)
        #expect(old.annotations["keep"] == "me")
        #expect(old["status"] == ["currentReplicas": 0, "desiredReplicas": 0])
        #expect(old.resourceVersion == created.resourceVersion)

        // Writing the v1 form back changes nothing in the stored v2 object but the metric order.
        var edited = old
        edited[key: "spec", "maxReplicas"] = 7
        let updated = try await v1.update(namespace: "default", name: "web", object: edited, options: WriteOptions()).object
        #expect(updated["spec"]?["maxReplicas"] == 7)
        #expect(updated.annotations["autoscaling.alpha.kubernetes.io/metrics"] != nil)
        let stored = try await v2.get(namespace: "default", name: "web")
        #expect(stored["spec"]?["maxReplicas"] == 7)
        #expect(stored["spec"]?["metrics"] == [
            ["type": "External", "external": ["metric": ["name": "queue"], "target": ["type": "Value", "value": "30"]]],
            ["type": "Resource", "resource": ["name": "cpu", "target": ["type": "Utilization", "averageUtilization": 50]]],
        ])
        #expect(stored.annotations == ["keep": "me"])
    }

    @Test func hpaConverterKeepsStatusAndBehavior() {
        let converter = HorizontalPodAutoscalerV1Converter()
        let v2: JSONValue = [
            "metadata": ["name": "h"],
            "spec": ["scaleTargetRef": ["kind": "Deployment", "name": "d"], "minReplicas": 2, "maxReplicas": 4,
                     "metrics": [["type": "Pods", "pods": ["metric": ["name": "rps"], "target": ["type": "AverageValue", "averageValue": "10"]]]],
                     "behavior": ["scaleDown": ["stabilizationWindowSeconds": 30, "selectPolicy": "Min", "policies": [["type": "Pods", "value": 1, "periodSeconds": 60]]]]],
            "status": ["currentReplicas": 3, "desiredReplicas": 4,
                       "currentMetrics": [["type": "Resource", "resource": ["name": "cpu", "current": ["averageUtilization": 40, "averageValue": "200m"]]]],
                       "conditions": [["type": "AbleToScale", "status": "True", "reason": "Ready"]]],
        ]
        let v1 = converter.fromStorage(v2)
        #expect(v1["spec"]?["targetCPUUtilizationPercentage"] == nil)
        #expect(v1["status"]?["currentCPUUtilizationPercentage"] == 40)
        #expect(v1.annotations["autoscaling.alpha.kubernetes.io/current-metrics"]
            == #"[{"type":"Resource","resource":{"name":"cpu","currentAverageUtilization":40,"currentAverageValue":"200m"}}]"#)
        #expect(v1.annotations["autoscaling.alpha.kubernetes.io/behavior"]
            == #"{"scaleDown":{"stabilizationWindowSeconds":30,"selectPolicy":"Min","policies":[{"type":"Pods","value":1,"periodSeconds":60}]}}"#)
        #expect(v1.annotations["autoscaling.alpha.kubernetes.io/conditions"] == #"[{"type":"AbleToScale","status":"True","reason":"Ready"}]"#)
        let back = converter.toStorage(v1)
        #expect(back["spec"] == v2["spec"])
        #expect(back["status"] == v2["status"])
        #expect(back.annotations.isEmpty)
    }

    @Test func hpaStatusThroughV1KeepsSpec() async throws {
        let registry = try await makeRegistry()
        let v2 = try store(registry, "autoscaling", "v2", "horizontalpodautoscalers")
        let v1 = try store(registry, "autoscaling", "v1", "horizontalpodautoscalers")
        _ = try await v2.create(namespace: "default", object: Self.hpa, options: WriteOptions())
        let written = try await v1.patch(namespace: "default", name: "web", type: .merge,
                                         body: ["spec": ["maxReplicas": 9], "status": ["currentReplicas": 2, "desiredReplicas": 3, "currentCPUUtilizationPercentage": 42]],
                                         target: .status, options: WriteOptions()).object
        #expect(written["spec"]?["maxReplicas"] == 5)
        let stored = try await v2.get(namespace: "default", name: "web")
        #expect(stored["spec"]?["maxReplicas"] == 5)
        #expect(stored["status"]?["currentReplicas"] == 2)
        #expect(stored["status"]?["currentMetrics"] == [["type": "Resource", "resource": ["name": "cpu", "current": ["averageUtilization": 42]]]])
        let negative = await invalidCauses {
            _ = try await v2.patch(namespace: "default", name: "web", type: .merge, body: ["status": ["desiredReplicas": -1]],
                                   target: .status, options: WriteOptions())
        }
        #expect(negative == ["status.desiredReplicas: Invalid value: -1: must be greater than or equal to 0"])
    }

    @Test func hpaListAndWatchThroughV1() async throws {
        let registry = try await makeRegistry()
        let v2 = try store(registry, "autoscaling", "v2", "horizontalpodautoscalers")
        let v1 = try store(registry, "autoscaling", "v1", "horizontalpodautoscalers")
        let first = try await v2.create(namespace: "default", object: Self.hpa, options: WriteOptions()).object
        let listed = try await v1.list(namespace: "default", options: ListOptions())
        #expect(listed.items.map { $0["spec"]?["targetCPUUtilizationPercentage"] } == [50])
        #expect(listed.items.first?.apiVersion == "autoscaling/v1")
        let raw = try await v1.listJSON(namespace: nil, options: ListOptions())
        let item = try JSONValue.parse(try #require(raw.items.first))
        #expect(item["spec"]?["targetCPUUtilizationPercentage"] == 50)

        var options = ListOptions()
        options.resourceVersion = first.resourceVersion
        let watch = try await v1.watch(namespace: "default", options: options)
        _ = try await v2.patch(namespace: "default", name: "web", type: .merge,
                               body: ["spec": ["metrics": [["type": "Resource", "resource": ["name": "cpu", "target": ["type": "Utilization", "averageUtilization": 65]]]]]],
                               options: WriteOptions())
        var seen: [JSONValue] = []
        for await event in watch.events {
            seen.append([.string(event.type.rawValue), event.object.apiVersion.map { .string($0) } ?? .null,
                         event.object["spec"]?["targetCPUUtilizationPercentage"] ?? .null])
            break
        }
        watch.stop()
        #expect(seen == [["MODIFIED", "autoscaling/v1", 65]])
    }

    @Test func watchersOfTwoVersionsEachGetTheirOwnDecodingOfOneEvent() async throws {
        let registry = try await makeRegistry()
        let v2 = try store(registry, "autoscaling", "v2", "horizontalpodautoscalers")
        let v1 = try store(registry, "autoscaling", "v1", "horizontalpodautoscalers")
        let first = try await v2.create(namespace: "default", object: Self.hpa, options: WriteOptions()).object
        var options = ListOptions()
        options.resourceVersion = first.resourceVersion
        // Watchers of both versions, and two of v2: the event is decoded once per version.
        let watches = [try await v1.watch(namespace: "default", options: options), try await v2.watch(namespace: "default", options: options),
                       try await v2.watch(namespace: "default", options: options)]
        _ = try await v2.patch(namespace: "default", name: "web", type: .merge,
                               body: ["spec": ["metrics": [["type": "Resource", "resource": ["name": "cpu", "target": ["type": "Utilization", "averageUtilization": 70]]]]]],
                               options: WriteOptions())
        var seen: [APIWatchEvent] = []
        for watch in watches {
            for await event in watch.events {
                seen.append(event)
                break
            }
            watch.stop()
        }
        #expect(seen.map(\.object.apiVersion) == ["autoscaling/v1", "autoscaling/v2", "autoscaling/v2"])
        #expect(seen[0].object["spec"]?["targetCPUUtilizationPercentage"] == 70)
        #expect(seen[0].object["spec"]?["metrics"] == nil)
        #expect(seen[1].object["spec"]?["metrics"]?.arrayValue?.first?["resource"]?["target"]?["averageUtilization"] == 70)
        #expect(seen[1].object == seen[2].object)
        // One memo for the one storage event, shared by the three watchers.
        #expect(seen.allSatisfy { $0.memo != nil && $0.memo === seen[0].memo })
    }

    @Test func coreEventThroughEventsAPI() async throws {
        let registry = try await makeRegistry()
        let core = try store(registry, "", "v1", "events")
        let events = try store(registry, "events.k8s.io", "v1", "events")
        let created = try await core.create(namespace: "default", object: [
            "metadata": ["name": "e"], "involvedObject": ["kind": "Pod", "name": "p", "namespace": "default"],
            "reason": "Started", "message": "hi", "source": ["component": "kubelet", "host": "n1"], "count": 2,
            "firstTimestamp": "2024-01-01T00:00:00Z", "lastTimestamp": "2024-01-01T00:00:05Z", "type": "Normal",
        ], options: WriteOptions()).object
        let read = try await events.get(namespace: "default", name: "e")
        #expect(read.apiVersion == "events.k8s.io/v1")
        #expect(read["note"] == "hi")
        #expect(read["regarding"] == ["kind": "Pod", "name": "p", "namespace": "default"])
        #expect(read["deprecatedSource"] == ["component": "kubelet", "host": "n1"])
        #expect(read["deprecatedCount"] == 2)
        #expect(read["deprecatedFirstTimestamp"] == "2024-01-01T00:00:00Z")
        #expect(read["deprecatedLastTimestamp"] == "2024-01-01T00:00:05Z")
        #expect(read["eventTime"] == "2024-01-01T00:00:00.000000Z")  // from the first timestamp, so typed clients read it
        #expect(read["message"] == nil && read["involvedObject"] == nil && read["source"] == nil)

        var options = ListOptions()
        options.fieldSelector = try FieldSelector.parse("regarding.name=p,reason=Started")
        #expect(try await events.list(namespace: "default", options: options).items.map(\.name) == ["e"])
        options.resourceVersion = created.resourceVersion
        options.fieldSelector = nil
        let watch = try await events.watch(namespace: "default", options: options)
        _ = try await core.patch(namespace: "default", name: "e", type: .merge, body: ["count": 3], options: WriteOptions())
        var counts: [JSONValue?] = []
        for await event in watch.events {
            counts.append(event.object["deprecatedCount"])
            break
        }
        watch.stop()
        #expect(counts == [3])
    }

    @Test func eventsAPIEventThroughCore() async throws {
        let registry = try await makeRegistry()
        let core = try store(registry, "", "v1", "events")
        let events = try store(registry, "events.k8s.io", "v1", "events")
        let body: JSONValue = [
            "metadata": ["name": "n"], "eventTime": "2024-01-01T00:00:00.000000Z", "reportingController": "x.io/c",
            "reportingInstance": "c-1", "action": "Sync", "reason": "Synced", "note": "done", "type": "Normal",
            "regarding": ["kind": "ConfigMap", "name": "cm", "namespace": "default"],
            "series": ["count": 2, "lastObservedTime": "2024-01-01T00:00:01.000000Z"],
        ]
        let created = try await events.create(namespace: "default", object: body, options: WriteOptions()).object
        #expect(created["note"] == "done")
        #expect(created["deprecatedSource"] == [:])
        #expect(created["deprecatedFirstTimestamp"] == .null)
        #expect(created == (try await events.get(namespace: "default", name: "n")))
        let stored = try await core.get(namespace: "default", name: "n")
        #expect(stored["message"] == "done")
        #expect(stored["reportingComponent"] == "x.io/c")
        #expect(stored["involvedObject"]?["name"] == "cm")
        #expect(stored["series"]?["count"] == 2)
        let again = try await events.get(namespace: "default", name: "n")
        for key in ["note", "regarding", "reportingController", "reportingInstance", "action", "reason", "eventTime", "series", "type"] {
            #expect(again[key] == body[key], "\(key)")
        }
        let changed = await invalidCauses {
            _ = try await events.patch(namespace: "default", name: "n", type: .merge, body: ["note": "other"], options: WriteOptions())
        }
        #expect(changed == ["message: Invalid value: \"other\": field is immutable"])
        let strict = await invalidCauses {
            _ = try await events.create(namespace: "default", object: [
                "metadata": ["name": "s"], "eventTime": "2024-01-01T00:00:00.000000Z", "reportingController": "x.io/c",
                "reportingInstance": "c-1", "action": "A", "reason": "R", "type": "Odd", "deprecatedCount": 4,
                "regarding": ["namespace": "default"], "series": ["count": 1],
            ], options: WriteOptions())
        }
        #expect(strict == ["series.count: Invalid value: \"\": should be at least 2", "series.lastObservedTime: Required value",
                           "type: Invalid value: \"\": has invalid value: Odd", "count: Invalid value: \"\": needs to be unset"])
    }
}
