/// Strategic-merge-patch tags of the built-in types (Go struct tags `patchStrategy` / `patchMergeKey`,
/// kubernetes/api and apimachinery v0.32), keyed by the declaring message and field. The protobuf files
/// do not carry these tags, so this is a hand-written overlay (kubectl-surface.md §6.4). Lists not listed
/// here are atomic (replaced whole), e.g. `tolerations`, `args`, `command`.
public enum PatchStrategies {
    /// One field's strategy set (`merge`, `retainKeys`, `replace`) and merge key (nil for primitive lists
    /// and maps).
    public struct Entry: Sendable, Hashable {
        public var strategies: Set<String>
        public var mergeKey: String?
        public init(strategies: Set<String>, mergeKey: String?) {
            self.strategies = strategies
            self.mergeKey = mergeKey
        }
    }

    private static let core = "k8s.io.api.core.v1."
    private static let apps = "k8s.io.api.apps.v1."
    private static let meta = "k8s.io.apimachinery.pkg.apis.meta.v1."

    private static func merge(_ key: String?) -> Entry { Entry(strategies: ["merge"], mergeKey: key) }
    private static func mergeRetain(_ key: String?) -> Entry { Entry(strategies: ["merge", "retainKeys"], mergeKey: key) }

    /// `fully.qualified.Message.field` → entry.
    public static let table: [String: Entry] = {
        var t: [String: Entry] = [:]
        // PodSpec (core/v1/types.go).
        for f in ["containers", "initContainers", "ephemeralContainers"] { t[core + "PodSpec." + f] = merge("name") }
        t[core + "PodSpec.volumes"] = mergeRetain("name")
        t[core + "PodSpec.imagePullSecrets"] = merge("name")
        t[core + "PodSpec.hostAliases"] = merge("ip")
        t[core + "PodSpec.topologySpreadConstraints"] = merge("topologyKey")
        t[core + "PodSpec.schedulingGates"] = merge("name")
        t[core + "PodSpec.resourceClaims"] = mergeRetain("name")
        // Container and EphemeralContainerCommon (inlined into EphemeralContainer).
        for c in ["Container.", "EphemeralContainerCommon."] {
            t[core + c + "ports"] = merge("containerPort")
            t[core + c + "env"] = merge("name")
            t[core + c + "volumeMounts"] = merge("mountPath")
            t[core + c + "volumeDevices"] = merge("devicePath")
        }
        t[core + "ServiceSpec.ports"] = merge("port")
        t[core + "ServiceAccount.secrets"] = merge("name")
        // Status conditions merge by type.
        for s in ["PodStatus", "NodeStatus", "NamespaceStatus", "PersistentVolumeClaimStatus",
                  "ReplicationControllerStatus", "ServiceStatus"] {
            t[core + s + ".conditions"] = merge("type")
        }
        for s in ["DeploymentStatus", "ReplicaSetStatus", "StatefulSetStatus", "DaemonSetStatus"] {
            t[apps + s + ".conditions"] = merge("type")
        }
        t["k8s.io.api.batch.v1.JobStatus.conditions"] = merge("type")
        t["k8s.io.api.autoscaling.v2.HorizontalPodAutoscalerStatus.conditions"] = merge("type")
        t[core + "NodeStatus.addresses"] = merge("type")
        t[core + "PodStatus.podIPs"] = merge("ip")
        t[core + "PodStatus.hostIPs"] = merge("ip")
        t[core + "NodeSpec.podCIDRs"] = merge(nil)
        // ObjectMeta (apimachinery meta/v1/types.go).
        t[meta + "ObjectMeta.ownerReferences"] = merge("uid")
        t[meta + "ObjectMeta.finalizers"] = merge(nil)
        // Others.
        t[apps + "DeploymentSpec.strategy"] = Entry(strategies: ["retainKeys"], mergeKey: nil)
        t["k8s.io.api.policy.v1.PodDisruptionBudgetSpec.selector"] = Entry(strategies: ["replace"], mergeKey: nil)
        return t
    }()

    /// The entry for a field of a message (fully qualified, no leading dot).
    public static func lookup(message: String, field: String) -> Entry? {
        table[message + "." + field]
    }
}
