import APIMachinery

/// Runs an operation that throws a Status error and returns its outcome as a Result.
func attempt<T>(_ body: () async throws(StatusError) -> T) async -> Result<T, StatusError> {
    do {
        return .success(try await body())
    } catch {
        return .failure(error)
    }
}
