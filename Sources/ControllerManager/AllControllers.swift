extension ControllerManager {
    /// Every controller of the manager, in start order: one line each (their files are under Controllers/).
    public static let all: [Descriptor] = [
        Descriptor(name: "job", workers: 2) { JobController(context: $0) },
        Descriptor(name: "cronjob", workers: 2) { CronJobController(context: $0) },
        Descriptor(name: "ttl-after-finished", workers: 2) { TTLAfterFinishedController(context: $0) },
        Descriptor(name: "podgc", workers: 1) { PodGCController(context: $0) },
    ]
}
