import APIMachinery

/// The DefaultTolerationSeconds admission plugin: a pod created without a NoExecute toleration for
/// node.kubernetes.io/not-ready (or unreachable) gets one for 300 seconds, so that its pods leave a
/// failed node five minutes after the node lifecycle controller taints it.
enum DefaultTolerationSeconds {
    static let seconds: Int64 = 300
    static let keys = ["node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"]

    static func apply(_ pod: inout JSONValue) {
        guard pod["spec"]?.objectValue != nil else { return }
        var tolerations = pod["spec"]?["tolerations"]?.arrayValue ?? []
        var changed = false
        for key in keys {
            let tolerated = tolerations.contains { toleration in
                let tKey = toleration["key"]?.stringValue ?? ""
                let effect = toleration["effect"]?.stringValue ?? ""
                return (tKey == key || tKey.isEmpty) && (effect == "NoExecute" || effect.isEmpty)
            }
            if tolerated { continue }
            tolerations.append(["key": .string(key), "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": .int(seconds)])
            changed = true
        }
        if changed { pod[key: "spec", "tolerations"] = .array(tolerations) }
    }
}
