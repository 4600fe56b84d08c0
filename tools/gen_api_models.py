#!/usr/bin/env python3
"""Generates the typed Kubernetes 1.32 API models: Sources/APIModels/Generated/<GroupVersion>.swift.

Usage:
    tools/gen_api_models.py [SOURCE]

SOURCE is either the kubernetes-validate wheel (kubernetes_validate-1.37.0-py3-none-any.whl) or its
`kubernetes-json-schema/v1.32.0-local/_definitions.json`. Without SOURCE the wheel is fetched with
`pip download --no-deps kubernetes-validate==1.37.0` into a temporary directory.

What is generated (one file per group-version, e.g. CoreV1.swift, AppsV1.swift, MetaV1.swift):
- A namespace `public enum <Group><Version>` (client-go naming: CoreV1, AppsV1, MetaV1, AutoscalingV2,
  ApiextensionsV1, ApiregistrationV1, ...) holding one `public struct` per schema definition.
- Every struct is `Codable, Sendable, Hashable`; every property is optional so decoding never fails
  on a missing field and encoding omits nil (synthesized Codable uses decodeIfPresent/encodeIfPresent).
  Properties keep their JSON names; names that are not Swift identifiers get a camel-cased Swift name
  and an explicit CodingKeys entry (`$ref` -> `ref`, `x-kubernetes-list-type` -> `xKubernetesListType`);
  Swift keywords are back-quoted (`continue`, `default`, `protocol`, ...).
- A public memberwise initialiser whose parameters all default to nil (kinds default `apiVersion` and
  `kind` to their group-version-kind).
- Kinds with exactly one x-kubernetes-group-version-kind get `static let gvk` and conform to `APIKind`;
  those with ObjectMeta metadata conform to `APIObject`; lists (ListMeta + items) to `APIList`.
- Scalar mapping: string -> String (also format byte/date-time: kept verbatim so it round-trips),
  integer int32/int64 -> Int32/Int64, number -> Double, boolean -> Bool, array -> [T],
  object with additionalProperties -> [String: T]; schema-less values -> JSONAny.
- Hand-written types (Sources/APIModels/*.swift) replace these definitions; the namespaces get
  typealiases so every definition name exists: Quantity, IntOrString, MetaV1.Time, MetaV1.MicroTime,
  RawExtension / MetaV1.FieldsV1 / MetaV1.Patch / ApiextensionsV1.JSON (all JSONAny), and
  ApiextensionsV1.JSONSchemaPropsOr{Array,Bool,StringArray} (indirect enums).
- Properties that would make a struct contain itself by value (e.g. JSONSchemaProps.not) are stored
  through the `@Indirect` property wrapper; arrays and dictionaries need no indirection.

Also written: Tests/APIModelsTests/Generated/AllDefinitionSamples.swift, a table of every generated
struct with a sample JSON object that sets every one of its properties; the tests decode and re-encode
each sample and require identical JSON, which proves no property of any definition is dropped.

No description text is emitted. Output is deterministic (definitions and properties sorted by name).
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, "Sources", "APIModels", "Generated")
TEST_OUT = os.path.join(ROOT, "Tests", "APIModelsTests", "Generated", "AllDefinitionSamples.swift")
WHEEL_MEMBER = "kubernetes_validate/kubernetes-json-schema/v1.32.0-local/_definitions.json"
PIP_SPEC = "kubernetes-validate==1.37.0"
REF_PREFIX = "#/$defs/"

# Definitions replaced by hand-written Swift types: definition name -> Swift type expression.
HAND_WRITTEN = {
    "io.k8s.apimachinery.pkg.api.resource.Quantity": "APIModels.Quantity",
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": "APIModels.IntOrString",
    "io.k8s.apimachinery.pkg.runtime.RawExtension": "APIModels.JSONAny",
    "io.k8s.apimachinery.pkg.apis.meta.v1.Time": "APIModels.Time",
    "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime": "APIModels.MicroTime",
    "io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1": "APIModels.JSONAny",
    "io.k8s.apimachinery.pkg.apis.meta.v1.Patch": "APIModels.JSONAny",
    "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSON": "APIModels.JSONAny",
    "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrArray":
        "APIModels.ApiextensionsV1.JSONSchemaPropsOrArray",
    "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrBool":
        "APIModels.ApiextensionsV1.JSONSchemaPropsOrBool",
    "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrStringArray":
        "APIModels.ApiextensionsV1.JSONSchemaPropsOrStringArray",
}
# Hand-written types declared inside a namespace (no typealias needed there).
DECLARED_IN_NAMESPACE = {
    "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrArray",
    "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrBool",
    "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrStringArray",
}
# Hand-written types that live at module level (a typealias there would be circular).
MODULE_LEVEL = {
    "io.k8s.apimachinery.pkg.api.resource.Quantity",
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString",
    "io.k8s.apimachinery.pkg.runtime.RawExtension",
}

SWIFT_KEYWORDS = {
    "associatedtype", "class", "deinit", "enum", "extension", "fileprivate", "func", "import", "init",
    "inout", "internal", "let", "open", "operator", "private", "precedencegroup", "protocol", "public",
    "rethrows", "static", "struct", "subscript", "typealias", "var", "break", "case", "catch",
    "continue", "default", "defer", "do", "else", "fallthrough", "for", "guard", "if", "in", "repeat",
    "return", "throw", "switch", "where", "while", "Any", "as", "await", "false", "is", "nil", "self",
    "Self", "super", "throws", "true", "try", "Type", "Protocol", "some", "any", "consume", "copy",
}
# Nested type names that would shadow what generated code refers to unqualified.
RESERVED_TYPE_NAMES = {"Swift", "APIModels", "Foundation", "CodingKeys", "Type", "Protocol", "Self"}


def load_definitions(source):
    if source is None:
        with tempfile.TemporaryDirectory(prefix="kv-") as tmp:
            subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", tmp, PIP_SPEC],
                           check=True)
            wheels = sorted(f for f in os.listdir(tmp) if f.endswith(".whl"))
            if not wheels:
                raise SystemExit("pip download produced no wheel")
            return load_definitions(os.path.join(tmp, wheels[0]))
    if source.endswith(".whl"):
        with zipfile.ZipFile(source) as z:
            data = json.loads(z.read(WHEEL_MEMBER))
    else:
        with open(source) as f:
            data = json.load(f)
    defs = data["$defs"]
    missing = sorted(set(HAND_WRITTEN) - set(defs))
    if missing:
        raise SystemExit(f"hand-written definitions missing from the schema: {missing}")
    return defs


def cap(s):
    return s[:1].upper() + s[1:]


def namespace_of(defn):
    """io.k8s.api.apps.v1.Deployment -> ('AppsV1', 'Deployment')."""
    parts = defn.split(".")
    name = parts[-1]
    pkg = ".".join(parts[:-1])
    if pkg.startswith("io.k8s.api."):
        group, version = parts[3], parts[4]
    elif pkg == "io.k8s.apimachinery.pkg.apis.meta.v1":
        group, version = "meta", "v1"
    elif pkg == "io.k8s.apimachinery.pkg.version":
        return "Version", name
    elif pkg.startswith("io.k8s.apiextensions-apiserver.pkg.apis.") or \
            pkg.startswith("io.k8s.kube-aggregator.pkg.apis."):
        group, version = parts[-3], parts[-2]
    else:
        raise SystemExit(f"no namespace rule for {defn}")
    return cap(group) + cap(version), name


def swift_identifier(json_name):
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", json_name):
        return json_name
    words = [w for w in re.split(r"[^A-Za-z0-9]+", json_name) if w]
    if not words:
        raise SystemExit(f"cannot name property {json_name!r}")
    ident = words[0][:1].lower() + words[0][1:] + "".join(cap(w) for w in words[1:])
    if ident[0].isdigit():
        ident = "_" + ident
    return ident


def quoted(ident):
    return f"`{ident}`" if ident in SWIFT_KEYWORDS else ident


def non_null_type(schema):
    t = schema.get("type")
    if isinstance(t, list):
        t = [x for x in t if x != "null"]
        if len(t) != 1:
            raise SystemExit(f"ambiguous type {schema.get('type')}")
        return t[0]
    return t


class Generator:
    def __init__(self, defs):
        self.defs = defs
        self.structs = sorted(n for n in defs if n not in HAND_WRITTEN)
        self.type_names = {}
        for n in defs:
            if n in HAND_WRITTEN:
                self.type_names[n] = HAND_WRITTEN[n]
            else:
                ns, name = namespace_of(n)
                if name in RESERVED_TYPE_NAMES:
                    raise SystemExit(f"definition {n} would shadow a reserved name")
                self.type_names[n] = f"{ns}.{name}"
        self.indirect = self.find_indirect_properties()

    def ref_name(self, ref):
        if not ref.startswith(REF_PREFIX):
            raise SystemExit(f"unsupported $ref {ref}")
        target = ref[len(REF_PREFIX):]
        if target not in self.defs:
            raise SystemExit(f"dangling $ref {ref}")
        return target

    def swift_type(self, schema, where):
        if "$ref" in schema:
            return self.type_names[self.ref_name(schema["$ref"])]
        t = non_null_type(schema)
        fmt = schema.get("format")
        if t == "string":
            return "Swift.String"
        if t == "integer":
            return {"int32": "Swift.Int32", "int64": "Swift.Int64", None: "Swift.Int64"}[fmt]
        if t == "number":
            return "Swift.Double"
        if t == "boolean":
            return "Swift.Bool"
        if t == "array":
            return f"[{self.swift_type(schema['items'], where)}]"
        if t == "object":
            if "additionalProperties" in schema and isinstance(schema["additionalProperties"], dict):
                return f"[Swift.String: {self.swift_type(schema['additionalProperties'], where)}]"
            return "APIModels.JSONAny"
        if t is None and not schema.get("properties"):
            return "APIModels.JSONAny"
        raise SystemExit(f"unsupported schema at {where}: {schema}")

    def find_indirect_properties(self):
        """Properties holding a generated struct by value that lies on a by-value cycle."""
        edges = {n: [] for n in self.structs}
        for n in self.structs:
            for p, ps in self.defs[n].get("properties", {}).items():
                if "$ref" in ps:
                    target = self.ref_name(ps["$ref"])
                    if target not in HAND_WRITTEN:
                        edges[n].append((p, target))

        def reaches(start, goal):
            seen, stack = set(), [start]
            while stack:
                cur = stack.pop()
                if cur == goal:
                    return True
                if cur in seen:
                    continue
                seen.add(cur)
                stack.extend(t for _, t in edges[cur])
            return False

        indirect = set()
        for n in self.structs:
            for p, target in edges[n]:
                if reaches(target, n):
                    indirect.add((n, p))
        return indirect

    def gvk(self, n):
        g = self.defs[n].get("x-kubernetes-group-version-kind") or []
        return g[0] if len(g) == 1 else None

    def struct_source(self, n):
        schema = self.defs[n]
        _, name = namespace_of(n)
        props = schema.get("properties", {})
        gvk = self.gvk(n)
        fields = []  # (jsonName, swiftIdent, swiftType, indirect)
        idents = set()
        for p in sorted(props):
            ident = swift_identifier(p)
            if ident in idents:
                raise SystemExit(f"property name clash {n}.{p}")
            idents.add(ident)
            fields.append((p, ident, self.swift_type(props[p], f"{n}.{p}"), (n, p) in self.indirect))

        conformances = ["Codable", "Sendable", "Hashable"]
        if gvk is not None:
            meta = props.get("metadata", {}).get("$ref", "")
            items = props.get("items", {})
            if meta.endswith("meta.v1.ObjectMeta"):
                conformances = ["APIObject"]
            elif meta.endswith("meta.v1.ListMeta") and "$ref" in items.get("items", {}):
                conformances = ["APIList"]
            else:
                conformances = ["APIKind"]
            if "apiVersion" not in props or "kind" not in props:
                raise SystemExit(f"kind {n} lacks apiVersion/kind")

        out = [f"    public struct {name}: {', '.join(conformances)} {{"]
        if gvk is not None:
            out.append("        public static let gvk = GroupVersionKind(")
            out.append(f"            group: \"{gvk['group']}\", version: \"{gvk['version']}\", kind: \"{gvk['kind']}\")")
            out.append("")
        for p, ident, typ, ind in fields:
            wrapper = "@Indirect " if ind else ""
            out.append(f"        {wrapper}public var {quoted(ident)}: {typ}?")
        if fields:
            out.append("")
        # Memberwise initialiser.
        defaults = {}
        if gvk is not None:
            api_version = f"{gvk['group']}/{gvk['version']}" if gvk["group"] else gvk["version"]
            defaults = {"apiVersion": f'"{api_version}"', "kind": f'"{gvk["kind"]}"'}
        if fields:
            params = [f"{quoted(ident)}: {typ}? = {defaults.get(p, 'nil')}" for p, ident, typ, _ in fields]
            out.append("        public init(")
            out.append(",\n".join(f"            {x}" for x in params))
            out.append("        ) {")
            for _, ident, _, _ in fields:
                out.append(f"            self.{quoted(ident)} = {quoted(ident)}")
            out.append("        }")
        else:
            out.append("        public init() {}")
        if any(p != ident for p, ident, _, _ in fields):
            out.append("")
            out.append("        enum CodingKeys: String, CodingKey {")
            for p, ident, _, _ in fields:
                if p == ident:
                    out.append(f"            case {quoted(ident)}")
                else:
                    out.append(f"            case {quoted(ident)} = \"{p}\"")
            out.append("        }")
        out.append("    }")
        return "\n".join(out)

    # Sample values of hand-written types, for the all-definitions round-trip test.
    HAND_WRITTEN_SAMPLES = {
        "io.k8s.apimachinery.pkg.api.resource.Quantity": "1Gi",
        "io.k8s.apimachinery.pkg.util.intstr.IntOrString": 8080,
        "io.k8s.apimachinery.pkg.runtime.RawExtension": {"kind": "X", "a": [1, "x", True, None, 2.5]},
        "io.k8s.apimachinery.pkg.apis.meta.v1.Time": "2024-01-01T00:00:00Z",
        "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime": "2024-01-01T00:00:00.000001Z",
        "io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1": {"f:metadata": {"f:name": {}}},
        "io.k8s.apimachinery.pkg.apis.meta.v1.Patch": {"op": "x"},
        "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSON": [{"a": 1}, "s"],
        "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrArray": [{"type": "string"}],
        "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrBool": {"type": "string"},
        "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrStringArray": ["a"],
    }

    def sample_value(self, schema):
        if "$ref" in schema:
            target = self.ref_name(schema["$ref"])
            return self.HAND_WRITTEN_SAMPLES[target] if target in HAND_WRITTEN else {}
        t = non_null_type(schema)
        fmt = schema.get("format")
        if t == "string":
            return "aGk=" if fmt == "byte" else "s"
        if t == "integer":
            return 7 if fmt == "int32" else 4294967296
        if t == "number":
            return 1.5
        if t == "boolean":
            return True
        if t == "array":
            return [self.sample_value(schema["items"])]
        if t == "object" and isinstance(schema.get("additionalProperties"), dict):
            return {"k": self.sample_value(schema["additionalProperties"])}
        return {"free": ["form", 1]}

    def samples_file(self):
        table, samples = [], []
        for n in self.structs:
            props = self.defs[n].get("properties", {})
            sample = {p: self.sample_value(props[p]) for p in sorted(props)}
            table.append(f'        ("{n}",\n         {self.type_names[n]}.self),')
            members = [f"      {json.dumps(p)}: {json.dumps(sample[p], sort_keys=True, separators=(',', ':'))}"
                       for p in sorted(sample)]
            if members:
                samples.append(f"    {json.dumps(n)}: {{\n" + ",\n".join(members) + "\n    }")
            else:
                samples.append(f"    {json.dumps(n)}: {{}}")
        body = ",\n".join(samples)
        if '"#' in body:
            raise SystemExit("sample data would break the raw string literal")
        return "\n".join([
            "// Generated by tools/gen_api_models.py. Do not edit by hand.",
            "import APIModels",
            "",
            "/// Every generated definition, with a sample JSON object setting every one of its properties.",
            "enum AllDefinitionSamples {",
            "    static var types: [(name: String, type: any Codable.Type)] { [",
            *table,
            "    ] }",
            "",
            "    static let samples = #\"\"\"",
            "    {",
            body,
            "    }",
            "    \"\"\"#",
            "}",
            "",
        ])

    def files(self):
        by_ns = {}
        for n in self.defs:
            if n in HAND_WRITTEN and (n in MODULE_LEVEL or n in DECLARED_IN_NAMESPACE):
                continue
            ns, _ = namespace_of(n)
            by_ns.setdefault(ns, []).append(n)
        result = {}
        for ns in sorted(by_ns):
            names = sorted(by_ns[ns], key=lambda x: namespace_of(x)[1])
            lines = [
                "// Generated by tools/gen_api_models.py from kubernetes-validate 1.37.0 (Kubernetes 1.32).",
                "// Do not edit by hand.",
                "",
                f"public enum {ns} {{",
            ]
            aliases = [x for x in names if x in HAND_WRITTEN]
            for a in aliases:
                lines.append(f"    public typealias {namespace_of(a)[1]} = {HAND_WRITTEN[a]}")
            body = [self.struct_source(x) for x in names if x not in HAND_WRITTEN]
            if aliases and body:
                lines.append("")
            lines.append("\n\n".join(body))
            lines.append("}")
            result[f"{ns}.swift"] = "\n".join(lines) + "\n"
        return result


def main():
    source = sys.argv[1] if len(sys.argv) > 1 else None
    defs = load_definitions(source)
    files = Generator(defs).files()
    os.makedirs(OUT_DIR, exist_ok=True)
    for old in os.listdir(OUT_DIR):
        if old.endswith(".swift") and old not in files:
            os.remove(os.path.join(OUT_DIR, old))
    for name, text in files.items():
        with open(os.path.join(OUT_DIR, name), "w") as f:
            f.write(text)
    os.makedirs(os.path.dirname(TEST_OUT), exist_ok=True)
    with open(TEST_OUT, "w") as f:
        f.write(Generator(defs).samples_file())
    print(f"wrote {len(files)} files, {sum(t.count('public struct') for t in files.values())} structs "
          f"to {os.path.relpath(OUT_DIR, ROOT)}")


if __name__ == "__main__":
    main()
