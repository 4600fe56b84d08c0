import Testing
@testable import APIMachinery

@Suite struct JSONPatchTests {
    static let doc: JSONValue = ["a": ["b": 1, "c": [1, 2, 3]], "x~y": "t", "s/l": "sl"]

    func apply(_ patch: String, to doc: JSONValue = doc) throws -> JSONValue {
        try JSONPatch.apply(try JSONValue.parse(patch), to: doc)
    }

    @Test(arguments: [
        (#"[{"op":"add","path":"/a/d","value":true}]"#, #"{"a":{"b":1,"c":[1,2,3],"d":true},"s/l":"sl","x~y":"t"}"#),
        (#"[{"op":"add","path":"/a/c/1","value":9}]"#, #"{"a":{"b":1,"c":[1,9,2,3]},"s/l":"sl","x~y":"t"}"#),
        (#"[{"op":"add","path":"/a/c/-","value":4}]"#, #"{"a":{"b":1,"c":[1,2,3,4]},"s/l":"sl","x~y":"t"}"#),
        (#"[{"op":"add","path":"/a/c/3","value":4}]"#, #"{"a":{"b":1,"c":[1,2,3,4]},"s/l":"sl","x~y":"t"}"#),
        (#"[{"op":"add","path":"/a/b","value":2}]"#, #"{"a":{"b":2,"c":[1,2,3]},"s/l":"sl","x~y":"t"}"#),
        (#"[{"op":"add","path":"","value":[1]}]"#, #"[1]"#),
        (#"[{"op":"remove","path":"/a/c/0"},{"op":"remove","path":"/x~0y"}]"#, #"{"a":{"b":1,"c":[2,3]},"s/l":"sl"}"#),
        (#"[{"op":"replace","path":"/s~1l","value":null}]"#, #"{"a":{"b":1,"c":[1,2,3]},"s/l":null,"x~y":"t"}"#),
        (#"[{"op":"replace","path":"/a/c/2","value":"z"}]"#, #"{"a":{"b":1,"c":[1,2,"z"]},"s/l":"sl","x~y":"t"}"#),
        (#"[{"op":"move","from":"/a/b","path":"/b"}]"#, #"{"a":{"c":[1,2,3]},"b":1,"s/l":"sl","x~y":"t"}"#),
        (#"[{"op":"move","from":"/a/c/0","path":"/a/c/-"}]"#, #"{"a":{"b":1,"c":[2,3,1]},"s/l":"sl","x~y":"t"}"#),
        (#"[{"op":"copy","from":"/a/c","path":"/d"}]"#, #"{"a":{"b":1,"c":[1,2,3]},"d":[1,2,3],"s/l":"sl","x~y":"t"}"#),
        (#"[{"op":"test","path":"/a/b","value":1.0},{"op":"test","path":"/a/c","value":[1,2,3.0]}]"#,
         #"{"a":{"b":1,"c":[1,2,3]},"s/l":"sl","x~y":"t"}"#),
        (#"[{"op":"test","path":"","value":{"a":{"b":1,"c":[1,2,3]},"x~y":"t","s/l":"sl"}}]"#,
         #"{"a":{"b":1,"c":[1,2,3]},"s/l":"sl","x~y":"t"}"#),
        (#"[]"#, #"{"a":{"b":1,"c":[1,2,3]},"s/l":"sl","x~y":"t"}"#),
    ])
    func applies(patch: String, expected: String) throws {
        #expect(try apply(patch).serializedString() == expected)
    }

    static let invalid = StatusError(code: 422, reason: "Invalid", message: "the server rejected our request due to an error in our request")

    @Test(arguments: [
        #"[{"op":"test","path":"/a/b","value":2}]"#,
        #"[{"op":"test","path":"/a/b","value":"1"}]"#,
        #"[{"op":"test","path":"/nope","value":null}]"#,
        #"[{"op":"remove","path":"/nope"}]"#,
        #"[{"op":"remove","path":"/a/c/3"}]"#,
        #"[{"op":"replace","path":"/nope","value":1}]"#,
        #"[{"op":"add","path":"/nope/x","value":1}]"#,
        #"[{"op":"add","path":"/a/c/5","value":1}]"#,
        #"[{"op":"add","path":"/a/c/01","value":1}]"#,
        #"[{"op":"add","path":"/a/c/-1","value":1}]"#,
        #"[{"op":"add","path":"a","value":1}]"#,
        #"[{"op":"add","path":"/a~2","value":1}]"#,
        #"[{"op":"add","path":"/a"}]"#,
        #"[{"op":"move","from":"/a","path":"/a/b/c"}]"#,
        #"[{"op":"copy","from":"/nope","path":"/x"}]"#,
        #"[{"op":"frobnicate","path":"/a"}]"#,
        #"[{"path":"/a"}]"#,
    ])
    func unprocessable(patch: String) throws {
        let error = failure(try JSONValue.parse(patch))
        #expect(error?.code == 422)
        #expect(error?.reason == "Invalid")
        #expect(error?.message == Self.invalid.message)
        #expect(error?.details?.causes.isEmpty == false)
    }

    func failure(_ patch: JSONValue) -> StatusError? {
        do {
            _ = try JSONPatch.apply(patch, to: Self.doc)
            return nil
        } catch {
            return error
        }
    }

    @Test(arguments: [#"{"op":"add"}"#, #""x""#, #"[1]"#, #"null"#])
    func badRequest(patch: String) throws {
        let error = failure(try JSONValue.parse(patch))
        #expect(error?.code == 400)
        #expect(error?.reason == "BadRequest")
    }

    @Test func failedPatchLeavesInputUntouched() {
        let doc: JSONValue = ["a": 1]
        #expect(throws: StatusError.self) {
            try JSONPatch.apply(try JSONValue.parse(#"[{"op":"add","path":"/b","value":2},{"op":"test","path":"/a","value":2}]"#), to: doc)
        }
        #expect(doc == ["a": 1])
    }

    @Test func pointer() {
        #expect(JSONPointer("/a~1b/~0c/0")?.tokens == ["a/b", "~c", "0"])
        #expect(JSONPointer("")?.tokens == [])
        #expect(JSONPointer("/")?.tokens == [""])
        #expect(JSONPointer("x") == nil)
        #expect(JSONPointer("/a~") == nil)
        #expect(JSONPointer(tokens: ["a/b", "~c"]).description == "/a~1b/~0c")
    }
}

@Suite struct MergePatchTests {
    // RFC 7386 appendix A.
    @Test(arguments: [
        (#"{"a":"b"}"#, #"{"a":"c"}"#, #"{"a":"c"}"#),
        (#"{"a":"b"}"#, #"{"b":"c"}"#, #"{"a":"b","b":"c"}"#),
        (#"{"a":"b"}"#, #"{"a":null}"#, #"{}"#),
        (#"{"a":"b","b":"c"}"#, #"{"a":null}"#, #"{"b":"c"}"#),
        (#"{"a":["b"]}"#, #"{"a":"c"}"#, #"{"a":"c"}"#),
        (#"{"a":"c"}"#, #"{"a":["b"]}"#, #"{"a":["b"]}"#),
        (#"{"a":{"b":"c"}}"#, #"{"a":{"b":"d","c":null}}"#, #"{"a":{"b":"d"}}"#),
        (#"{"a":[{"b":"c"}]}"#, #"{"a":[1]}"#, #"{"a":[1]}"#),
        (#"["a","b"]"#, #"["c","d"]"#, #"["c","d"]"#),
        (#"{"a":"b"}"#, #"["c"]"#, #"["c"]"#),
        (#"{"a":"foo"}"#, #"null"#, #"null"#),
        (#"{"a":"foo"}"#, #""bar""#, #""bar""#),
        (#"{"e":null}"#, #"{"a":1}"#, #"{"a":1,"e":null}"#),
        (#"[1,2]"#, #"{"a":"b","c":null}"#, #"{"a":"b"}"#),
        (#"{}"#, #"{"a":{"bb":{"ccc":null}}}"#, #"{"a":{"bb":{}}}"#),
    ])
    func rfcExamples(original: String, patch: String, expected: String) throws {
        let result = MergePatch.apply(try JSONValue.parse(patch), to: try JSONValue.parse(original))
        #expect(result == (try JSONValue.parse(expected)))
    }
}
