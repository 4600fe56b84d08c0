extension ControllerManager {
    /// Every controller of the manager, in start order: one line each (their files are under Controllers/).
    public static let all: [Descriptor] = [
        Descriptor(name: "replicaset", workers: 5) { ReplicaSetController(context: $0) },
        Descriptor(name: "deployment", workers: 5) { DeploymentController(context: $0) },
        Descriptor(name: "garbagecollector", workers: 10) { GarbageCollector(context: $0) },
        Descriptor(name: "daemonset", workers: 2) { DaemonSetController(context: $0) },
        Descriptor(name: "statefulset", workers: 2) { StatefulSetController(context: $0) },
        Descriptor(name: "job", workers: 2) { JobController(context: $0) },
        Descriptor(name: "cronjob", workers: 2) { CronJobController(context: $0) },
        Descriptor(name: "ttl-after-finished", workers: 2) { TTLAfterFinishedController(context: $0) },
        Descriptor(name: "podgc", workers: 1) { PodGCController(context: $0) },
        Descriptor(name: "endpoints", workers: 2) { EndpointsController(context: $0) },
        Descriptor(name: "endpointslice", workers: 2) { EndpointSliceController(context: $0) },
        Descriptor(name: "serviceaccount", workers: 1) { ServiceAccountController(context: $0) },
        Descriptor(name: "nodelifecycle", workers: 2) { NodeLifecycleController(context: $0) },
        Descriptor(name: "disruption", workers: 2) { DisruptionController(context: $0) },
        Descriptor(name: "persistentvolume-binder", workers: 2) { PersistentVolumeController(context: $0) },
        Descriptor(name: "horizontalpodautoscaling", workers: 2) { HorizontalPodAutoscalerController(context: $0) },
    ]
}
