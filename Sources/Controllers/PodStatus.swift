import APIMachinery
import Foundation

/// Readiness and availability of pods, read from their JSON.
public enum PodStatus {
    /// The pod's condition of `type`, if any.
    public static func condition(_ pod: JSONValue, _ type: String) -> JSONValue? {
        pod["status"]?["conditions"]?.arrayValue?.first { $0["type"]?.stringValue == type }
    }

    /// Ready: the Ready condition is True.
    public static func isReady(_ pod: JSONValue) -> Bool {
        condition(pod, "Ready")?["status"]?.stringValue == "True"
    }

    /// When the pod last became ready (lastTransitionTime of a True Ready condition).
    public static func readySince(_ pod: JSONValue) -> Date? {
        guard let c = condition(pod, "Ready"), c["status"]?.stringValue == "True" else { return nil }
        return c["lastTransitionTime"]?.stringValue.flatMap(RFC3339.parse)
    }

    /// Available: ready for at least minReadySeconds (ready is enough when it is 0).
    public static func isAvailable(_ pod: JSONValue, minReadySeconds: Int64, now: Date) -> Bool {
        guard isReady(pod) else { return false }
        if minReadySeconds == 0 { return true }
        guard let since = readySince(pod) else { return false }
        return since.addingTimeInterval(Double(minReadySeconds)) <= now
    }

    /// Active: not terminated (phase neither Succeeded nor Failed) and not being deleted.
    public static func isActive(_ pod: JSONValue) -> Bool {
        let phase = pod["status"]?["phase"]?.stringValue
        return phase != "Succeeded" && phase != "Failed" && pod.deletionTimestamp == nil
    }

    /// Sum of restartCount over the pod's containers.
    public static func restartCount(_ pod: JSONValue) -> Int64 {
        (pod["status"]?["containerStatuses"]?.arrayValue ?? []).reduce(0) { $0 + ($1["restartCount"]?.intValue ?? 0) }
    }

    /// The `controller.kubernetes.io/pod-deletion-cost` annotation (0 when absent or malformed).
    public static func deletionCost(_ pod: JSONValue) -> Int32 {
        pod.annotations["controller.kubernetes.io/pod-deletion-cost"].flatMap { Int32($0) } ?? 0
    }
}
