import APIMachinery
@testable import Registry
import Storage
import Testing

func workloadStore(_ r: Registry, _ group: String, _ resource: String) throws -> GenericStore {
    try #require(r.store(group: group, version: "v1", resource: resource))
}

let workloadNginx: JSONValue = ["name": "nginx", "image": "nginx:1.14.2"]

func workloadDeployment(_ name: String = "web", selector: JSONValue = ["matchLabels": ["app": "web"]],
                      labels: JSONValue = ["app": "web"], containers: JSONValue = [workloadNginx]) -> JSONValue {
    ["metadata": ["name": .string(name)],
     "spec": ["selector": selector,
              "template": ["metadata": ["labels": labels], "spec": ["containers": containers]]]]
}

/// Creates and expects a 422 Invalid; returns the causes as `field: message` lines.
func workloadInvalidCauses(_ store: GenericStore, _ object: JSONValue) async throws -> [String] {
    let error = await #expect(throws: StatusError.self) {
        _ = try await store.create(namespace: "default", object: object, options: WriteOptions())
    }
    #expect(error?.code == 422)
    #expect(error?.reason == "Invalid")
    return (error?.details?.causes ?? []).map { "\($0.field ?? ""): \($0.message)" }
}

@Suite struct WorkloadsPodTests {
    @Test func podDefaultsAndStatus() async throws {
        let pods = try workloadStore(try await makeRegistry(), "", "pods")
        let pod: JSONValue = ["metadata": ["name": "p"],
                              "spec": ["containers": [["name": "c", "image": "busybox",
                                                       "ports": [["containerPort": 80]],
                                                       "livenessProbe": ["httpGet": ["port": 80]],
                                                       "resources": ["limits": ["cpu": "1", "memory": "1Gi"]]]],
                                       "volumes": [["name": "v"], ["name": "cm", "configMap": ["name": "x"]]]]]
        let created = try await pods.create(namespace: "default", object: pod, options: WriteOptions()).object
        let spec = try #require(created["spec"])
        #expect(spec["restartPolicy"] == "Always")
        #expect(spec["dnsPolicy"] == "ClusterFirst")
        #expect(spec["schedulerName"] == "default-scheduler")
        #expect(spec["terminationGracePeriodSeconds"] == 30)
        #expect(spec["securityContext"] == .object([:]))
        #expect(spec["enableServiceLinks"] == true)
        #expect(spec["preemptionPolicy"] == "PreemptLowerPriority")
        #expect(spec["priority"] == 0)
        #expect(spec["serviceAccountName"] == "default")
        #expect(spec["serviceAccount"] == "default")
        let c = try #require(spec["containers"]?.arrayValue?.first)
        #expect(c["imagePullPolicy"] == "Always")
        #expect(c["terminationMessagePath"] == "/dev/termination-log")
        #expect(c["terminationMessagePolicy"] == "File")
        #expect(c["ports"]?.arrayValue?.first?["protocol"] == "TCP")
        #expect(c["livenessProbe"]?["timeoutSeconds"] == 1)
        #expect(c["livenessProbe"]?["periodSeconds"] == 10)
        #expect(c["livenessProbe"]?["successThreshold"] == 1)
        #expect(c["livenessProbe"]?["failureThreshold"] == 3)
        #expect(c["livenessProbe"]?["httpGet"]?["scheme"] == "HTTP")
        #expect(c["livenessProbe"]?["httpGet"]?["path"] == "/")
        #expect(c["resources"]?["requests"] == ["cpu": "1", "memory": "1Gi"])
        let volumes = try #require(spec["volumes"]?.arrayValue)
        #expect(volumes[0]["emptyDir"] == .object([:]))
        #expect(volumes[1]["configMap"]?["defaultMode"] == 420)
        #expect(created["status"]?["phase"] == "Pending")
        #expect(created["status"]?["qosClass"] == "Guaranteed")
    }

    @Test func imagePullPolicyByTag() {
        var probed: JSONValue = ["name": "a", "image": "x", "readinessProbe": ["grpc": ["port": 9000]]]
        PodSpecDefaults.applyContainer(&probed)
        #expect(probed["readinessProbe"]?["grpc"] == ["port": 9000, "service": ""])
        #expect(PodSpecDefaults.imageTag("nginx") == "latest")
        #expect(PodSpecDefaults.imageTag("nginx:latest") == "latest")
        #expect(PodSpecDefaults.imageTag("nginx:1.14.2") == "1.14.2")
        #expect(PodSpecDefaults.imageTag("localhost:5000/nginx") == "latest")
        #expect(PodSpecDefaults.imageTag("nginx@sha256:abc") == "")
        var c: JSONValue = ["name": "a", "image": "nginx:1.14.2"]
        PodSpecDefaults.applyContainer(&c)
        #expect(c["imagePullPolicy"] == "IfNotPresent")
    }

    @Test func qosClasses() {
        #expect(PodSpecDefaults.qosClass(["containers": [["name": "a"]]]) == "BestEffort")
        #expect(PodSpecDefaults.qosClass(["containers": [["name": "a", "resources": ["requests": ["cpu": "100m"]]]]]) == "Burstable")
        #expect(PodSpecDefaults.qosClass(["containers": [["name": "a", "resources": ["limits": ["cpu": "1", "memory": "1Gi"], "requests": ["cpu": "1000m", "memory": "1Gi"]]]]]) == "Guaranteed")
    }

    @Test func podValidationReportsEveryError() async throws {
        let pods = try workloadStore(try await makeRegistry(), "", "pods")
        let pod: JSONValue = ["metadata": ["name": "p"],
                              "spec": ["containers": [["name": "Bad_Name", "image": "x", "ports": [["containerPort": 70000]]],
                                                      ["name": "dup", "image": "x"], ["name": "dup"],
                                                      ["name": "r", "image": "x", "resources": ["limits": ["cpu": "abc"]],
                                                       "readinessProbe": ["exec": ["command": ["true"]], "tcpSocket": ["port": 80]]],
                                                      ["name": "q", "image": "x", "livenessProbe": ["periodSeconds": 5]]],
                                       "restartPolicy": "Sometimes"]]
        let causes = try await workloadInvalidCauses(pods, pod)
        #expect(causes.contains { $0.hasPrefix("spec.containers[0].name: Invalid value: \"Bad_Name\": a lowercase RFC 1123 label") })
        #expect(causes.contains("spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive"))
        #expect(causes.contains("spec.containers[2].name: Duplicate value: \"dup\""))
        #expect(causes.contains("spec.containers[2].image: Required value"))
        #expect(causes.contains { $0.hasPrefix("spec.containers[3].resources.limits[cpu]: Invalid value: \"abc\": quantities must match") })
        #expect(causes.contains("spec.containers[3].readinessProbe.tcpSocket: Forbidden: may not specify more than 1 handler type"))
        #expect(causes.contains("spec.containers[4].livenessProbe: Required value: must specify a handler type"))
        #expect(causes.contains("spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"OnFailure\", \"Never\""))
    }

