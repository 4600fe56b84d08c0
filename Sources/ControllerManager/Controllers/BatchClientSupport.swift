import APIMachinery
import Client

/// Calls whose "not found" or "already exists" answer is an expected outcome rather than a failure.
extension APIClient {
    /// GET; nil when the object does not exist.
    func getIfExists(_ resource: ResourceID, namespace: String = "", name: String) async throws(StatusError) -> JSONValue? {
        do throws(StatusError) {
            return try await get(resource, namespace: namespace, name: name, subresource: nil)
        } catch {
            if error.isNotFound { return nil }
            throw error
        }
    }

    /// DELETE; false when the object was already gone.
    @discardableResult
    func deleteIfExists(_ resource: ResourceID, namespace: String, name: String, options: DeleteQuery = DeleteQuery()) async throws(StatusError) -> Bool {
        do throws(StatusError) {
            _ = try await delete(resource, namespace: namespace, name: name, options: options)
            return true
        } catch {
            if error.isNotFound { return false }
            throw error
        }
    }

    /// PATCH; nil when the object does not exist.
    func patchIfExists(_ resource: ResourceID, namespace: String, name: String, format: PatchFormat,
                       body: JSONValue) async throws(StatusError) -> JSONValue? {
        do throws(StatusError) {
            return try await patch(resource, namespace: namespace, name: name, format: format, body: body, subresource: nil, query: WriteQuery())
        } catch {
            if error.isNotFound { return nil }
            throw error
        }
    }

    /// POST; nil when an object of that name already exists.
    func createUnlessExists(_ resource: ResourceID, namespace: String, object: JSONValue) async throws(StatusError) -> JSONValue? {
        do throws(StatusError) {
            return try await create(resource, namespace: namespace, object: object, query: WriteQuery())
        } catch {
            if error.isAlreadyExists { return nil }
            throw error
        }
    }
}
