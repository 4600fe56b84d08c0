import APIMachinery

/// Parameters of a LIST (the query string of `GET .../resources`).
public struct ListQuery: Sendable, Hashable {
    public var labelSelector: String?
    public var fieldSelector: String?
    public var limit: Int?
    public var continueToken: String?
    public var resourceVersion: String?
    /// `Exact` or `NotOlderThan` (needs resourceVersion).
    public var resourceVersionMatch: String?

    public init(labelSelector: String? = nil, fieldSelector: String? = nil, limit: Int? = nil, continueToken: String? = nil,
                resourceVersion: String? = nil, resourceVersionMatch: String? = nil) {
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.limit = limit
        self.continueToken = continueToken
        self.resourceVersion = resourceVersion
        self.resourceVersionMatch = resourceVersionMatch
    }

    public var queryItems: [(String, String)] {
        var items: [(String, String)] = []
        if let labelSelector, !labelSelector.isEmpty { items.append(("labelSelector", labelSelector)) }
        if let fieldSelector, !fieldSelector.isEmpty { items.append(("fieldSelector", fieldSelector)) }
        if let limit { items.append(("limit", String(limit))) }
        if let continueToken, !continueToken.isEmpty { items.append(("continue", continueToken)) }
        if let resourceVersion { items.append(("resourceVersion", resourceVersion)) }
        if let resourceVersionMatch { items.append(("resourceVersionMatch", resourceVersionMatch)) }
        return items
    }
}

/// Parameters of a WATCH.
public struct WatchQuery: Sendable, Hashable {
    public var labelSelector: String?
    public var fieldSelector: String?
    /// Changes after this version; nil or "0" starts with the current objects as ADDED events.
    public var resourceVersion: String?
    public var allowWatchBookmarks: Bool
    /// The server ends the watch after this long; the watcher then watches again from its last version.
    public var timeoutSeconds: Int?
    public var sendInitialEvents: Bool?

    public init(labelSelector: String? = nil, fieldSelector: String? = nil, resourceVersion: String? = nil,
                allowWatchBookmarks: Bool = false, timeoutSeconds: Int? = nil, sendInitialEvents: Bool? = nil) {
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.resourceVersion = resourceVersion
        self.allowWatchBookmarks = allowWatchBookmarks
        self.timeoutSeconds = timeoutSeconds
        self.sendInitialEvents = sendInitialEvents
    }

    public var queryItems: [(String, String)] {
        var items: [(String, String)] = [("watch", "1")]
        if let labelSelector, !labelSelector.isEmpty { items.append(("labelSelector", labelSelector)) }
        if let fieldSelector, !fieldSelector.isEmpty { items.append(("fieldSelector", fieldSelector)) }
        if let resourceVersion { items.append(("resourceVersion", resourceVersion)) }
        if allowWatchBookmarks { items.append(("allowWatchBookmarks", "true")) }
        if let timeoutSeconds { items.append(("timeoutSeconds", String(timeoutSeconds))) }
        if let sendInitialEvents { items.append(("sendInitialEvents", sendInitialEvents ? "true" : "false")) }
        return items
    }
}

/// Parameters of a create, update or patch.
public struct WriteQuery: Sendable, Hashable {
    public var dryRun: Bool
    public var fieldManager: String?
    /// `Strict`, `Warn` or `Ignore`.
    public var fieldValidation: String?
    /// Server-side apply only: take over fields other managers own.
    public var force: Bool?

    public init(dryRun: Bool = false, fieldManager: String? = nil, fieldValidation: String? = nil, force: Bool? = nil) {
        self.dryRun = dryRun
        self.fieldManager = fieldManager
        self.fieldValidation = fieldValidation
        self.force = force
    }

    public var queryItems: [(String, String)] {
        var items: [(String, String)] = []
        if dryRun { items.append(("dryRun", "All")) }
        if let fieldManager { items.append(("fieldManager", fieldManager)) }
        if let fieldValidation { items.append(("fieldValidation", fieldValidation)) }
        if let force { items.append(("force", force ? "true" : "false")) }
        return items
    }
}

/// The content type of a PATCH body.
public enum PatchFormat: String, Sendable, Hashable {
    case json = "application/json-patch+json"
    case merge = "application/merge-patch+json"
    case strategic = "application/strategic-merge-patch+json"
    /// Server-side apply (needs `WriteQuery.fieldManager`). The body is sent as JSON, which is YAML.
    case apply = "application/apply-patch+yaml"
}

/// metav1.DeleteOptions.
public struct DeleteQuery: Sendable, Hashable {
    public enum Propagation: String, Sendable, Hashable {
        case orphan = "Orphan", background = "Background", foreground = "Foreground"
    }
    public var dryRun: Bool
    public var gracePeriodSeconds: Int64?
    public var propagationPolicy: Propagation?
    public var preconditionUID: String?
    public var preconditionResourceVersion: String?

    public init(dryRun: Bool = false, gracePeriodSeconds: Int64? = nil, propagationPolicy: Propagation? = nil,
                preconditionUID: String? = nil, preconditionResourceVersion: String? = nil) {
        self.dryRun = dryRun
        self.gracePeriodSeconds = gracePeriodSeconds
        self.propagationPolicy = propagationPolicy
        self.preconditionUID = preconditionUID
        self.preconditionResourceVersion = preconditionResourceVersion
    }

