import Testing
@testable import APIMachinery

@Suite struct LabelSelectorTests {
    static let labels: [String: String] = ["app": "web", "tier": "frontend", "version": "3"]

    @Test(arguments: [
        ("", true),
        ("   ", true),
        ("app=web", true),
        ("app==web", true),
        ("app = web", true),
        ("app!=web", false),
        ("app!=db", true),
        ("missing!=x", true),
        ("app in (web,db)", true),
        ("app in ( db , cache )", false),
        ("app notin (db)", true),
        ("missing notin (db)", true),
        ("app notin (web)", false),
        ("app", true),
        ("missing", false),
        ("!missing", true),
        ("!app", false),
        ("app=web,tier=frontend", true),
        ("app=web, tier=backend", false),
        ("app=web,!missing,tier in (frontend)", true),
        ("version>2", true),
        ("version<2", false),
        ("missing=", false),
        ("in=in", false),
        ("app in (in,web)", true),
    ])
    func matching(selector: String, expected: Bool) throws {
        #expect(try LabelSelector.parse(selector).matches(Self.labels) == expected)
    }

    @Test func emptyValueMatchesEmptyLabel() throws {
        #expect(try LabelSelector.parse("a=").matches(["a": ""]))
        #expect(try LabelSelector.parse("a in (,x)").matches(["a": ""]))
    }

    @Test(arguments: [
        ("app", "app"),
        ("!app", "!app"),
        ("b=1,a!=2", "a!=2,b=1"),
        ("x in (c,a,b,a)", "x in (a,b,c)"),
        ("x notin (b, a)", "x notin (a,b)"),
        ("a==b", "a==b"),
        ("example.com/key=v", "example.com/key=v"),
    ])
    func rendering(selector: String, expected: String) throws {
        let parsed = try LabelSelector.parse(selector)
        #expect(parsed.string == expected)
        #expect(try LabelSelector.parse(parsed.string) == parsed)
    }

    @Test(arguments: [
        ("app=web=x", "found '=', expected: ',' or 'end of string'"),
        ("app in web", "unable to parse requirement: found 'web', expected: '('"),
        ("app in ()", "unable to parse requirement: for 'in', 'notin' operators, values set can't be empty"),
        ("app in (a b)", "unable to parse requirement: found 'b', expected: ',', ')'"),
        ("app in (a", "unable to parse requirement: found '', expected: ',', ')'"),
        (",app", "found ',', expected: !, identifier, or 'end of string'"),
        ("app,", "found '', expected: identifier after ','"),
        ("app x", "unable to parse requirement: found 'x', expected: in, notin, =, ==, !=, gt, lt"),
        ("!", "unable to parse requirement: found '', expected: identifier"),
        ("a>b", "unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer"),
    ])
    func syntaxErrors(selector: String, message: String) {
        #expect(throws: StatusError.badRequest(message)) { try LabelSelector.parse(selector) }
    }

    @Test(arguments: ["a b=c", "-a=b", "app=a%b", "app=-x", "x/y/z=1", String(repeating: "k", count: 64) + "=v",
                      "app=" + String(repeating: "v", count: 64)])
    func invalidKeysAndValues(selector: String) {
        #expect(throws: StatusError.self) { try LabelSelector.parse(selector) }
        do {
            _ = try LabelSelector.parse(selector)
        } catch {
            #expect(error.code == 400)
            #expect(error.message.hasPrefix("unable to parse requirement: "))
        }
    }

    @Test func isEverything() throws {
        #expect(try LabelSelector.parse("").isEverything)
        #expect(try !LabelSelector.parse("a").isEverything)
        #expect(LabelSelector.everything.matches([:]))
    }

