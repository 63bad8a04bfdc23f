"""The Kubernetes manifests parse, and every Wolaro container has probes and resource requests."""

from __future__ import annotations

from typing import Any

import yaml

from tests.deploy._tools import DEPLOY

K8S = DEPLOY / "k8s"


def documents() -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for path in sorted(K8S.glob("*.yaml")):
        docs.extend(doc for doc in yaml.safe_load_all(path.read_text()) if doc)
    return docs


def workloads() -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for doc in documents() if doc["kind"] in {"Deployment", "StatefulSet"}}


def test_every_document_is_a_named_kubernetes_object() -> None:
    docs = documents()
    assert docs
    for doc in docs:
        assert doc.get("apiVersion") and doc.get("kind") and doc["metadata"].get("name"), doc


def test_the_workloads_are_there() -> None:
    kinds = {name: doc["kind"] for name, doc in workloads().items()}
    assert kinds == {"wolaro-bot": "StatefulSet", "wolaro-api": "Deployment", "wolaro-worker": "Deployment"}


def test_containers_have_probes_requests_and_run_unprivileged() -> None:
    for name, doc in workloads().items():
        pod = doc["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        ports = set()
        for container in pod["containers"]:
            ports |= {port["name"] for port in container.get("ports", [])}
            assert container.get("livenessProbe"), name
            assert container.get("readinessProbe"), name
            requests = container["resources"]["requests"]
            assert requests.get("cpu") and requests.get("memory"), name
            assert container["resources"]["limits"].get("memory"), name
            for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
                check = container.get(probe, {})
                port = (check.get("httpGet") or check.get("tcpSocket") or {}).get("port")
                if isinstance(port, str):
                    assert port in ports, f"{name} {probe} names port {port!r}, which the container lacks"


def test_the_bot_ordinal_picks_the_shards() -> None:
    bot = workloads()["wolaro-bot"]
    container = bot["spec"]["template"]["spec"]["containers"][0]
    env = {item["name"]: item for item in container["env"]}
    assert env["POD_NAME"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name"
    per_pod = int(env["SHARDS_PER_POD"]["value"])
    config = next(
        doc for doc in documents() if doc["kind"] == "ConfigMap" and doc["metadata"]["name"] == "wolaro-config"
    )
    assert int(config["data"]["SHARD_COUNT"]) == bot["spec"]["replicas"] * per_pod
    assert bot["spec"]["serviceName"] in {doc["metadata"]["name"] for doc in documents() if doc["kind"] == "Service"}


def test_api_probes_send_an_allowed_host() -> None:
    container = workloads()["wolaro-api"]["spec"]["template"]["spec"]["containers"][0]
    config = next(doc for doc in documents() if doc["kind"] == "ConfigMap")
    allowed = config["data"]["ALLOWED_HOSTS"].split(",")
    for probe in ("readinessProbe", "startupProbe"):
        headers = {h["name"]: h["value"] for h in container[probe]["httpGet"]["httpHeaders"]}
        assert headers["Host"] in allowed
