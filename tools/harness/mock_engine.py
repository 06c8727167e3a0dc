"""Run the real Pulumi program on Pulumi's mock engine and record every registration.

Used by the tests (tests/conftest.py) and by the offline render (tools/harness/render.py), so what
a reviewer reads in ``build/<stack>/`` is exactly what the tests assert on.

Why a custom monitor: ``Mocks.new_resource`` never sees a resource's parent, its provider
reference or a component's outputs, and the stack's exports are dropped by the stock
monitor. ``RecordingMonitor`` keeps all of them.

The program runs in update mode (``preview=False``): in preview, unknown outputs make
``.apply`` callbacks skip silently, which would hide exactly the bugs we look for.
"""

from __future__ import annotations

import gc
import json
import logging
import runpy
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pulumi.runtime import mocks, rpc, settings
from pulumi.runtime import stack as runtime_stack
from pulumi.runtime.proto import engine_pb2
from pulumi.runtime.sync_await import _sync_await

from tools.harness.fake_cloud import SECRET_SIG, SECRET_SIG_KEY, FakeCloud

ROOT = Path(__file__).resolve().parents[2]
PROJECT = "tiketi"
# What a `secure:` value becomes offline (no secrets provider): recognisable, and still secret.
OFFLINE_SECRET_PREFIX = "offline-placeholder-for-"  # noqa: S105 - a marker, not a secret


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SECRET_SIG_KEY) == SECRET_SIG


def wrap_secret(value: Any) -> dict:
    return {SECRET_SIG_KEY: SECRET_SIG, "value": value}


@dataclass(frozen=True)
class Registration:
    """One resource the program registered: what `pulumi preview` would show for it."""

    urn: str
    type: str
    name: str
    parent: str | None
    provider: str | None
    custom: bool
    inputs: dict[str, Any]
    outputs: dict[str, Any] = field(default_factory=dict)
    id: str | None = None
    ignore_changes: tuple[str, ...] = ()
    retain_on_delete: bool = False
    dependencies: dict[str, tuple[str, ...]] = field(default_factory=dict)  # property -> URNs it depends on
    # Every URN the engine is told this resource depends on: explicit depends_on (a component
    # expanded to its custom descendants) plus every property dependency.
    all_dependencies: tuple[str, ...] = ()
    protect: bool = False
    delete_before_replace: bool = False
    aliases: tuple[dict[str, Any], ...] = ()  # alias specs: name, type, parentUrn, noParent

    @property
    def is_provider(self) -> bool:
        return self.type.startswith("pulumi:providers:")


class RecordingMonitor(mocks.MockMonitor):
    """A MockMonitor that also keeps parent, provider, component outputs and stack exports."""

    def __init__(self, cloud: FakeCloud, progress: Callable[[int], None] | None = None):
        super().__init__(cloud)
        self.registrations: list[Registration] = []
        self.resource_outputs: dict[str, dict[str, Any]] = {}
        self.stack_urn: str | None = None
        self.progress = progress

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        """The URN the engine gives (``Deployment.generateURN``): the parent's whole qualified type,
        except the root stack's. The stock mock keeps only the parent's last type and prefixes
        ``pulumi:pulumi:Stack$`` to top-level resources, so its URNs are not the ones in state."""
        parent_type = parent.split("::")[2] if parent else ""
        qualified = type_ if parent_type in ("", "pulumi:pulumi:Stack") else f"{parent_type}${type_}"
        return "urn:pulumi:" + "::".join([pulumi.get_stack(), pulumi.get_project(), qualified, name])

    def RegisterResource(self, request):  # noqa: N802 - gRPC method name
        response = super().RegisterResource(request)
        if request.type == "pulumi:pulumi:Stack":
            self.stack_urn = response.urn
            return response
        inputs = rpc.deserialize_properties(request.object)
        state = self.resources[response.urn].state if request.custom else {}
        parent = request.parent or None
        self.registrations.append(
            Registration(
                urn=response.urn,
                type=request.type,
                name=request.name,
                parent=None if parent == self.stack_urn else parent,
                provider=request.provider or None,
                custom=bool(request.custom),
                inputs=inputs,
                outputs=state,
                id=response.id or None,
                ignore_changes=tuple(request.ignoreChanges),
                retain_on_delete=bool(request.retainOnDelete),
                dependencies={key: tuple(deps.urns) for key, deps in request.propertyDependencies.items()},
                all_dependencies=tuple(sorted(request.dependencies)),
                protect=bool(request.protect),
                delete_before_replace=bool(request.deleteBeforeReplace),
                aliases=tuple(_alias_spec(alias) for alias in request.aliases),
            )
        )
        if self.progress is not None:
            self.progress(len(self.registrations))
        return response

    def RegisterResourceOutputs(self, request):  # noqa: N802 - gRPC method name
        self.resource_outputs[request.urn] = rpc.deserialize_properties(request.outputs)
        return super().RegisterResourceOutputs(request)


def _alias_spec(alias: Any) -> dict[str, Any]:
    if alias.HasField("urn"):
        return {"urn": alias.urn}
    spec = alias.spec
    return {"name": spec.name, "type": spec.type, "parentUrn": spec.parentUrn, "noParent": spec.noParent}


class QuietEngine(mocks.MockEngine):
    """Drops the SDK's per-resource debug chatter (about 4 lines a resource); keeps the program's own logs."""

    def __init__(self):
        super().__init__(logging.getLogger("tiketi.mock_engine"))

    def Log(self, request):  # noqa: N802 - gRPC method name
        if request.severity != engine_pb2.DEBUG:
            super().Log(request)


