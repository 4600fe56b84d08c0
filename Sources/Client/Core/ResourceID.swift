import APIMachinery

/// Names one API resource as a client addresses it: group, version, plural resource name and scope.
public struct ResourceID: Sendable, Hashable, CustomStringConvertible {
    public var group: String
    public var version: String
    public var resource: String
    public var namespaced: Bool

    public init(group: String, version: String, resource: String, namespaced: Bool) {
        self.group = group
        self.version = version
        self.resource = resource
        self.namespaced = namespaced
    }

    /// `v1` for the core group, `group/version` otherwise.
    public var groupVersion: String { group.isEmpty ? version : "\(group)/\(version)" }
    public var groupResource: GroupResource { GroupResource(group: group, resource: resource) }
    public var description: String { group.isEmpty ? "\(resource).\(version)" : "\(resource).\(version).\(group)" }

    /// The URL path of the collection, an object or an object's subresource. A nil or empty namespace
    /// addresses every namespace (list, watch); cluster-scoped resources ignore it.
    public func path(namespace: String?, name: String? = nil, subresource: String? = nil) -> String {
        var path = group.isEmpty ? "/api/\(version)" : "/apis/\(group)/\(version)"
        if namespaced, let namespace, !namespace.isEmpty { path += "/namespaces/\(Self.escape(namespace))" }
        path += "/\(resource)"
        if let name {
            path += "/\(Self.escape(name))"
            if let subresource, !subresource.isEmpty { path += "/\(subresource)" }
        }
        return path
    }

    static func escape(_ segment: String) -> String {
        segment.addingPathPercentEncoding()
    }
}

extension String {
    /// Percent-encodes everything but RFC 3986 unreserved characters (for path segments and query
    /// parameters alike).
    public func addingPathPercentEncoding() -> String {
        var out = ""
        for byte in utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(UnicodeScalar(byte))
            default:
                let hex = Array("0123456789ABCDEF")
                out.append("%")
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0xF)])
            }
        }
        return out
    }
}

extension ResourceID {
    public static let namespaces = ResourceID(group: "", version: "v1", resource: "namespaces", namespaced: false)
    public static let nodes = ResourceID(group: "", version: "v1", resource: "nodes", namespaced: false)
    public static let pods = ResourceID(group: "", version: "v1", resource: "pods", namespaced: true)
    public static let services = ResourceID(group: "", version: "v1", resource: "services", namespaced: true)
    public static let endpoints = ResourceID(group: "", version: "v1", resource: "endpoints", namespaced: true)
    public static let configMaps = ResourceID(group: "", version: "v1", resource: "configmaps", namespaced: true)
    public static let secrets = ResourceID(group: "", version: "v1", resource: "secrets", namespaced: true)
    public static let events = ResourceID(group: "", version: "v1", resource: "events", namespaced: true)
    public static let serviceAccounts = ResourceID(group: "", version: "v1", resource: "serviceaccounts", namespaced: true)
    public static let persistentVolumeClaims = ResourceID(group: "", version: "v1", resource: "persistentvolumeclaims", namespaced: true)
    public static let persistentVolumes = ResourceID(group: "", version: "v1", resource: "persistentvolumes", namespaced: false)
    public static let bindings = ResourceID(group: "", version: "v1", resource: "bindings", namespaced: true)
    public static let deployments = ResourceID(group: "apps", version: "v1", resource: "deployments", namespaced: true)
    public static let replicaSets = ResourceID(group: "apps", version: "v1", resource: "replicasets", namespaced: true)
    public static let daemonSets = ResourceID(group: "apps", version: "v1", resource: "daemonsets", namespaced: true)
    public static let statefulSets = ResourceID(group: "apps", version: "v1", resource: "statefulsets", namespaced: true)
    public static let controllerRevisions = ResourceID(group: "apps", version: "v1", resource: "controllerrevisions", namespaced: true)
    public static let jobs = ResourceID(group: "batch", version: "v1", resource: "jobs", namespaced: true)
    public static let cronJobs = ResourceID(group: "batch", version: "v1", resource: "cronjobs", namespaced: true)
    public static let leases = ResourceID(group: "coordination.k8s.io", version: "v1", resource: "leases", namespaced: true)
    public static let endpointSlices = ResourceID(group: "discovery.k8s.io", version: "v1", resource: "endpointslices", namespaced: true)
    public static let podDisruptionBudgets = ResourceID(group: "policy", version: "v1", resource: "poddisruptionbudgets", namespaced: true)
    public static let priorityClasses = ResourceID(group: "scheduling.k8s.io", version: "v1", resource: "priorityclasses", namespaced: false)
    public static let eventsV1 = ResourceID(group: "events.k8s.io", version: "v1", resource: "events", namespaced: true)
}
