import APIMachinery
import Synchronization

/// A thread-safe cache of objects keyed `namespace/name` (`name` for cluster-scoped objects), with
/// secondary indices (by namespace, by node name, or any function of an object). Informers fill it;
/// listers read it.
public final class Indexer: Sendable {
    /// The index values of an object (an object may be in several buckets, or none).
    public typealias IndexFunction = @Sendable (JSONValue) -> [String]

    struct State {
        var items: [String: JSONValue] = [:]
        var functions: [String: IndexFunction] = [:]
        /// index name -> index value -> keys
        var indices: [String: [String: Set<String>]] = [:]

        mutating func unindex(_ key: String, _ object: JSONValue) {
            for (name, function) in functions {
                for value in function(object) {
                    indices[name]?[value]?.remove(key)
                    if indices[name]?[value]?.isEmpty == true { indices[name]?[value] = nil }
                }
            }
        }

        mutating func index(_ key: String, _ object: JSONValue) {
            for (name, function) in functions {
                for value in function(object) { indices[name, default: [:]][value, default: []].insert(key) }
            }
        }
    }

    let state: Mutex<State>

    public init(indexers: [String: IndexFunction] = [Indexer.namespaceIndex: Indexer.byNamespace]) {
        var state = State()
        state.functions = indexers
        self.state = Mutex(state)
    }

    /// The key of an object: `namespace/name`, or `name` without a namespace.
    public static func key(of object: JSONValue) -> String {
        key(namespace: object.namespace, name: object.name)
    }

    public static func key(namespace: String, name: String) -> String {
        namespace.isEmpty ? name : "\(namespace)/\(name)"
    }

    /// Splits a key into namespace and name.
    public static func split(_ key: String) -> (namespace: String, name: String) {
        guard let slash = key.firstIndex(of: "/") else { return ("", key) }
        return (String(key[..<slash]), String(key[key.index(after: slash)...]))
    }

    public static let namespaceIndex = "namespace"
    public static let byNamespace: IndexFunction = { [$0.namespace] }
    /// Pods by `spec.nodeName` (unscheduled pods are in no bucket).
    public static let nodeNameIndex = "spec.nodeName"
    public static let byNodeName: IndexFunction = { object in
        guard let node = object["spec"]?["nodeName"]?.stringValue, !node.isEmpty else { return [] }
        return [node]
    }

    /// Adds index functions; existing objects are indexed by them at once.
    public func addIndexers(_ indexers: [String: IndexFunction]) {
        state.withLock { state in
            for (name, function) in indexers {
                state.functions[name] = function
                state.indices[name] = [:]
                for (key, object) in state.items {
                    for value in function(object) { state.indices[name, default: [:]][value, default: []].insert(key) }
                }
            }
        }
    }

    /// Stores an object (insert or replace); answers the one it replaced.
    @discardableResult
    public func upsert(_ object: JSONValue) -> JSONValue? {
        let key = Self.key(of: object)
        return state.withLock { state in
            let old = state.items[key]
            if let old { state.unindex(key, old) }
            state.items[key] = object
            state.index(key, object)
            return old
        }
    }

    /// Removes the object under `key`; answers it.
    @discardableResult
    public func remove(key: String) -> JSONValue? {
        state.withLock { state in
            guard let old = state.items.removeValue(forKey: key) else { return nil }
            state.unindex(key, old)
            return old
        }
    }

    /// What a relist changed.
    public struct Difference: Sendable {
        public var added: [JSONValue] = []
        public var updated: [(old: JSONValue, new: JSONValue)] = []
        public var deleted: [JSONValue] = []
    }

    /// Replaces the whole content (a relist); answers the differences. An object counts as updated when
    /// its resourceVersion changed.
    public func replace(with objects: [JSONValue]) -> Difference {
        state.withLock { state in
            var difference = Difference()
            var fresh: [String: JSONValue] = [:]
            fresh.reserveCapacity(objects.count)
            for object in objects { fresh[Self.key(of: object)] = object }
            for (key, old) in state.items where fresh[key] == nil {
                difference.deleted.append(old)
            }
            for (key, new) in fresh {
                if let old = state.items[key] {
                    if old.resourceVersion != new.resourceVersion || old != new { difference.updated.append((old, new)) }
                } else {
                    difference.added.append(new)
                }
            }
            state.items = fresh
            state.indices = [:]
            for (key, object) in fresh { state.index(key, object) }
            return difference
        }
    }

    public func get(key: String) -> JSONValue? { state.withLock { $0.items[key] } }
    public func get(namespace: String, name: String) -> JSONValue? { get(key: Self.key(namespace: namespace, name: name)) }
    public func list() -> [JSONValue] { state.withLock { Array($0.items.values) } }
    public func keys() -> [String] { state.withLock { Array($0.items.keys) } }
    public var count: Int { state.withLock { $0.items.count } }

    /// The objects whose index `name` has the value `value`.
    public func byIndex(_ name: String, _ value: String) -> [JSONValue] {
        state.withLock { state in
            guard let keys = state.indices[name]?[value] else { return [] }
            return keys.compactMap { state.items[$0] }
        }
    }

    /// The keys whose index `name` has the value `value`.
    public func keys(index name: String, value: String) -> [String] {
        state.withLock { Array($0.indices[name]?[value] ?? []) }
    }

    public func hasIndex(_ name: String) -> Bool { state.withLock { $0.functions[name] != nil } }

    /// The values index `name` has.
    public func indexValues(_ name: String) -> [String] {
        state.withLock { Array(($0.indices[name] ?? [:]).keys) }
    }
}

/// Reads an informer's cache.
public struct Lister: Sendable {
    public let indexer: Indexer

    public init(indexer: Indexer) { self.indexer = indexer }

    /// The objects in `namespace` (nil: all) whose labels match `selector`.
    public func list(namespace: String? = nil, selector: LabelSelector = .everything) -> [JSONValue] {
        let objects: [JSONValue]
        if let namespace {
            objects = indexer.hasIndex(Indexer.namespaceIndex)
                ? indexer.byIndex(Indexer.namespaceIndex, namespace)
                : indexer.list().filter { $0.namespace == namespace }
        } else {
            objects = indexer.list()
        }
        if selector.isEverything { return objects }
        return objects.filter { selector.matches($0.labels) }
    }

    public func get(namespace: String = "", name: String) -> JSONValue? {
        indexer.get(namespace: namespace, name: name)
    }
}
