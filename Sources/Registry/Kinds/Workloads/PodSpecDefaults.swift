import APIMachinery

/// The defaults Kubernetes' core/v1 defaulters (and, for pods, the admission plugins every cluster runs)
/// set on a PodSpec, its containers and volumes.
enum PodSpecDefaults {
    // MARK: JSON helpers

    /// Applies `change` to every element of the array at `key` (if it is an array).
    static func forEach(_ object: inout JSONValue, _ key: String, _ change: (inout JSONValue) -> Void) {
        guard case .array(var items)? = object[key] else { return }
        for i in items.indices where items[i].objectValue != nil { change(&items[i]) }
        object[key] = .array(items)
    }

    /// Applies `change` to the object at `key` if present and an object.
    static func with(_ object: inout JSONValue, _ key: String, _ change: (inout JSONValue) -> Void) {
        guard var child = object[key], child.objectValue != nil else { return }
        change(&child)
        object[key] = child
    }

    static func setIfMissing(_ object: inout JSONValue, _ key: String, _ value: JSONValue) {
        if object[key] == nil || object[key]?.isNull == true { object[key] = value }
    }

    static func setIfEmpty(_ object: inout JSONValue, _ key: String, _ value: String) {
        if (object[key]?.stringValue ?? "").isEmpty { object[key] = .string(value) }
    }

    // MARK: Templates

    /// A PodTemplateSpec: `metadata.creationTimestamp: null` as Kubernetes serialises it, then the spec.
    static func applyTemplate(_ template: inout JSONValue) {
        if template.objectValue == nil { return }
        var metadata = template["metadata"] ?? .object([:])
        if metadata.objectValue != nil {
            if metadata["creationTimestamp"] == nil { metadata["creationTimestamp"] = .null }
            template["metadata"] = metadata
        }
        var spec = template["spec"] ?? .object([:])
        if spec.objectValue != nil {
            applySpec(&spec)
            template["spec"] = spec
        }
    }

    /// Applies `applyTemplate` to the template at `path` (e.g. spec.template) when present.
    static func applyTemplate(in object: inout JSONValue, at path: [String]) {
        guard var template = object[path: path], template.objectValue != nil else { return }
        applyTemplate(&template)
        object.set(path: path, to: template)
    }

    // MARK: PodSpec

    /// SetDefaults_PodSpec and the nested container and volume defaulters (pods and templates).
    static func applySpec(_ spec: inout JSONValue) {
        setIfEmpty(&spec, "dnsPolicy", "ClusterFirst")
        setIfEmpty(&spec, "restartPolicy", "Always")
        setIfMissing(&spec, "securityContext", .object([:]))
        setIfMissing(&spec, "terminationGracePeriodSeconds", 30)
        setIfEmpty(&spec, "schedulerName", "default-scheduler")
        // serviceAccount is the deprecated mirror of serviceAccountName.
        let account = spec["serviceAccountName"]?.stringValue ?? ""
        if account.isEmpty, let deprecated = spec["serviceAccount"]?.stringValue, !deprecated.isEmpty {
            spec["serviceAccountName"] = .string(deprecated)
        }
        if let name = spec["serviceAccountName"]?.stringValue, !name.isEmpty { spec["serviceAccount"] = .string(name) }
        forEach(&spec, "initContainers", applyContainer)
        forEach(&spec, "containers", applyContainer)
        forEach(&spec, "ephemeralContainers", applyContainer)
        forEach(&spec, "volumes", applyVolume)
    }

