import APIMachinery

extension Registry {
    /// Creates (or brings up to date) the `kubernetes` Service in `default` (the first address of the
    /// service range, port 443 named https to the API server's port) with its Endpoints and
    /// EndpointSlice pointing to the API server. Returns the objects it could not write and why (e.g.
    /// the address taken by another Service after a change of `--service-cidr`): the server runs on.
    @discardableResult
    public func bootstrapKubernetesService(range: ServiceIPRange, port: Int, address: String) async throws -> [String] {
        var problems: [String] = []
        let ip = address == "0.0.0.0" || address == "::" || address.isEmpty || ServiceIPRange.parse(address) == nil
            ? "127.0.0.1" : address
        let labels: JSONValue = ["component": "apiserver", "provider": "kubernetes"]
        if let services = store(group: "", version: "v1", resource: "services") {
            let service: JSONValue = [
                "metadata": ["name": "kubernetes", "namespace": "default", "labels": labels],
                "spec": [
                    "type": "ClusterIP",
                    "clusterIP": .string(range.kubernetesServiceIP),
                    "ports": [["name": "https", "port": 443, "protocol": "TCP", "targetPort": .int(Int64(port))]],
                    "sessionAffinity": "None",
                ],
            ]
            try await reconcile(services, service, problems: &problems) { current in
                var updated = current
                updated[key: "spec", "ports"] = service["spec"]?["ports"]
                return updated
            }
        }
        if let endpoints = store(group: "", version: "v1", resource: "endpoints") {
            let subsets: JSONValue = [[
                "addresses": [["ip": .string(ip)]],
                "ports": [["name": "https", "port": .int(Int64(port)), "protocol": "TCP"]],
            ]]
            let object: JSONValue = [
                "metadata": ["name": "kubernetes", "namespace": "default", "labels": ["endpointslice.kubernetes.io/skip-mirror": "true"]],
                "subsets": subsets,
            ]
            try await reconcile(endpoints, object, problems: &problems) { current in
                var updated = current
                updated["subsets"] = subsets
                return updated
            }
        }
        if let slices = store(group: "discovery.k8s.io", version: "v1", resource: "endpointslices") {
            let endpoints: JSONValue = [["addresses": [.string(ip)], "conditions": ["ready": true]]]
            let ports: JSONValue = [["name": "https", "port": .int(Int64(port)), "protocol": "TCP"]]
            let object: JSONValue = [
                "metadata": ["name": "kubernetes", "namespace": "default",
                             "labels": ["kubernetes.io/service-name": "kubernetes",
                                 "endpointslice.kubernetes.io/managed-by": "endpointslicecontroller.k8s.io"]],
                "addressType": "IPv4", "endpoints": endpoints, "ports": ports,
            ]
            try await reconcile(slices, object, problems: &problems) { current in
                var updated = current
                updated["endpoints"] = endpoints
                updated["ports"] = ports
                return updated
            }
        }
        return problems
    }

    /// Creates `object` in `default` if absent, else writes `update(stored)` when it differs. A refused
    /// write (422) is added to `problems`; other errors throw.
    func reconcile(_ store: GenericStore, _ object: JSONValue, problems: inout [String],
                   update: (JSONValue) -> JSONValue) async throws {
        let got = await attempt { () async throws(StatusError) -> JSONValue in
            try await store.get(namespace: "default", name: object.name)
        }
        switch got {
        case .success(let current):
            let updated = update(current)
            if updated != current {
                let written = await attempt { () async throws(StatusError) -> WriteResult in
                    try await store.update(namespace: "default", name: object.name, object: updated, options: WriteOptions())
                }
                if case .failure(let error) = written {
                    guard error.code == 422 else { throw error }
                    problems.append(error.message)
                }
            }
        case .failure(let error) where error.code == 404:
            let created = await attempt { () async throws(StatusError) -> WriteResult in
                try await store.create(namespace: "default", object: object, options: WriteOptions())
            }
            if case .failure(let error) = created, error.code != 409 {
                guard error.code == 422 else { throw error }
                problems.append(error.message)
            }
        case .failure(let error):
            throw error
        }
    }
}