    @Test func podWithoutContainersAndDuplicateVolumes() async throws {
        let pods = try workloadStore(try await makeRegistry(), "", "pods")
        let causes = try await workloadInvalidCauses(pods, ["metadata": ["name": "p"],
                                                    "spec": ["volumes": [["name": "v"], ["name": "v"]]]])
        #expect(causes.contains("spec.containers: Required value"))
        #expect(causes.contains("spec.volumes[1].name: Duplicate value: \"v\""))
    }

    @Test func podSpecUpdatesOnlyImages() async throws {
        let pods = try workloadStore(try await makeRegistry(), "", "pods")
        let created = try await pods.create(namespace: "default", object: ["metadata": ["name": "p"], "spec": ["containers": [workloadNginx]]],
                                            options: WriteOptions()).object
        var changed = created
        changed[key: "spec", "containers"] = [["name": "nginx", "image": "nginx:1.16"]]
        let updated = try await pods.update(namespace: "default", name: "p", object: changed, options: WriteOptions()).object
        #expect(updated["spec"]?["containers"]?.arrayValue?.first?["image"] == "nginx:1.16")
        var bad = updated
        bad[key: "spec", "restartPolicy"] = "Never"
        let error = await #expect(throws: StatusError.self) {
            _ = try await pods.update(namespace: "default", name: "p", object: bad, options: WriteOptions())
        }
        #expect(error?.code == 422)
        #expect(error?.details?.causes.first?.field == "spec")
    }

    @Test func bindingSetsNodeNameOnce() async throws {
        let pods = try workloadStore(try await makeRegistry(), "", "pods")
        _ = try await pods.create(namespace: "default", object: ["metadata": ["name": "p"], "spec": ["containers": [workloadNginx]]], options: WriteOptions())
        let status = try await pods.bind(namespace: "default", name: "p", binding: ["metadata": ["name": "p"], "target": ["kind": "Node", "name": "n1"]],
                                         options: WriteOptions())
        #expect(status["status"] == "Success")
        let pod = try await pods.get(namespace: "default", name: "p")
        #expect(pod["spec"]?["nodeName"] == "n1")
        let error = await #expect(throws: StatusError.self) {
            _ = try await pods.bind(namespace: "default", name: "p", binding: ["target": ["name": "n2"]], options: WriteOptions())
        }
        #expect(error?.code == 409)
        #expect(error?.message == "Operation cannot be fulfilled on pods/binding \"p\": pod p is already assigned to node \"n1\"")
    }

    @Test func evictionDeletesThePod() async throws {
        let pods = try workloadStore(try await makeRegistry(), "", "pods")
        _ = try await pods.create(namespace: "default", object: ["metadata": ["name": "p"], "spec": ["containers": [workloadNginx]]], options: WriteOptions())
        _ = try await pods.evict(namespace: "default", name: "p", eviction: ["kind": "Eviction", "metadata": ["name": "p"]], options: DeleteOptions())
        let error = await #expect(throws: StatusError.self) { _ = try await pods.get(namespace: "default", name: "p") }
        #expect(error?.code == 404)
    }

    @Test func podTableStatus() {
        let now = 1_000_000.0
        let pending: JSONValue = ["metadata": ["name": "p"], "spec": ["containers": [["name": "a"]]], "status": ["phase": "Pending"]]
        #expect(PodStrategy.printPod(pending, now: now).status == "Pending")
        #expect(PodStrategy.printPod(pending, now: now).ready == "0/1")
        #expect(PodStrategy.printPod(pending, now: now).node == "<none>")
        let creating: JSONValue = ["metadata": ["name": "p"], "spec": ["containers": [["name": "a"]]],
                                   "status": ["phase": "Pending", "containerStatuses": [["name": "a", "ready": false, "restartCount": 0,
                                                                                          "state": ["waiting": ["reason": "ContainerCreating"]]]]]]
        #expect(PodStrategy.printPod(creating, now: now).status == "ContainerCreating")
        let running: JSONValue = ["metadata": ["name": "p"], "spec": ["containers": [["name": "a"]], "nodeName": "n"],
                                  "status": ["phase": "Running", "podIPs": [["ip": "10.0.0.1"]],
                                             "containerStatuses": [["name": "a", "ready": true, "restartCount": 2,
                                                                    "state": ["running": ["startedAt": "1970-01-01T00:00:00Z"]]]]]]
        let row = PodStrategy.printPod(running, now: now)
        #expect(row.status == "Running")
        #expect(row.ready == "1/1")
        #expect(row.restarts == "2")
        #expect(row.ip == "10.0.0.1")
        let completed: JSONValue = ["metadata": ["name": "p"], "spec": ["containers": [["name": "a"]]],
                                    "status": ["phase": "Succeeded", "containerStatuses": [["name": "a", "ready": false,
                                                                                            "state": ["terminated": ["reason": "Completed", "exitCode": 0]]]]]]
        #expect(PodStrategy.printPod(completed, now: now).status == "Completed")
        var terminating = running
        terminating[key: "metadata", "deletionTimestamp"] = "1970-01-01T00:00:00Z"
        #expect(PodStrategy.printPod(terminating, now: now).status == "Terminating")
    }

    @Test func podFieldSelectors() async throws {
        let strategy = PodStrategy()
        let fields = strategy.selectableFields(["spec": ["nodeName": "n1", "restartPolicy": "Always", "hostNetwork": true],
                                                "status": ["phase": "Running", "podIPs": [["ip": "1.2.3.4"]]]])
        #expect(fields["spec.nodeName"] == "n1")
        #expect(fields["spec.hostNetwork"] == "true")
        #expect(fields["status.phase"] == "Running")
        #expect(fields["status.podIP"] == "1.2.3.4")
        #expect(Set(strategy.fieldSelectorLabels) == Set(fields.keys))
    }
}

