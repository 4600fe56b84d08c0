import APIMachinery
import Client
import ClientLoopback
import Testing

@Suite struct LeaderElectionTests {
    func config(_ identity: String, release: Bool = true) -> LeaderElectionConfig {
        LeaderElectionConfig(namespace: "kube-system", name: "controller", identity: identity, leaseDuration: .seconds(1),
                             renewDeadline: .milliseconds(500), retryPeriod: .milliseconds(50), releaseOnCancel: release)
    }

    @Test func exactlyOneLeadsAndTheOtherTakesOverAfterRelease() async throws {
        let (client, _) = try await makeClient()
        let a = LeaderElector(client: client, config: config("a"))
        let b = LeaderElector(client: client, config: config("b"))
        let runA = Task { await a.run() }
        try await eventually("a leads") { a.isLeader }
        let runB = Task { await b.run() }
        defer { runB.cancel() }
        // Over several renewals of a, b never leads.
        for _ in 0..<10 {
            try await Task.sleep(for: .milliseconds(30))
            #expect(a.isLeader && !b.isLeader)
        }
        let lease = try await client.get(.leases, namespace: "kube-system", name: "controller")
        #expect(lease["spec"]?["holderIdentity"] == "a")
        #expect(lease["spec"]?["leaseDurationSeconds"] == 1)
        #expect(lease["spec"]?["leaseTransitions"] == 0)
        #expect(b.leader == "a")

        runA.cancel()
        await runA.value
        #expect(!a.isLeader)
        try await eventually("b takes over", timeout: .seconds(2)) { b.isLeader }
        let taken = try await client.get(.leases, namespace: "kube-system", name: "controller")
        #expect(taken["spec"]?["holderIdentity"] == "b")
        #expect(taken["spec"]?["leaseTransitions"] == 1)
        #expect(taken["spec"]?["acquireTime"]?.stringValue?.hasSuffix("Z") == true)
    }

    @Test func aCrashedLeaderIsReplacedAfterTheLeaseExpires() async throws {
        let (client, _) = try await makeClient()
        let a = LeaderElector(client: client, config: config("a", release: false))
        let b = LeaderElector(client: client, config: config("b"))
        var events = a.events.makeAsyncIterator()
        let runA = Task { await a.run() }
        try await eventually("a leads") { a.isLeader }
        #expect(await events.next() == .newLeader("a"))
        #expect(await events.next() == .startedLeading)
        let runB = Task { await b.run() }
        defer { runB.cancel() }
        runA.cancel()  // no release: b must wait out the lease
        await runA.value
        #expect(await events.next() == .stoppedLeading)
        let clock = ContinuousClock()
        let start = clock.now
        try await eventually("b takes over", timeout: .seconds(4)) { b.isLeader }
        #expect(clock.now - start >= .milliseconds(700))
    }

    @Test func aLeaderThatCannotRenewStopsLeading() async throws {
        let (client, _) = try await makeClient()
        let a = LeaderElector(client: client, config: config("a"))
        let lost = Task { await a.run(lead: { try? await Task.sleep(for: .seconds(30)) }) }
        try await eventually("a leads") { a.isLeader }
        // Someone else takes the lease by force: a's next renewal sees another holder and gives up.
        var lease = try await client.get(.leases, namespace: "kube-system", name: "controller")
        lease[key: "spec", "holderIdentity"] = "intruder"
        _ = try await client.update(.leases, namespace: "kube-system", object: lease)
        try await eventually("a stops leading", timeout: .seconds(3)) { !a.isLeader }
        await lost.value  // run returns after losing the lease
        let after = try await client.get(.leases, namespace: "kube-system", name: "controller")
        #expect(after["spec"]?["holderIdentity"] == "intruder")
    }
}