    @Test func fromJSON() throws {
        let json: JSONValue = [
            "matchLabels": ["app": "web"],
            "matchExpressions": [
                ["key": "tier", "operator": "In", "values": ["frontend", "edge"]],
                ["key": "env", "operator": "NotIn", "values": ["prod"]],
                ["key": "version", "operator": "Exists"],
                ["key": "legacy", "operator": "DoesNotExist"],
            ],
        ]
        let selector = try LabelSelector(fromJSON: json)
        #expect(selector.string == "app=web,env notin (prod),!legacy,tier in (edge,frontend),version")
        #expect(selector.matches(Self.labels))
        #expect(!selector.matches(["app": "web", "tier": "frontend"]))
        #expect(try LabelSelector(fromJSON: [:]).isEverything)
        #expect(try LabelSelector(fromJSON: .null).isEverything)
    }

    @Test(arguments: [
        ["matchExpressions": [["key": "a", "operator": "Gt", "values": ["1"]]]] as JSONValue,
        ["matchExpressions": [["key": "a", "operator": "In", "values": []]]],
        ["matchExpressions": [["key": "a", "operator": "Exists", "values": ["x"]]]],
        ["matchLabels": ["a b": "c"]],
        ["matchLabels": ["a": 1]],
        "text",
    ])
    func fromJSONRejectsInvalid(json: JSONValue) {
        #expect(throws: StatusError.self) { try LabelSelector(fromJSON: json) }
    }
}

@Suite struct FieldSelectorTests {
    @Test(arguments: [
        ("metadata.name=foo", ["metadata.name": "foo"], true),
        ("metadata.name==foo", ["metadata.name": "foo"], true),
        ("metadata.name!=foo", ["metadata.name": "foo"], false),
        ("metadata.name=foo,status.phase!=Running", ["metadata.name": "foo", "status.phase": "Pending"], true),
        ("metadata.name=foo,status.phase!=Running", ["metadata.name": "foo", "status.phase": "Running"], false),
        ("involvedObject.namespace=", [:], true),
        ("involvedObject.namespace=", ["involvedObject.namespace": "x"], false),
        ("spec.nodeName!=", ["spec.nodeName": "n1"], true),
        ("a=x\\,y\\=z\\\\", ["a": "x,y=z\\"], true),
        ("", [:], true),
        ("a=b,", ["a": "b"], true),
    ] as [(String, [String: String], Bool)])
    func matching(selector: String, fields: [String: String], expected: Bool) throws {
        #expect(try FieldSelector.parse(selector).matches(fields) == expected)
    }

    @Test func requirementsAndNames() throws {
        let selector = try FieldSelector.parse("status.phase!=Running,metadata.name==a\\,b,metadata.name=c")
        #expect(selector.requirements == [
            .init(field: "metadata.name", op: .equals, value: "a,b"),
            .init(field: "metadata.name", op: .equals, value: "c"),
            .init(field: "status.phase", op: .notEquals, value: "Running"),
        ])
        #expect(selector.fieldNames == ["metadata.name", "status.phase"])
        #expect(selector.exactMatch("metadata.name") == "a,b")
        #expect(selector.string == "metadata.name=a\\,b,metadata.name=c,status.phase!=Running")
        #expect(throws: StatusError.badRequest("field label not supported: status.phase")) {
            try selector.validateFields(["metadata.name"])
        }
        #expect(try FieldSelector.parse("").isEverything)
    }

    @Test(arguments: [
        ("foo", "invalid selector: 'foo'; can't understand 'foo'"),
        ("a=b,c", "invalid selector: 'a=b,c'; can't understand 'c'"),
        ("a=b=c", "invalid field selector: unescaped character in value: ="),
        ("a=b\\x", "invalid field selector: invalid escape sequence: \\x"),
        ("a=b\\", "invalid field selector: invalid escape sequence: \\"),
    ])
    func errors(selector: String, message: String) {
        #expect(throws: StatusError.badRequest(message)) { try FieldSelector.parse(selector) }
    }

    @Test func escapeRoundTrip() throws {
        let value = "a,b=c\\d"
        #expect(try FieldSelector.unescape(FieldSelector.escape(value)) == value)
    }
}