@Suite struct WorkloadsAppsTests {
    @Test func deploymentDefaults() async throws {
        let deployments = try workloadStore(try await makeRegistry(), "apps", "deployments")
        let created = try await deployments.create(namespace: "default", object: workloadDeployment(), options: WriteOptions()).object
        let spec = try #require(created["spec"])
        #expect(spec["replicas"] == 1)
        #expect(spec["strategy"] == ["type": "RollingUpdate", "rollingUpdate": ["maxUnavailable": "25%", "maxSurge": "25%"]])
        #expect(spec["revisionHistoryLimit"] == 10)
        #expect(spec["progressDeadlineSeconds"] == 600)
        #expect(spec["template"]?["metadata"]?["creationTimestamp"] == .null)
        #expect(spec["template"]?["spec"]?["restartPolicy"] == "Always")
        #expect(spec["template"]?["spec"]?["enableServiceLinks"] == nil)
        #expect(spec["template"]?["spec"]?["serviceAccountName"] == nil)
        #expect(spec["template"]?["spec"]?["containers"]?.arrayValue?.first?["imagePullPolicy"] == "IfNotPresent")
        #expect(created["status"] == .object([:]))
        #expect(created.generation == 1)
    }

    @Test func deploymentSelectorMustMatchTemplate() async throws {
        let deployments = try workloadStore(try await makeRegistry(), "apps", "deployments")
        let causes = try await workloadInvalidCauses(deployments, workloadDeployment(labels: ["app": "other"]))
        #expect(causes == ["spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"other\"}: `selector` does not match template `labels`"])
        let missing = try await workloadInvalidCauses(deployments, ["metadata": ["name": "x"], "spec": ["template": ["metadata": ["labels": ["a": "b"]], "spec": ["containers": [workloadNginx]]]]])
        #expect(missing.contains("spec.selector: Required value"))
    }

    @Test func deploymentTemplateRulesAndReplicas() async throws {
        let deployments = try workloadStore(try await makeRegistry(), "apps", "deployments")
        var object = workloadDeployment(containers: [workloadNginx, workloadNginx])
        object[key: "spec", "replicas"] = -1
        var template = object["spec"]?["template"] ?? .null
        template[key: "spec", "restartPolicy"] = "Never"
        template[key: "metadata", "labels"] = ["app": "web", "bad": "not valid!"]
        object[key: "spec", "template"] = template
        let causes = try await workloadInvalidCauses(deployments, object)
        #expect(causes.contains("spec.replicas: Invalid value: -1: must be greater than or equal to 0"))
        #expect(causes.contains("spec.template.spec.containers[1].name: Duplicate value: \"nginx\""))
        #expect(causes.contains("spec.template.spec.restartPolicy: Unsupported value: \"Never\": supported values: \"Always\""))
        #expect(causes.contains { $0.hasPrefix("spec.template.metadata.labels: Invalid value: \"not valid!\"") })
    }

