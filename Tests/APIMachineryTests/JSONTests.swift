import Testing
@testable import APIMachinery

@Suite struct JSONParserTests {
    @Test(arguments: [
        ("{\"a\":1,\"b\":[true,false,null],\"c\":\"x\"}", "{\"a\":1,\"b\":[true,false,null],\"c\":\"x\"}"),
        (" { \"b\" : 2 , \"a\" : { } } ", "{\"a\":{},\"b\":2}"),
        ("[]", "[]"),
        ("\"\\u00e9\\n\\t\\\"\\\\\\/\"", "\"é\\n\\t\\\"\\\\/\""),
        ("\"\\ud83d\\ude00\"", "\"😀\""),
        ("\"\\u0001\\u001f\\b\\f\"", "\"\\u0001\\u001f\\u0008\\u000c\""),
        ("\"\\ud800x\"", "\"\u{FFFD}x\""),
        ("9223372036854775807", "9223372036854775807"),
        ("-9223372036854775808", "-9223372036854775808"),
        ("1.5", "1.5"),
        ("1e3", "1000"),
        ("-0", "0"),
        ("-0.0", "-0"),
        ("1E-7", "1e-7"),
        ("0.000001", "0.000001"),
        ("1e21", "1e+21"),
        ("1e20", "100000000000000000000"),
        ("123456789.125", "123456789.125"),
        ("9223372036854775808", "9223372036854776000"),
    ])
    func roundTrip(input: String, expected: String) throws {
        let value = try JSONValue.parse(input)
        #expect(value.serializedString() == expected)
        // Whole doubles serialise without a fraction and so come back as ints: equal as numbers.
        #expect(JSONPatch.numericEqual(try JSONValue.parse(value.serializedString()), value))
    }

    @Test func numbersKeepTheirKind() throws {
        #expect(try JSONValue.parse("9007199254740993") == .int(9_007_199_254_740_993))
        #expect(try JSONValue.parse("1.5") == .double(1.5))
        #expect(try JSONValue.parse("1e3") == .double(1000))
        #expect(try JSONValue.parse("-0") == .int(0))
        #expect(try JSONValue.parse("[1,-2]") == [1, -2])
    }

    @Test func stringsWithEscapesAndControlCharactersRoundTrip() throws {
        let original = JSONValue.string("a\u{0}b\u{7}c\"d\\e\nf\u{1F600}g\u{7F}")
        let text = original.serializedString()
        #expect(text == "\"a\\u0000b\\u0007c\\\"d\\\\e\\nf😀g\u{7F}\"")
        #expect(try JSONValue.parse(text) == original)
    }

    @Test func duplicateKeysKeepTheLast() throws {
        #expect(try JSONValue.parse("{\"a\":1,\"a\":2}") == ["a": 2])
    }

    @Test func depthLimit() throws {
        let ok = String(repeating: "[", count: JSONValue.maximumDepth) + String(repeating: "]", count: JSONValue.maximumDepth)
        #expect(try JSONValue.parse(ok).arrayValue?.count == 1)
        let deep = String(repeating: "[", count: JSONValue.maximumDepth + 1) + String(repeating: "]", count: JSONValue.maximumDepth + 1)
        #expect(throws: JSONParseError.self) { try JSONValue.parse(deep) }
        let deepObject = String(repeating: "{\"a\":", count: 100_000)
        #expect(throws: JSONParseError.self) { try JSONValue.parse(deepObject) }
    }

    @Test(arguments: [
        "", "   ", "{} x", "[1] [2]", "\"abc", "\"a\\", "tru", "nul", "falsy", "01", "-01", "-", "1.", "1e", "1e+",
        ".5", "+1", "[1,]", "{\"a\":1,}", "{\"a\"}", "{a:1}", "[1 2]", "\"\\x\"", "\"\\u12g4\"", "\"a\nb\"",
        "{\"a\":1", "[", "NaN", "Infinity", "1e400", "\u{FEFF}{}",
    ])
    func malformedInputThrows(input: String) {
        #expect(throws: JSONParseError.self) { try JSONValue.parse(input) }
    }

    @Test func errorsCarryOffsets() {
        do {
            _ = try JSONValue.parse("[1, x]")
            Issue.record("expected an error")
        } catch {
            #expect(error.offset == 4)
        }
    }

    @Test func parsesNonContiguousBytes() throws {
        let bytes = "{\"k\":[1,2]}".utf8.reversed().reversed()
        #expect(try JSONValue.parse(bytes) == ["k": [1, 2]])
    }

    @Test func serializesSortedKeysAndNonFiniteDoubles() {
        let value: JSONValue = ["b": 1, "a": ["z": nil, "y": 2.5], "c": .double(.infinity)]
        #expect(value.serializedString() == "{\"a\":{\"y\":2.5,\"z\":null},\"b\":1,\"c\":null}")
    }

    @Test func pathAccessors() {
        var value: JSONValue = ["metadata": ["name": "x"]]
        value.set(path: ["metadata", "labels", "app"], to: "web")
        #expect(value[path: ["metadata", "labels", "app"]] == "web")
        value.set(path: ["metadata", "name"], to: nil)
        #expect(value == ["metadata": ["labels": ["app": "web"]]])
    }
}
