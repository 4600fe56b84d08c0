"""Comparison helpers for the built-in-kinds acceptance suite (issue 3).

* ``assert_subset(applied, returned)``: every field of an applied manifest must come back, with
  Kubernetes' normalisation rules (quantities may come back canonicalised, int-or-string values keep
  their type, lists are compared element by element, ``null`` in a manifest means "not set").
* ``get_path(obj, "spec.ports[0].port")`` / ``get_path(obj, ["metadata", "labels", "a.b/c"])``.
* ``parse_quantity("500m") -> Decimal``.
* ``ABSENT``: sentinel for "this field must not be present".
"""

from __future__ import annotations

import ipaddress
import re
from decimal import Decimal, InvalidOperation

ABSENT = object()
MISSING = object()

_SUFFIX = {
    "n": Decimal("1e-9"), "u": Decimal("1e-6"), "m": Decimal("1e-3"), "": Decimal(1),
    "k": Decimal(10) ** 3, "M": Decimal(10) ** 6, "G": Decimal(10) ** 9, "T": Decimal(10) ** 12,
    "P": Decimal(10) ** 15, "E": Decimal(10) ** 18,
    "Ki": Decimal(2) ** 10, "Mi": Decimal(2) ** 20, "Gi": Decimal(2) ** 30, "Ti": Decimal(2) ** 40,
    "Pi": Decimal(2) ** 50, "Ei": Decimal(2) ** 60,
}
_QUANTITY = re.compile(r"^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E))?$")

# Maps whose values are resource.Quantity (ResourceList and friends) ...
QUANTITY_MAPS = {"requests", "limits", "capacity", "hard", "used", "default", "defaultRequest", "max", "min",
                 "maxLimitRequestRatio", "allocatable", "overhead"}
# ... and single Quantity fields.
QUANTITY_FIELDS = {"divisor", "sizeLimit", "averageValue", "storage"}
# Lists to which Kubernetes admission or controllers may append entries (DefaultTolerationSeconds,
# ServiceAccount admission, the node lifecycle controller).
APPENDABLE_LISTS = {"tolerations", "volumes", "volumeMounts", "imagePullSecrets", "finalizers", "taints"}


def parse_quantity(v) -> Decimal | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return Decimal(str(v))
    if not isinstance(v, str):
        return None
    m = _QUANTITY.match(v.strip())
    if not m:
        return None
    try:
        num = Decimal(m.group(1))
    except InvalidOperation:
        return None
    if m.group(2):
        return num * (Decimal(10) ** int(m.group(2)[1:]))
    return num * _SUFFIX[m.group(3) or ""]


def _is_quantity_context(parts: list[str]) -> bool:
    if not parts:
        return False
    last = parts[-1]
    parent = parts[-2] if len(parts) > 1 else ""
    if last in QUANTITY_FIELDS:
        return True
    if parent in QUANTITY_MAPS:
        return True
    # autoscaling/v2 MetricTarget.value
    return last == "value" and parent == "target"


def _fmt(parts: list[str]) -> str:
    out = ""
    for p in parts:
        if p.startswith("["):
            out += p
        else:
            out += ("." if out else "") + p
    return out or "<root>"


def subset_errors(applied, returned, parts: list[str] | None = None) -> list[str]:
    """Every way in which `applied` is not contained in `returned` (empty list = contained)."""
    parts = parts or []
    errs: list[str] = []
    if applied is None:
        return errs  # a null in a manifest means "unset"
    if isinstance(applied, dict):
        if not isinstance(returned, dict):
            return [f"{_fmt(parts)}: applied an object, got {returned!r}"]
        for k, v in applied.items():
            if v is None:
                continue
            if k not in returned:
                errs.append(f"{_fmt(parts + [k])}: missing (applied {v!r})")
                continue
            errs += subset_errors(v, returned[k], parts + [k])
        return errs
    if isinstance(applied, list):
        if not isinstance(returned, list):
            return [f"{_fmt(parts)}: applied a list, got {returned!r}"]
        name = parts[-1] if parts else ""
        if len(returned) < len(applied) or (len(returned) != len(applied) and name not in APPENDABLE_LISTS):
            return [f"{_fmt(parts)}: applied {len(applied)} items, got {len(returned)}: {returned!r}"]
        for i, (a, r) in enumerate(zip(applied, returned)):
            errs += subset_errors(a, r, parts + [f"[{i}]"])
        return errs
    # scalars
    if isinstance(applied, bool) or isinstance(returned, bool):
        if type(applied) is not type(returned) or applied != returned:
            errs.append(f"{_fmt(parts)}: applied {applied!r}, got {returned!r}")
        return errs
    if type(applied) is type(returned) and applied == returned:
        return errs
    if isinstance(applied, int) and isinstance(returned, int) and applied == returned:
        return errs
    if _is_quantity_context(parts) and isinstance(returned, str):
        qa, qr = parse_quantity(applied), parse_quantity(returned)
        if qa is not None and qr is not None and qa == qr:
            return errs
    errs.append(f"{_fmt(parts)}: applied {applied!r} ({type(applied).__name__}), "
                f"got {returned!r} ({type(returned).__name__})")
    return errs