    @Test func deploymentSelectorImmutableAndGeneration() async throws {
        let deployments = try workloadStore(try await makeRegistry(), "apps", "deployments")
        let created = try await deployments.create(namespace: "default", object: workloadDeployment(), options: WriteOptions()).object
        var status = created
        status["status"] = ["replicas": 1]
        let afterStatus = try await deployments.update(namespace: "default", name: "web", object: status, target: .status, options: WriteOptions()).object
        #expect(afterStatus.generation == 1)
        #expect(afterStatus["status"]?["replicas"] == 1)
        var changed = afterStatus
        changed[key: "spec", "replicas"] = 2
        changed["status"] = .object([:])
        let updated = try await deployments.update(namespace: "default", name: "web", object: changed, options: WriteOptions()).object
        #expect(updated.generation == 2)
        #expect(updated["status"]?["replicas"] == 1)
        var moved = updated
        moved[key: "spec", "selector"] = ["matchLabels": ["app": "x"]]
        moved[key: "spec", "template"] = ["metadata": ["labels": ["app": "x"]], "spec": ["containers": [workloadNginx]]]
        let error = await #expect(throws: StatusError.self) {
            _ = try await deployments.update(namespace: "default", name: "web", object: moved, options: WriteOptions())
        }
        #expect(error?.details?.causes.map(\.message) == ["Invalid value: v1.LabelSelector{MatchLabels:map[string]string{\"app\":\"x\"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable"])
    }

    @Test func scaleSubresource() async throws {
        let deployments = try workloadStore(try await makeRegistry(), "apps", "deployments")
        _ = try await deployments.create(namespace: "default", object: workloadDeployment(), options: WriteOptions())
        let scale = try await deployments.getScale(namespace: "default", name: "web")
        #expect(scale["kind"] == "Scale")
        #expect(scale["apiVersion"] == "autoscaling/v1")
        #expect(scale["spec"]?["replicas"] == 1)
        #expect(scale["status"]?["selector"] == "app=web")
        let patched = try await deployments.patchScale(namespace: "default", name: "web", type: .merge, body: ["spec": ["replicas": 3]], options: WriteOptions())
        #expect(patched["spec"]?["replicas"] == 3)
        let object = try await deployments.get(namespace: "default", name: "web")
        #expect(object["spec"]?["replicas"] == 3)
        #expect(object.generation == 2)
        let error = await #expect(throws: StatusError.self) {
            _ = try await deployments.updateScale(namespace: "default", name: "web", scale: ["spec": ["replicas": -2]], options: WriteOptions())
        }
        #expect(error?.code == 422)
        #expect(error?.details?.causes.first?.field == "spec.replicas")
    }

    @Test func replicationControllerDefaultsFromTemplate() async throws {
        let registry = try await makeRegistry()
        let rcs = try workloadStore(registry, "", "replicationcontrollers")
        let created = try await rcs.create(namespace: "default", object: ["metadata": ["name": "rc"],
                                                                          "spec": ["template": ["metadata": ["labels": ["app": "r"]],
                                                                                                "spec": ["containers": [workloadNginx]]]]],
                                           options: WriteOptions()).object
        #expect(created["spec"]?["selector"] == ["app": "r"])
        #expect(created.labels == ["app": "r"])
        #expect(created["spec"]?["replicas"] == 1)
        let scale = try await rcs.getScale(namespace: "default", name: "rc")
        #expect(scale["status"]?["selector"] == "app=r")
    }

    @Test func statefulSetAndDaemonSetDefaults() async throws {
        let registry = try await makeRegistry()
        let sets = try workloadStore(registry, "apps", "statefulsets")
        var object = workloadDeployment("db")
        object[key: "spec", "volumeClaimTemplates"] = [["metadata": ["name": "data"], "spec": ["accessModes": ["ReadWriteOnce"]]]]
        let sts = try await sets.create(namespace: "default", object: object, options: WriteOptions()).object
        #expect(sts["spec"]?["replicas"] == 1)
        #expect(sts["spec"]?["podManagementPolicy"] == "OrderedReady")
        #expect(sts["spec"]?["updateStrategy"] == ["type": "RollingUpdate", "rollingUpdate": ["partition": 0]])
        #expect(sts["spec"]?["revisionHistoryLimit"] == 10)
        #expect(sts["spec"]?["persistentVolumeClaimRetentionPolicy"] == ["whenDeleted": "Retain", "whenScaled": "Retain"])
        let claim = sts["spec"]?["volumeClaimTemplates"]?.arrayValue?.first
        #expect(claim?["spec"]?["volumeMode"] == "Filesystem")
        #expect(claim?["status"]?["phase"] == "Pending")
        #expect(sts["status"] == ["replicas": 0, "availableReplicas": 0])

        let daemons = try workloadStore(registry, "apps", "daemonsets")
        let ds = try await daemons.create(namespace: "default", object: workloadDeployment("agent"), options: WriteOptions()).object
        #expect(ds["spec"]?["updateStrategy"] == ["type": "RollingUpdate", "rollingUpdate": ["maxUnavailable": 1, "maxSurge": 0]])
        #expect(ds["spec"]?["revisionHistoryLimit"] == 10)
        #expect(ds["status"] == ["currentNumberScheduled": 0, "desiredNumberScheduled": 0, "numberMisscheduled": 0, "numberReady": 0])

        let replicaSets = try workloadStore(registry, "apps", "replicasets")
        let rs = try await replicaSets.create(namespace: "default", object: workloadDeployment("rs"), options: WriteOptions()).object
        #expect(rs["spec"]?["replicas"] == 1)
        #expect(rs["status"] == ["replicas": 0])
        #expect(ReplicaSetStrategy().selectableFields(rs)["status.replicas"] == "0")
    }

    @Test func tablesMatchKubectl() {
        let deployment: JSONValue = ["metadata": ["name": "web", "creationTimestamp": "1970-01-01T00:00:00Z"],
                                     "spec": ["replicas": 3, "selector": ["matchLabels": ["app": "web"]],
                                              "template": ["spec": ["containers": [["name": "a", "image": "x:1"], ["name": "b", "image": "y"]]]]],
                                     "status": ["readyReplicas": 2, "updatedReplicas": 3, "availableReplicas": 2]]
        let strategy = DeploymentStrategy()
        #expect(strategy.tableColumns.map(\.name) == ["Name", "Ready", "Up-to-date", "Available", "Age", "Containers", "Images", "Selector"])
        #expect(strategy.tableColumns.map(\.priority) == [0, 0, 0, 0, 0, 1, 1, 1])
        #expect(strategy.tableCells(deployment, now: 60) == ["web", "2/3", 3, 2, "60s", "a,b", "x:1,y", "app=web"])
        #expect(StatefulSetStrategy().tableColumns.filter { $0.priority == 0 }.map(\.name) == ["Name", "Ready", "Age"])
        #expect(DaemonSetStrategy().tableColumns.filter { $0.priority == 0 }.map(\.name) ==
                ["Name", "Desired", "Current", "Ready", "Up-to-date", "Available", "Node Selector", "Age"])
        #expect(CronJobStrategy().tableColumns.filter { $0.priority == 0 }.map(\.name) ==
                ["Name", "Schedule", "Timezone", "Suspend", "Active", "Last Schedule", "Age"])
        let revision: JSONValue = ["metadata": ["name": "r", "ownerReferences": [["apiVersion": "apps/v1", "kind": "StatefulSet", "name": "db", "controller": true]]],
                                   "revision": 2]
        #expect(ControllerRevisionStrategy().tableCells(revision, now: 0)[1] == "statefulset.apps/db")
    }
}

@Suite struct WorkloadsBatchTests {
    @Test func jobDefaultsAndGeneratedSelector() async throws {
        let jobs = try workloadStore(try await makeRegistry(), "batch", "jobs")
        let created = try await jobs.create(namespace: "default", object: ["metadata": ["name": "j"],
                                                                           "spec": ["template": ["spec": ["containers": [workloadNginx], "restartPolicy": "Never"]]]],
                                            options: WriteOptions()).object
        let spec = try #require(created["spec"])
        let uid = JSONValue.string(created.uid)
        #expect(spec["completions"] == 1)
        #expect(spec["parallelism"] == 1)
        #expect(spec["backoffLimit"] == 6)
        #expect(spec["completionMode"] == "NonIndexed")
        #expect(spec["suspend"] == false)
        #expect(spec["podReplacementPolicy"] == "TerminatingOrFailed")
        #expect(spec["selector"] == ["matchLabels": ["batch.kubernetes.io/controller-uid": uid]])
        #expect(spec["template"]?["metadata"]?["labels"] == ["batch.kubernetes.io/controller-uid": uid, "batch.kubernetes.io/job-name": "j",
                                                              "controller-uid": uid, "job-name": "j"])
        #expect(JobStrategy().selectableFields(created)["status.successful"] == "0")
    }

    @Test func jobParallelismOnlyKeepsCompletionsUnset() {
        var spec: JSONValue = ["parallelism": 3]
        JobStrategy.applyJobSpecDefaults(&spec)
        #expect(spec["completions"] == nil)
        #expect(spec["parallelism"] == 3)
    }

    @Test func jobRestartPolicyAlwaysIsRejected() async throws {
        let jobs = try workloadStore(try await makeRegistry(), "batch", "jobs")
        let causes = try await workloadInvalidCauses(jobs, ["metadata": ["name": "j"], "spec": ["template": ["spec": ["containers": [workloadNginx]]]]])
        #expect(causes == ["spec.template.spec.restartPolicy: Required value: valid values: \"OnFailure\", \"Never\""])
    }

    @Test func cronJobDefaultsAndSchedule() async throws {
        let cronJobs = try workloadStore(try await makeRegistry(), "batch", "cronjobs")
        func cronJob(_ schedule: String, zone: String? = nil) -> JSONValue {
            var spec: JSONValue = ["schedule": .string(schedule),
                                   "jobTemplate": ["spec": ["template": ["spec": ["containers": [workloadNginx], "restartPolicy": "OnFailure"]]]]]
            if let zone { spec["timeZone"] = .string(zone) }
            return ["metadata": ["name": "cj"], "spec": spec]
        }
        let created = try await cronJobs.create(namespace: "default", object: cronJob("*/1 * * * *", zone: "Europe/Paris"), options: WriteOptions()).object
        #expect(created["spec"]?["concurrencyPolicy"] == "Allow")
        #expect(created["spec"]?["suspend"] == false)
        #expect(created["spec"]?["successfulJobsHistoryLimit"] == 3)
        #expect(created["spec"]?["failedJobsHistoryLimit"] == 1)
        let bad = try await workloadInvalidCauses(cronJobs, cronJob("61 * * * *", zone: "Europe/Pariss"))
        #expect(bad == ["spec.schedule: Invalid value: \"61 * * * *\": end of range (61) above maximum (59): 61",
                        "spec.timeZone: Invalid value: \"Europe/Pariss\": unknown time zone Europe/Pariss"])
    }

    @Test func cronParser() {
        #expect(CronSchedule.validate("*/1 * * * *") == nil)
        #expect(CronSchedule.validate("0 9-17/2 1,15 jan-jun MON-FRI") == nil)
        #expect(CronSchedule.validate("@hourly") == nil)
        #expect(CronSchedule.validate("@every 1h30m") == nil)
        #expect(CronSchedule.validate("@every soon") != nil)
        #expect(CronSchedule.validate("@often") == "unrecognized descriptor: @often")
        #expect(CronSchedule.validate("bad") == "expected exactly 5 fields, found 1: [bad]")
        #expect(CronSchedule.validate("* * * * 7") == "end of range (7) above maximum (6): 7")
        #expect(CronSchedule.validate("x * * * *") == "failed to parse int from x: strconv.Atoi: parsing \"x\": invalid syntax")
        #expect(CronSchedule.validate("5-1 * * * *") == "beginning of range (5) beyond end of range (1): 5-1")
        #expect(CronSchedule.validate("*/0 * * * *") == "step of range should be a positive number: */0")
        #expect(CronSchedule.validate("* * 0 * *") == "beginning of range (0) below minimum (1): 0")
    }
}

