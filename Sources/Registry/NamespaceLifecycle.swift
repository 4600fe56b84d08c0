import APIMachinery
import Foundation
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

    /// Deletes everything in a terminating namespace (in the background: dependents go with their
    /// owners), reports progress in the namespace's conditions as Kubernetes' namespace controller
    /// does, and when nothing is left (pods terminating gracefully and objects held by finalizers
    /// included) removes its `kubernetes` finalizer.
    public func finalize(_ namespace: String) async {
        guard let namespaces = registry.namespaces else { return }
        var content = NamespaceContent()
        var options = DeleteOptions()
        options.propagationPolicy = "Background"
        for definition in registry.definitions where definition.namespaced {
            guard let store = registry.store(group: definition.group, version: definition.version, resource: definition.resource),
                  definition.verbs.contains("deletecollection") else { continue }
            let resource = "\(definition.resource).\(definition.group)"
            do {
                _ = try await store.deleteCollection(namespace: namespace, listOptions: ListOptions(), options: options)
                let left = try await store.list(namespace: namespace, options: ListOptions())
                content.record(resource, left.items)
            } catch where error.code == 404 || error.code == 405 {
                continue
            } catch {
                logger.warning("namespace \(namespace): deleting \(definition.resource): \(error)")
                content.failures.append("\(resource): \(error.message)")
            }
        }
        await report(content, namespace: namespace)
        guard content.isEmpty else { return }
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

    /// Writes the deletion conditions of a terminating namespace when they change.
    func report(_ content: NamespaceContent, namespace: String) async {
        guard let namespaces = registry.namespaces else { return }
        do {
            var ns = try await namespaces.get(namespace: "", name: namespace)
            guard ns.deletionTimestamp != nil else { return }
            let old = ns["status"]?["conditions"]?.arrayValue ?? []
            let now = JSONValue.string(formatTimestamp(Date().timeIntervalSince1970))
            let conditions = content.conditions.map { condition -> JSONValue in
                var condition = condition
                let previous = old.first { $0["type"] == condition["type"] }
                condition["lastTransitionTime"] = previous?["status"] == condition["status"] ? previous?["lastTransitionTime"] ?? now : now
                return condition
            }
            let kept = old.filter { condition in !conditions.contains { $0["type"] == condition["type"] } }
            let merged = JSONValue.array(kept + conditions)
            guard merged != ns["status"]?["conditions"] ?? .array([]) else { return }
            ns[key: "status", "conditions"] = merged
            _ = try await namespaces.update(namespace: "", name: namespace, object: ns, target: .status, options: WriteOptions())
        } catch where error.code == 404 || error.code == 409 {
        } catch {
            logger.warning("namespace \(namespace): reporting conditions: \(error)")
        }
    }
}

/// What is left in a terminating namespace after a pass of deletions.
struct NamespaceContent {
    /// `resource.group` -> objects remaining.
    var remaining: [String: Int] = [:]
    /// finalizer -> objects it still holds.
    var finalizers: [String: Int] = [:]
    var failures: [String] = []

    var isEmpty: Bool { remaining.isEmpty && failures.isEmpty }

    mutating func record(_ resource: String, _ items: [JSONValue]) {
        guard !items.isEmpty else { return }
        remaining[resource, default: 0] += items.count
        for item in items {
            for finalizer in item.finalizers { finalizers[finalizer, default: 0] += 1 }
        }
    }

    /// The conditions Kubernetes' namespace controller sets on a terminating namespace.
    var conditions: [JSONValue] {
        func condition(_ type: String, _ status: Bool, _ reason: String, _ message: String) -> JSONValue {
            ["type": .string(type), "status": status ? "True" : "False", "reason": .string(reason), "message": .string(message)]
        }
        let remainingMessage = remaining.sorted { $0.key < $1.key }.map { "\($0.key) has \($0.value) resource instances" }
            .joined(separator: ", ")
        let finalizerMessage = finalizers.sorted { $0.key < $1.key }.map { "\($0.key) in \($0.value) resource instances" }
            .joined(separator: ", ")
        return [
            condition("NamespaceDeletionDiscoveryFailure", false, "ResourcesDiscovered", "All resources successfully discovered"),
            condition("NamespaceDeletionGroupVersionParsingFailure", false, "ParsedGroupVersions", "All legacy kube types successfully parsed"),
            failures.isEmpty
                ? condition("NamespaceDeletionContentFailure", false, "ContentDeleted", "All content successfully deleted, may be waiting on finalization")
                : condition("NamespaceDeletionContentFailure", true, "ContentDeletionFailed",
                            "Failed to delete all resource types, \(failures.count) remaining: \(failures.joined(separator: ", "))"),
            remaining.isEmpty
                ? condition("NamespaceContentRemaining", false, "ContentRemoved", "All content successfully removed")
                : condition("NamespaceContentRemaining", true, "SomeResourcesRemain", "Some resources are remaining: \(remainingMessage)"),
            finalizers.isEmpty
                ? condition("NamespaceFinalizersRemaining", false, "ContentHasNoFinalizers", "All content-preserving finalizers finished")
                : condition("NamespaceFinalizersRemaining", true, "SomeFinalizersRemain",
                            "Some content in the namespace has finalizers remaining: \(finalizerMessage)"),
        ]
    }
}
