import APIMachinery
import Registry

/// Discovery documents: legacy (/api, /apis, /api/v1, /apis/<g>/<v>) and aggregated (apidiscovery v2/v2beta1).
struct Discovery {
    let definitions: [ResourceDefinition]
    let serverAddress: String

    /// Group versions in serving order; the core group is "".
    var groupVersions: [(group: String, versions: [String])] {
        var order: [String] = []
        var versions: [String: [String]] = [:]
        for d in definitions {
            if versions[d.group] == nil { order.append(d.group) }
            if !(versions[d.group]?.contains(d.version) ?? false) { versions[d.group, default: []].append(d.version) }
        }
        return order.map { ($0, versions[$0] ?? []) }
    }

    /// The verbs of a subresource the generic store serves.
    static func subresourceVerbs(_ subresource: String) -> JSONValue {
        switch subresource {
        case "finalize": return ["update"]
        case "binding", "eviction": return ["create"]
        case "log": return ["get"]
        case "attach", "exec", "portforward": return ["create", "get"]
        default: return ["get", "patch", "update"]
        }
    }

    /// The subresources listed for a resource: the store's, and for pods the streams proxied to kubelets.
    static func subresources(of d: ResourceDefinition) -> [String] {
        guard d.group.isEmpty, d.resource == "pods" else { return d.subresources }
        return (d.subresources + PodStreamKind.allCases.map(\.rawValue)).sorted()
    }

    /// The group, version and kind a subresource answers with.
    static func subresourceKind(_ subresource: String, of d: ResourceDefinition) -> (group: String, version: String, kind: String) {
        switch subresource {
        case "scale": return ("autoscaling", "v1", "Scale")
        case "binding": return ("", "v1", "Binding")
        case "eviction": return ("policy", "v1", "Eviction")
        case "attach": return ("", "v1", "PodAttachOptions")
        case "exec": return ("", "v1", "PodExecOptions")
        case "portforward": return ("", "v1", "PodPortForwardOptions")
        default: return (d.group, d.version, d.kind)
        }
    }

    func resources(group: String, version: String) -> [ResourceDefinition] {
        definitions.filter { $0.group == group && $0.version == version }
    }

    /// The aggregated discovery version the Accept header asks for, if any.
    static func aggregatedVersion(_ accept: String?) -> String? {
        guard let accept else { return nil }
        for part in accept.split(separator: ",") {
            let params = part.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard params.contains("as=APIGroupDiscoveryList"), params.contains("g=apidiscovery.k8s.io") else { continue }
            if params.contains("v=v2") { return "v2" }
            if params.contains("v=v2beta1") { return "v2beta1" }
        }
        return nil
    }

    static func contentType(aggregated version: String) -> String {
        "application/json;g=apidiscovery.k8s.io;v=\(version);as=APIGroupDiscoveryList"
    }

    func apiVersions() -> JSONValue {
        ["kind": "APIVersions", "versions": ["v1"],
         "serverAddressByClientCIDRs": [["clientCIDR": "0.0.0.0/0", "serverAddress": .string(serverAddress)]]]
    }

    func apiGroup(_ group: String) -> JSONValue? {
        guard !group.isEmpty, let entry = groupVersions.first(where: { $0.group == group }) else { return nil }
        let versions: [JSONValue] = entry.versions.map { ["groupVersion": .string("\(group)/\($0)"), "version": .string($0)] }
        return ["kind": "APIGroup", "apiVersion": "v1", "name": .string(group), "versions": .array(versions),
                "preferredVersion": versions.first ?? .null]
    }

    func apiGroupList() -> JSONValue {
        let groups = groupVersions.filter { !$0.group.isEmpty }.compactMap { entry -> JSONValue? in
            guard var g = apiGroup(entry.group) else { return nil }
            g["kind"] = nil
            g["apiVersion"] = nil
            return g
        }
        return ["kind": "APIGroupList", "apiVersion": "v1", "groups": .array(groups)]
    }

    func resourceList(group: String, version: String) -> JSONValue? {
        let defs = resources(group: group, version: version)
        guard !defs.isEmpty else { return nil }
        var items: [JSONValue] = []
        for d in defs {
            var r: [String: JSONValue] = ["name": .string(d.resource), "singularName": .string(d.singular),
                                          "namespaced": .bool(d.namespaced), "kind": .string(d.kind),
                                          "verbs": .array(d.verbs.map { .string($0) })]
            if !d.shortNames.isEmpty { r["shortNames"] = .array(d.shortNames.map { .string($0) }) }
            if !d.categories.isEmpty { r["categories"] = .array(d.categories.map { .string($0) }) }
            items.append(.object(r))
            for sub in Self.subresources(of: d) {
                let gvk = Self.subresourceKind(sub, of: d)
                var item: [String: JSONValue] = ["name": .string("\(d.resource)/\(sub)"), "singularName": "", "namespaced": .bool(d.namespaced),
                                                 "kind": .string(gvk.kind), "verbs": Self.subresourceVerbs(sub)]
                if gvk.group != d.group || gvk.version != d.version {
                    item["group"] = .string(gvk.group)
                    item["version"] = .string(gvk.version)
                }
                items.append(.object(item))
            }
        }
        return ["kind": "APIResourceList", "apiVersion": "v1", "groupVersion": .string(group.isEmpty ? version : "\(group)/\(version)"),
                "resources": .array(items)]
    }

    /// The aggregated document for the core group (`/api`) or the named groups (`/apis`).
    func aggregated(core: Bool, version: String) -> JSONValue {
        let items = groupVersions.filter { $0.group.isEmpty == core }.map { entry -> JSONValue in
            let versions = entry.versions.map { v -> JSONValue in
                let resources = resources(group: entry.group, version: v).map { d -> JSONValue in
                    var r: [String: JSONValue] = [
                        "resource": .string(d.resource),
                        "responseKind": ["group": .string(d.group), "version": .string(d.version), "kind": .string(d.kind)],
                        "scope": d.namespaced ? "Namespaced" : "Cluster",
                        "singularResource": .string(d.singular),
                        "verbs": .array(d.verbs.map { .string($0) }),
                    ]
                    if !d.shortNames.isEmpty { r["shortNames"] = .array(d.shortNames.map { .string($0) }) }
                    if !d.categories.isEmpty { r["categories"] = .array(d.categories.map { .string($0) }) }
                    if !Self.subresources(of: d).isEmpty {
                        r["subresources"] = .array(Self.subresources(of: d).map { sub -> JSONValue in
                            let gvk = Self.subresourceKind(sub, of: d)
                            return ["subresource": .string(sub),
                             "responseKind": ["group": .string(gvk.group), "version": .string(gvk.version), "kind": .string(gvk.kind)],
                             "verbs": Self.subresourceVerbs(sub)]
                        })
                    }
                    return .object(r)
                }
                return ["version": .string(v), "freshness": "Current", "resources": .array(resources)]
            }
            return ["metadata": ["name": .string(entry.group)], "versions": .array(versions)]
        }
        return ["kind": "APIGroupDiscoveryList", "apiVersion": .string("apidiscovery.k8s.io/\(version)"),
                "metadata": .object([:]), "items": .array(items)]
    }
}
