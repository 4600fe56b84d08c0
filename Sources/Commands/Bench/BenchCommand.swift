import ArgumentParser
import Foundation
import Storage
import StorageSQLite

/// `swiftlet bench`: starts a server from this binary on a scratch directory and measures it against a
/// raw SQLite baseline taken in the same run. Prints one line per figure.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench", abstract: "Measure the API server and storage.",
                                                    subcommands: [BenchSchedulerCommand.self, BenchPodsCommand.self])

    @Option(help: "Objects in the LIST benchmark.")
    var listObjects = 10_000

    @Option(help: "Creates per client in the throughput runs.")
    var createsPerClient = 500

    @Option(help: "Watchers in the watch latency run.")
    var watchers = 50

    @Option(help: "Objects each watcher waits for in the watch latency run.")
    var watchEvents = 100

    @Option(help: "Rows inserted by the one-row-per-transaction SQLite baseline (the batched one inserts 25×).")
    var sqliteRows = 2_000

    @OptionGroup var server: BenchPortOption

    var port: Int { server.port ?? 16443 }

    func run() async throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("swiftlet-bench-\(getpid())").path
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        var report = BenchReport()

        // Baseline: raw SQLite inserts with the same pragmas, one commit per row and 100 rows per commit.
        report.add("sqlite_raw_inserts_per_s_1_per_txn", try RawSQLiteBenchmark.insertRate(
            path: scratch + "/raw1.db", rows: sqliteRows, valueSize: 400, rowsPerTransaction: 1), unit: "rows/s")
        report.add("sqlite_raw_inserts_per_s_100_per_txn", try RawSQLiteBenchmark.insertRate(
            path: scratch + "/raw100.db", rows: sqliteRows * 25, valueSize: 400, rowsPerTransaction: 100), unit: "rows/s")

        let server = try BenchServer.start(dataDir: scratch + "/server", port: port)
        defer { server.stop() }
        let ready = try await server.waitReady()
        report.add("start_to_ready_ms", ready * 1000, unit: "ms")
        try await Task.sleep(for: .seconds(1))
        report.add("idle_rss_mb", server.rssMegabytes(), unit: "MB")

        let load = BenchLoad(port: port)
        try await load.createNamespace("bench")
        report.add("creates_per_s_1_client", try await load.createRate(namespace: "bench", clients: 1, perClient: createsPerClient * 2), unit: "creates/s")
        report.add("creates_per_s_16_clients", try await load.createRate(namespace: "bench", clients: 16, perClient: createsPerClient), unit: "creates/s")
        try await load.fill(namespace: "bench", to: listObjects)
        let listTimes = try await load.listLatencies(namespace: "bench", runs: 15, expected: listObjects)
        report.add("list_\(listObjects)_p50_ms", percentile(listTimes, 50) * 1000, unit: "ms")
        report.add("list_\(listObjects)_p95_ms", percentile(listTimes, 95) * 1000, unit: "ms")
        try await load.createNamespace("watch")
        let delivery = try await load.watchLatencies(namespace: "watch", watchers: watchers, events: watchEvents)
        report.add("watch_delivery_\(watchers)_watchers_p50_ms", percentile(delivery, 50) * 1000, unit: "ms")
        report.add("watch_delivery_\(watchers)_watchers_p99_ms", percentile(delivery, 99) * 1000, unit: "ms")
        report.add("rss_after_load_mb", server.rssMegabytes(), unit: "MB")
        report.print()
    }
}

func percentile(_ values: [Double], _ p: Double) -> Double {
    guard !values.isEmpty else { return .nan }
    let sorted = values.sorted()
    let index = min(sorted.count - 1, Int((p / 100 * Double(sorted.count - 1)).rounded()))
    return sorted[index]
}

/// The figures of one run, printed as `name value unit` lines.
struct BenchReport {
    var lines: [(String, Double, String)] = []
    /// `note` replaces the value in the printed line (e.g. "not reached"); the JSON then has null.
    mutating func add(_ name: String, _ value: Double, unit: String, note: String? = nil) {
        lines.append((name, value, unit))
        let padded = name.count < 44 ? name + String(repeating: " ", count: 44 - name.count) : name
        Swift.print("\(padded) \(note ?? String(format: "%12.1f", value) + " " + unit)")
    }
    func print() {
        let json = lines.map { "\"\($0.0)\": \($0.1.isFinite ? String(format: "%.2f", $0.1) : "null")" }.joined(separator: ", ")
        Swift.print("{\(json)}")
    }
}

/// `--port`: where the benchmarked server listens (16443 for `bench`, 16444 for `bench scheduler`).
/// An option group of both commands, so that `--port` given after `scheduler` reaches the subcommand.
struct BenchPortOption: ParsableArguments {
    @Option(help: "Port for the benchmarked server.")
    var port: Int?
}
