import Testing
@testable import APIMachinery

@Suite struct QuantityTests {
    @Test(arguments: [
        ("1024Mi", "1Gi"), ("1Gi", "1Gi"), ("1.5Gi", "1536Mi"), ("0.5Ki", "512"), ("1536", "1536"),
        ("0.5", "500m"), ("1000m", "1"), ("1500m", "1500m"), ("1.5", "1500m"), ("1e3", "1e3"), ("1E3", "1e3"),
        ("1000", "1k"), ("1500", "1500"), ("12e6", "12e6"), ("1.5e3", "1500"), ("1e-3", "1e-3"),
        ("0", "0"), ("0Gi", "0"), ("0.0", "0"), ("-0", "0"), ("+1", "1"), ("-1", "-1"), ("-1024Ki", "-1Mi"),
        ("0.1n", "1n"), ("0.0000000001", "1n"), ("1.0000000001", "1000000001n"), ("-0.1n", "-1n"),
        ("100u", "100u"), ("1000000n", "1m"), ("0.9Gi", "966367641600m"), ("1k", "1k"), ("10k", "10k"),
        ("100M", "100M"), ("1000M", "1G"), ("1P", "1P"), ("1E", "1E"), ("1Ei", "1Ei"), ("7Ei", "7Ei"), ("8Ei", "9223372036854775807"),
        (".5", "500m"), ("5.", "5"), ("0.30000000000000004", "300000001n"), ("2048Ki", "2Mi"), ("1025Ki", "1025Ki"),
        ("007", "7"), ("1e0", "1"), ("1e+3", "1e3"),
    ])
    func canonicalForm(input: String, expected: String) throws {
        let q = try Quantity.parse(input)
        #expect(q.canonical == expected)
        #expect(q.description == expected)
        // The canonical form parses back to the same value and form.
        #expect(try Quantity.parse(expected) == q)
        #expect(try Quantity.parse(expected).canonical == expected)
    }

    @Test(arguments: ["", "abc", "1x", "Gi", ".", "1.2.3", "--1", "1 Gi", " 1", "1Gi ", "0x10"])
    func formatErrors(input: String) {
        #expect(throws: Quantity.ParseError.formatWrong) { try Quantity.parse(input) }
        #expect(Quantity(input) == nil)
    }

    @Test(arguments: ["1e", "1Kii", "1iK", "1mm", "1Kii", "1e+", "1ki"])
    func suffixErrors(input: String) {
        #expect(throws: Quantity.ParseError.suffix) { try Quantity.parse(input) }
    }

    @Test func errorMessages() {
        #expect(Quantity.ParseError.formatWrong.message
            == "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")
        #expect(Quantity.ParseError.suffix.message == "unable to parse quantity's suffix")
        #expect(Quantity.ParseError.numeric.message == "unable to parse numeric part of quantity")
    }

    @Test func exactValues() throws {
        #expect(try Quantity.parse("1Ki").nanoValue == 1024 * 1_000_000_000)
        #expect(try Quantity.parse("1n").nanoValue == 1)
        #expect(try Quantity.parse("1.5").nanoValue == 1_500_000_000)
        #expect(try Quantity.parse("1Ei").nanoValue == Int128(1) << 60 * 1_000_000_000)
        // 0.1 + 0.2 is exactly 0.3 (no floating point).
        #expect(try Quantity.parse("0.1") + Quantity.parse("0.2") == Quantity.parse("0.3"))
        #expect(try Quantity.parse("300m") == Quantity.parse("0.3"))
    }

    @Test func largeValuesAreCapped() throws {
        let q = try Quantity.parse("1e100")
        #expect(q.value == Int64.max)
        #expect(try Quantity.parse("-1e100").value == -Int64.max)
    }

    @Test func comparisonIgnoresFormat() throws {
        #expect(try Quantity.parse("1Ki") == Quantity.parse("1024"))
        #expect(try Quantity.parse("1k") < Quantity.parse("1Ki"))
        #expect(try Quantity.parse("999m") < Quantity.parse("1"))
        #expect(try Quantity.parse("-1") < Quantity.parse("0"))
        #expect(try Quantity.parse("1G") > Quantity.parse("953Mi"))
        #expect(try Quantity.parse("1G") < Quantity.parse("954Mi"))
        #expect(try [Quantity.parse("2"), Quantity.parse("1m"), Quantity.parse("1k")].sorted().map(\.canonical) == ["1m", "2", "1k"])
        #expect(Set([Quantity("1Ki")!, Quantity("1024")!]).count == 1)
    }

    @Test func arithmetic() throws {
        var q = try Quantity.parse("1Gi")
        q += try Quantity.parse("512Mi")
        #expect(q.canonical == "1536Mi")
        q -= try Quantity.parse("1536Mi")
        #expect(q.isZero)
        #expect(q.canonical == "0")
        let cpu = try Quantity.parse("250m") + Quantity.parse("750m")
        #expect(cpu.canonical == "1")
        #expect((try Quantity.parse("100m") - Quantity.parse("300m")).canonical == "-200m")
        #expect((-(try Quantity.parse("2Ki"))).canonical == "-2Ki")
        #expect((try Quantity.parse("1") - Quantity.parse("1")).sign == 0)
    }

    @Test func valuesRoundUpAwayFromZero() throws {
        #expect(try Quantity.parse("1500m").value == 2)
        #expect(try Quantity.parse("-1500m").value == -2)
        #expect(try Quantity.parse("2").value == 2)
        #expect(try Quantity.parse("1n").milliValue == 1)
        #expect(try Quantity.parse("1.5").milliValue == 1500)
        #expect(try Quantity.parse("1Ki").value == 1024)
        #expect(try Quantity.parse("100m").value == 1)
        #expect(try Quantity.parse("1").scaledValue(-9) == 1_000_000_000)
        #expect(try Quantity.parse("1500").scaledValue(3) == 2)
        #expect(try Quantity.parse("1Gi").doubleValue == 1_073_741_824)
    }

    @Test func initialisers() {
        #expect(Quantity(value: 2).canonical == "2")
        #expect(Quantity(value: 1024, format: .binarySI).canonical == "1Ki")
        #expect(Quantity(value: 1000).canonical == "1k")
        #expect(Quantity(milliValue: 500).canonical == "500m")
        #expect(Quantity(milliValue: 2000).canonical == "2")
        #expect(Quantity(nanoValue: 5).canonical == "5n")
        #expect(Quantity.zero.isZero)
    }

    @Test func json() {
        #expect(Quantity(json: .string("1Gi"))?.value == 1_073_741_824)
        #expect(Quantity(json: .int(3))?.canonical == "3")
        #expect(Quantity(json: .double(0.5))?.canonical == "500m")
        #expect(Quantity(json: .bool(true)) == nil)
        #expect(Quantity(json: nil) == nil)
        #expect(Quantity.canonical(.string("1024Mi")) == .string("1Gi"))
        #expect(Quantity.canonical(.string("bad")) == nil)
        var list: JSONValue = ["cpu": "1000m", "memory": "1024Mi", "bad": "x1"]
        Quantity.canonicalizeList(&list)
        #expect(list == ["cpu": "1", "memory": "1Gi", "bad": "x1"])
    }
}
