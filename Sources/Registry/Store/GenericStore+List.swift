import APIMachinery
import Storage

extension GenericStore {
    /// Field selector values of an object: metadata.name, metadata.namespace and the kind's own labels.
    public func fields(of object: JSONValue) -> [String: String] {
        var fields = strategy.selectableFields(object)
        fields["metadata.name"] = object.name
        fields["metadata.namespace"] = object.namespace
        return fields
    }

    /// Rejects field selectors on labels the kind does not support, as Kubernetes does (400).
    func checkFieldSelector(_ selector: FieldSelector?) throws(StatusError) {
        guard let selector else { return }
        let supported = Set(["metadata.name", "metadata.namespace"] + strategy.fieldSelectorLabels)
        for field in selector.fieldNames where !supported.contains(field) {
            throw StatusError.badRequest("field label not supported: \(field)")
        }
    }

    func matches(_ object: JSONValue, _ options: ListOptions) -> Bool {
        if let labels = options.labelSelector, !labels.matches(object.labels) { return false }
        if let fieldSelector = options.fieldSelector, !fieldSelector.matches(fields(of: object)) { return false }
        return true
    }

    /// LIST: the objects in `namespace` (nil or empty: all namespaces) that the options select.
    public func list(namespace: String?, options: ListOptions) async throws(StatusError) -> ListResponse {
        if let computed = try await readOnlyList(namespace: namespace, options: options) { return computed }
        let page = try await scan(namespace: namespace, options: options) { kv, object throws(StatusError) in
            if let object { return object }
            return try decode(kv)
        }
        return ListResponse(items: page.items, resourceVersion: page.revision, continueToken: page.continueToken)
    }

    /// LIST in wire form: each item the JSON of a list element (no kind or apiVersion). Stored values
    /// are not parsed unless a selector needs them.
    public func listJSON(namespace: String?, options: ListOptions) async throws(StatusError) -> RawListResponse {
        if let computed = try await readOnlyList(namespace: namespace, options: options) {
            let items = computed.items.map { item -> [UInt8] in
                var item = item
                item["apiVersion"] = nil
                item["kind"] = nil
                return item.serialized()
            }
            return RawListResponse(items: items, resourceVersion: 0, continueToken: nil)
        }
        let page = try await scan(namespace: namespace, options: options) { kv, _ throws(StatusError) in
            if !convertsObjects, let item = StoredObject.listItem(kv.value, revision: kv.modRevision) { return item }
            var object = try decode(kv)
            object["apiVersion"] = nil
            object["kind"] = nil
            return object.serialized()
        }
        return RawListResponse(items: page.items, resourceVersion: page.revision, continueToken: page.continueToken)
    }

    /// Reads the selected keys page by page from storage, turning each match into an item.
    func scan<Item>(namespace: String?, options: ListOptions,
                    make: (KeyValue, JSONValue?) throws(StatusError) -> Item) async throws(StatusError)
        -> (items: [Item], revision: Int64, continueToken: String?)
    {
        try checkFieldSelector(options.fieldSelector)
        let prefix = definition.prefix(namespace: namespace)
        var revision: Int64? = nil
        var startKey: String? = nil
        if let token = options.continueToken, !token.isEmpty {
            let decoded = try ContinueToken.decode(token)
            guard decoded.startKey.hasPrefix(prefix) else {
                throw StatusError.badRequest("continue key is not valid: the token does not belong to this list")
            }
            revision = decoded.revision
            startKey = decoded.startKey
        } else if let rv = options.resourceVersion, !rv.isEmpty, rv != "0" {
            guard let n = Int64(rv), n > 0 else {
                throw StatusError.badRequest("resourceVersion: Invalid value: \"\(rv)\": must be a non-negative integer")
            }
            if options.resourceVersionMatch == "Exact" {
                revision = n
            } else {
                // NotOlderThan: the current state is at least as new, unless the RV is in the future.
                let current = try await currentRevision()
                if n > current {
                    throw mapStorageError(StorageError.futureRevision(requested: n, current: current), name: "")
                }
            }
        }
        let limit = options.limit.flatMap { $0 > 0 ? $0 : nil }
        var items: [Item] = []
        let selective = options.labelSelector != nil || options.fieldSelector != nil
        var listRevision: Int64 = 0
        var nextKey = startKey
        var continueToken: String? = nil
        let pageSize = limit.map { max($0, 256) }
        while true {
            let page: ListResult
            do {
                page = try await storage.list(prefix: prefix, revision: revision, startKey: nextKey, limit: pageSize)
            } catch let error as StorageError {
                if case .compacted = error, options.continueToken != nil {
                    throw StatusError.expired(ContinueToken.expiredMessage)
                }
                throw mapStorageError(error, name: "")
            } catch {
                throw mapStorageError(error, name: "")
            }
            listRevision = page.revision
            revision = page.revision
            var index = 0
            for kv in page.items {
                index += 1
                if selective {
                    let object = try decode(kv)
                    guard matches(object, options) else { continue }
                    items.append(try make(kv, object))
                } else {
                    items.append(try make(kv, nil))
                }
                if let limit, items.count == limit {
                    // More remain if this page or the store has anything after this key.
                    if index < page.items.count || page.more {
                        continueToken = ContinueToken(revision: listRevision, startKey: kv.key + "\u{0}").encoded()
                    }
                    return (items, listRevision, continueToken)
                }
            }
            guard page.more, let last = page.items.last else { break }
            nextKey = last.key + "\u{0}"
        }
        return (items, listRevision, nil)
    }

    func currentRevision() async throws(StatusError) -> Int64 {
        do {
            return try await storage.currentRevision()
        } catch {
            throw mapStorageError(error, name: "")
        }
    }
}
