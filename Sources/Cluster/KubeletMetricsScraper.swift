import APIMachinery
import AsyncHTTPClient
import Foundation
import Logging
import Registry

/// Fetches one kubelet's Summary API document (`GET http://host:port/stats/summary`).
public protocol SummaryFetcher: Sendable {
    func summary(host: String, port: Int) async throws -> JSONValue
}

/// `SummaryFetcher` over plain HTTP (the kubelet server of the node agent).
public struct HTTPSummaryFetcher: SummaryFetcher {
    let http: HTTPClient
    public init(http: HTTPClient = .shared) { self.http = http }

    public func summary(host: String, port: Int) async throws -> JSONValue {
        let address = host.contains(":") ? "[\(host)]" : host
        let response = try await http.execute(HTTPClientRequest(url: "http://\(address):\(port)/stats/summary"), timeout: .seconds(5))
        let body = try await response.body.collect(upTo: 32 << 20)
        guard response.status == .ok else { throw StatusError.internal("kubelet \(host):\(port) answered \(response.status.code)") }
        return try JSONValue.parse(Array(body.readableBytesView))
    }
}

/// metrics.k8s.io's figures inside `swiftlet server`, as metrics-server collects them: every
/// `interval` (and on the first request, and whenever the last scrape is older than `interval`)
/// the Summary API of every Ready node's kubelet (address: the first InternalIP, else Hostname;
/// port: status.daemonEndpoints.kubeletEndpoint.Port) is read and kept.
public actor KubeletMetricsScraper: MetricsSource {
    let fetcher: any SummaryFetcher
    let interval: Duration
    let windowSeconds: Int
    let logger: Logger
    var current = MetricsSnapshot()
    var scrapedAt: ContinuousClock.Instant?

    public init(fetcher: any SummaryFetcher = HTTPSummaryFetcher(), interval: Duration = .seconds(15), windowSeconds: Int = 10,
                logger: Logger = Logger(label: "metrics")) {
        self.fetcher = fetcher
        self.interval = interval
        self.windowSeconds = windowSeconds
        self.logger = logger
    }

    public func snapshot(registry: Registry) async -> MetricsSnapshot {
        if let scrapedAt, ContinuousClock.now - scrapedAt < interval { return current }
        await scrape(registry: registry)
        return current
    }

    /// Scrapes every `interval` until cancelled.
    public func run(registry: Registry) async {
        while !Task.isCancelled {
            if scrapedAt.map({ ContinuousClock.now - $0 >= interval }) ?? true { await scrape(registry: registry) }
            try? await Task.sleep(for: interval)
        }
    }

    /// The kubelet endpoint of a Ready node, if it has one.
    public static func endpoint(of node: JSONValue) -> (host: String, port: Int)? {
        let ready = node["status"]?["conditions"]?.arrayValue?.contains {
            $0["type"]?.stringValue == "Ready" && $0["status"]?.stringValue == "True"
        } ?? false
        guard ready, let port = node["status"]?["daemonEndpoints"]?["kubeletEndpoint"]?["Port"]?.intValue, port > 0 else { return nil }
        let addresses = node["status"]?["addresses"]?.arrayValue ?? []
        let address = addresses.first { $0["type"]?.stringValue == "InternalIP" } ?? addresses.first { $0["type"]?.stringValue == "Hostname" }
        guard let host = address?["address"]?.stringValue, !host.isEmpty else { return nil }
        return (host, Int(port))
    }

    public func scrape(registry: Registry) async {
        scrapedAt = ContinuousClock.now
        guard let nodes = try? await registry.store(group: "", version: "v1", resource: "nodes")?.list(namespace: nil, options: ListOptions()).items
        else { return }
        let fetcher = self.fetcher
        let logger = self.logger
        let summaries = await withTaskGroup(of: JSONValue?.self) { group in
            for node in nodes {
                guard let (host, port) = Self.endpoint(of: node) else { continue }
                group.addTask {
                    do {
                        return try await fetcher.summary(host: host, port: port)
                    } catch {
                        logger.debug("metrics: scraping node \(node.name) at \(host):\(port): \(error)")
                        return nil
                    }
                }
            }
            var all: [JSONValue] = []
            for await summary in group { if let summary { all.append(summary) } }
            return all
        }
        var snapshot = MetricsSnapshot()
        for summary in summaries { snapshot.add(summary: summary, windowSeconds: windowSeconds) }
        current = snapshot
    }
}