class ProgramError(Exception):
    """The program failed on the mock engine; the message is what `pulumi up` would print.

    ``registrations`` says what had been registered before the failure (config errors
    must leave it empty).
    """

    def __init__(self, message: str, registrations: list[Registration] | None = None):
        super().__init__(message)
        self.registrations = registrations or []


@dataclass(frozen=True)
class ProgramRun:
    stack: str
    config: dict[str, str]
    secret_config_keys: frozenset[str]
    registrations: list[Registration]
    resource_outputs: dict[str, dict[str, Any]]
    stack_outputs: dict[str, Any]
    invokes: tuple[dict[str, Any], ...] = ()  # what the program asked the fake cloud: token, args, result


def load_stack_config_file(stack: str, root: Path = ROOT) -> tuple[dict[str, str], set[str]]:
    """Flatten Pulumi.<stack>.yaml the way the Pulumi CLI hands config to a program.

    Objects and lists become JSON strings, scalars strings. A ``secure:`` value (a map whose
    only key is ``secure``, holding a string) is ciphertext only the stack's secrets provider
    can decrypt: offline it becomes a recognisable placeholder. As in the CLI
    (sdk/go/common/resource/config/value.go: ``hasSecureValue`` marks an object secure when a
    secure value sits anywhere inside it, in maps or lists), one secure value at any depth
    marks its whole top-level key secret, and the program receives the object with the
    value decrypted in place.
    """
    path = root / f"Pulumi.{stack}.yaml"
    if not path.exists():
        raise ProgramError(f"no stack file {path.name}; stacks are: {', '.join(available_stacks(root))}")
    document = yaml.safe_load(path.read_text()) or {}
    config: dict[str, str] = {}
    secret_keys: set[str] = set()
    for key, value in (document.get("config") or {}).items():
        value, secure = _decrypt_offline(value, key)
        if secure:
            secret_keys.add(key)
        config[key] = value if isinstance(value, str) else json.dumps(value)
    return config, secret_keys


def _decrypt_offline(value: Any, path: str) -> tuple[Any, bool]:
    """``value`` with every secure value replaced by a placeholder, and whether there was one."""
    if isinstance(value, dict):
        if len(value) == 1 and isinstance(value.get("secure"), str):
            return f"{OFFLINE_SECRET_PREFIX}{path}", True
        items = {k: _decrypt_offline(v, f"{path}.{k}") for k, v in value.items()}
        return {k: v for k, (v, _) in items.items()}, any(secure for _, secure in items.values())
    if isinstance(value, list):
        items = [_decrypt_offline(v, f"{path}[{i}]") for i, v in enumerate(value)]
        return [v for v, _ in items], any(secure for _, secure in items)
    return value, False


def available_stacks(root: Path = ROOT) -> list[str]:
    return sorted(p.name.split(".")[1] for p in root.glob("Pulumi.*.yaml"))


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Raise the garbage collector's thresholds while the program runs.

    A run allocates a few hundred thousand short-lived objects (Outputs, futures, property
    maps) on top of a heap holding every provider type the program imported; with the default
    thresholds Python makes about nine full collections per prod run, each walking that whole
    heap: about 40% of the run's CPU time. Fewer, larger young-generation collections free the
    same garbage (the cycles are collected at the end of the run at the latest).
    """
    previous = gc.get_threshold()
    gc.set_threshold(50_000, 20, 100)
    try:
        yield
    finally:
        gc.set_threshold(*previous)


def run_program(
    stack: str,
    config_overrides: Mapping[str, str] | None = None,
    program: Path = ROOT / "__main__.py",
    progress: Callable[[int], None] | None = None,
) -> ProgramRun:
    """Evaluate ``__main__.py`` for ``stack`` on the mock engine and return what it registered.

    ``progress`` is called with the number of registrations so far after each one (the render's
    terminal progress line).
    """
    config, secret_keys = load_stack_config_file(stack)
    config.update(config_overrides or {})
    cloud = FakeCloud(stack=stack, region=config.get("aws:region", "ap-northeast-2"))
    monitor = RecordingMonitor(cloud, progress)

    # A fresh root, config and settings per run: exports and the root stack otherwise leak
    # from one run into the next (DESIGN.md section 5).
    pulumi.runtime.reset_options(project=PROJECT, stack=stack, preview=False)
    pulumi.runtime.set_all_config(config, sorted(secret_keys))
    settings.configure(
        mocks.MockSettings(
            monitor=monitor,
            monitor_features=set(monitor.GetDeploymentInfo(None).supportedFeatures),
            engine=QuietEngine(),
            project=PROJECT,
            stack=stack,
            dry_run=False,
            organization="organization",
            callbacks=None,
            root_directory=str(ROOT),
        )
    )
    try:
        with _fewer_collections():
            _sync_await(runtime_stack.run_in_stack(lambda: runpy.run_path(str(program), run_name="__main__")))
    except pulumi.RunError as error:
        raise ProgramError(str(error), monitor.registrations) from None
    except Exception as error:
        raise ProgramError(f"{type(error).__name__}: {error}", monitor.registrations) from error
    finally:
        pulumi.runtime.set_all_config({}, [])
        pulumi.runtime.reset_options()

    return ProgramRun(
        stack=stack,
        config=config,
        secret_config_keys=frozenset(secret_keys),
        registrations=list(monitor.registrations),
        resource_outputs=dict(monitor.resource_outputs),
        stack_outputs=monitor.resource_outputs.get(monitor.stack_urn or "", {}),
        invokes=tuple(cloud.invokes),
    )