    /// The pod-only defaults: what SetDefaults_Pod adds to the spec (service links, requests from limits,
    /// host ports on the host network) and the admission plugins (service account, priority, the
    /// not-ready/unreachable tolerations).
    static func applyPodOnly(_ spec: inout JSONValue) {
        setIfMissing(&spec, "enableServiceLinks", true)
        for key in ["initContainers", "containers"] {
            forEach(&spec, key) { container in
                guard let limits = container["resources"]?["limits"]?.objectValue, !limits.isEmpty else { return }
                var requests = container["resources"]?["requests"]?.objectValue ?? [:]
                for (name, value) in limits where requests[name] == nil { requests[name] = value }
                container[key: "resources", "requests"] = .object(requests)
            }
        }
        if spec["hostNetwork"]?.boolValue == true {
            for key in ["initContainers", "containers"] {
                forEach(&spec, key) { container in
                    forEach(&container, "ports") { port in
                        if (port["hostPort"]?.intValue ?? 0) == 0, let p = port["containerPort"] { port["hostPort"] = p }
                    }
                }
            }
        }
        setIfEmpty(&spec, "serviceAccountName", "default")
        setIfEmpty(&spec, "serviceAccount", spec["serviceAccountName"]?.stringValue ?? "default")
        if spec["priority"] == nil || spec["priority"]?.isNull == true {
            let priority: Int64
            switch spec["priorityClassName"]?.stringValue ?? "" {
            case "system-node-critical": priority = 2_000_001_000
            case "system-cluster-critical": priority = 2_000_000_000
            default: priority = 0
            }
            spec["priority"] = .int(priority)
        }
        setIfEmpty(&spec, "preemptionPolicy", "PreemptLowerPriority")
        var tolerations = spec["tolerations"]?.arrayValue ?? []
        for key in ["node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"] {
            let tolerated = tolerations.contains { t in
                let op = t["operator"]?.stringValue ?? "Equal"
                let effect = t["effect"]?.stringValue ?? ""
                let tKey = t["key"]?.stringValue ?? ""
                return (effect.isEmpty || effect == "NoExecute") && ((op == "Exists" && tKey.isEmpty) || tKey == key)
            }
            if !tolerated {
                tolerations.append(["key": .string(key), "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300])
            }
        }
        spec["tolerations"] = .array(tolerations)
    }

    // MARK: Containers

    static func applyContainer(_ container: inout JSONValue) {
        setIfEmpty(&container, "terminationMessagePath", "/dev/termination-log")
        setIfEmpty(&container, "terminationMessagePolicy", "File")
        if (container["imagePullPolicy"]?.stringValue ?? "").isEmpty {
            let tag = imageTag(container["image"]?.stringValue ?? "")
            container["imagePullPolicy"] = tag == "latest" ? "Always" : "IfNotPresent"
        }
        setIfMissing(&container, "resources", .object([:]))
        with(&container, "resources") { resources in
            with(&resources, "limits") { Quantity.canonicalizeList(&$0) }
            with(&resources, "requests") { Quantity.canonicalizeList(&$0) }
        }
        forEach(&container, "ports") { port in setIfEmpty(&port, "protocol", "TCP") }
        forEach(&container, "env") { env in
            with(&env, "valueFrom") { from in with(&from, "fieldRef") { ref in setIfEmpty(&ref, "apiVersion", "v1") } }
        }
        for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
            with(&container, probe) { p in
                setIfMissing(&p, "timeoutSeconds", 1)
                setIfMissing(&p, "periodSeconds", 10)
                setIfMissing(&p, "successThreshold", 1)
                setIfMissing(&p, "failureThreshold", 3)
                applyHandler(&p)
            }
        }
        with(&container, "lifecycle") { lifecycle in
            with(&lifecycle, "postStart", applyHandler)
            with(&lifecycle, "preStop", applyHandler)
        }
    }

    static func applyHandler(_ handler: inout JSONValue) {
        with(&handler, "httpGet") { get in
            setIfEmpty(&get, "path", "/")
            setIfEmpty(&get, "scheme", "HTTP")
        }
        with(&handler, "grpc") { grpc in setIfMissing(&grpc, "service", "") }
    }

    /// The tag of an image reference: "latest" when neither tag nor digest is given, "" for a digest only.
    static func imageTag(_ image: String) -> String {
        var reference = Substring(image)
        var hasDigest = false
        if let at = reference.firstIndex(of: "@") {
            reference = reference[..<at]
            hasDigest = true
        }
        let lastComponent = reference.split(separator: "/", omittingEmptySubsequences: false).last ?? ""
        if let colon = lastComponent.lastIndex(of: ":") {
            return String(lastComponent[lastComponent.index(after: colon)...])
        }
        return hasDigest ? "" : "latest"
    }

    // MARK: Volumes

    static let volumeSources = [
        "hostPath", "emptyDir", "gcePersistentDisk", "awsElasticBlockStore", "gitRepo", "secret", "nfs", "iscsi", "glusterfs",
        "persistentVolumeClaim", "rbd", "flexVolume", "cinder", "cephfs", "flocker", "downwardAPI", "fc", "azureFile",
        "configMap", "vsphereVolume", "quobyte", "azureDisk", "photonPersistentDisk", "projected", "portworxVolume",
        "scaleIO", "storageos", "csi", "ephemeral", "image",
    ]

    static func applyVolume(_ volume: inout JSONValue) {
        let present = volumeSources.filter { volume[$0] != nil && volume[$0]?.isNull == false }
        if present.isEmpty { volume["emptyDir"] = .object([:]) }
        for key in ["secret", "configMap", "downwardAPI", "projected"] {
            with(&volume, key) { source in setIfMissing(&source, "defaultMode", 420) }
        }
        with(&volume, "downwardAPI") { source in forEach(&source, "items", applyDownwardItem) }
        with(&volume, "projected") { source in
            forEach(&source, "sources") { projection in
                with(&projection, "downwardAPI") { d in forEach(&d, "items", applyDownwardItem) }
                with(&projection, "serviceAccountToken") { t in setIfMissing(&t, "expirationSeconds", 3600) }
            }
        }
        with(&volume, "hostPath") { source in setIfMissing(&source, "type", "") }
        with(&volume, "emptyDir") { source in
            if let c = Quantity.canonical(source["sizeLimit"]) { source["sizeLimit"] = c }
        }
        with(&volume, "iscsi") { source in setIfEmpty(&source, "iscsiInterface", "default") }
        with(&volume, "rbd") { source in
            setIfEmpty(&source, "pool", "rbd")
            setIfEmpty(&source, "user", "admin")
            setIfEmpty(&source, "keyring", "/etc/ceph/keyring")
        }
        with(&volume, "azureDisk") { source in
            setIfEmpty(&source, "cachingMode", "ReadWrite")
            setIfEmpty(&source, "fsType", "ext4")
            setIfMissing(&source, "readOnly", false)
            setIfEmpty(&source, "kind", "Shared")
        }
        with(&volume, "scaleIO") { source in
            setIfEmpty(&source, "storageMode", "ThinProvisioned")
            setIfEmpty(&source, "fsType", "xfs")
        }
        with(&volume, "ephemeral") { source in
            with(&source, "volumeClaimTemplate") { template in
                with(&template, "spec", applyPVCSpec)
            }
        }
    }

    static func applyDownwardItem(_ item: inout JSONValue) {
        with(&item, "fieldRef") { ref in setIfEmpty(&ref, "apiVersion", "v1") }
    }

    /// SetDefaults_PersistentVolumeClaimSpec.
    static func applyPVCSpec(_ spec: inout JSONValue) {
        setIfEmpty(&spec, "volumeMode", "Filesystem")
        with(&spec, "resources") { resources in
            with(&resources, "limits") { Quantity.canonicalizeList(&$0) }
            with(&resources, "requests") { Quantity.canonicalizeList(&$0) }
        }
    }

    /// A PersistentVolumeClaim inside a StatefulSet's volumeClaimTemplates, as Kubernetes returns it.
    static func applyClaimTemplate(_ claim: inout JSONValue) {
        setIfEmpty(&claim, "apiVersion", "v1")
        setIfEmpty(&claim, "kind", "PersistentVolumeClaim")
        var metadata = claim["metadata"] ?? .object([:])
        if metadata.objectValue != nil, metadata["creationTimestamp"] == nil {
            metadata["creationTimestamp"] = .null
            claim["metadata"] = metadata
        }
        var spec = claim["spec"] ?? .object([:])
        if spec.objectValue != nil {
            applyPVCSpec(&spec)
            claim["spec"] = spec
        }
        var status = claim["status"] ?? .object([:])
        if status.objectValue != nil {
            setIfEmpty(&status, "phase", "Pending")
            claim["status"] = status
        }
    }

    // MARK: Pod status

    /// The QoS class of a pod spec (after requests were defaulted from limits).
    static func qosClass(_ spec: JSONValue) -> String {
        var requests: [String: Quantity] = [:]
        var limits: [String: Quantity] = [:]
        var isGuaranteed = true
        let containers = (spec["initContainers"]?.arrayValue ?? []) + (spec["containers"]?.arrayValue ?? [])
        for container in containers {
            var containerLimits = Set<String>()
            for (kind, target) in [("requests", 0), ("limits", 1)] {
                for (name, value) in container["resources"]?[kind]?.objectValue ?? [:] where name == "cpu" || name == "memory" {
                    guard let q = Quantity(json: value), !q.isZero else { continue }
                    if target == 0 { requests[name, default: .zero] += q } else {
                        limits[name, default: .zero] += q
                        containerLimits.insert(name)
                    }
                }
            }
            if containerLimits.count < 2 { isGuaranteed = false }
            for name in ["cpu", "memory"] {
                let r = Quantity(json: container["resources"]?["requests"]?[name])
                let l = Quantity(json: container["resources"]?["limits"]?[name])
                if r != nil, r != l { isGuaranteed = false }
            }
        }
        if requests.isEmpty && limits.isEmpty { return "BestEffort" }
        return isGuaranteed ? "Guaranteed" : "Burstable"
    }
}
