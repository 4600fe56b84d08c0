import Dispatch
import Foundation

/// Runs `body` in a task that SIGINT or SIGTERM cancels (`onSignal` is told which first); its `defer`s
/// then run as when it ends by itself. Returns true when a signal (or any cancellation) stopped it.
@discardableResult
func runCancellingOnSignals(onSignal: @escaping @Sendable (Int32) -> Void = { _ in },
                            _ body: @escaping @Sendable () async throws -> Void) async throws -> Bool {
    let task = Task { try await body() }
    let sources = [SIGINT, SIGTERM].map { number in
        signal(number, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
        source.setEventHandler {
            onSignal(number)
            task.cancel()
        }
        source.resume()
        return source
    }
    defer { sources.forEach { $0.cancel() } }
    do {
        try await task.value
        return false
    } catch is CancellationError {
        return true
    }
}
