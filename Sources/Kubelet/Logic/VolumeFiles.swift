import APIMachinery
import Foundation

/// The files of configMap, secret, downwardAPI and projected volumes, as the kubelet lays them out:
/// every key (or every listed item, at its path), with the item's mode or the volume's defaultMode
/// (0644). Pure: the caller gives lookups and writes the result with `AtomicWriter`.
public struct VolumeFiles: Sendable {
    public struct File: Equatable, Sendable {
        public var data: [UInt8]
        public var mode: Int
        public init(_ data: [UInt8], mode: Int) {
            self.data = data
            self.mode = mode
        }
    }

    public struct SourceError: Error, Equatable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
        public init(message: String) { self.message = message }
    }

    public var configMap: @Sendable (String, String) -> JSONValue?
    public var secret: @Sendable (String, String) -> JSONValue?
    /// Requests and limits of the pod's containers for resourceFieldRef items (limits default to this).
    public var nodeAllocatable: [String: Quantity]

    public init(configMap: @escaping @Sendable (String, String) -> JSONValue? = { _, _ in nil },
                secret: @escaping @Sendable (String, String) -> JSONValue? = { _, _ in nil },
                nodeAllocatable: [String: Quantity] = [:]) {
        self.configMap = configMap
        self.secret = secret
        self.nodeAllocatable = nodeAllocatable
    }

    public static let defaultMode = 0o644

    /// The files of `volume` (a pod volume with one of configMap, secret, downwardAPI, projected),
    /// by relative path; nil for other volume types.
    public func files(of volume: JSONValue, pod: JSONValue) throws(SourceError) -> [String: File]? {
        let namespace = pod.namespace.isEmpty ? "default" : pod.namespace
        if let source = volume["configMap"] {
            let mode = Int(source["defaultMode"]?.intValue ?? Int64(Self.defaultMode))
            return try configMapFiles(source, namespace: namespace, defaultMode: mode) ?? [:]
        }
        if let source = volume["secret"] {
            let mode = Int(source["defaultMode"]?.intValue ?? Int64(Self.defaultMode))
            return try secretFiles(source, nameKey: "secretName", namespace: namespace, defaultMode: mode) ?? [:]
        }
        if let source = volume["downwardAPI"] {
            let mode = Int(source["defaultMode"]?.intValue ?? Int64(Self.defaultMode))
            return try downwardFiles(source["items"]?.arrayValue ?? [], pod: pod, defaultMode: mode)
        }
        if let source = volume["projected"] {
            let mode = Int(source["defaultMode"]?.intValue ?? Int64(Self.defaultMode))
            var out: [String: File] = [:]
            for projection in source["sources"]?.arrayValue ?? [] {
                var part: [String: File] = [:]
                if let cm = projection["configMap"] {
                    part = try configMapFiles(cm, namespace: namespace, defaultMode: mode) ?? [:]
                } else if let secret = projection["secret"] {
                    part = try secretFiles(secret, nameKey: "name", namespace: namespace, defaultMode: mode) ?? [:]
                } else if let downward = projection["downwardAPI"] {
                    part = try downwardFiles(downward["items"]?.arrayValue ?? [], pod: pod, defaultMode: mode)
                }
                out.merge(part) { _, new in new }
            }
            return out
        }
        return nil
    }

    func configMapFiles(_ source: JSONValue, namespace: String, defaultMode: Int) throws(SourceError) -> [String: File]? {
        let name = source["name"]?.stringValue ?? ""
        guard let object = configMap(namespace, name) else {
            if source["optional"]?.boolValue == true { return nil }
            throw SourceError(message: "configmap \"\(name)\" not found")
        }
        var data: [String: [UInt8]] = [:]
        for (key, value) in object["data"]?.objectValue ?? [:] { data[key] = Array((value.stringValue ?? "").utf8) }
        for (key, value) in object["binaryData"]?.objectValue ?? [:] { data[key] = Array(Data(base64Encoded: value.stringValue ?? "") ?? Data()) }
        return try Self.select(data, items: source["items"]?.arrayValue, optional: source["optional"]?.boolValue == true,
                               defaultMode: defaultMode, kind: "configmap")
    }

    func secretFiles(_ source: JSONValue, nameKey: String, namespace: String, defaultMode: Int) throws(SourceError) -> [String: File]? {
        let name = source[nameKey]?.stringValue ?? ""
        guard let object = secret(namespace, name) else {
            if source["optional"]?.boolValue == true { return nil }
            throw SourceError(message: "secret \"\(name)\" not found")
        }
        var data: [String: [UInt8]] = [:]
        for (key, value) in object["data"]?.objectValue ?? [:] { data[key] = Array(Data(base64Encoded: value.stringValue ?? "") ?? Data()) }
        return try Self.select(data, items: source["items"]?.arrayValue, optional: source["optional"]?.boolValue == true,
                               defaultMode: defaultMode, kind: "secret")
    }

    /// Every key at its own name, or only the listed items at their paths.
    static func select(_ data: [String: [UInt8]], items: [JSONValue]?, optional: Bool, defaultMode: Int,
                       kind: String) throws(SourceError) -> [String: File] {
        guard let items, !items.isEmpty else {
            return data.mapValues { File($0, mode: defaultMode) }
        }
        var out: [String: File] = [:]
        for item in items {
            let key = item["key"]?.stringValue ?? ""
            guard let bytes = data[key] else {
                if optional { continue }
                throw SourceError(message: "\(kind) references non-existent config key: \(key)")
            }
            let mode = Int(item["mode"]?.intValue ?? Int64(defaultMode))
            out[item["path"]?.stringValue ?? key] = File(bytes, mode: mode)
        }
        return out
    }

    func downwardFiles(_ items: [JSONValue], pod: JSONValue, defaultMode: Int) throws(SourceError) -> [String: File] {
        var out: [String: File] = [:]
        for item in items {
            let path = item["path"]?.stringValue ?? ""
            let mode = Int(item["mode"]?.intValue ?? Int64(defaultMode))
            var text: String
            if let field = item["fieldRef"]?["fieldPath"]?.stringValue {
                switch field {
                case "metadata.labels": text = Self.formatMap(pod["metadata"]?["labels"])
                case "metadata.annotations": text = Self.formatMap(pod["metadata"]?["annotations"])
                default:
                    do {
                        text = try EnvResolver.fieldValue(field, pod: pod)
                    } catch {
                        throw SourceError(message: error.message)
                    }
                }
            } else if let ref = item["resourceFieldRef"] {
                let container = (pod["spec"]?["containers"]?.arrayValue ?? []).first {
                    $0["name"]?.stringValue == ref["containerName"]?.stringValue
                } ?? [:]
                do {
                    text = try EnvResolver(nodeAllocatable: nodeAllocatable).resourceValue(ref, pod: pod, container: container)
                } catch {
                    throw SourceError(message: error.message)
                }
            } else {
                continue
            }
            out[path] = File(Array(text.utf8), mode: mode)
        }
        return out
    }

    /// Labels or annotations as the downward API writes them: `key="value"` lines, sorted by key,
    /// values quoted as Go's %q does.
    static func formatMap(_ map: JSONValue?) -> String {
        let entries = (map?.objectValue ?? [:]).map { ($0.key, $0.value.stringValue ?? "") }.sorted { $0.0 < $1.0 }
        return entries.map { "\($0.0)=\(quote($0.1))" }.joined(separator: "\n")
    }

    static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7f {
                    out += String(format: "\\x%02x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
