extension ControllerManager {
    /// Every controller of the manager, in start order: one line each (their files are under Controllers/).
    public static let all: [Descriptor] = [
        Descriptor(name: "endpoints", workers: 2) { EndpointsController(context: $0) },
        Descriptor(name: "endpointslice", workers: 2) { EndpointSliceController(context: $0) },
        Descriptor(name: "serviceaccount", workers: 1) { ServiceAccountController(context: $0) },
        Descriptor(name: "nodelifecycle", workers: 2) { NodeLifecycleController(context: $0) },
        Descriptor(name: "disruption", workers: 2) { DisruptionController(context: $0) },
    ]
}
