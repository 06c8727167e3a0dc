"""A second `pulumi up` right after the first has nothing to do: two evaluations register identical inputs.

Inputs are compared as the engine diffs them, Lambda archives by their bytes (zipped the way
the engine packs them, tools/harness/render.py). The archives are built from explicit file
lists, so what else lies in a function's folder (``__pycache__`` after a test run) cannot
change them between a laptop and CI.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pulumi
import pytest

from components.lambda_code import LAMBDAS
from tools.harness.artifacts import archive_bytes, lambda_archives
from tools.harness.mock_engine import ProgramRun, is_secret, run_program


def comparable(value: Any) -> Any:
    if is_secret(value):
        return {"secret": comparable(value["value"])}
    if isinstance(value, (pulumi.Archive, pulumi.Asset)):
        return {"archive-sha256": hashlib.sha256(archive_bytes(value)).hexdigest()}
    if isinstance(value, dict):
        return {k: comparable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [comparable(v) for v in value]
    return value


def evaluation(run: ProgramRun) -> dict[str, Any]:
    return {r.urn: {"type": r.type, "parent": r.parent, "provider": r.provider, "inputs": comparable(r.inputs),
                    "dependencies": sorted(r.all_dependencies), "protect": r.protect,
                    "deleteBeforeReplace": r.delete_before_replace, "ignoreChanges": list(r.ignore_changes)}
            for r in run.registrations}


@pytest.mark.parametrize("stack", ["local", "staging", "prod"])
def test_two_evaluations_of_a_stack_register_identical_inputs(stack, request):
    first = evaluation(request.getfixturevalue(stack).run)
    second = evaluation(run_program(stack))
    assert sorted(first) == sorted(second)
    changed = [urn for urn in first if first[urn] != second[urn]]
    assert changed == []


def test_every_lambda_archive_is_reproducible_and_names_its_files(prod):
    archives = {name: archive for name, archive, _ in lambda_archives(prod)}
    assert sorted(archives) == ["cdn-edge", "worker-function"]
    for archive in archives.values():
        assert archive_bytes(archive) == archive_bytes(archive)
        assert not any(isinstance(member, pulumi.FileArchive) for member in archive.assets.values())


def test_a_stray_pycache_does_not_change_the_worker_archive(prod):
    [worker] = [archive for name, archive, _ in lambda_archives(prod) if name == "worker-function"]
    before = archive_bytes(worker)
    cache = Path(LAMBDAS / "ticket_worker" / "__pycache__")
    probe = cache / "idempotency-probe.cpython-311.pyc"
    created = not cache.exists()
    cache.mkdir(exist_ok=True)
    try:
        probe.write_bytes(b"\x00 compiled on this machine")
        assert archive_bytes(worker) == before
        # The folder as a whole would have packed it: the reason the package names its files.
        assert b"idempotency-probe" in archive_bytes(pulumi.FileArchive(str(LAMBDAS / "ticket_worker")))
    finally:
        probe.unlink(missing_ok=True)
        if created:
            cache.rmdir()


def test_archive_bytes_ignore_file_times(tmp_path):
    handler = tmp_path / "handler.py"
    handler.write_text("def handler(event, context):\n    return event\n")
    archive = pulumi.AssetArchive({"handler.py": pulumi.FileAsset(str(handler))})
    before = archive_bytes(archive)
    import os

    os.utime(handler, (1_000_000_000, 1_000_000_000))
    assert archive_bytes(archive) == before
