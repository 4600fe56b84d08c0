/// Embedded Go structs tagged `json:",inline"`: the protobuf has a field for them, JSON flattens their
/// fields into the parent (e.g. `Volume.volumeSource` → `volumes[].emptyDir`).
enum ProtoInline {
    static let fields: Set<String> = [
        "k8s.io.api.core.v1.Volume.volumeSource",
        "k8s.io.api.core.v1.PersistentVolumeSpec.persistentVolumeSource",
        "k8s.io.api.core.v1.Probe.handler",
        "k8s.io.api.core.v1.EphemeralContainer.ephemeralContainerCommon",
        "k8s.io.api.core.v1.ConfigMapEnvSource.localObjectReference",
        "k8s.io.api.core.v1.ConfigMapKeySelector.localObjectReference",
        "k8s.io.api.core.v1.ConfigMapProjection.localObjectReference",
        "k8s.io.api.core.v1.ConfigMapVolumeSource.localObjectReference",
        "k8s.io.api.core.v1.SecretEnvSource.localObjectReference",
        "k8s.io.api.core.v1.SecretKeySelector.localObjectReference",
        "k8s.io.api.core.v1.SecretProjection.localObjectReference",
        "k8s.io.api.networking.v1.IngressRule.ingressRuleValue",
        "k8s.io.api.admissionregistration.v1.NamedRuleWithOperations.ruleWithOperations",
        "k8s.io.api.admissionregistration.v1.RuleWithOperations.rule",
    ]

    static func isInline(message: String, field: String) -> Bool {
        fields.contains("\(message).\(field)")
    }
}

/// How zero values decoded from protobuf are dropped, imitating Go's `omitempty`.
///
/// gogo-protobuf writes every non-pointer field, zero or not, and skips nil pointers; the wire cannot tell
/// `replicas: 0` (a set `*int32`) from an unset non-pointer `int32`. So after decoding a message, fields
/// whose value is `""`, `0`, `false`, `[]`, `{}` are removed, except:
/// * `keepZero`: pointer fields where an explicit zero/false/"" is meaningful and common
///   (entries are either `Message.field` with the short message name, or a bare field name for every message);
/// * `keepEmptyObject`: pointer-to-struct members of union types whose mere presence selects the variant
///   (`emptyDir: {}` is a valid volume source);
/// * the top-level `metadata`, which is always present (as `{}` if empty).
/// Map values and list elements are never dropped.
enum ProtoOmitEmpty {
    static let keepZero: Set<String> = [
        // Workload sizes (`*int32`): 0 means "scaled to zero", absent means "default".
        "DeploymentSpec.replicas", "ReplicaSetSpec.replicas", "StatefulSetSpec.replicas",
        "ReplicationControllerSpec.replicas", "ScaleSpec.replicas",
        "DeploymentSpec.revisionHistoryLimit", "DaemonSetSpec.revisionHistoryLimit",
        "StatefulSetSpec.revisionHistoryLimit",
        // Jobs and CronJobs.
        "JobSpec.parallelism", "JobSpec.completions", "JobSpec.backoffLimit", "JobSpec.suspend",
        "JobSpec.ttlSecondsAfterFinished", "JobSpec.backoffLimitPerIndex", "JobSpec.maxFailedIndexes",
        "CronJobSpec.suspend", "CronJobSpec.successfulJobsHistoryLimit", "CronJobSpec.failedJobsHistoryLimit",
        "CronJobSpec.startingDeadlineSeconds",
        // Security (`*bool` / `*int64`): false and uid 0 are deliberate.
        "automountServiceAccountToken", "allowPrivilegeEscalation", "readOnlyRootFilesystem", "runAsNonRoot",
        "runAsUser", "runAsGroup", "privileged", "fsGroup", "hostUsers", "shareProcessNamespace",
        "setHostnameAsFQDN", "enableServiceLinks",
        // Services.
        "ServiceSpec.allocateLoadBalancerNodePorts",
        // ConfigMap/Secret and their references.
        "immutable", "optional", "defaultMode",
        // Grace periods and deadlines (`*int64`).
        "terminationGracePeriodSeconds", "activeDeadlineSeconds", "deletionGracePeriodSeconds",
        "DeleteOptions.gracePeriodSeconds", "DeleteOptions.orphanDependents",
        "PersistentVolumeClaimSpec.storageClassName",
        // `allowed` has no omitempty in Go: `allowed: false` is the answer of an access review.
        "SubjectAccessReviewStatus.allowed", "TokenRequestSpec.expirationSeconds",
    ]

    static let keepEmptyObject: Set<String> = [
        "VolumeSource.emptyDir", "VolumeSource.downwardAPI", "VolumeSource.projected",
        "DeploymentStrategy.rollingUpdate", "DaemonSetUpdateStrategy.rollingUpdate",
        "StatefulSetUpdateStrategy.rollingUpdate",
    ]

    /// True if `value` of `field` in `message` (fully qualified) should be removed.
    static func drop(_ value: JSONValueRef, field: String, message: String) -> Bool {
        switch value {
        case .zero:
            let short = shortName(message)
            return !keepZero.contains(field) && !keepZero.contains("\(short).\(field)")
        case .emptyObject:
            return !keepEmptyObject.contains("\(shortName(message)).\(field)")
        case .emptyList:
            return true
        case .other:
            return false
        }
    }

    static func shortName(_ message: String) -> Substring {
        if let dot = message.lastIndex(of: ".") { return message[message.index(after: dot)...] }
        return Substring(message)
    }

    /// The emptiness class of a decoded value.
    enum JSONValueRef {
        case zero, emptyObject, emptyList, other
    }
}
