#!/usr/bin/env python3
"""Generates Sources/APITypes/Generated/OpenAPISchemaData.swift from the Kubernetes v1.32 OpenAPI
definitions shipped by the PyPI package `kubernetes-validate` (Apache-2.0).

Usage:
    tools/gen_api_schema.py                      # downloads kubernetes-validate==1.37.0 with pip
    tools/gen_api_schema.py path/to/kubernetes_validate-1.37.0-py3-none-any.whl
    tools/gen_api_schema.py path/to/_definitions.json

The source is kubernetes_validate/kubernetes-json-schema/v1.32.0-local/_definitions.json: a JSON object
whose `$defs` holds every definition (`#/$defs/<name>` references). The output is one raw string literal
in a compact, tab-separated line format (fast to compile, parsed once on first use at run time). The
output is deterministic: definitions and properties sorted by name; no description text.

    D <name> [attr...]             a definition; attrs below
    P <property> <node> [attr...]  a property of the definition above

A <node> is a type expression:
    @<name>            reference to a definition
    s i n b o          string, integer, number, boolean, free-form object; `:<format>` may follow (i:int32)
    [<node>]           array of <node>              {<node>}  object whose values are <node>
    *                  any value (a schema without a type)
Attributes are `key=value`:
    t=<type> f=<format>          type and format of a definition (type is omitted for plain objects)
    one=<type>,<type>            oneOf of scalar types (IntOrString, Quantity)
    any=1                        a definition without type, properties or oneOf: any value (apiextensions JSON)
    req=a,b                      required properties, in source order
    gvk=<group>/<version>/<Kind>,...   x-kubernetes-group-version-kind
    lt=<list-type> mk=a,b        x-kubernetes-list-type, x-kubernetes-list-map-keys (in order)
    ps=merge,retainKeys pk=<key> x-kubernetes-patch-strategy, x-kubernetes-patch-merge-key
    mt=<map-type>                x-kubernetes-map-type
    en=<json array>              enum values
    pu=1 ios=1 er=1              x-kubernetes-preserve-unknown-fields / int-or-string / embedded-resource
    un=<json array>              x-kubernetes-unions

Normalisations (the JSON-schema conversion in the package adds them; Kubernetes' own OpenAPI does not
have them): "null" is dropped from type lists, and the single-value enums on `apiVersion` and `kind` are
dropped.
"""
import json
import os
import subprocess
import sys
import tempfile
import zipfile

VERSION = "1.37.0"
MEMBER = "kubernetes_validate/kubernetes-json-schema/v1.32.0-local/_definitions.json"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Sources", "APITypes", "Generated", "OpenAPISchemaData.swift")
PREFIX = "#/$defs/"
SCALARS = {"string": "s", "integer": "i", "number": "n", "boolean": "b", "object": "o"}


def load(path):
    if path is None:
        tmp = tempfile.mkdtemp(prefix="kv-")
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                        f"kubernetes-validate=={VERSION}", "-d", tmp], check=True)
        path = os.path.join(tmp, f"kubernetes_validate-{VERSION}-py3-none-any.whl")
    if path.endswith(".whl"):
        with zipfile.ZipFile(path) as z:
            return json.loads(z.read(MEMBER))
    with open(path) as f:
        return json.load(f)


def scalar_type(schema):
    """The type of a schema without "null", or None."""
    t = schema.get("type")
    if isinstance(t, list):
        t = [x for x in t if x != "null"]
        if len(t) != 1:
            raise SystemExit(f"unsupported type list {schema.get('type')}")
        t = t[0]
    return t


def node(schema):
    """The type expression of a property, items or additionalProperties schema."""
    if "$ref" in schema:
        ref = schema["$ref"]
        assert ref.startswith(PREFIX), ref
        return "@" + ref[len(PREFIX):]
    t = scalar_type(schema)
    if t is None:
        return "*"
    if t == "array":
        return "[" + node(schema.get("items") or {}) + "]"
    if t == "object" and isinstance(schema.get("additionalProperties"), dict):
        return "{" + node(schema["additionalProperties"]) + "}"
    out = SCALARS[t]
    if "format" in schema:
        out += ":" + schema["format"]
    return out


