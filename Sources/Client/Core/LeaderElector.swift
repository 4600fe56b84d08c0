import APIMachinery
import Foundation
import Synchronization

/// Settings of leader election on a coordination.k8s.io/v1 Lease (client-go's defaults).
public struct LeaderElectionConfig: Sendable {
    public var namespace: String
    public var name: String
    /// Who this candidate is (unique among candidates: host name plus a random suffix, say).
    public var identity: String
    /// How long a lease is honoured after its last observed renewal (leaseDurationSeconds).
    public var leaseDuration: Duration
    /// How long the leader keeps retrying a failed renewal before it gives up leading.
    public var renewDeadline: Duration
    /// How often a candidate tries to acquire, and the leader to renew.
    public var retryPeriod: Duration
    /// On stop, clear holderIdentity so that another candidate takes over at once.
    public var releaseOnCancel: Bool

    public init(namespace: String = "kube-system", name: String, identity: String, leaseDuration: Duration = .seconds(15),
                renewDeadline: Duration = .seconds(10), retryPeriod: Duration = .seconds(2), releaseOnCancel: Bool = true) {
        self.namespace = namespace
        self.name = name
        self.identity = identity
        self.leaseDuration = leaseDuration
        self.renewDeadline = renewDeadline
        self.retryPeriod = retryPeriod
        self.releaseOnCancel = releaseOnCancel
    }
}

/// What a leader elector reports.
public enum LeaderElectionEvent: Sendable, Hashable {
    case startedLeading
    case stoppedLeading
    /// The lease's holder as last observed (another candidate or this one).
    case newLeader(String)
}

/// Elects one leader among candidates sharing a Lease, as client-go's leaderelection: a candidate
/// acquires the lease when it has no holder or its holder has not renewed it for leaseDuration (as
/// observed locally, so clocks need not agree); the leader renews every retryPeriod with the lease's
/// resourceVersion (a concurrent writer makes the write conflict); it stops leading when it cannot
/// renew within renewDeadline, and releases the lease when stopped.
public final class LeaderElector: Sendable {
    public let config: LeaderElectionConfig
    let client: any APIClient

    struct State {
        var observedSpec: JSONValue?
        var observedAt: ContinuousClock.Instant?
        var observedLease: JSONValue?
        var leading = false
        var lastLeader = ""
    }
    let state = Mutex(State())
    public let events: AsyncStream<LeaderElectionEvent>
    let continuation: AsyncStream<LeaderElectionEvent>.Continuation

    public init(client: any APIClient, config: LeaderElectionConfig) {
        self.client = client
        self.config = config
        (events, continuation) = AsyncStream<LeaderElectionEvent>.makeStream()
    }

    public var isLeader: Bool { state.withLock { $0.leading } }
    /// The holder last observed.
    public var leader: String { state.withLock { $0.lastLeader } }

