#!/usr/bin/env python3
"""One entry point for the code generated from the Kubernetes v1.32 API schema.

Usage:
    tools/gen_api.py [path/to/kubernetes_validate-1.37.0-py3-none-any.whl]

Without a path it downloads the wheel once (`pip download --no-deps kubernetes-validate==1.37.0`) and
hands it to both generators, so the schema metadata and the typed models always come from the same
definitions:
    tools/gen_api_schema.py  -> Sources/APITypes/Generated/OpenAPISchemaData.swift (run-time schema:
                                unknown fields, list types and merge keys, the /openapi documents)
    tools/gen_api_models.py  -> Sources/APIModels/Generated/*.swift and the all-definitions samples test
"""

import glob
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SPEC = "kubernetes-validate==1.37.0"


def main():
    with tempfile.TemporaryDirectory() as tmp:
        if len(sys.argv) > 1:
            wheel = sys.argv[1]
        else:
            subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "-d", tmp, SPEC],
                           check=True)
            wheels = glob.glob(os.path.join(tmp, "*.whl"))
            if not wheels:
                raise SystemExit("pip download produced no wheel")
            wheel = wheels[0]
        for tool in ("gen_api_schema.py", "gen_api_models.py"):
            subprocess.run([sys.executable, os.path.join(HERE, tool), wheel], check=True)


if __name__ == "__main__":
    main()
