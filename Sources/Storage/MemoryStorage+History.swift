extension MemoryStorage {
    public func list(prefix: String, revision requested: Int64?, startKey: String?, limit: Int?) throws -> ListResult {
        try checkOpen()
        let at = requested ?? revision
        if at > revision { throw StorageError.futureRevision(requested: at, current: revision) }
        if at < compacted { throw StorageError.compacted(requested: at, compacted: compacted) }
        let limit = limit.flatMap { $0 > 0 ? $0 : nil }
        var items: [KeyValue] = []
        var more = false
        var index = lowerBound(KeyOrder.listStart(prefix: prefix, startKey: startKey))
        while index < sortedKeys.count, KeyOrder.hasPrefix(sortedKeys[index], prefix) {
            let key = sortedKeys[index]
            index += 1
            guard let version = version(of: key, at: at), !version.deleted else { continue }
            if let limit, items.count == limit {
                more = true
                break
            }
            items.append(version.keyValue(key))
        }
        return ListResult(items: items, revision: at, more: more)
    }

    public func compact(revision target: Int64) throws {
        try checkOpen()
        if target > revision { throw StorageError.futureRevision(requested: target, current: revision) }
        guard target > compacted else { return }
        var emptied: Set<String> = []
        for (key, history) in versions {
            guard let newest = newestIndex(history, atOrBelow: target) else { continue }
            let dropThrough = history[newest].deleted ? newest : newest - 1
            guard dropThrough >= 0 else { continue }
            if dropThrough == history.count - 1 {
                emptied.insert(key)
            } else {
                versions[key]?.removeFirst(dropThrough + 1)
            }
        }
        if !emptied.isEmpty {
            for key in emptied { versions[key] = nil }
            sortedKeys.removeAll { emptied.contains($0) }
        }
        log.removeFirst(firstLogIndex(after: target))
        compacted = target
    }

    /// Up to `limit` logged events under `prefix` with a revision greater than `after`.
    func history(prefix: String, after: Int64, limit: Int) throws -> [WatchEvent] {
        try checkOpen()
        if after < compacted { throw StorageError.compacted(requested: after, compacted: compacted) }
        var events: [WatchEvent] = []
        var index = firstLogIndex(after: after)
        while index < log.count, events.count < limit {
            if KeyOrder.hasPrefix(log[index].kv.key, prefix) { events.append(log[index]) }
            index += 1
        }
        return events
    }

    /// The version of `key` in force at revision `at`, deleted or not.
    private func version(of key: String, at: Int64) -> Version? {
        guard let history = versions[key], let index = newestIndex(history, atOrBelow: at) else { return nil }
        return history[index]
    }

    /// The index of the newest version with a revision at or below `revision`.
    private func newestIndex(_ history: [Version], atOrBelow revision: Int64) -> Int? {
        if let last = history.last, last.revision <= revision { return history.count - 1 }
        var low = 0
        var high = history.count
        while low < high {
            let mid = (low + high) / 2
            if history[mid].revision <= revision { low = mid + 1 } else { high = mid }
        }
        return low == 0 ? nil : low - 1
    }

    /// The index of the first logged event with a revision greater than `revision`.
    private func firstLogIndex(after revision: Int64) -> Int {
        var low = 0
        var high = log.count
        while low < high {
            let mid = (low + high) / 2
            if log[mid].revision <= revision { low = mid + 1 } else { high = mid }
        }
        return low
    }
}
