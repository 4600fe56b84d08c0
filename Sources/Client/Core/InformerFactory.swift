import Synchronization

/// One informer per resource (and namespace and selectors) for every component of a process, as
/// client-go's SharedInformerFactory: controllers ask for the informers they need, add their handlers,
/// and the factory runs each informer once.
public final class SharedInformerFactory: Sendable {
    public let client: any APIClient
    let resyncPeriod: Duration?

    struct Key: Hashable {
        var resource: ResourceID
        var namespace: String?
        var labelSelector: String?
        var fieldSelector: String?
    }
    struct State {
        var informers: [Key: SharedInformer] = [:]
        var order: [Key] = []
        var tasks: [Key: Task<Void, Never>] = [:]
        var started = false
    }
    let state = Mutex(State())

    public init(client: any APIClient, resyncPeriod: Duration? = nil) {
        self.client = client
        self.resyncPeriod = resyncPeriod
    }

    /// The shared informer of `resource`; the first caller's indexers are used, later callers' indexers
    /// are added. Informers asked for after `start()` start at once.
    public func informer(for resource: ResourceID, namespace: String? = nil, labelSelector: String? = nil,
                         fieldSelector: String? = nil, indexers: [String: Indexer.IndexFunction] = [:]) -> SharedInformer {
        let key = Key(resource: resource, namespace: namespace, labelSelector: labelSelector, fieldSelector: fieldSelector)
        let (informer, isNew, started) = state.withLock { state -> (SharedInformer, Bool, Bool) in
            if let existing = state.informers[key] { return (existing, false, state.started) }
            var all: [String: Indexer.IndexFunction] = [Indexer.namespaceIndex: Indexer.byNamespace]
            for (name, function) in indexers { all[name] = function }
            let informer = SharedInformer(client: client, resource: resource, namespace: namespace, labelSelector: labelSelector,
                                          fieldSelector: fieldSelector, resyncPeriod: resyncPeriod, indexers: all)
            state.informers[key] = informer
            state.order.append(key)
            return (informer, true, state.started)
        }
        if !isNew {
            let missing = indexers.filter { !informer.indexer.hasIndex($0.key) }
            if !missing.isEmpty { informer.indexer.addIndexers(missing) }
        } else if started {
            launch(key, informer)
        }
        return informer
    }

    func launch(_ key: Key, _ informer: SharedInformer) {
        let task = Task { await informer.run() }
        state.withLock { $0.tasks[key] = task }
    }

    /// Runs every informer asked for so far (and later ones as they are asked for).
    public func start() {
        let pending = state.withLock { state -> [(Key, SharedInformer)] in
            guard !state.started else { return [] }
            state.started = true
            return state.order.map { ($0, state.informers[$0]!) }
        }
        for (key, informer) in pending { launch(key, informer) }
    }

    /// Waits until every informer has synced (false if the task is cancelled first).
    public func waitForCacheSync() async -> Bool {
        let informers = state.withLock { state in state.order.compactMap { state.informers[$0] } }
        for informer in informers {
            if !(await informer.waitForSync()) { return false }
        }
        return true
    }

    /// Stops every informer.
    public func shutDown() async {
        let tasks = state.withLock { state -> [Task<Void, Never>] in
            defer { state.tasks.removeAll() }
            return Array(state.tasks.values)
        }
        for task in tasks { task.cancel() }
        for task in tasks { await task.value }
    }
}
