import APIMachinery

/// Serving one set of stored objects through several group-versions: a definition with a converter
/// stores what `toStorage` makes of its objects and serves what `fromStorage` makes of stored ones
/// (get, list, watch and the results of writes alike).
extension GenericStore {
    /// True when stored objects are not in this resource's form.
    var convertsObjects: Bool { definition.converter != nil }

    /// The form an object of this resource is stored in.
    func storedForm(_ object: JSONValue) -> JSONValue {
        guard let converter = definition.converter else { return object }
        return converter.toStorage(object)
    }

    /// The form of a stored object as this resource serves it (apiVersion and kind still to be set).
    func servedForm(_ stored: JSONValue) -> JSONValue {
        guard let converter = definition.converter else { return stored }
        return converter.fromStorage(stored)
    }
}
