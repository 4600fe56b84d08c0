// swift-tools-version:6.1
import PackageDescription

let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
]

let package = Package(
    name: "swiftlet",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "swiftlet", targets: ["swiftlet"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
    ],
    targets: [
        // Foundation only: JSON values, metadata, selectors, Status errors, patch engines.
        .target(name: "APIMachinery", swiftSettings: strict),
        // Schema metadata, protobuf decoding, per-kind defaulting, validation and printing.
        .target(name: "APITypes", dependencies: ["APIMachinery"], swiftSettings: strict),
        // A revisioned key-value store with etcd's semantics; in-memory backend.
        .target(name: "Storage", swiftSettings: strict),
        // The embedded default backend on SQLite (WAL, group commit, compaction).
        .target(name: "StorageSQLite", dependencies: [
            "Storage",
            .product(name: "GRDB", package: "GRDB.swift"),
        ], swiftSettings: strict),
        // Generic resource store + strategies; no HTTP.
        .target(name: "Registry", dependencies: [
            "APIMachinery", "APITypes", "Storage",
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: strict),
        // The only module that knows HTTP.
        .target(name: "APIServer", dependencies: [
            "Registry", "APIMachinery", "APITypes",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Yams", package: "Yams"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: strict),
        // Wires components into a ServiceGroup.
        .target(name: "Cluster", dependencies: [
            "APIServer", "Registry", "Storage", "StorageSQLite",
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: strict),
        // One file per subcommand.
        .target(name: "Commands", dependencies: [
            "Cluster", "APIMachinery", "Storage", "StorageSQLite",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "GRDB", package: "GRDB.swift"),
        ], swiftSettings: strict),
        .executableTarget(name: "swiftlet", dependencies: ["Commands"], swiftSettings: strict),
        // Fakes, fixtures and the storage conformance suite.
        .target(name: "TestSupport", dependencies: ["Storage"], swiftSettings: strict),

        .testTarget(name: "APIMachineryTests", dependencies: ["APIMachinery"], swiftSettings: strict),
        .testTarget(name: "APITypesTests", dependencies: ["APITypes", "APIMachinery"], swiftSettings: strict),
        .testTarget(name: "StorageTests", dependencies: ["Storage", "StorageSQLite", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "RegistryTests", dependencies: [
            "Registry", "Storage", "APIMachinery", "APITypes",
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: strict),
    ]
)
