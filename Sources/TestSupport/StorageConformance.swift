import Storage

/// The shared conformance suite of `Storage` backends: each check opens a fresh store from a factory,
/// exercises one part of the contract, closes the store, and throws a `ConformanceFailure` naming what
/// differed. Run every check in `checks` against each backend (e.g. as a parameterised test).
public enum StorageConformance {
    /// Opens a fresh, empty store.
    public typealias Factory = @Sendable () async throws -> any Storage

    /// One named check of the suite.
    public struct Check: Sendable, CustomStringConvertible {
        public let name: String
        public let run: @Sendable (_ factory: @escaping Factory) async throws -> Void
        public var description: String { name }
    }

    /// Every check of the suite.
    public static let checks: [Check] = writeChecks + listChecks + watchChecks + compactionChecks

    /// Runs every check in turn against stores from `factory`.
    public static func runAll(_ factory: @escaping Factory) async throws {
        for check in checks { try await check.run(factory) }
    }

    // MARK: - Helpers

    /// Opens a store, runs `body`, and closes the store even when `body` throws.
    static func withStorage(_ factory: Factory, _ body: (any Storage) async throws -> Void) async throws {
        let storage = try await factory()
        do {
            try await body(storage)
        } catch {
            try? await storage.close()
            throw error
        }
        try await storage.close()
    }

    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    /// Reads `count` events from `stream`, failing after `timeout`.
    static func collect(_ stream: AsyncThrowingStream<WatchEvent, Error>, count: Int,
                        timeout: Duration = .seconds(10), file: StaticString = #fileID, line: UInt = #line)
        async throws -> [WatchEvent]
    {
        let events = try await withThrowingTaskGroup(of: [WatchEvent]?.self) { group in
            group.addTask {
                var events: [WatchEvent] = []
                guard count > 0 else { return events }
                for try await event in stream {
                    events.append(event)
                    if events.count == count { break }
                }
                return events
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            let first = try await group.next() ?? nil
            group.cancelAll()
            return first
        }
        guard let events else {
            throw ConformanceFailure("timed out waiting for \(count) watch events", file: file, line: line)
        }
        try require(events.count == count, "watch ended after \(events.count) of \(count) events: \(events)",
                    file: file, line: line)
        return events
    }
}

/// A failed conformance expectation, with where it was checked.
public struct ConformanceFailure: Error, CustomStringConvertible {
    public let description: String

    public init(_ message: String, file: StaticString = #fileID, line: UInt = #line) {
        description = "\(file):\(line): \(message)"
    }
}

func require(_ condition: Bool, _ message: @autoclosure () -> String,
             file: StaticString = #fileID, line: UInt = #line) throws {
    if !condition { throw ConformanceFailure(message(), file: file, line: line) }
}

func requireEqual<T: Equatable>(_ actual: T, _ expected: T, _ what: String,
                                file: StaticString = #fileID, line: UInt = #line) throws {
    if actual != expected {
        throw ConformanceFailure("\(what): expected \(expected), got \(actual)", file: file, line: line)
    }
}

/// Requires `body` to throw exactly `expected`.
func requireError<T>(_ expected: StorageError, _ what: String, file: StaticString = #fileID, line: UInt = #line,
                     _ body: () async throws -> T) async throws {
    try await requireError(what, file: file, line: line, matching: { $0 == expected }, body)
}

/// Requires `body` to throw a `StorageError` accepted by `matching`.
func requireError<T>(_ what: String, file: StaticString = #fileID, line: UInt = #line,
                     matching: (StorageError) -> Bool, _ body: () async throws -> T) async throws {
    do {
        let value = try await body()
        throw ConformanceFailure("\(what): expected an error, got \(value)", file: file, line: line)
    } catch let error as StorageError {
        if !matching(error) { throw ConformanceFailure("\(what): unexpected error \(error)", file: file, line: line) }
    } catch let failure as ConformanceFailure {
        throw failure
    } catch {
        throw ConformanceFailure("\(what): unexpected error \(error)", file: file, line: line)
    }
}
