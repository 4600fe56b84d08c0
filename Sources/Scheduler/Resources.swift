import APIMachinery

/// Amounts of named resources (`cpu`, `memory`, `ephemeral-storage`, `example.com/gpu`, ...).
public struct ResourceList: Sendable, Hashable {
    public var quantities: [String: Quantity]

    public init(_ quantities: [String: Quantity] = [:]) { self.quantities = quantities }

    /// The quantities of a JSON resource list (`{"cpu": "500m"}`); values that are not quantities are ignored.
    public init(json: JSONValue?) {
        var out: [String: Quantity] = [:]
        for (name, value) in json?.objectValue ?? [:] {
            if let q = Quantity(json: value) { out[name] = q }
        }
        self.quantities = out
    }

    public subscript(name: String) -> Quantity {
        get { quantities[name] ?? .zero }
        set { quantities[name] = newValue }
    }

    public var names: [String] { quantities.keys.sorted() }

    public static func + (a: ResourceList, b: ResourceList) -> ResourceList {
        var out = a
        out += b
        return out
    }

    public static func += (a: inout ResourceList, b: ResourceList) {
        for (name, q) in b.quantities { a[name] = a[name] + q }
    }

    public static func -= (a: inout ResourceList, b: ResourceList) {
        for (name, q) in b.quantities { a[name] = a[name] - q }
    }

    /// The larger amount of each resource.
    public func maximum(_ other: ResourceList) -> ResourceList {
        var out = self
        for (name, q) in other.quantities where q > out[name] { out[name] = q }
        return out
    }
}

/// Resource names with their own fit and scoring rules.
public enum ResourceName {
    public static let cpu = "cpu"
    public static let memory = "memory"
    public static let ephemeralStorage = "ephemeral-storage"
    public static let pods = "pods"

    /// The requests counted for scoring a container that requests no cpu (100m) or memory (200Mi).
    public static let defaultMilliCPURequest: Int64 = 100
    public static let defaultMemoryRequest: Int64 = 200 * 1024 * 1024

    /// A resource checked by NodeResourcesFit besides cpu, memory and ephemeral-storage: extended
    /// resources (`example.com/gpu`), hugepages and attachable volumes.
    static func isScalar(_ name: String) -> Bool {
        name != cpu && name != memory && name != ephemeralStorage && name != pods
    }
}

/// The resources a pod asks for, as the scheduler counts them.
public enum PodRequests {
    /// The effective request of a pod: the larger of the sum of its containers (plus restartable init
    /// containers, that run alongside them) and the largest init container (plus the sidecars started
    /// before it), plus the pod overhead. With `nonZero`, a container asking nothing of cpu or memory
    /// counts 100m cpu and 200Mi memory (for scoring).
    public static func compute(_ pod: JSONValue, nonZero: Bool = false) -> ResourceList {
        let spec = pod["spec"] ?? .object([:])
        func containerRequests(_ container: JSONValue) -> ResourceList {
            var list = ResourceList(json: container["resources"]?["requests"])
            if nonZero {
                if list.quantities[ResourceName.cpu] == nil || list[ResourceName.cpu].isZero {
                    list[ResourceName.cpu] = Quantity(milliValue: ResourceName.defaultMilliCPURequest)
                }
                if list.quantities[ResourceName.memory] == nil || list[ResourceName.memory].isZero {
                    list[ResourceName.memory] = Quantity(value: ResourceName.defaultMemoryRequest, format: .binarySI)
                }
            }
            return list
        }
        var containers = ResourceList()
        for container in spec["containers"]?.arrayValue ?? [] { containers += containerRequests(container) }
        var sidecars = ResourceList()
        var initMax = ResourceList()
        for container in spec["initContainers"]?.arrayValue ?? [] {
            let request = containerRequests(container)
            if container["restartPolicy"]?.stringValue == "Always" {
                sidecars += request
                initMax = initMax.maximum(sidecars)
            } else {
                initMax = initMax.maximum(request + sidecars)
            }
        }
        var total = (containers + sidecars).maximum(initMax)
        total += ResourceList(json: spec["overhead"])
        return total
    }
}
