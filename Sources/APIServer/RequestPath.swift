import APIMachinery
import Registry

/// What a request path names.
enum RequestPath {
    case version
    case health(String)
    case metrics
    case openAPIV2
    case openAPIV3Index
    case openAPIV3(String)
    case coreVersions          // /api
    case groupList             // /apis
    case group(String)         // /apis/<group>
    case resourceList(group: String, version: String)
    case resource(ResourcePath)
    case notFound

    /// Parses a URL path against the served resources.
    static func parse(_ path: String, registry: Registry) -> RequestPath {
        var segments = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        if path.hasSuffix("/") && segments.count > 1 && segments.first != "version" { return .notFound }
        guard let first = segments.first else { return .notFound }
        switch first {
        case "version": return segments.count == 1 ? .version : .notFound
        case "metrics": return segments.count == 1 ? .metrics : .notFound
        case "healthz", "livez", "readyz": return segments.count <= 2 ? .health(segments.joined(separator: "/")) : .notFound
        case "openapi":
            if segments == ["openapi", "v2"] { return .openAPIV2 }
            if segments == ["openapi", "v3"] { return .openAPIV3Index }
            if segments.count > 2, segments[1] == "v3" { return .openAPIV3(segments[2...].joined(separator: "/")) }
            return .notFound
        case "api":
            if segments.count == 1 { return .coreVersions }
            guard segments[1] == "v1" else { return .notFound }
            if segments.count == 2 { return .resourceList(group: "", version: "v1") }
            segments.removeFirst(2)
            return ResourcePath.parse(group: "", version: "v1", rest: segments, registry: registry).map { .resource($0) } ?? .notFound
        case "apis":
            if segments.count == 1 { return .groupList }
            if segments.count == 2 { return .group(segments[1]) }
            let group = segments[1], version = segments[2]
            if segments.count == 3 { return .resourceList(group: group, version: version) }
            segments.removeFirst(3)
            return ResourcePath.parse(group: group, version: version, rest: segments, registry: registry).map { .resource($0) } ?? .notFound
        default:
            return .notFound
        }
    }
}

/// A path to a collection, an object or an object's subresource.
struct ResourcePath {
    var store: GenericStore
    /// The namespace of the request (nil for cluster-scoped or all-namespaces requests).
    var namespace: String?
    var name: String?
    var subresource: String?

    var definition: ResourceDefinition { store.definition }

    /// Pods' streaming subresources (served through the kubelet, see PodStreams).
    static func isPodStream(_ definition: ResourceDefinition, _ sub: String) -> Bool {
        definition.group.isEmpty && definition.resource == "pods" && PodStreamKind(rawValue: sub) != nil
    }

    static func parse(group: String, version: String, rest: [String], registry: Registry) -> ResourcePath? {
        func store(_ resource: String) -> GenericStore? {
            registry.store(group: group, version: version, resource: resource)
        }
        // namespaces/<ns>/<resource>[/<name>[/<sub>]]
        if rest.count >= 3, rest[0] == "namespaces", let s = store(rest[2]), s.definition.namespaced {
            guard rest.count <= 5 else { return nil }
            let sub = rest.count == 5 ? rest[4] : nil
            if let sub, !s.definition.subresources.contains(sub), !isPodStream(s.definition, sub) { return nil }
            return ResourcePath(store: s, namespace: rest[1], name: rest.count >= 4 ? rest[3] : nil, subresource: sub)
        }
        guard let s = store(rest[0]), rest.count <= 3 else { return nil }
        if s.definition.namespaced && rest.count > 1 { return nil }
        let sub = rest.count == 3 ? rest[2] : nil
        if let sub, !s.definition.subresources.contains(sub) { return nil }
        return ResourcePath(store: s, namespace: nil, name: rest.count >= 2 ? rest[1] : nil, subresource: sub)
    }
}
