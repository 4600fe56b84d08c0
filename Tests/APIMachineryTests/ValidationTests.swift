import Testing
@testable import APIMachinery

@Suite struct NameValidationTests {
    static let subdomainMessage = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
    static let labelMessage = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
    static let configKeyMessage = "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"
    static let qualifiedNamePart = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"

    @Test(arguments: ["a", "example.com", "a-b.c-d", "0", "1.2.3", String(repeating: "a", count: 63) + "." + String(repeating: "b", count: 63)])
    func validSubdomains(value: String) {
        #expect(validateDNS1123Subdomain(value, field: "metadata.name").isEmpty)
    }

    @Test(arguments: ["", "A", "a_b", "-a", "a-", "a..b", ".a", "a.", "a b", "é"])
    func invalidSubdomains(value: String) {
        let errors = validateDNS1123Subdomain(value, field: "metadata.name")
        #expect(errors.map(\.detail) == [Self.subdomainMessage])
        #expect(errors.first?.description == "metadata.name: Invalid value: \"\(value)\": " + Self.subdomainMessage)
    }

    @Test func subdomainTooLong() {
        let value = String(repeating: "a", count: 254)
        #expect(validateDNS1123Subdomain(value, field: "f").map(\.detail) == ["must be no more than 253 characters"])
        #expect(validateDNS1123Subdomain(String(repeating: "a", count: 253), field: "f").isEmpty)
    }

    @Test(arguments: [("my-name", []), ("123-abc", []), ("a.b", [labelMessage]), ("", [labelMessage]),
                      (String(repeating: "a", count: 64), ["must be no more than 63 characters"])])
    func labels(value: String, messages: [String]) {
        #expect(validateDNS1123Label(value, field: "f").map(\.detail) == messages)
    }

    @Test(arguments: [("key.name", []), ("KEY_NAME", []), ("a-b", []), ("a/b", [configKeyMessage]), ("", [configKeyMessage]),
                      (".", ["must not be '.'"]), ("..", ["must not be '..'"]), ("..a", ["must not start with '..'"]),
                      (String(repeating: "k", count: 254), ["must be no more than 253 characters"])])
    func configMapKeys(value: String, messages: [String]) {
        #expect(validateConfigMapKey(value, field: "data").map(\.detail) == messages)
    }

    @Test(arguments: [
        ("app", []), ("MyName", []), ("my.name_x-1", []), ("example.com/app", []), ("k8s.io/a.b", []),
        ("-app", [qualifiedNamePart]),
        ("", ["name part must be non-empty", qualifiedNamePart]),
        ("example.com/", ["name part must be non-empty", qualifiedNamePart]),
        ("/app", ["prefix part must be non-empty"]),
        ("Example.com/app", ["prefix part " + subdomainMessage]),
        (String(repeating: "a", count: 64), ["name part must be no more than 63 characters"]),
        ("a/b/c", ["a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"]),
    ])
    func qualifiedNames(value: String, messages: [String]) {
        #expect(NameValidation.isQualifiedName(value) == messages)
    }

    @Test(arguments: [("", true), ("v1", true), ("My_Value.1", true), ("-x", false), ("x-", false), ("a b", false),
                      (String(repeating: "v", count: 63), true), (String(repeating: "v", count: 64), false)])
    func labelValues(value: String, valid: Bool) {
        #expect(validateLabelValue(value, field: "f").isEmpty == valid)
    }
}

@Suite struct ObjectMetaValidationTests {
    func messages(_ meta: JSONValue?, namespaced: Bool = true) -> [String] {
        validateObjectMeta(meta, namespaced: namespaced).map(\.description)
    }

    @Test func validMeta() {
        let meta: JSONValue = [
            "name": "web", "namespace": "default",
            "labels": ["app": "web", "example.com/tier": ""],
            "annotations": ["Example.com/Note": "anything at all"],
            "finalizers": ["example.com/cleanup", "kubernetes"],
            "ownerReferences": [["apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs", "uid": "u1", "controller": true]],
        ]
        #expect(messages(meta) == [])
        #expect(messages(["generateName": "web-", "namespace": "ns"]) == [])
    }

    @Test func nameAndNamespace() {
        #expect(messages(nil) == ["metadata.name: Required value: name or generateName is required", "metadata.namespace: Required value"])
        #expect(messages(["name": "x", "namespace": "ns"], namespaced: false) == ["metadata.namespace: Forbidden: not allowed on this type"])
        #expect(messages(["name": "Bad_Name"], namespaced: false)
            == ["metadata.name: Invalid value: \"Bad_Name\": " + NameValidationTests.subdomainMessage])
        #expect(messages(["generateName": "Bad-"], namespaced: false).first?.hasPrefix("metadata.generateName: Invalid value: \"Bad-\"") == true)
        #expect(messages(["name": "x", "namespace": "a.b"]) == ["metadata.namespace: Invalid value: \"a.b\": " + NameValidationTests.labelMessage])
        let labelOnly = validateObjectMeta(["name": "a.b"], namespaced: false, nameValidator: NameValidation.nameIsDNSLabel)
        #expect(labelOnly.map(\.field) == ["metadata.name"])
        #expect(validateObjectMeta(["name": "a.b", "generation": -1], namespaced: false).map(\.description)
            == ["metadata.generation: Invalid value: -1: must be greater than or equal to 0"])
    }

    @Test func labelsAnnotationsFinalizers() {
        let errors = validateObjectMeta([
            "name": "x", "labels": ["bad key": "v", "ok": "bad value"],
            "annotations": ["a/b/c": "v"], "finalizers": ["-nope", "orphan", "foregroundDeletion"],
        ], namespaced: false)
        #expect(errors.map(\.field) == ["metadata.labels", "metadata.labels", "metadata.annotations",
                                        "metadata.finalizers", "metadata.finalizers"])
        #expect(errors[0].value == "\"bad key\"")
        #expect(errors[1].value == "\"bad value\"")
        #expect(errors[4].detail == "finalizer orphan and foregroundDeletion cannot be both set")
    }

    @Test func annotationSize() {
        let big = String(repeating: "x", count: 262_144)
        #expect(messages(["name": "x", "annotations": ["k": .string(big)]], namespaced: false)
            == ["metadata.annotations: Too long: may not be more than 262144 bytes"])
        #expect(messages(["name": "x", "annotations": ["k": .string(String(big.dropFirst()))]], namespaced: false) == [])
    }

    @Test func ownerReferences() {
        let errors = messages(["name": "x", "ownerReferences": [
            ["apiVersion": "apps/", "kind": "", "name": "", "uid": ""],
            ["apiVersion": "v1", "kind": "A", "name": "a", "uid": "1", "controller": true],
            ["apiVersion": "v1", "kind": "B", "name": "b", "uid": "2", "controller": true],
        ]], namespaced: false)
        #expect(errors.count == 5)
        #expect(errors[0] == "metadata.ownerReferences.apiVersion: Invalid value: \"apps/\": version must not be empty")
        #expect(errors[1] == "metadata.ownerReferences.kind: Invalid value: \"\": kind must not be empty")
        #expect(errors[2] == "metadata.ownerReferences.name: Invalid value: \"\": name must not be empty")
        #expect(errors[3] == "metadata.ownerReferences.uid: Invalid value: \"\": uid must not be empty")
        #expect(errors[4].hasSuffix("Only one reference can have Controller set to true. Found \"true\" in references for A/a and B/b"))
    }
}
