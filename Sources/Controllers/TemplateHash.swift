import APIMachinery

/// Opaque, stable hashes of pod templates: the `pod-template-hash` label a Deployment gives its
/// ReplicaSets and the suffix of ControllerRevision names. FNV-1a (32 bits) over the canonical JSON
/// (sorted keys) plus the collision count, rendered as its decimal digits mapped into Kubernetes'
/// "safe" alphabet (no vowels, no 0/1/3), so at most 10 characters.
public enum TemplateHash {
    public static let label = "pod-template-hash"
    /// The alphabet Kubernetes uses for generated names that must not spell words.
    public static let safeAlphabet: [Character] = Array("bcdfghjklmnpqrstvwxz2456789")

    /// FNV-1a, 32 bits.
    public static func fnv32a(_ bytes: some Sequence<UInt8>, seed: UInt32 = 2_166_136_261) -> UInt32 {
        var hash = seed
        for byte in bytes {
            hash ^= UInt32(byte)
            hash = hash &* 16_777_619
        }
        return hash
    }

    /// Maps each character of `s` into the safe alphabet (by its byte value).
    public static func safeEncode(_ s: String) -> String {
        String(s.utf8.map { safeAlphabet[Int($0) % safeAlphabet.count] })
    }

    /// The hash of a template and an optional collision count (status.collisionCount).
    public static func hash(_ template: JSONValue, collisionCount: Int64? = nil) -> String {
        var bytes = template.serialized()
        if let collisionCount {
            // Little-endian 32-bit, as a counter appended to the hashed bytes.
            let c = UInt32(truncatingIfNeeded: collisionCount)
            bytes += [UInt8(c & 0xff), UInt8((c >> 8) & 0xff), UInt8((c >> 16) & 0xff), UInt8(c >> 24)]
        }
        return safeEncode(String(fnv32a(bytes)))
    }

    /// The pod-template-hash of a Deployment's spec.template (without any pod-template-hash label it
    /// may carry) and status.collisionCount.
    public static func podTemplateHash(deployment: JSONValue) -> String {
        var template = deployment["spec"]?["template"] ?? .object([:])
        if template["metadata"]?["labels"]?[label] != nil {
            template.set(path: ["metadata", "labels", label], to: nil)
            if template["metadata"]?["labels"]?.objectValue?.isEmpty == true { template.set(path: ["metadata", "labels"], to: nil) }
        }
        return hash(template, collisionCount: deployment["status"]?["collisionCount"]?.intValue)
    }

    /// The name of the ReplicaSet a Deployment creates for its template: `<deployment>-<hash>`.
    public static func replicaSetName(deploymentName: String, hash: String) -> String {
        "\(deploymentName)-\(hash)"
    }

    /// A ControllerRevision name: `<parent>-<hash>`, the parent name cut to 223 characters so the whole
    /// stays a valid name.
    public static func controllerRevisionName(parent: String, hash: String) -> String {
        "\(parent.prefix(223))-\(hash)"
    }

    /// The hash a StatefulSet or DaemonSet puts in its ControllerRevision name and the
    /// `controller-revision-hash` label: over the revision's data (the patch of the template).
    public static func controllerRevisionHash(data: JSONValue, collisionCount: Int64? = nil) -> String {
        hash(data, collisionCount: collisionCount)
    }
}