@Suite struct WorkloadsQuantityTests {
    @Test func canonicalQuantities() {
        #expect(Quantity("0.5")?.canonical == "500m")
        #expect(Quantity("1000m")?.canonical == "1")
        #expect(Quantity("1500m")?.canonical == "1500m")
        #expect(Quantity("1024Mi")?.canonical == "1Gi")
        #expect(Quantity("1536Mi")?.canonical == "1536Mi")
        #expect(Quantity("128Mi")?.canonical == "128Mi")
        #expect(Quantity("100000")?.canonical == "100k")
        #expect(Quantity("1200")?.canonical == "1200")
        #expect(Quantity.canonical(.int(2)) == "2")
        #expect(Quantity("1e3")?.canonical == "1e3")
        #expect(Quantity("0.1Ki")?.canonical == "102400m")
        #expect(Quantity("1G")?.canonical == "1G")
        #expect(Quantity("0")?.canonical == "0")
        #expect(Quantity("abc") == nil)
    }
}

@Suite struct WorkloadsGenerationTests {
    @Test func deploymentAnnotationsBumpGenerationLabelsDoNot() async throws {
        let deployments = try workloadStore(try await makeRegistry(), "apps", "deployments")
        let created = try await deployments.create(namespace: "default", object: workloadDeployment(), options: WriteOptions()).object
        var labelled = created
        labelled[key: "metadata", "labels"] = ["x": "y"]
        let afterLabel = try await deployments.update(namespace: "default", name: "web", object: labelled, options: WriteOptions()).object
        #expect(afterLabel.generation == 1)
        var annotated = afterLabel
        annotated[key: "metadata", "annotations"] = ["note": "z"]
        let afterAnnotation = try await deployments.update(namespace: "default", name: "web", object: annotated, options: WriteOptions()).object
        #expect(afterAnnotation.generation == 2)
    }

    @Test func replicaSetLabelsDoNotBumpGeneration() async throws {
        let sets = try workloadStore(try await makeRegistry(), "apps", "replicasets")
        let created = try await sets.create(namespace: "default", object: workloadDeployment("rs"), options: WriteOptions()).object
        var annotated = created
        annotated[key: "metadata", "annotations"] = ["note": "z"]
        #expect(try await sets.update(namespace: "default", name: "rs", object: annotated, options: WriteOptions()).object.generation == 1)
    }
}

@Suite struct WorkloadsContainerRulesTests {
    @Test func containerRestartPolicyAndHostNetworkPorts() async throws {
        let pods = try workloadStore(try await makeRegistry(), "", "pods")
        let pod: JSONValue = ["metadata": ["name": "p"],
                              "spec": ["hostNetwork": true,
                                       "initContainers": [["name": "i", "image": "x", "restartPolicy": "Never"]],
                                       "containers": [["name": "c", "image": "x", "restartPolicy": "Always",
                                                       "ports": [["containerPort": 80, "hostPort": 81]]]]]]
        let causes = try await workloadInvalidCauses(pods, pod)
        #expect(causes.contains("spec.initContainers[0].restartPolicy: Unsupported value: \"Never\": supported values: \"Always\""))
        #expect(causes.contains("spec.containers[0].restartPolicy: Forbidden: may not be set for non-init containers"))
        #expect(causes.contains("spec.containers[0].ports[0].hostPort: Invalid value: 81: must match `containerPort` when `hostNetwork` is true"))
    }

    @Test func hostNetworkDefaultsHostPorts() async throws {
        let pods = try workloadStore(try await makeRegistry(), "", "pods")
        let created = try await pods.create(namespace: "default", object: ["metadata": ["name": "p"],
                                                                           "spec": ["hostNetwork": true, "containers": [["name": "c", "image": "x", "ports": [["containerPort": 8080]]]]]],
                                            options: WriteOptions()).object
        #expect(created["spec"]?["containers"]?.arrayValue?.first?["ports"]?.arrayValue?.first?["hostPort"] == 8080)
        #expect(PodStrategy().selectableFields(created)["spec.hostNetwork"] == "true")
    }
}

