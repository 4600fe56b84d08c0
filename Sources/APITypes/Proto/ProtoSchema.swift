/// The type of one protobuf field: a scalar, or a message named by its fully qualified name
/// (without the leading dot, e.g. `k8s.io.api.core.v1.Container`).
public enum ProtoFieldType: Sendable, Hashable {
    case double, float
    case int32, int64, uint32, uint64, sint32, sint64
    case fixed32, fixed64, sfixed32, sfixed64
    case bool, string, bytes
    case message(String)

    init(parsing s: Substring) {
        switch s {
        case "double": self = .double
        case "float": self = .float
        case "int32": self = .int32
        case "int64": self = .int64
        case "uint32": self = .uint32
        case "uint64": self = .uint64
        case "sint32": self = .sint32
        case "sint64": self = .sint64
        case "fixed32": self = .fixed32
        case "fixed64": self = .fixed64
        case "sfixed32": self = .sfixed32
        case "sfixed64": self = .sfixed64
        case "bool": self = .bool
        case "string": self = .string
        case "bytes": self = .bytes
        default: self = .message(String(s))
        }
    }

    /// The message name, or nil for scalars.
    public var messageName: String? {
        if case .message(let name) = self { return name }
        return nil
    }
}

/// One field of a protobuf message. For a map field, `type` is the value type and `mapKey` the key type.
public struct ProtoField: Sendable, Hashable {
    /// The field name, which is also its JSON name.
    public var name: String
    public var number: Int
    public var type: ProtoFieldType
    public var isRepeated: Bool
    public var mapKey: ProtoFieldType?

    public var isMap: Bool { mapKey != nil }

    public init(name: String, number: Int, type: ProtoFieldType, isRepeated: Bool, mapKey: ProtoFieldType? = nil) {
        self.name = name
        self.number = number
        self.type = type
        self.isRepeated = isRepeated
        self.mapKey = mapKey
    }
}

/// One protobuf message of the Kubernetes API, with its fields indexed by number and by name.
public struct ProtoMessage: Sendable {
    /// Fully qualified, without the leading dot: `k8s.io.api.apps.v1.Deployment`.
    public let name: String
    /// Fields in field-number order.
    public let fields: [ProtoField]
    private let byNumber: [Int: Int]
    private let byName: [String: Int]

    public init(name: String, fields: [ProtoField]) {
        self.name = name
        self.fields = fields
        var n: [Int: Int] = [:]
        var m: [String: Int] = [:]
        for (i, f) in fields.enumerated() {
            n[f.number] = i
            m[f.name] = i
        }
        byNumber = n
        byName = m
    }

    public func field(number: Int) -> ProtoField? {
        byNumber[number].map { fields[$0] }
    }

    /// The field with this protobuf (= JSON) name. Fields of inlined embedded structs are not included;
    /// see `ProtoSchema.jsonField(_:in:)`.
    public func field(named name: String) -> ProtoField? {
        byName[name].map { fields[$0] }
    }

    /// The JSON form of this message, if it is one of the well-known Kubernetes types that do not
    /// serialise as an object.
    public var special: ProtoSpecialType? { ProtoSpecialType(messageName: name) }
}

/// Messages whose JSON form is not an object of their fields.
public enum ProtoSpecialType: Sendable, Hashable {
    /// `meta.v1.Time`: RFC 3339, seconds precision.
    case time
    /// `meta.v1.MicroTime`: RFC 3339 with 6 fractional digits.
    case microTime
    /// `meta.v1.Duration`: Go duration string.
    case duration
    /// `resource.Quantity` / `QuantityValue`: a string.
    case quantity
    /// `intstr.IntOrString`: a number or a string.
    case intOrString
    /// `runtime.RawExtension`: embedded JSON (free-form).
    case rawExtension
    /// `meta.v1.FieldsV1`: embedded JSON (free-form).
    case fieldsV1
    /// A wrapper `{repeated string items = 1}` serialised as a JSON list (`meta.v1.Verbs`, `ExtraValue`).
    case stringList

    init?(messageName: String) {
        switch messageName {
        case "k8s.io.apimachinery.pkg.apis.meta.v1.Time": self = .time
        case "k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime": self = .microTime
        case "k8s.io.apimachinery.pkg.apis.meta.v1.Duration": self = .duration
        case "k8s.io.apimachinery.pkg.api.resource.Quantity",
             "k8s.io.apimachinery.pkg.api.resource.QuantityValue": self = .quantity
        case "k8s.io.apimachinery.pkg.util.intstr.IntOrString": self = .intOrString
        case "k8s.io.apimachinery.pkg.runtime.RawExtension": self = .rawExtension
        case "k8s.io.apimachinery.pkg.apis.meta.v1.FieldsV1": self = .fieldsV1
        case "k8s.io.apimachinery.pkg.apis.meta.v1.Verbs",
             "k8s.io.api.authentication.v1.ExtraValue",
             "k8s.io.api.authorization.v1.ExtraValue",
             "k8s.io.api.certificates.v1.ExtraValue": self = .stringList
        default: return nil
        }
    }

    /// Free-form values accept any JSON below them.
    public var isFreeForm: Bool { self == .rawExtension || self == .fieldsV1 }
}

/// The protobuf schema of the built-in Kubernetes v1.32 API (embedded, parsed lazily on first use).
public struct ProtoSchema: Sendable {
    private let messages: [String: ProtoMessage]
    /// Package names, e.g. `k8s.io.api.core.v1`.
    public let packages: Set<String>

