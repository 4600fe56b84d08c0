import APIMachinery
import Client

extension SchedulerService {
    static let selectedNodeAnnotation = "volume.kubernetes.io/selected-node"
    static let storageClasses = ResourceID(group: "storage.k8s.io", version: "v1", resource: "storageclasses", namespaced: false)

    /// The claims `pod` mounts through persistentVolumeClaim volumes, by name.
    static func claimNames(of pod: JSONValue) -> [String] {
        (pod["spec"]?["volumes"]?.arrayValue ?? []).compactMap { $0["persistentVolumeClaim"]?["claimName"]?.stringValue }
    }

    /// As kube-scheduler's VolumeBinding PreBind: every claim of the pod that is not bound yet and
    /// whose StorageClass binds WaitForFirstConsumer gets `volume.kubernetes.io/selected-node: node`,
    /// so that its provisioner makes the volume on that node. Best effort: a missing claim or class is
    /// skipped (the kubelet waits for the claim); only the pods using claims pay for the reads.
    func selectNodeForClaims(of pod: JSONValue, node: String) async {
        for name in Self.claimNames(of: pod) {
            guard let claim = try? await client.get(.persistentVolumeClaims, namespace: pod.namespace, name: name),
                  (claim["spec"]?["volumeName"]?.stringValue ?? "").isEmpty,
                  claim.annotations[Self.selectedNodeAnnotation] == nil else { continue }
            let className = claim.annotations["volume.beta.kubernetes.io/storage-class"]
                ?? claim["spec"]?["storageClassName"]?.stringValue ?? ""
            guard !className.isEmpty,
                  let storageClass = try? await client.get(Self.storageClasses, name: className),
                  storageClass["volumeBindingMode"]?.stringValue == "WaitForFirstConsumer" else { continue }
            _ = try? await client.patch(.persistentVolumeClaims, namespace: pod.namespace, name: name, format: .merge,
                                        body: ["metadata": ["annotations": [Self.selectedNodeAnnotation: .string(node)]]])
        }
    }
}
