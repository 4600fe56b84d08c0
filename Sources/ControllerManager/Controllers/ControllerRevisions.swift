import APIMachinery
import Client
import Controllers

/// ControllerRevisions as DaemonSets and StatefulSets keep them: one per distinct pod template, named
/// `<parent>-<hash>`, labelled with the template's labels and `controller-revision-hash`, numbered by
/// `revision` (the highest is the newest), holding the template as a patch of the parent
/// (`{"spec":{"template":{…,"$patch":"replace"}}}`, which `kubectl rollout history --revision` reads).
enum ControllerRevisions {
    static let hashLabel = "controller-revision-hash"

    /// The revision data of a pod template.
    static func data(template: JSONValue) -> JSONValue {
        var template = template
        if template.objectValue == nil { template = .object([:]) }
        template["$patch"] = "replace"
        return ["spec": ["template": template]]
    }

    /// The pod template a revision holds.
    static func template(of revision: JSONValue) -> JSONValue {
        var template = revision["data"]?["spec"]?["template"] ?? .object([:])
        template["$patch"] = nil
        return template
    }

    static func number(_ revision: JSONValue) -> Int64 { revision["revision"]?.intValue ?? 0 }

    /// The hash label of a revision (its name's suffix when the label is missing).
    static func hash(of revision: JSONValue) -> String {
        if let hash = revision.labels[hashLabel] { return hash }
        return String(revision.name.split(separator: "-").last ?? "")
    }

    /// The revisions `parent` controls, oldest first.
    static func owned(by parent: JSONValue, in lister: Lister) -> [JSONValue] {
        lister.list(namespace: parent.namespace)
            .filter { OwnerReferences.controllerRef(of: $0)?["uid"]?.stringValue == parent.uid }
            .sorted { (number($0), $0.name) < (number($1), $1.name) }
    }

    /// A new revision object of `parent` for `data`.
    static func make(parent: JSONValue, kind: String, data: JSONValue, revision: Int64, collisionCount: Int64) -> JSONValue {
        let hash = TemplateHash.controllerRevisionHash(data: data, collisionCount: collisionCount)
        var labels = (parent["spec"]?["template"]?["metadata"]?["labels"]?.objectValue) ?? [:]
        labels[hashLabel] = .string(hash)
        var metadata: [String: JSONValue] = [
            "name": .string(TemplateHash.controllerRevisionName(parent: parent.name, hash: hash)),
            "namespace": .string(parent.namespace),
            "labels": .object(labels),
            "ownerReferences": [OwnerReferences.makeControllerRef(to: parent, apiVersion: "apps/v1", kind: kind)],
        ]
        if let annotations = parent["metadata"]?["annotations"], annotations.objectValue?.isEmpty == false {
            metadata["annotations"] = annotations
        }
        return ["apiVersion": "apps/v1", "kind": "ControllerRevision", "metadata": .object(metadata),
                "data": data, "revision": .int(revision)]
    }

    /// The revision of `parent`'s current template: an existing one with equal data (renumbered as the
    /// newest when it is not, as after a rollback), or a new one. A name taken by a revision with other
    /// data is a hash collision: the collision count goes up and the name changes. Answers the revision,
    /// the collision count to record in status, and the revisions now owned.
    static func ensureCurrent(client: any APIClient, parent: JSONValue, kind: String, owned: [JSONValue],
                              template: JSONValue, collisionCount: Int64) async throws -> (revision: JSONValue, collisionCount: Int64, owned: [JSONValue]) {
        let data = data(template: template)
        var owned = owned
        let next = (owned.map(number).max() ?? 0) + 1
        if let index = owned.lastIndex(where: { $0["data"] == data }) {
            var existing = owned[index]
            if number(existing) == next - 1 { return (existing, collisionCount, owned) }
            existing["revision"] = .int(next)
            let updated = try await client.update(.controllerRevisions, namespace: parent.namespace, object: existing)
            owned[index] = updated
            return (updated, collisionCount, owned)
        }
        var count = collisionCount
        for _ in 0..<10 {
            let revision = make(parent: parent, kind: kind, data: data, revision: next, collisionCount: count)
            let created: JSONValue?
            do {
                created = try await client.create(.controllerRevisions, namespace: parent.namespace, object: revision)
            } catch {
                guard error.isAlreadyExists else { throw error }
                created = nil
            }
            if let created {
                owned.append(created)
                return (created, count, owned)
            }
            let existing = try await client.get(.controllerRevisions, namespace: parent.namespace, name: revision.name)
            if OwnerReferences.controllerRef(of: existing)?["uid"]?.stringValue == parent.uid && existing["data"] == data {
                // Ours, not yet in the cache.
                owned.append(existing)
                return (existing, count, owned)
            }
            count += 1
        }
        throw StatusError(code: 500, reason: "InternalError", message: "too many ControllerRevision hash collisions for \(parent.name)")
    }

    /// Deletes the oldest revisions beyond `limit` that are neither `live` (names in use by pods or
    /// status) nor the newest.
    static func truncate(client: any APIClient, owned: [JSONValue], live: Set<String>, limit: Int64) async throws {
        let candidates = owned.filter { !live.contains($0.name) }
        let excess = candidates.count - Int(max(0, limit))
        guard excess > 0 else { return }
        for revision in candidates.prefix(excess) {
            do {
                _ = try await client.delete(.controllerRevisions, namespace: revision.namespace, name: revision.name)
            } catch {
                guard error.isNotFound else { throw error }
            }
        }
    }
}

/// The pods a DaemonSet or StatefulSet controls, as kube-controller-manager's ControllerRefManager
/// decides: its own pods that still match its selector, plus orphans that match (adopted: the owner
/// becomes their controller); its pods that no longer match are released.
enum OrphanAdoption {
    static func claimPods(client: any APIClient, owner: JSONValue, kind: String, selector: LabelSelector, candidates: [JSONValue],
                          adoptable: (JSONValue) -> Bool = { _ in true }) async throws -> [JSONValue] {
        var claimed: [JSONValue] = []
        for pod in candidates {
            let ref = OwnerReferences.controllerRef(of: pod)
            let matches = selector.matches(pod.labels)
            if let ref {
                guard ref["uid"]?.stringValue == owner.uid else { continue }
                if matches || pod.deletionTimestamp != nil {
                    claimed.append(pod)
                    continue
                }
                do {
                    _ = try await client.patch(.pods, namespace: pod.namespace, name: pod.name, format: .merge,
                                               body: OwnerReferences.releasePatch(pod, ownerUID: owner.uid))
                } catch {
                    guard error.isNotFound || error.code == 422 || error.isConflict else { throw error }
                }
                continue
            }
            guard matches, pod.deletionTimestamp == nil, owner.deletionTimestamp == nil, adoptable(pod) else { continue }
            let controllerRef = OwnerReferences.makeControllerRef(to: owner, apiVersion: "apps/v1", kind: kind)
            do {
                let adopted = try await client.patch(.pods, namespace: pod.namespace, name: pod.name, format: .merge,
                                                     body: OwnerReferences.adoptPatch(pod, ref: controllerRef))
                claimed.append(adopted)
            } catch {
                guard error.isNotFound || error.code == 422 || error.isConflict else { throw error }
            }
        }
        return claimed
    }
}