def assert_subset(applied, returned, what: str = "object"):
    errs = subset_errors(applied, returned)
    assert not errs, f"{what}: {len(errs)} applied field(s) not returned as applied:\n  " + "\n  ".join(errs[:40])


_TOKEN = re.compile(r"\[(\d+)\]|\[\"([^\"]+)\"\]|([^.\[\]]+)")


def split_path(path) -> list:
    if isinstance(path, (list, tuple)):
        return list(path)
    out: list = []
    for idx, quoted, key in _TOKEN.findall(path):
        if idx:
            out.append(int(idx))
        elif quoted:
            out.append(quoted)
        else:
            out.append(key)
    return out


def get_path(obj, path):
    """Value at `path` or MISSING. `path`: 'a.b[0].c', 'a["x.y/z"]' or a list of keys/indices."""
    cur = obj
    for p in split_path(path):
        if isinstance(p, int):
            if not isinstance(cur, list) or p >= len(cur):
                return MISSING
            cur = cur[p]
        else:
            if not isinstance(cur, dict) or p not in cur:
                return MISSING
            cur = cur[p]
    return cur


def in_cidr(cidr: str):
    net = ipaddress.ip_network(cidr)

    def check(v):
        try:
            return isinstance(v, str) and ipaddress.ip_address(v) in net
        except ValueError:
            return False

    check.__name__ = f"in {cidr}"
    return check


def in_range(lo: int, hi: int):
    def check(v):
        return isinstance(v, int) and not isinstance(v, bool) and lo <= v <= hi

    check.__name__ = f"int in [{lo}, {hi}]"
    return check


def quantities_equal(expected: dict):
    """Predicate: a ResourceList equal to `expected` (quantities compared by value)."""

    def check(v):
        if not isinstance(v, dict) or set(v) != set(expected):
            return False
        return all(parse_quantity(v[k]) == parse_quantity(expected[k]) for k in expected)

    check.__name__ = f"quantities == {expected}"
    return check


def check_expectation(obj, path, expected) -> str | None:
    """None if obj at path meets `expected` (value, ABSENT, or predicate(value[, obj])), else a message."""
    got = get_path(obj, path)
    if expected is ABSENT:
        return None if got is MISSING else f"{path}: expected absent, got {got!r}"
    if got is MISSING:
        return f"{path}: missing (expected {getattr(expected, '__name__', expected)!r})"
    if callable(expected):
        try:
            ok = expected(got, obj) if getattr(expected, "wants_object", False) else expected(got)
        except Exception as e:  # noqa: BLE001 - report, do not crash the comparison
            ok = False
            got = f"{got!r} ({e!r})"
        return None if ok else f"{path}: {got!r} does not satisfy {getattr(expected, '__name__', expected)}"
    if isinstance(expected, bool) or isinstance(got, bool):
        same = type(expected) is type(got) and expected == got
    else:
        same = expected == got and (type(expected) is type(got) or
                                    (isinstance(expected, (int, float)) and isinstance(got, (int, float))))
    return None if same else f"{path}: expected {expected!r}, got {got!r}"


def equals_field(path):
    """Predicate (given the whole object): the value equals the object's value at `path`."""

    def check(v, obj):
        return v == get_path(obj, path)

    check.wants_object = True
    check.__name__ = f"== .{'.'.join(map(str, split_path(path)))}"
    return check