@Suite struct WorkloadsEphemeralContainersTests {
    @Test func ephemeralContainersAreAddedNotChanged() async throws {
        let pods = try workloadStore(try await makeRegistry(), "", "pods")
        _ = try await pods.create(namespace: "default", object: ["metadata": ["name": "p"], "spec": ["containers": [workloadNginx]]], options: WriteOptions())
        let patch: JSONValue = ["spec": ["ephemeralContainers": [["name": "debugger", "image": "busybox", "targetContainerName": "nginx"]]]]
        let pod = try await pods.patchEphemeralContainers(namespace: "default", name: "p", type: .strategic, body: patch, options: WriteOptions())
        let added = try #require(pod["spec"]?["ephemeralContainers"]?.arrayValue?.first)
        #expect(added["terminationMessagePolicy"] == "File")
        #expect(added["imagePullPolicy"] == "Always")
        let changed: JSONValue = ["spec": ["ephemeralContainers": [["name": "debugger", "image": "alpine"]]]]
        let error = await #expect(throws: StatusError.self) {
            _ = try await pods.patchEphemeralContainers(namespace: "default", name: "p", type: .merge, body: changed, options: WriteOptions())
        }
        #expect(error?.code == 422)
        let bad: JSONValue = ["spec": ["ephemeralContainers": [["name": "debugger", "image": "busybox", "targetContainerName": "nginx"],
                                                                ["name": "nginx", "image": "x", "ports": [["containerPort": 80]]]]]]
        let invalid = await #expect(throws: StatusError.self) {
            _ = try await pods.patchEphemeralContainers(namespace: "default", name: "p", type: .merge, body: bad, options: WriteOptions())
        }
        let messages = (invalid?.details?.causes ?? []).map { "\($0.field ?? ""): \($0.message)" }
        #expect(messages.contains("spec.ephemeralContainers[1].name: Duplicate value: \"nginx\""))
        #expect(messages.contains("spec.ephemeralContainers[1].ports: Forbidden: cannot be set for an Ephemeral Container"))
    }
}

@Suite struct WorkloadsDaemonSetTests {
    @Test func templateGenerationAnnotation() async throws {
        let daemons = try workloadStore(try await makeRegistry(), "apps", "daemonsets")
        let created = try await daemons.create(namespace: "default", object: workloadDeployment("agent"), options: WriteOptions()).object
        #expect(created.annotations["deprecated.daemonset.template.generation"] == "1")
        var relabelled = created
        relabelled[key: "metadata", "labels"] = ["a": "b"]
        let same = try await daemons.update(namespace: "default", name: "agent", object: relabelled, options: WriteOptions()).object
        #expect(same.annotations["deprecated.daemonset.template.generation"] == "1")
        var changed = same
        changed[key: "spec", "template"] = ["metadata": ["labels": ["app": "web"]], "spec": ["containers": [["name": "nginx", "image": "nginx:2"]]]]
        let updated = try await daemons.update(namespace: "default", name: "agent", object: changed, options: WriteOptions()).object
        #expect(updated.annotations["deprecated.daemonset.template.generation"] == "2")
        #expect(updated.generation == 2)
    }
}

@Suite struct WorkloadsStrategyValidationTests {
    @Test func rollingUpdateValues() async throws {
        let deployments = try workloadStore(try await makeRegistry(), "apps", "deployments")
        var object = workloadDeployment()
        object[key: "spec", "strategy"] = ["type": "RollingUpdate", "rollingUpdate": ["maxSurge": "200%", "maxUnavailable": "150%"]]
        let causes = try await workloadInvalidCauses(deployments, object)
        #expect(causes == ["spec.strategy.rollingUpdate.maxUnavailable: Invalid value: \"150%\": must not be greater than 100%"])
        object[key: "spec", "strategy"] = ["type": "RollingUpdate", "rollingUpdate": ["maxSurge": 0, "maxUnavailable": "0%"]]
        let zero = try await workloadInvalidCauses(deployments, object)
        #expect(zero == ["spec.strategy.rollingUpdate.maxUnavailable: Invalid value: \"0%\": may not be 0 when `maxSurge` is 0"])
        object[key: "spec", "strategy"] = ["type": "RollingUpdate", "rollingUpdate": ["maxSurge": "x"]]
        let bad = try await workloadInvalidCauses(deployments, object)
        #expect(bad == ["spec.strategy.rollingUpdate.maxSurge: Invalid value: \"x\": a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')"])
    }
}

@Suite struct WorkloadsSchedulingGateTests {
    @Test func gatedPodsShowSchedulingGated() async throws {
        let pods = try workloadStore(try await makeRegistry(), "", "pods")
        let created = try await pods.create(namespace: "default", object: ["metadata": ["name": "g"],
                                                                           "spec": ["schedulingGates": [["name": "example.com/wait"]], "containers": [workloadNginx]]],
                                            options: WriteOptions()).object
        #expect(created["status"]?["conditions"]?.arrayValue?.first?["reason"] == "SchedulingGated")
        #expect(PodStrategy.printPod(created, now: 0).status == "SchedulingGated")
        var added = created
        added[key: "spec", "schedulingGates"] = [["name": "example.com/wait"], ["name": "example.com/more"]]
        let error = await #expect(throws: StatusError.self) {
            _ = try await pods.update(namespace: "default", name: "g", object: added, options: WriteOptions())
        }
        #expect(error?.details?.causes.map(\.message) == ["Forbidden: only deletion is allowed, but found new scheduling gate 'example.com/more'"])
        var removed = created
        removed[key: "spec", "schedulingGates"] = nil
        let ungated = try await pods.update(namespace: "default", name: "g", object: removed, options: WriteOptions()).object
        #expect(ungated["spec"]?["schedulingGates"] == nil)
    }
}

@Suite struct WorkloadsStatefulSetUpdateTests {
    @Test func onlySomeSpecFieldsChange() async throws {
        let registry = try await makeRegistry()
        let sets = try workloadStore(registry, "apps", "statefulsets")
        let created = try await sets.create(namespace: "default", object: workloadDeployment("db"), options: WriteOptions()).object
        var scaled = created
        scaled[key: "spec", "replicas"] = 3
        #expect(try await sets.update(namespace: "default", name: "db", object: scaled, options: WriteOptions()).object["spec"]?["replicas"] == 3)
        var renamed = created
        renamed[key: "spec", "serviceName"] = "other"
        renamed.resourceVersion = ""
        let error = await #expect(throws: StatusError.self) {
            _ = try await sets.update(namespace: "default", name: "db", object: renamed, options: WriteOptions())
        }
        #expect(error?.details?.causes.map(\.field) == ["spec"])

        let revisions = try workloadStore(registry, "apps", "controllerrevisions")
        let causes = try await workloadInvalidCauses(revisions, ["metadata": ["name": "r"], "revision": -1])
        #expect(causes == ["data: Required value: data is mandatory", "revision: Invalid value: -1: must be greater than or equal to 0"])
    }
}

