import Foundation
import Testing

@testable import APIModels

/// Every generated struct round-trips a sample that sets every one of its properties (samples are
/// generated from the same schema by tools/gen_api_models.py): no property is missing or misnamed.
struct AllDefinitionsTests {
    private static func samples() throws -> [String: Any] {
        let data = Data(AllDefinitionSamples.samples.utf8)
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test func everyDefinitionHasASample() throws {
        let samples = try Self.samples()
        let names = AllDefinitionSamples.types.map(\.name)
        #expect(names.count == 627)
        #expect(Set(names) == Set(samples.keys))
    }

    @Test func everyPropertyOfEveryDefinitionRoundTrips() throws {
        let samples = try Self.samples()
        var failures: [String] = []
        for (name, type) in AllDefinitionSamples.types {
            let sample = try #require(samples[name] as? [String: Any])
            let json = String(decoding: try JSONSerialization.data(withJSONObject: sample), as: UTF8.self)
            do {
                let result = try RoundTrip.run(type, json)
                if result.input != result.output {
                    failures.append("\(name): \(result.input) != \(result.output)")
                }
            } catch {
                failures.append("\(name): \(error)")
            }
        }
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
    }

    @Test func samplesSetEveryPropertyOfLargeKinds() throws {
        let samples = try Self.samples()
        let podSpec = try #require(samples["io.k8s.api.core.v1.PodSpec"] as? [String: Any])
        #expect(podSpec.count > 35)
        #expect(podSpec["containers"] != nil && podSpec["hostUsers"] != nil)
    }
}
