import APIMachinery

/// NodeResourcesFit with the LeastAllocated strategy: the share of cpu and memory left free after
/// placing the pod (requests counted with the 100m / 200Mi defaults), weighted 1:1.
struct LeastAllocatedScore: ScorePlugin {
    let name = PluginName.nodeResourcesFit
    let weight: Int64
    var resources: [(name: String, weight: Int64)] = [(ResourceName.cpu, 1), (ResourceName.memory, 1)]

    func scores(_ state: CycleState, feasible: [NodeInfo], all: [NodeInfo]) -> [Int64] {
        feasible.map { node in
            var total: Int64 = 0, weights: Int64 = 0
            for (resource, w) in resources {
                let allocatable: Int64, requested: Int64
                if let amount = node.allocatableAmounts.amount(resource) {
                    allocatable = amount
                    requested = (node.nonZeroAmounts + state.pod.nonZeroAmounts).amount(resource) ?? 0
                } else {
                    allocatable = Self.amount(node.allocatable[resource], resource)
                    requested = Self.amount(node.nonZeroRequested[resource] + state.pod.nonZeroRequests[resource], resource)
                }
                var score: Int64 = 0
                if allocatable > 0, requested <= allocatable {
                    score = (allocatable - requested) * Normalize.maxNodeScore / allocatable
                }
                total += score * w
                weights += w
            }
            return weights == 0 ? 0 : total / weights
        }
    }

    /// cpu in millicores, everything else in units.
    static func amount(_ q: Quantity, _ resource: String) -> Int64 {
        resource == ResourceName.cpu ? q.milliValue : q.value
    }
}

/// NodeResourcesBalancedAllocation: nodes whose cpu and memory would be used in similar fractions
/// score higher (100 × (1 − standard deviation of the fractions)).
struct BalancedAllocationScore: ScorePlugin {
    let name = PluginName.balancedAllocation
    let weight: Int64

    func scores(_ state: CycleState, feasible: [NodeInfo], all: [NodeInfo]) -> [Int64] {
        feasible.map { node in
            var fractions: [Double] = []
            let allocatable = node.allocatableAmounts
            let requested = node.requestedAmounts + state.pod.requestAmounts
            for (a, r) in [(allocatable.cpu, requested.cpu), (allocatable.memory, requested.memory)] where a > 0 {
                fractions.append(min(Double(r) / Double(a), 1))
            }
            var std = 0.0
            if fractions.count == 2 {
                std = abs(fractions[0] - fractions[1]) / 2
            } else if fractions.count > 2 {
                let mean = fractions.reduce(0, +) / Double(fractions.count)
                std = (fractions.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(fractions.count)).squareRoot()
            }
            return Int64((1 - std) * Double(Normalize.maxNodeScore))
        }
    }
}

/// NodeAffinity: the sum of the weights of the preferred terms the node matches, scaled to 100.
struct NodeAffinityScore: ScorePlugin {
    let name = PluginName.nodeAffinity
    let weight: Int64

    func scores(_ state: CycleState, feasible: [NodeInfo], all: [NodeInfo]) -> [Int64] {
        let raw = feasible.map { node in
            state.pod.preferredNodeTerms.reduce(Int64(0)) { sum, preferred in
                sum + (preferred.term.matches(labels: node.labels, name: node.name) ? preferred.weight : 0)
            }
        }
        return Normalize.default(raw, reverse: false)
    }
}

/// TaintToleration: fewer untolerated PreferNoSchedule taints score higher.
struct TaintTolerationScore: ScorePlugin {
    let name = PluginName.taintToleration
    let weight: Int64

    func scores(_ state: CycleState, feasible: [NodeInfo], all: [NodeInfo]) -> [Int64] {
        let tolerations = state.pod.tolerations.filter { $0.effect.isEmpty || $0.effect == "PreferNoSchedule" }
        let raw = feasible.map { node in
            Int64(node.taints.filter { $0.effect == "PreferNoSchedule" && !tolerations.tolerates($0) }.count)
        }
        return Normalize.default(raw, reverse: true)
    }
}

/// ImageLocality: nodes that already have the pod's images (weighted by how widely each image is
/// spread) score higher, between 23 MB and 1000 MB per container.
struct ImageLocalityScore: ScorePlugin {
    let name = PluginName.imageLocality
    let weight: Int64
    static let minThreshold: Int64 = 23 * 1024 * 1024
    static let maxContainerThreshold: Int64 = 1000 * 1024 * 1024

    func scores(_ state: CycleState, feasible: [NodeInfo], all: [NodeInfo]) -> [Int64] {
        let images = state.pod.images.map(Self.normalized)
        guard !images.isEmpty, !all.isEmpty else { return feasible.map { _ in 0 } }
        var spread: [String: Int] = [:]
        for image in Set(images) { spread[image] = all.filter { $0.imageSizes[image] != nil }.count }
        let maxThreshold = Self.maxContainerThreshold * Int64(images.count)
        return feasible.map { node in
            var sum: Int64 = 0
            for image in images {
                guard let size = node.imageSizes[image] else { continue }
                sum += Int64(Double(size) * Double(spread[image] ?? 0) / Double(all.count))
            }
            let clamped = Swift.min(Swift.max(sum, Self.minThreshold), maxThreshold)
            return Normalize.maxNodeScore * (clamped - Self.minThreshold) / (maxThreshold - Self.minThreshold)
        }
    }

    /// `nginx` → `docker.io/library/nginx:latest`, as nodes report image names.
    static func normalized(_ image: String) -> String {
        var name = image
        let lastComponent = name.split(separator: "/").last.map(String.init) ?? name
        if !lastComponent.contains(":") && !lastComponent.contains("@") { name += ":latest" }
        let parts = name.split(separator: "/", maxSplits: 1).map(String.init)
        if parts.count == 1 { return "docker.io/library/" + name }
        if !parts[0].contains(".") && !parts[0].contains(":") && parts[0] != "localhost" { return "docker.io/" + name }
        return name
    }
}
