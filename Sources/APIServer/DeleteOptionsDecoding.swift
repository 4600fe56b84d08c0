import APIMachinery
import Registry

extension DeleteOptions {
    /// Reads DeleteOptions from the query and an optional JSON body (the body wins).
    init(query: Query, body: JSONValue?) throws(StatusError) {
        self.init()
        dryRun = try query.dryRun()
        gracePeriodSeconds = try query.int("gracePeriodSeconds")
        propagationPolicy = query["propagationPolicy"]
        var orphanDependents = try query.bool("orphanDependents")
        guard let body, !body.isNull else {
            try applyOrphanDependents(orphanDependents)
            return
        }
        guard case .object = body else { throw StatusError.badRequest("DeleteOptions: expected a JSON object") }
        if let kind = body["kind"]?.stringValue, kind != "DeleteOptions" {
            throw StatusError.badRequest("the body of a DELETE must be DeleteOptions, got \(kind)")
        }
        if let g = body["gracePeriodSeconds"], !g.isNull {
            guard let i = g.intValue else { throw StatusError.badRequest("gracePeriodSeconds: expected an integer") }
            gracePeriodSeconds = i
        }
        if let p = body["propagationPolicy"], !p.isNull {
            guard let s = p.stringValue else { throw StatusError.badRequest("propagationPolicy: expected a string") }
            propagationPolicy = s
        }
        if let orphan = body["orphanDependents"]?.boolValue { orphanDependents = orphan }
        if let d = body["dryRun"]?.arrayValue {
            for v in d where v.stringValue != "All" {
                throw StatusError.badRequest("Invalid dryRun value: \(v). Supported values: [All]")
            }
            if !d.isEmpty { dryRun = true }
        }
        if let pre = body["preconditions"], !pre.isNull {
            preconditionUID = pre["uid"]?.stringValue
            preconditionResourceVersion = pre["resourceVersion"]?.stringValue
        }
        try applyOrphanDependents(orphanDependents)
    }

    /// The deprecated orphanDependents: true is the Orphan policy, false deletes dependents in the
    /// background; it excludes propagationPolicy, as Kubernetes validates DeleteOptions.
    mutating func applyOrphanDependents(_ orphanDependents: Bool?) throws(StatusError) {
        guard let orphanDependents else { return }
        if let policy = propagationPolicy {
            throw StatusError.invalid(kind: "DeleteOptions", group: "meta.k8s.io", name: "", errors: [
                .invalid("propagationPolicy", .string(policy), "orphanDependents and deletionPropagation cannot be both set"),
            ])
        }
        propagationPolicy = orphanDependents ? "Orphan" : "Background"
    }
}