def check(value):
    s = str(value)
    if "\t" in s or "\n" in s or '"""#' in s:
        raise SystemExit(f"value needs escaping: {s!r}")
    return s


def compact_json(value):
    return check(json.dumps(value, separators=(",", ":"), sort_keys=True))


def attrs(schema, prop_name=None):
    out = []
    ext = {
        "x-kubernetes-list-type": "lt", "x-kubernetes-patch-merge-key": "pk", "x-kubernetes-map-type": "mt",
    }
    if "enum" in schema and prop_name not in ("apiVersion", "kind"):
        out.append("en=" + compact_json(schema["enum"]))
    for key, short in ext.items():
        if key in schema:
            out.append(f"{short}={check(schema[key])}")
    if "x-kubernetes-list-map-keys" in schema:
        out.append("mk=" + ",".join(check(k) for k in schema["x-kubernetes-list-map-keys"]))
    if "x-kubernetes-patch-strategy" in schema:
        out.append("ps=" + check(schema["x-kubernetes-patch-strategy"]))
    for key, short in (("x-kubernetes-preserve-unknown-fields", "pu"), ("x-kubernetes-int-or-string", "ios"),
                       ("x-kubernetes-embedded-resource", "er")):
        if schema.get(key) is True:
            out.append(f"{short}=1")
    if "x-kubernetes-unions" in schema:
        out.append("un=" + compact_json(schema["x-kubernetes-unions"]))
    return out


def definition_lines(name, schema):
    head = ["D", check(name)]
    t = scalar_type(schema)
    if t is not None and t != "object":
        head.append(f"t={t}")
    if "format" in schema:
        head.append("f=" + check(schema["format"]))
    if "oneOf" in schema:
        types = [scalar_type(s) for s in schema["oneOf"]]
        head.append("one=" + ",".join(types))
    if schema.get("required"):
        head.append("req=" + ",".join(check(r) for r in schema["required"]))
    if "x-kubernetes-group-version-kind" in schema:
        gvks = [f"{g['group']}/{g['version']}/{g['kind']}" for g in schema["x-kubernetes-group-version-kind"]]
        head.append("gvk=" + ",".join(check(g) for g in gvks))
    if t is None and "oneOf" not in schema and "properties" not in schema:
        head.append("any=1")
    head += attrs(schema)
    lines = ["\t".join(head)]
    for prop in sorted(schema.get("properties") or {}):
        p = schema["properties"][prop]
        lines.append("\t".join(["P", check(prop), node(p)] + attrs(p, prop)))
    return lines


def main():
    data = load(sys.argv[1] if len(sys.argv) > 1 else None)
    defs = data["$defs"]
    lines = []
    for name in sorted(defs):
        lines += definition_lines(name, defs[name])
    with open(OUT, "w") as f:
        f.write(f"// GENERATED by tools/gen_api_schema.py from kubernetes-validate {VERSION} (Apache-2.0),\n")
        f.write("// kubernetes-json-schema/v1.32.0-local/_definitions.json. Do not edit.\n\n")
        f.write(f"/// The Kubernetes v1.32 OpenAPI definitions ({len(defs)}) without descriptions, in the\n")
        f.write("/// generator's compact line format; parsed once, on first use, by `OpenAPISchema`.\n")
        f.write("enum OpenAPISchemaData {\n")
        f.write('    static let text: String = #"""\n')
        f.write("\n".join(lines))
        f.write('\n"""#\n}\n')
    print(f"wrote {OUT}: {len(defs)} definitions, {len(lines)} lines")


if __name__ == "__main__":
    main()