    /// The embedded Kubernetes v1.32 schema.
    public static let kubernetes = ProtoSchema(compactText: ProtoSchemaData.text)

    /// Parses the generator's line format (see tools/gen_proto_schema.py). Malformed lines are skipped.
    init(compactText text: String) {
        var messages: [String: ProtoMessage] = [:]
        var packages: Set<String> = []
        var current: String?
        var fields: [ProtoField] = []
        func flush() {
            if let name = current {
                messages[name] = ProtoMessage(name: name, fields: fields)
                if let dot = name.lastIndex(of: ".") { packages.insert(String(name[..<dot])) }
            }
            fields = []
        }
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            if line.first == "@" {
                flush()
                current = String(line.dropFirst())
                continue
            }
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            guard parts.count == 4, let number = Int(parts[0]) else { continue }
            let name = String(parts[1])
            switch parts[2] {
            case "m":
                let kv = parts[3].split(separator: "=")
                guard kv.count == 2 else { continue }
                fields.append(ProtoField(name: name, number: number, type: ProtoFieldType(parsing: kv[1]),
                                         isRepeated: false, mapKey: ProtoFieldType(parsing: kv[0])))
            case "r":
                fields.append(ProtoField(name: name, number: number, type: ProtoFieldType(parsing: parts[3]), isRepeated: true))
            default:
                fields.append(ProtoField(name: name, number: number, type: ProtoFieldType(parsing: parts[3]), isRepeated: false))
            }
        }
        flush()
        self.messages = messages
        self.packages = packages
    }

    /// All message names.
    public var messageNames: [String] { messages.keys.sorted() }

    /// The message with this fully qualified name (a leading dot is accepted).
    public func message(named name: String) -> ProtoMessage? {
        if name.hasPrefix(".") { return messages[String(name.dropFirst())] }
        return messages[name]
    }

    /// The protobuf package of a built-in API group/version, or nil for groups Kubernetes does not serve
    /// as protobuf (CRDs, unknown groups). Core is `k8s.io.api.core.<v>`; `meta.k8s.io` is apimachinery's
    /// meta package; other groups use their first DNS label (`rbac.authorization.k8s.io` → `rbac`,
    /// `flowcontrol.apiserver.k8s.io` → `flowcontrol`).
    public func packageName(apiVersion: String) -> String? {
        let group: Substring
        let version: Substring
        if let slash = apiVersion.firstIndex(of: "/") {
            group = apiVersion[..<slash]
            version = apiVersion[apiVersion.index(after: slash)...]
        } else {
            group = ""
            version = Substring(apiVersion)
        }
        guard !version.isEmpty, !version.contains("/"), !version.contains(".") else { return nil }
        let pkg: String
        if group.isEmpty {
            pkg = "k8s.io.api.core.\(version)"
        } else if group == "meta.k8s.io" {
            pkg = "k8s.io.apimachinery.pkg.apis.meta.\(version)"
        } else {
            // Only built-in groups: single-label (apps, batch, policy, autoscaling) or *.k8s.io.
            guard !group.contains(".") || group.hasSuffix(".k8s.io") else { return nil }
            let label = group.split(separator: ".", maxSplits: 1).first ?? group
            pkg = "k8s.io.api.\(label).\(version)"
        }
        return packages.contains(pkg) ? pkg : nil
    }

    /// The message for an (apiVersion, kind), e.g. ("apps/v1", "Deployment") → `k8s.io.api.apps.v1.Deployment`.
    /// Option kinds (`DeleteOptions`, …) sent under a group's version resolve to `meta.v1`.
    public func messageName(apiVersion: String, kind: String) -> String? {
        guard !kind.isEmpty, !kind.contains("."), let pkg = packageName(apiVersion: apiVersion) else { return nil }
        let name = "\(pkg).\(kind)"
        if messages[name] != nil { return name }
        if Self.metaKinds.contains(kind) {
            let meta = "k8s.io.apimachinery.pkg.apis.meta.v1.\(kind)"
            if messages[meta] != nil { return meta }
        }
        return nil
    }

    private static let metaKinds: Set<String> = [
        "DeleteOptions", "CreateOptions", "UpdateOptions", "PatchOptions", "GetOptions", "ListOptions",
        "Status", "WatchEvent", "APIVersions", "APIGroup", "APIGroupList", "APIResourceList",
    ]

    /// The field a JSON key names on a message, looking through inlined embedded structs
    /// (e.g. `configMap.name` is `ConfigMapVolumeSource.localObjectReference.name`).
    /// Returns the field and the message that declares it.
    public func jsonField(_ key: String, in messageName: String) -> (field: ProtoField, owner: String)? {
        jsonField(key, in: messageName, depth: 0)
    }

    private func jsonField(_ key: String, in messageName: String, depth: Int) -> (field: ProtoField, owner: String)? {
        guard depth < 8, let msg = message(named: messageName) else { return nil }
        if let f = msg.field(named: key), !ProtoInline.isInline(message: msg.name, field: f.name) {
            return (f, msg.name)
        }
        for f in msg.fields where ProtoInline.isInline(message: msg.name, field: f.name) {
            if let child = f.type.messageName, let hit = jsonField(key, in: child, depth: depth + 1) { return hit }
        }
        return nil
    }
}
