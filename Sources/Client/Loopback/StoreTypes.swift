import Registry

// This file imports Registry alone, so that these names mean Registry's types (the Client module has
// types of its own for the same ideas).
typealias StoreListOptions = ListOptions
typealias StoreWriteOptions = WriteOptions
typealias StoreDeleteOptions = DeleteOptions
typealias StorePatchType = PatchType
typealias StoreWatchStream = WatchStream
