import APIMachinery
import Storage

/// Query options of a LIST or WATCH.
public struct ListOptions: Sendable {
    public var labelSelector: LabelSelector?
    public var fieldSelector: FieldSelector?
    public var resourceVersion: String?
    public var resourceVersionMatch: String?
    public var limit: Int?
    public var continueToken: String?
    public var allowWatchBookmarks = false
    public var sendInitialEvents: Bool?
    public var timeoutSeconds: Int?
    public init() {}
}

/// Options of a create, update or patch.
public struct WriteOptions: Sendable {
    public enum FieldValidation: String, Sendable { case strict = "Strict", warn = "Warn", ignore = "Ignore" }
    public var dryRun = false
    public var fieldManager: String?
    public var fieldValidation: FieldValidation = .ignore
    /// Server-side apply: take over fields other managers own instead of failing with a conflict.
    public var force = false
    /// Set by server-side apply, which records managedFields itself.
    var managedFieldsRecorded = false
    public init() {}
}

/// metav1.DeleteOptions.
public struct DeleteOptions: Sendable {
    public var dryRun = false
    public var gracePeriodSeconds: Int64?
    public var propagationPolicy: String?
    public var preconditionUID: String?
    public var preconditionResourceVersion: String?
    public init() {}
}

/// What a write produced: the object and whether it was created; warnings for the client.
public struct WriteResult: Sendable {
    public var object: JSONValue
    public var created: Bool
    public var warnings: [String]
    public init(object: JSONValue, created: Bool, warnings: [String] = []) {
        self.object = object
        self.created = created
        self.warnings = warnings
    }
}

/// One LIST answer: items (with resourceVersion set), the list's revision and paging state.
public struct ListResponse: Sendable {
    public var items: [JSONValue]
    public var resourceVersion: Int64
    public var continueToken: String?
}

/// A LIST answer in wire form: each item the JSON bytes of one list element.
public struct RawListResponse: Sendable {
    public var items: [[UInt8]]
    public var resourceVersion: Int64
    public var continueToken: String?
    public init(items: [[UInt8]], resourceVersion: Int64, continueToken: String?) {
        self.items = items
        self.resourceVersion = resourceVersion
        self.continueToken = continueToken
    }
}

/// A watch event in API terms.
public struct APIWatchEvent: Sendable {
    public enum Kind: String, Sendable { case added = "ADDED", modified = "MODIFIED", deleted = "DELETED", bookmark = "BOOKMARK", error = "ERROR" }
    public var type: Kind
    public var object: JSONValue
    /// The storage event's memo, shared by every watcher of it (to serialize `object` once); nil for
    /// initial, bookmark and error events.
    public var memo: WatchEventMemo?
    public init(type: Kind, object: JSONValue, memo: WatchEventMemo? = nil) {
        self.type = type
        self.object = object
        self.memo = memo
    }
}

/// Patch content types the store applies.
public enum PatchType: String, Sendable {
    case json = "application/json-patch+json"
    case merge = "application/merge-patch+json"
    case strategic = "application/strategic-merge-patch+json"
    case apply = "application/apply-patch+yaml"
}
