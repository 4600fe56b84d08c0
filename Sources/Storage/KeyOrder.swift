/// Key comparison shared by the backends: plain byte order of the UTF-8 encoding, which is SQLite's
/// BINARY collation and etcd's key order, so every backend lists keys in the same order.
public enum KeyOrder {
    /// True when `a` sorts before `b` byte-wise.
    @inlinable
    public static func less(_ a: String, _ b: String) -> Bool {
        a.utf8.lexicographicallyPrecedes(b.utf8)
    }

    /// True when `key` starts with `prefix` byte-wise (no Unicode normalisation).
    @inlinable
    public static func hasPrefix(_ key: String, _ prefix: String) -> Bool {
        key.utf8.starts(with: prefix.utf8)
    }

    /// The first key at or after which a listing of `prefix` starting at `startKey` begins.
    public static func listStart(prefix: String, startKey: String?) -> String {
        guard let startKey, less(prefix, startKey) else { return prefix }
        return startKey
    }
}
