import APIMachinery
import Testing
@testable import Controllers

@Suite struct IntOrPercentTests {
    @Test func parsesCountsAndPercents() throws {
        #expect(try IntOrPercent.parse(3) == .int(3))
        #expect(try IntOrPercent.parse("25%") == .percent(25))
        #expect(throws: IntOrPercent.ParseError.invalidPercent("25")) { try IntOrPercent.parse("25") }
        #expect(throws: IntOrPercent.ParseError.invalidPercent("%")) { try IntOrPercent.parse("%") }
        #expect(throws: IntOrPercent.ParseError.invalidPercent("-5%")) { try IntOrPercent.parse("-5%") }
        #expect(throws: IntOrPercent.ParseError.invalidType("bool")) { try IntOrPercent.parse(true) }
    }

    @Test func scalesRoundingAsAsked() {
        #expect(IntOrPercent.percent(25).scaled(total: 10, roundUp: true) == 3)
        #expect(IntOrPercent.percent(25).scaled(total: 10, roundUp: false) == 2)
        #expect(IntOrPercent.percent(50).scaled(total: 4, roundUp: true) == 2)
        #expect(IntOrPercent.percent(1).scaled(total: 1, roundUp: true) == 1)
        #expect(IntOrPercent.percent(1).scaled(total: 1, roundUp: false) == 0)
        #expect(IntOrPercent.int(7).scaled(total: 1, roundUp: false) == 7)
    }

    @Test func deploymentFenceposts() throws {
        #expect(try RollingUpdateBounds.resolve(maxSurge: nil, maxUnavailable: nil, replicas: 10) == RollingUpdateBounds(maxSurge: 3, maxUnavailable: 2))
        #expect(try RollingUpdateBounds.resolve(maxSurge: nil, maxUnavailable: nil, replicas: 1) == RollingUpdateBounds(maxSurge: 1, maxUnavailable: 0))
        #expect(try RollingUpdateBounds.resolve(maxSurge: 0, maxUnavailable: "0%", replicas: 5) == RollingUpdateBounds(maxSurge: 0, maxUnavailable: 1))
        #expect(try RollingUpdateBounds.resolve(maxSurge: "10%", maxUnavailable: "10%", replicas: 3) == RollingUpdateBounds(maxSurge: 1, maxUnavailable: 0))
        let deployment: JSONValue = ["spec": ["replicas": 4, "strategy": ["type": "RollingUpdate", "rollingUpdate": ["maxSurge": 2, "maxUnavailable": "50%"]]]]
        #expect(try RollingUpdateBounds.resolve(deployment: deployment) == RollingUpdateBounds(maxSurge: 2, maxUnavailable: 2))
        #expect(throws: IntOrPercent.ParseError.self) { try RollingUpdateBounds.resolve(maxSurge: "ten", maxUnavailable: nil, replicas: 3) }
    }

    @Test func disruptionBudgetsRoundUp() throws {
        #expect(try DisruptionBudget.desiredHealthy(minAvailable: "50%", maxUnavailable: nil, expectedCount: 3) == 2)
        #expect(try DisruptionBudget.desiredHealthy(minAvailable: nil, maxUnavailable: "50%", expectedCount: 3) == 1)
        #expect(try DisruptionBudget.desiredHealthy(minAvailable: 2, maxUnavailable: nil, expectedCount: 3) == 2)
        #expect(try DisruptionBudget.desiredHealthy(minAvailable: nil, maxUnavailable: 5, expectedCount: 3) == 0)
        #expect(DisruptionBudget.disruptionsAllowed(currentHealthy: 3, desiredHealthy: 2) == 1)
        #expect(DisruptionBudget.disruptionsAllowed(currentHealthy: 1, desiredHealthy: 2) == 0)
    }

    @Test func validationMessages() {
        #expect(IntOrPercent.validate("25%", field: "spec.strategy.rollingUpdate.maxSurge").isEmpty)
        #expect(IntOrPercent.validate(nil, field: "f").isEmpty)
        let bad = IntOrPercent.validate("abc%", field: "spec.strategy.rollingUpdate.maxSurge")
        #expect(bad.map(\.description) == [
            "spec.strategy.rollingUpdate.maxSurge: Invalid value: \"abc%\": a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
        ])
        #expect(IntOrPercent.percentFormatMessage == NameValidation.regexError(
            "a valid percent string must be a numeric string followed by an ending '%'", "[0-9]+%", examples: ["1%", "93%"]))
        #expect(IntOrPercent.validate("150%", field: "f").map(\.detail) == ["must not be greater than 100%"])
        #expect(IntOrPercent.validate("150%", field: "f", percentAtMost100: false).isEmpty)
        #expect(IntOrPercent.validate(-1, field: "f").map(\.detail) == ["must be greater than or equal to 0"])
    }
}
