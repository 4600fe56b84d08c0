import ArgumentParser

/// `swiftlet bench`: the shipped benchmark (filled in below).
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench", abstract: "Measure the API server and storage.")
    func run() async throws {}
}