@Suite struct WorkloadsStatefulSetClaimMountTests {
    @Test func mountsMayNameAVolumeClaimTemplate() async throws {
        let sets = try workloadStore(try await makeRegistry(), "apps", "statefulsets")
        var object = workloadDeployment("db")
        var template = object["spec"]?["template"] ?? [:]
        template[key: "spec", "containers"] = [["name": "db", "image": "redis:7", "volumeMounts": [["name": "data", "mountPath": "/data"]]]]
        object[key: "spec", "template"] = template
        #expect(try await workloadInvalidCauses(sets, object)
            == [#"spec.template.spec.containers[0].volumeMounts[0].name: Not found: "data""#])
        object[key: "spec", "volumeClaimTemplates"] = [["metadata": ["name": "data"],
                                                       "spec": ["accessModes": ["ReadWriteOnce"], "resources": ["requests": ["storage": "1Gi"]]]]]
        let created = try await sets.create(namespace: "default", object: object, options: WriteOptions()).object
        #expect(created["spec"]?["volumeClaimTemplates"]?.arrayValue?.first?["spec"]?["volumeMode"] == "Filesystem")
    }
}

@Suite struct WorkloadsDaemonSetStrategyTests {
    @Test func rollingUpdateNeedsExactlyOneNonZero() async throws {
        let daemons = try workloadStore(try await makeRegistry(), "apps", "daemonsets")
        var object = workloadDeployment("agent")
        object[key: "spec", "updateStrategy"] = ["type": "RollingUpdate", "rollingUpdate": ["maxUnavailable": 1, "maxSurge": "10%"]]
        #expect(try await workloadInvalidCauses(daemons, object) == ["spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: \"10%\": may not be set when maxUnavailable is non-zero"])
        object[key: "spec", "updateStrategy"] = ["type": "RollingUpdate", "rollingUpdate": ["maxUnavailable": 0, "maxSurge": 0]]
        #expect(try await workloadInvalidCauses(daemons, object) == ["spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: cannot be 0 when maxSurge is 0"])
        object[key: "spec", "template"] = ["spec": ["containers": [workloadNginx]]]
        object[key: "spec", "updateStrategy"] = nil
        #expect(try await workloadInvalidCauses(daemons, object) == ["spec.template.metadata.labels: Invalid value: map[string]string(nil): `selector` does not match template `labels`"])
    }
}

@Suite struct WorkloadsJobUpdateTests {
    @Test func templateIsImmutableUnlessSuspendedSchedulingDirectives() async throws {
        let jobs = try workloadStore(try await makeRegistry(), "batch", "jobs")
        let job: JSONValue = ["metadata": ["name": "j"],
                              "spec": ["suspend": true, "template": ["spec": ["containers": [workloadNginx], "restartPolicy": "Never"]]]]
        let created = try await jobs.create(namespace: "default", object: job, options: WriteOptions()).object
        var scheduled = created
        scheduled[key: "spec", "template"] = {
            var t = created["spec"]?["template"] ?? .null
            t[key: "spec", "nodeSelector"] = ["disk": "ssd"]
            return t
        }()
        let updated = try await jobs.update(namespace: "default", name: "j", object: scheduled, options: WriteOptions()).object
        #expect(updated["spec"]?["template"]?["spec"]?["nodeSelector"] == ["disk": "ssd"])
        var imaged = updated
        imaged[key: "spec", "template"] = {
            var t = updated["spec"]?["template"] ?? .null
            t[key: "spec", "containers"] = [["name": "nginx", "image": "nginx:2"]]
            return t
        }()
        let error = await #expect(throws: StatusError.self) {
            _ = try await jobs.update(namespace: "default", name: "j", object: imaged, options: WriteOptions())
        }
        #expect(error?.details?.causes.map(\.field) == ["spec.template"])
    }
}

@Suite struct WorkloadsCronJobTemplateTests {
    @Test func jobTemplateSelectorIsGenerated() async throws {
        let cronJobs = try workloadStore(try await makeRegistry(), "batch", "cronjobs")
        let object: JSONValue = ["metadata": ["name": "cj"],
                                 "spec": ["schedule": "@daily",
                                          "jobTemplate": ["spec": ["manualSelector": true, "selector": ["matchLabels": ["a": "b"]],
                                                                   "template": ["metadata": ["labels": ["a": "b"]],
                                                                                "spec": ["containers": [workloadNginx], "restartPolicy": "Never"]]]]]]
        let causes = try await workloadInvalidCauses(cronJobs, object)
        #expect(causes.contains("spec.jobTemplate.spec.manualSelector: Unsupported value: true: supported values: \"nil\", \"false\""))
        #expect(causes.contains { $0.hasPrefix("spec.jobTemplate.spec.selector: Invalid value: v1.LabelSelector{") && $0.hasSuffix("`selector` will be auto-generated") })
    }
}

@Suite struct WorkloadsResourceTests {
    @Test func resourceNamesAndLimits() async throws {
        let pods = try workloadStore(try await makeRegistry(), "", "pods")
        let pod: JSONValue = ["metadata": ["name": "p"],
                              "spec": ["containers": [["name": "c", "image": "x",
                                                       "resources": ["limits": ["cpux": "1", "cpu": "500m", "example.com/gpu": "1"],
                                                                     "requests": ["cpu": "1", "example.com/gpu": "2"]]]]]]
        let causes = try await workloadInvalidCauses(pods, pod)
        #expect(causes.contains("spec.containers[0].resources.limits[cpux]: Invalid value: \"cpux\": must be a standard resource for containers"))
        #expect(causes.contains("spec.containers[0].resources.requests[cpu]: Invalid value: \"1\": must be less than or equal to cpu limit of 500m"))
        #expect(causes.contains("spec.containers[0].resources.requests[example.com/gpu]: Invalid value: \"2\": must be equal to example.com/gpu limit of 1"))
    }
}