    /// The DeleteOptions object, as a DELETE body or an Eviction's `deleteOptions`.
    public var body: JSONValue {
        var o: [String: JSONValue] = ["kind": "DeleteOptions", "apiVersion": "v1"]
        if dryRun { o["dryRun"] = ["All"] }
        if let gracePeriodSeconds { o["gracePeriodSeconds"] = .int(gracePeriodSeconds) }
        if let propagationPolicy { o["propagationPolicy"] = .string(propagationPolicy.rawValue) }
        var pre: [String: JSONValue] = [:]
        if let preconditionUID { pre["uid"] = .string(preconditionUID) }
        if let preconditionResourceVersion { pre["resourceVersion"] = .string(preconditionResourceVersion) }
        if !pre.isEmpty { o["preconditions"] = .object(pre) }
        return .object(o)
    }

    /// Reads DeleteOptions from JSON (an Eviction's `deleteOptions`); nil or null gives the defaults.
    public init(json: JSONValue?) {
        self.init()
        guard let json, json.objectValue != nil else { return }
        dryRun = !(json["dryRun"]?.arrayValue ?? []).isEmpty
        gracePeriodSeconds = json["gracePeriodSeconds"]?.intValue
        propagationPolicy = json["propagationPolicy"]?.stringValue.flatMap(Propagation.init(rawValue:))
        if json["orphanDependents"]?.boolValue == true { propagationPolicy = .orphan }
        preconditionUID = json["preconditions"]?["uid"]?.stringValue
        preconditionResourceVersion = json["preconditions"]?["resourceVersion"]?.stringValue
    }
}

/// One LIST answer.
public struct ObjectList: Sendable, Hashable {
    public var items: [JSONValue]
    public var resourceVersion: String
    /// Set when more items remain: pass it as `ListQuery.continueToken`.
    public var continueToken: String?

    public init(items: [JSONValue], resourceVersion: String, continueToken: String? = nil) {
        self.items = items
        self.resourceVersion = resourceVersion
        self.continueToken = continueToken
    }

    /// Reads a `...List` object. Items get the list's apiVersion and their kind (a LIST over the wire
    /// leaves them out), as client-go's dynamic client does, so that listed and watched objects agree.
    public init(json: JSONValue) {
        var items = json["items"]?.arrayValue ?? []
        if let listKind = json["kind"]?.stringValue, listKind.hasSuffix("List"), let apiVersion = json["apiVersion"]?.stringValue {
            let kind = JSONValue.string(String(listKind.dropLast(4)))
            for index in items.indices where items[index].objectValue != nil {
                if items[index]["kind"] == nil { items[index]["kind"] = kind }
                if items[index]["apiVersion"] == nil { items[index]["apiVersion"] = .string(apiVersion) }
            }
        }
        self.items = items
        resourceVersion = json["metadata"]?["resourceVersion"]?.stringValue ?? ""
        let token = json["metadata"]?["continue"]?.stringValue ?? ""
        continueToken = token.isEmpty ? nil : token
    }
}

/// One watch event.
public struct ResourceEvent: Sendable, Hashable {
    public enum EventType: String, Sendable, Hashable {
        case added = "ADDED", modified = "MODIFIED", deleted = "DELETED", bookmark = "BOOKMARK", error = "ERROR"
    }
    public var type: EventType
    /// The object; for BOOKMARK only kind, apiVersion and metadata.resourceVersion; for ERROR a Status.
    public var object: JSONValue

    public init(type: EventType, object: JSONValue) {
        self.type = type
        self.object = object
    }

    /// The error an ERROR event carries.
    public var error: StatusError? {
        type == .error ? StatusError(status: object) : nil
    }
}

/// The events of one watch. It ends when the server ends the watch (timeout, shutdown, a dropped
/// connection) or after `stop()`; a watcher then watches again from the last resourceVersion it saw.
public struct EventStream: AsyncSequence, Sendable {
    public typealias Element = ResourceEvent
    public typealias Failure = Never
    let events: AsyncStream<ResourceEvent>
    let onStop: @Sendable () -> Void

    public init(events: AsyncStream<ResourceEvent>, stop: @escaping @Sendable () -> Void) {
        self.events = events
        self.onStop = stop
    }

    public func makeAsyncIterator() -> AsyncStream<ResourceEvent>.Iterator { events.makeAsyncIterator() }

    /// Ends the watch early.
    public func stop() { onStop() }
}

extension StatusError {
    /// Reads a metav1.Status object (an error response body or an ERROR event's object).
    public init(status: JSONValue, httpCode: Int? = nil) {
        let code = status["code"]?.intValue.map(Int.init) ?? httpCode ?? 500
        var details: Details? = nil
        if let d = status["details"], d.objectValue != nil {
            let causes = (d["causes"]?.arrayValue ?? []).map {
                Cause(reason: $0["reason"]?.stringValue ?? "", message: $0["message"]?.stringValue ?? "", field: $0["field"]?.stringValue)
            }
            details = Details(name: d["name"]?.stringValue, group: d["group"]?.stringValue, kind: d["kind"]?.stringValue,
                              uid: d["uid"]?.stringValue, causes: causes,
                              retryAfterSeconds: d["retryAfterSeconds"]?.intValue.map(Int.init))
        }
        self.init(code: code, reason: status["reason"]?.stringValue ?? "", message: status["message"]?.stringValue ?? "",
                  details: details)
    }

    public var isNotFound: Bool { code == 404 }
    public var isConflict: Bool { code == 409 && reason == "Conflict" }
    public var isAlreadyExists: Bool { code == 409 && reason == "AlreadyExists" }
    /// 410 Gone: a resourceVersion older than the server's history.
    public var isExpired: Bool { code == 410 }
}
