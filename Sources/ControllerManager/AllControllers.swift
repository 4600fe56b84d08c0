extension ControllerManager {
    /// Every controller of the manager, in start order: one line each (their files are under Controllers/).
    public static let all: [Descriptor] = [
        Descriptor(name: "garbagecollector", workers: 10) { GarbageCollector(context: $0) },
    ]
}