    /// Campaigns until this candidate leads, runs `lead` while it does, and returns when leadership is
    /// lost or the task is cancelled (then releasing the lease). `lead` is cancelled when leadership is
    /// lost.
    public func run(lead: @escaping @Sendable () async -> Void = {}) async {
        guard await acquire() else { return }
        setLeading(true)
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await lead() }
            group.addTask { await self.renewLoop() }
            // The renew loop ends when leadership is lost or on cancellation; `lead` may end earlier.
            while let _ = await group.next() {
                if !isLeader || Task.isCancelled { break }
            }
            group.cancelAll()
        }
        let wasLeading = isLeader
        setLeading(false)
        if wasLeading && config.releaseOnCancel {
            // The release must happen even though this task is cancelled.
            await Task { await self.release() }.value
        }
    }

    func setLeading(_ leading: Bool) {
        let changed = state.withLock { state in
            defer { state.leading = leading }
            return state.leading != leading
        }
        if changed { continuation.yield(leading ? .startedLeading : .stoppedLeading) }
    }

    /// Tries every retryPeriod until the lease is acquired (true) or the task is cancelled (false).
    func acquire() async -> Bool {
        while !Task.isCancelled {
            if await tryAcquireOrRenew() { return true }
            try? await Task.sleep(for: config.retryPeriod)
        }
        return false
    }

    func renewLoop() async {
        let clock = ContinuousClock()
        var lastRenewal = clock.now
        while !Task.isCancelled {
            try? await Task.sleep(for: config.retryPeriod)
            if Task.isCancelled { return }
            if await tryAcquireOrRenew() {
                lastRenewal = clock.now
            } else if clock.now - lastRenewal >= config.renewDeadline || !holdsObservedLease() {
                setLeading(false)
                return
            }
        }
    }

    func holdsObservedLease() -> Bool {
        state.withLock { ($0.observedSpec?["holderIdentity"]?.stringValue ?? "") == config.identity }
    }

    static func now() -> JSONValue { .string(RFC3339.formatMicro(Date())) }

    var leaseSeconds: Int64 { max(1, Int64(config.leaseDuration.components.seconds)) }

    /// One attempt: create the lease, take it over if free or expired, or renew it if held.
    public func tryAcquireOrRenew() async -> Bool {
        let lease: JSONValue
        do {
            lease = try await client.get(.leases, namespace: config.namespace, name: config.name)
        } catch where error.isNotFound {
            let now = Self.now()
            let object: JSONValue = [
                "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                "metadata": ["name": .string(config.name), "namespace": .string(config.namespace)],
                "spec": ["holderIdentity": .string(config.identity), "leaseDurationSeconds": .int(leaseSeconds),
                         "acquireTime": now, "renewTime": now, "leaseTransitions": 0],
            ]
            do {
                let created = try await client.create(.leases, namespace: config.namespace, object: object)
                observe(created)
                return true
            } catch {
                return false
            }
        } catch {
            return false
        }
        observe(lease)
        let spec = lease["spec"] ?? .object([:])
        let holder = spec["holderIdentity"]?.stringValue ?? ""
        let held = !holder.isEmpty && holder != config.identity
        if held && !observedExpired(spec: spec) { return false }
        var updated = lease
        let now = Self.now()
        var newSpec = spec.objectValue ?? [:]
        newSpec["holderIdentity"] = .string(config.identity)
        newSpec["leaseDurationSeconds"] = .int(leaseSeconds)
        newSpec["renewTime"] = now
        if holder != config.identity {
            newSpec["acquireTime"] = now
            newSpec["leaseTransitions"] = .int((spec["leaseTransitions"]?.intValue ?? 0) + 1)
        }
        updated["spec"] = .object(newSpec)
        do {
            // The lease's resourceVersion makes this a compare-and-swap: a concurrent writer wins.
            let written = try await client.update(.leases, namespace: config.namespace, object: updated)
            observe(written)
            return true
        } catch {
            return false
        }
    }

    /// Records the lease; the observation time moves only when the lease's spec changes.
    func observe(_ lease: JSONValue) {
        let spec = lease["spec"] ?? .object([:])
        let holder = spec["holderIdentity"]?.stringValue ?? ""
        let newLeader = state.withLock { state -> Bool in
            state.observedLease = lease
            if state.observedSpec != spec {
                state.observedSpec = spec
                state.observedAt = ContinuousClock.now
            }
            defer { state.lastLeader = holder }
            return state.lastLeader != holder
        }
        if newLeader && !holder.isEmpty { continuation.yield(.newLeader(holder)) }
    }

    func observedExpired(spec: JSONValue) -> Bool {
        let duration = spec["leaseDurationSeconds"]?.intValue.map { Duration.seconds($0) } ?? config.leaseDuration
        guard let at = state.withLock({ $0.observedAt }) else { return false }
        return ContinuousClock.now - at > duration
    }

    /// Gives the lease up (holderIdentity cleared) if this candidate still holds it.
    func release() async {
        guard var lease = state.withLock({ $0.observedLease }) else { return }
        guard lease["spec"]?["holderIdentity"]?.stringValue == config.identity else { return }
        let now = Self.now()
        lease[key: "spec", "holderIdentity"] = .string("")
        lease[key: "spec", "leaseDurationSeconds"] = 1
        lease[key: "spec", "renewTime"] = now
        lease[key: "spec", "acquireTime"] = now
        if let written = try? await client.update(.leases, namespace: config.namespace, object: lease) {
            observe(written)
        }
    }
}
