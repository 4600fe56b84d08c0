import APIMachinery
import Client
import Testing

@Suite struct DefaultTolerationSecondsTests {
    @Test func podsGetNotReadyAndUnreachableTolerationsOf300Seconds() async throws {
        let cluster = try await TestCluster()
        let pod = try await cluster.client.create(.pods, namespace: "default", object: NodeFixtures.pod("p", tolerations: [
            ["key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 2]]))
        #expect(pod["spec"]?["tolerations"] == [
            ["key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 2],
            ["key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300],
        ])
        let plain = try await cluster.client.create(.pods, namespace: "default", object: NodeFixtures.pod("q"))
        #expect(plain["spec"]?["tolerations"]?.arrayValue?.count == 2)
        #expect(plain["spec"]?["tolerations"]?.arrayValue?.dropFirst().first?["key"] == "node.kubernetes.io/unreachable")
    }
}
