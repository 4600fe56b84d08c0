extension JSONValue {
    /// True when this value nests deeper than `depth` or holds more than `nodes` values. Stops as soon
    /// as a limit is passed, so it is cheap even on values that share storage many times over.
    public func exceeds(depth: Int, nodes: Int) -> Bool {
        var budget = nodes
        return exceeds(depth: depth, budget: &budget)
    }

    private func exceeds(depth: Int, budget: inout Int) -> Bool {
        budget -= 1
        if budget < 0 || depth < 0 { return true }
        switch self {
        case .array(let items):
            for item in items where item.exceeds(depth: depth - 1, budget: &budget) { return true }
        case .object(let members):
            for value in members.values where value.exceeds(depth: depth - 1, budget: &budget) { return true }
        default:
            break
        }
        return false
    }
}
