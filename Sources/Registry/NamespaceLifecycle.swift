import APIMachinery
import Logging

/// Empties namespaces that are being deleted, then releases their `kubernetes` finalizer so they go.
/// (Issue 4 moves this loop behind the APIClient with the other controllers.)
public struct NamespaceLifecycle: Sendable {
    let registry: Registry
    let logger: Logger

    public init(registry: Registry, logger: Logger) {
        self.registry = registry
        self.logger = logger
    }

    /// Runs until cancelled: reacts to namespace events and retries unfinished ones every second.
    public func run() async {
        guard let namespaces = registry.namespaces else { return }
        while !Task.isCancelled {
            do {
                let listed = try await namespaces.list(namespace: nil, options: ListOptions())
                for ns in listed.items where ns.deletionTimestamp != nil {
                    await finalize(ns.name)
                }
            } catch {
                logger.warning("namespace lifecycle: \(error)")
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }

    /// Deletes everything in a terminating namespace; when nothing is left, removes its finalizer.
    public func finalize(_ namespace: String) async {
        guard let namespaces = registry.namespaces else { return }
        var remaining = 0
        for definition in registry.definitions where definition.namespaced {
            guard let store = registry.store(group: definition.group, version: definition.version, resource: definition.resource) else { continue }
            do {
                let deleted = try await store.deleteCollection(namespace: namespace, listOptions: ListOptions(), options: DeleteOptions())
                remaining += deleted.items.filter { $0.deletionTimestamp != nil && !$0.finalizers.isEmpty }.count
            } catch {
                logger.warning("namespace \(namespace): deleting \(definition.resource): \(error)")
                remaining += 1
            }
        }
        guard remaining == 0 else { return }
        do {
            var ns = try await namespaces.get(namespace: "", name: namespace)
            let finalizers = (ns["spec"]?["finalizers"]?.arrayValue ?? []).filter { $0.stringValue != NamespaceStrategy.kubernetesFinalizer }
            ns[key: "spec", "finalizers"] = .array(finalizers)
            _ = try await namespaces.update(namespace: "", name: namespace, object: ns, target: .finalize, options: WriteOptions())
        } catch where error.code == 404 {
        } catch {
            logger.warning("namespace \(namespace): finalizing: \(error)")
        }
    }
}
