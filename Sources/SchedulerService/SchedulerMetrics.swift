import Prometheus

/// kube-scheduler's `scheduler_schedule_attempts_total{profile, result}`: every scheduling attempt
/// by its outcome — `scheduled` (bound), `unschedulable` (no node fits) or `error` (binding failed).
public struct SchedulerMetrics: Sendable {
    public let scheduled: Counter
    public let unschedulable: Counter
    public let error: Counter

    public static let attemptsName = "scheduler_schedule_attempts_total"

    public init(registry: PrometheusCollectorRegistry, profile: String) {
        let descriptor = MetricNameDescriptor(
            subsystem: "scheduler", metricName: "schedule_attempts", unitName: "total",
            helpText: "Number of attempts to schedule pods, by the result. 'unschedulable' means a pod could not be scheduled, "
                + "while 'error' means an internal scheduler problem.")
        func counter(_ result: String) -> Counter {
            registry.makeCounter(descriptor: descriptor, labels: [("profile", profile), ("result", result)])
        }
        scheduled = counter("scheduled")
        unschedulable = counter("unschedulable")
        error = counter("error")
    }
}