@Suite struct WorkloadsSecurityContextTests {
    @Test func idsAndPrivilegeEscalation() async throws {
        let pods = try workloadStore(try await makeRegistry(), "", "pods")
        let pod: JSONValue = ["metadata": ["name": "p"],
                              "spec": ["securityContext": ["runAsUser": -1, "fsGroup": 3_000_000_000],
                                       "containers": [["name": "c", "image": "x",
                                                       "securityContext": ["privileged": true, "allowPrivilegeEscalation": false, "runAsGroup": -5]]]]]
        let causes = try await workloadInvalidCauses(pods, pod)
        #expect(causes.contains("spec.securityContext.runAsUser: Invalid value: -1: must be between 0 and 2147483647, inclusive"))
        #expect(causes.contains("spec.securityContext.fsGroup: Invalid value: 3000000000: must be between 0 and 2147483647, inclusive"))
        #expect(causes.contains("spec.containers[0].securityContext.runAsGroup: Invalid value: -5: must be between 0 and 2147483647, inclusive"))
        #expect(causes.contains("spec.containers[0].securityContext: Invalid value: cannot set `allowPrivilegeEscalation` to false and `privileged` to true"))
    }
}

@Suite struct WorkloadsReplicationControllerTests {
    @Test func selectorMustMatchTemplate() async throws {
        let rcs = try workloadStore(try await makeRegistry(), "", "replicationcontrollers")
        let causes = try await workloadInvalidCauses(rcs, ["metadata": ["name": "rc"],
                                                           "spec": ["selector": ["app": "a"],
                                                                    "template": ["spec": ["containers": [workloadNginx]]]]])
        #expect(causes == ["spec.template.metadata.labels: Invalid value: map[string]string(nil): `selector` does not match template `labels`"])
        let missing = try await workloadInvalidCauses(rcs, ["metadata": ["name": "rc"], "spec": .object([:])])
        #expect(missing == ["spec.selector: Required value", "spec.template: Required value"])
    }
}

@Suite struct WorkloadsAffinityTests {
    @Test func affinityRules() async throws {
        let pods = try workloadStore(try await makeRegistry(), "", "pods")
        let affinity: JSONValue = [
            "nodeAffinity": ["requiredDuringSchedulingIgnoredDuringExecution": ["nodeSelectorTerms": [
                ["matchExpressions": [["key": "disk", "operator": "Foo"], ["key": "zone", "operator": "In"]]]]]],
            "podAntiAffinity": ["preferredDuringSchedulingIgnoredDuringExecution": [["weight": 0, "podAffinityTerm": ["labelSelector": ["matchLabels": ["a": "b"]]]]]],
        ]
        let causes = try await workloadInvalidCauses(pods, ["metadata": ["name": "p"],
                                                            "spec": ["affinity": affinity, "containers": [workloadNginx]]])
        let base = "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions"
        #expect(causes.contains("\(base)[0].operator: Invalid value: \"Foo\": not a valid selector operator"))
        #expect(causes.contains("\(base)[1].values: Required value: must be specified when `operator` is 'In' or 'NotIn'"))
        #expect(causes.contains("spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight: Invalid value: 0: must be in the range 1-100"))
        #expect(causes.contains("spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm.topologyKey: Required value: can not be empty"))
    }
}

@Suite struct WorkloadsCronJobUpdateTests {
    @Test func timeZoneRulesOnUpdate() async throws {
        let cronJobs = try workloadStore(try await makeRegistry(), "batch", "cronjobs")
        let object: JSONValue = ["metadata": ["name": "cj"],
                                 "spec": ["schedule": "CRON_TZ=UTC 0 * * * *",
                                          "jobTemplate": ["spec": ["template": ["spec": ["containers": [workloadNginx], "restartPolicy": "Never"]]]]]]
        let causes = try await workloadInvalidCauses(cronJobs, object)
        #expect(causes == ["spec.schedule: Invalid value: \"CRON_TZ=UTC 0 * * * *\": cannot use TZ or CRON_TZ in schedule, use timeZone field instead"])
        var plain = object
        plain[key: "spec", "schedule"] = "0 * * * *"
        let created = try await cronJobs.create(namespace: "default", object: plain, options: WriteOptions()).object
        var tz = created
        tz[key: "spec", "schedule"] = "TZ=UTC 0 * * * *"
        let error = await #expect(throws: StatusError.self) {
            _ = try await cronJobs.update(namespace: "default", name: "cj", object: tz, options: WriteOptions())
        }
        #expect(error?.details?.causes.map(\.message) == ["Invalid value: \"TZ=UTC 0 * * * *\": cannot use TZ or CRON_TZ in schedule, use timeZone field instead"])
    }
}

@Suite struct WorkloadsPodGracefulDeletionTests {
    func pod(_ name: String, node: String?) -> JSONValue {
        var spec: JSONValue = ["containers": [workloadNginx], "terminationGracePeriodSeconds": 20]
        if let node { spec["nodeName"] = .string(node) }
        return ["metadata": ["name": .string(name)], "spec": spec]
    }

    @Test func aPodOnANodeTerminatesUntilItsFinalDelete() async throws {
        let pods = try workloadStore(try await makeRegistry(), "", "pods")
        _ = try await pods.create(namespace: "default", object: pod("bound", node: "n1"), options: WriteOptions())
        guard case .pending(let terminating) = try await pods.delete(namespace: "default", name: "bound", options: DeleteOptions()) else {
            Issue.record("a pod on a node must terminate gracefully")
            return
        }
        #expect(terminating.metadata["deletionGracePeriodSeconds"] == 20)
        #expect(terminating.deletionTimestamp != nil)
        // A status update while terminating keeps it; a second plain DELETE changes nothing.
        var status = try await pods.get(namespace: "default", name: "bound")
        status[key: "status", "phase"] = "Running"
        _ = try await pods.update(namespace: "default", name: "bound", object: status, target: .status, options: WriteOptions())
        guard case .pending = try await pods.delete(namespace: "default", name: "bound", options: DeleteOptions()) else {
            Issue.record("still terminating")
            return
        }
        // The kubelet's final DELETE (grace 0) removes it.
        var final = DeleteOptions()
        final.gracePeriodSeconds = 0
        guard case .deleted = try await pods.delete(namespace: "default", name: "bound", options: final) else {
            Issue.record("grace 0 deletes")
            return
        }
        await #expect(throws: StatusError.self) { _ = try await pods.get(namespace: "default", name: "bound") }
    }

    @Test func aPodOnNoNodeGoesAtOnce() async throws {
        let pods = try workloadStore(try await makeRegistry(), "", "pods")
        _ = try await pods.create(namespace: "default", object: pod("unbound", node: nil), options: WriteOptions())
        guard case .deleted = try await pods.delete(namespace: "default", name: "unbound", options: DeleteOptions()) else {
            Issue.record("an unscheduled pod is deleted at once")
            return
        }
    }
}
