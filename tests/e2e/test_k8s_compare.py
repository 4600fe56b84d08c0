"""Self-tests of the comparison helpers used by the issue-3 acceptance suite (no server needed): the
comparisons must be able to fail, and must accept exactly Kubernetes' normalisations."""

from decimal import Decimal

from k8s_compare import (ABSENT, MISSING, check_expectation, get_path, in_cidr, in_range, parse_quantity,
                         quantities_equal, subset_errors)


def test_quantities():
    assert parse_quantity("500m") == Decimal("0.5")
    assert parse_quantity("1Gi") == Decimal(2) ** 30
    assert parse_quantity("1k") == Decimal(1000)
    assert parse_quantity("1e3") == Decimal(1000)
    assert parse_quantity(2) == Decimal(2)
    assert parse_quantity("abc") is None and parse_quantity(True) is None


def test_subset_accepts_kubernetes_normalisation():
    applied = {"resources": {"limits": {"cpu": 1, "memory": "0.5Gi"}, "requests": {"cpu": "0.1"}},
               "divisor": "1000m", "name": "x", "optional": None}
    returned = {"resources": {"limits": {"cpu": "1", "memory": "512Mi"}, "requests": {"cpu": "100m"}},
                "divisor": "1", "name": "x", "extra": "defaulted"}
    assert subset_errors(applied, returned) == []
    # admission may append to these lists
    assert subset_errors({"tolerations": [{"key": "a"}]}, {"tolerations": [{"key": "a"}, {"key": "b"}]}) == []


def test_subset_rejects_real_differences():
    assert subset_errors({"port": 8080}, {"port": "8080"})            # int-or-string keeps its type
    assert subset_errors({"targetPort": "http"}, {"targetPort": 80})
    assert subset_errors({"a": True}, {"a": 1})                       # bool is not int
    assert subset_errors({"a": 1}, {})                                # dropped field
    assert subset_errors({"args": ["a", "b"]}, {"args": ["a"]})       # shorter list
    assert subset_errors({"args": ["a"]}, {"args": ["a", "b"]})       # longer non-appendable list
    assert subset_errors({"value": "1k"}, {"value": "1000"})          # not a quantity context: exact
    assert subset_errors({"limits": {"cpu": "1"}}, {"limits": {"cpu": "2"}})
    assert subset_errors({"a": {"b": 1}}, {"a": [1]})


def test_paths_and_expectations():
    obj = {"metadata": {"labels": {"kubernetes.io/name": "x"}, "uid": "u"},
           "spec": {"ports": [{"port": 80}], "clusterIP": "10.43.0.10"}}
    assert get_path(obj, "spec.ports[0].port") == 80
    assert get_path(obj, '["metadata"]["labels"]["kubernetes.io/name"]') == "x"
    assert get_path(obj, "spec.ports[1]") is MISSING
    assert check_expectation(obj, "spec.ports[0].port", 80) is None
    assert check_expectation(obj, "spec.ports[0].port", "80") is not None
    assert check_expectation(obj, "spec.type", ABSENT) is None
    assert check_expectation(obj, "spec.clusterIP", ABSENT) is not None
    assert check_expectation(obj, "spec.clusterIP", in_cidr("10.43.0.0/16")) is None
    assert check_expectation(obj, "spec.clusterIP", in_cidr("10.96.0.0/12")) is not None
    assert in_range(30000, 32767)(30080) and not in_range(30000, 32767)(80)
    assert quantities_equal({"cpu": "1"})({"cpu": "1000m"})
    assert not quantities_equal({"cpu": "1"})({"cpu": "1", "memory": "1Gi"})
