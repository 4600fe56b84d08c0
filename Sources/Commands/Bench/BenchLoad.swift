import Foundation
import NIOHTTP1
import Synchronization

/// The client side of the benchmark: creates, lists and watches over keep-alive connections.
struct BenchLoad: Sendable {
    let port: Int
    let host = "127.0.0.1"

    static func configMap(_ name: String) -> [UInt8] {
        Array(#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"\#(name)","labels":{"app":"bench","tier":"load"}},"data":{"key":"value-\#(name)","config.yaml":"a: 1\nb: two\nc: [x, y, z]\n"}}"#.utf8)
    }

    func createNamespace(_ name: String) async throws {
        let body = Array(#"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"\#(name)"}}"#.utf8)
        let status = try await BenchHTTPConnection.withConnection(host: host, port: port) { request in
            try await request(.POST, "/api/v1/namespaces", body).status
        }
        guard status == 201 || status == 409 else { throw BenchError("creating namespace \(name): HTTP \(status)") }
    }

    /// Creates `clients × perClient` configmaps, each client on its own connection; creates per second.
    func createRate(namespace: String, clients: Int, perClient: Int) async throws -> Double {
        let prefix = "c\(clients)-\(UInt32.random(in: 0...UInt32.max))"
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for client in 0..<clients {
                group.addTask {
                    try await BenchHTTPConnection.withConnection(host: host, port: port) { request in
                        for i in 0..<perClient {
                            let r = try await request(.POST, "/api/v1/namespaces/\(namespace)/configmaps",
                                                      Self.configMap("\(prefix)-\(client)-\(i)"))
                            guard r.status == 201 else { throw BenchError("create: HTTP \(r.status)") }
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        return Double(clients * perClient) / seconds(ContinuousClock.now - start)
    }

    func count(namespace: String) async throws -> Int {
        try await BenchHTTPConnection.withConnection(host: host, port: port) { request in
            let r = try await request(.GET, "/api/v1/namespaces/\(namespace)/configmaps", nil)
            return Self.countItems(r.body)
        }
    }

    /// Counts the top-level items of a list response by counting `"uid":` occurrences.
    static func countItems(_ body: [UInt8]) -> Int {
        let needle = Array("\"uid\":".utf8)
        var count = 0
        var i = 0
        while i + needle.count <= body.count {
            if body[i] == needle[0] && Array(body[i..<i + needle.count]) == needle {
                count += 1
                i += needle.count
            } else {
                i += 1
            }
        }
        return count
    }

    func fill(namespace: String, to total: Int) async throws {
        let existing = try await count(namespace: namespace)
        guard existing < total else { return }
        let missing = total - existing
        let clients = 16
        let perClient = (missing + clients - 1) / clients
        _ = try await createRate(namespace: namespace, clients: clients, perClient: perClient)
    }

    /// Seconds per full LIST of the namespace.
    func listLatencies(namespace: String, runs: Int, expected: Int) async throws -> [Double] {
        try await BenchHTTPConnection.withConnection(host: host, port: port) { request in
            var times: [Double] = []
            for _ in 0..<runs {
                let start = ContinuousClock.now
                let r = try await request(.GET, "/api/v1/namespaces/\(namespace)/configmaps", nil)
                times.append(seconds(ContinuousClock.now - start))
                guard r.status == 200, Self.countItems(r.body) >= expected else { throw BenchError("list: HTTP \(r.status)") }
            }
            return times
        }
    }

    /// Seconds from each create's acknowledgement... measured from just before the POST until each
    /// watcher sees the object.
    func watchLatencies(namespace: String, watchers: Int, events: Int) async throws -> [Double] {
        let state = WatchBenchState()
        
        return try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<watchers {
                group.addTask {
                    var seen = 0
                    var pending: [UInt8] = []
                    try await BenchHTTPConnection.stream(
                        host: host, port: port, uri: "/api/v1/namespaces/\(namespace)/configmaps?watch=true&resourceVersion=1",
                        ready: { state.readyCount.add(1, ordering: .relaxed) }
                    ) { chunk in
                        let now = ContinuousClock.now
                        pending.append(contentsOf: chunk)
                        while let newline = pending.firstIndex(of: 0x0A) {
                            let line = String(decoding: pending[..<newline], as: UTF8.self)
                            pending.removeSubrange(...newline)
                            guard let range = line.range(of: "\"name\":\"w-") else { continue }
                            let name = "w-" + line[range.upperBound...].prefix { $0 != "\"" }
                            if let t = state.sent.withLock({ $0[name] }) {
                                state.latencies.withLock { $0.append(seconds(now - t)) }
                            }
                            seen += 1
                        }
                        return seen < events
                    }
                }
            }
            while state.readyCount.load(ordering: .relaxed) < watchers { try await Task.sleep(for: .milliseconds(10)) }
            try await Task.sleep(for: .milliseconds(200))
            try await BenchHTTPConnection.withConnection(host: host, port: port) { request in
                for i in 0..<events {
                    let name = "w-\(i)"
                    state.sent.withLock { $0[name] = ContinuousClock.now }
                    let r = try await request(.POST, "/api/v1/namespaces/\(namespace)/configmaps", Self.configMap(name))
                    guard r.status == 201 else { throw BenchError("create: HTTP \(r.status)") }
                    try await Task.sleep(for: .milliseconds(10))
                }
            }
            try await group.waitForAll()
            return state.latencies.withLock { $0 }
        }
    }
}

/// Shared state of the watch benchmark's tasks.
final class WatchBenchState: Sendable {
    let sent = Mutex<[String: ContinuousClock.Instant]>([:])
    let latencies = Mutex<[Double]>([])
    let readyCount = Atomic<Int>(0)
}

func seconds(_ d: Duration) -> Double {
    Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
}

/// Polls `condition` every `interval` (an error counts as not yet) until it holds; after `timeout`
/// seconds throws, naming `what` and adding `detail()` (e.g. the tail of a log).
func pollUntil(_ what: String, timeout: Int, interval: Duration, detail: () -> String = { "" },
               _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + .seconds(timeout)
    while ContinuousClock.now < deadline {
        if (try? await condition()) == true { return }
        try await Task.sleep(for: interval)
    }
    throw BenchError("timed out after \(timeout) s waiting for \(what)" + detail())
}

/// Runs `body` so that SIGINT or SIGTERM cancels it: its `defer`s then stop the children it started and
/// clean up, as when it ends by itself (a killed benchmark would otherwise leave them running).
func runStoppingChildrenOnSignals(_ body: @escaping @Sendable () async throws -> Void) async throws {
    if try await runCancellingOnSignals(body) {
        throw BenchError("stopped by a signal (its children were stopped and its scratch directory removed)")
    }
}
