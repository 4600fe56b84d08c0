import Foundation

/// Serves a container's CRI log file: the lines already written (tail, since, timestamps, limit applied)
/// and, when following, every ~100 ms what was appended since — until the container has exited and
/// the file is drained, the limit is reached, the writer fails (the client went away) or the task is
/// cancelled.
struct ContainerLogStreamer: Sendable {
    var path: String
    var options: ContainerLogOptions
    var pollInterval: Duration = .milliseconds(100)
    /// Whether the container may still write to the file (running, or created and about to start).
    var isRunning: @Sendable () async -> Bool
    static let chunkSize = 64 * 1024

    func run(write: @Sendable ([UInt8]) async throws -> Void) async throws {
        var parser = CRILogParser()
        var output = ContainerLogOutput(options: options)
        var handle = FileHandle(forReadingAtPath: path)
        defer { try? handle?.close() }
        // What the file holds now.
        var tail = options.tailLines.map { TailBuffer(limit: $0) }
        var running = options.follow ? await isRunning() : false
        while let handle, let chunk = Self.read(handle), !chunk.isEmpty {
            let entries = parser.feed(chunk).filter(output.accepts)
            if tail != nil {
                entries.forEach { tail?.add($0) }
            } else {
                try await emit(&output, entries, write)
                if output.exhausted { return }
            }
        }
        let ended = parser.flushPartialsIf(!running)
        if tail != nil {
            ended.filter(output.accepts).forEach { tail?.add($0) }
            try await emit(&output, tail?.entries ?? [], write)
        } else {
            try await emit(&output, ended, write)
        }
        guard options.follow else { return }
        // New lines as they come; the state is read before the file so nothing written before the
        // exit is missed.
        while !output.exhausted && running {
            try await Task.sleep(for: pollInterval)
            running = await isRunning()
            if handle == nil { handle = FileHandle(forReadingAtPath: path) }
            var entries: [CRILogEntry] = []
            while let handle, let chunk = Self.read(handle), !chunk.isEmpty { entries += parser.feed(chunk) }
            entries += parser.flushPartialsIf(!running)
            try await emit(&output, entries, write)
        }
    }

    func emit(_ output: inout ContainerLogOutput, _ entries: [CRILogEntry], _ write: @Sendable ([UInt8]) async throws -> Void) async throws {
        let bytes = output.render(entries)
        if !bytes.isEmpty { try await write(bytes) }
    }

    static func read(_ handle: FileHandle) -> [UInt8]? {
        (try? handle.read(upToCount: chunkSize)).map { [UInt8]($0) }
    }
}

extension CRILogParser {
    /// `flushPartials()` when `condition` holds, else nothing.
    mutating func flushPartialsIf(_ condition: Bool) -> [CRILogEntry] { condition ? flushPartials() : [] }
}
