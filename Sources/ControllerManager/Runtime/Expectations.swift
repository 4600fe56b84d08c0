import Foundation
import Synchronization

/// What a controller still expects to observe after its own creates and deletes, per controller key,
/// as kube-controller-manager's ControllerExpectations: the controller syncs a key only when its
/// expectations are satisfied (every create and delete it made has come back through the informer) or
/// have expired (5 minutes: a missed watch event must not wedge the controller). This is what keeps a
/// ReplicaSet from creating the same pods twice while its informer catches up.
public final class Expectations: Sendable {
    public static let defaultTimeout: Duration = .seconds(300)

    struct Entry {
        var adds: Int
        var deletes: Int
        var setAt: ContinuousClock.Instant
        /// For deletes tracked by name (StatefulSet ordinals, scale-down of chosen pods).
        var deleteKeys: Set<String> = []
    }
    let entries = Mutex<[String: Entry]>([:])
    let timeout: Duration
    let clock: @Sendable () -> ContinuousClock.Instant

    public init(timeout: Duration = Expectations.defaultTimeout,
                clock: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }) {
        self.timeout = timeout
        self.clock = clock
    }

    /// Sets the expectations of `key` (replacing any).
    public func expect(_ key: String, adds: Int = 0, deletes: Int = 0, deleteKeys: Set<String> = []) {
        let now = clock()
        entries.withLock { $0[key] = Entry(adds: adds, deletes: deletes, setAt: now, deleteKeys: deleteKeys) }
    }

    /// Raises the expectations of `key`.
    public func raise(_ key: String, adds: Int = 0, deletes: Int = 0) {
        let now = clock()
        entries.withLock { entries in
            var entry = entries[key] ?? Entry(adds: 0, deletes: 0, setAt: now)
            entry.adds += adds
            entry.deletes += deletes
            entry.setAt = now
            entries[key] = entry
        }
    }

    /// Lowers the expectations of `key`: an object was observed created (or a create failed).
    public func creationObserved(_ key: String, count: Int = 1) {
        entries.withLock { entries in
            guard var entry = entries[key] else { return }
            entry.adds = max(0, entry.adds - count)
            entries[key] = entry
        }
    }

    /// An object was observed deleted (or a delete failed). With `objectKey`, only a delete the
    /// controller expected by name counts.
    public func deletionObserved(_ key: String, objectKey: String? = nil, count: Int = 1) {
        entries.withLock { entries in
            guard var entry = entries[key] else { return }
            if let objectKey, !entry.deleteKeys.isEmpty {
                guard entry.deleteKeys.remove(objectKey) != nil else { return }
            }
            entry.deletes = max(0, entry.deletes - count)
            entries[key] = entry
        }
    }

    /// Whether `key` may be synced: nothing expected, everything observed, or the expectations expired.
    public func satisfied(_ key: String) -> Bool {
        let now = clock()
        return entries.withLock { entries in
            guard let entry = entries[key] else { return true }
            if entry.adds <= 0 && entry.deletes <= 0 { return true }
            return now - entry.setAt > timeout
        }
    }

    /// Pending (adds, deletes) of `key`, nil when none are recorded.
    public func pending(_ key: String) -> (adds: Int, deletes: Int)? {
        entries.withLock { entries in entries[key].map { ($0.adds, $0.deletes) } }
    }

    /// Forgets `key` (its object was deleted).
    public func delete(_ key: String) {
        _ = entries.withLock { $0.removeValue(forKey: key) }
    }
}
