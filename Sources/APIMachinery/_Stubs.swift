// TEMPORARY stubs until the machinery branch lands.
public struct LabelSelector: Sendable {
    public static func parse(_ s: String) throws(StatusError) -> LabelSelector { LabelSelector() }
    public func matches(_ labels: [String: String]) -> Bool { true }
}
public struct FieldSelector: Sendable {
    public static func parse(_ s: String) throws(StatusError) -> FieldSelector { FieldSelector() }
    public func matches(_ fields: [String: String]) -> Bool { true }
    public var fieldNames: [String] { [] }
}
public enum JSONPatch { public static func apply(_ patch: JSONValue, to document: JSONValue) throws(StatusError) -> JSONValue { document } }
public enum MergePatch { public static func apply(_ patch: JSONValue, to document: JSONValue) -> JSONValue { document } }
public struct PatchFieldInfo: Sendable, Hashable { public var childType: String?; public var isList: Bool; public var strategies: Set<String>; public var mergeKey: String?; public init(childType: String?, isList: Bool, strategies: Set<String>, mergeKey: String?) { self.childType = childType; self.isList = isList; self.strategies = strategies; self.mergeKey = mergeKey } }
public protocol PatchSchema: Sendable { func field(_ name: String, ofType type: String) -> PatchFieldInfo? }
public enum StrategicMergePatch { public static func apply(_ patch: JSONValue, to original: JSONValue, type: String?, schema: any PatchSchema) throws(StatusError) -> JSONValue { original } }
public func validateDNS1123Subdomain(_ value: String, field: String) -> [FieldError] { [] }
public func validateDNS1123Label(_ value: String, field: String) -> [FieldError] { [] }
public func validateConfigMapKey(_ value: String, field: String) -> [FieldError] { [] }
public func validateQualifiedName(_ value: String, field: String) -> [FieldError] { [] }
public func validateObjectMeta(_ meta: JSONValue?, namespaced: Bool, nameValidator: (String, String) -> [FieldError]) -> [FieldError] { [] }
public func humanDuration(_ seconds: Double) -> String { "1s" }
public func formatTimestamp(_ seconds: Double) -> String { "2026-01-01T00:00:00Z" }
public func parseTimestamp(_ s: String) -> Double? { 0 }
