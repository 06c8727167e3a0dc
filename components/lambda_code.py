"""Lambda deployment packages built from explicit file lists, never from a whole folder.

A ``FileArchive`` of ``lambdas/<function>/`` packs whatever lies there: ``__pycache__`` after a
test run, an editor's swap file, a local ``.env``. Its hash then depends on the machine that
runs ``pulumi up``, and a laptop and CI deploy would replace the code back and forth. Naming
each file keeps the archive (and so the function's code hash) a pure function of the
repository's content.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pulumi

LAMBDAS = Path(__file__).resolve().parents[1] / "lambdas"


def code_archive(function: str, files: Sequence[str],
                 generated: Mapping[str, pulumi.Asset] | None = None) -> pulumi.AssetArchive:
    """``lambdas/<function>/<file>`` for each named file, plus generated members (e.g. config.json)."""
    folder = LAMBDAS / function
    members: dict[str, pulumi.Asset] = {}
    for name in files:
        path = folder / name
        if not path.is_file():
            raise FileNotFoundError(f"Lambda {function}: {path} is listed in its package but does not exist")
        members[name] = pulumi.FileAsset(str(path))
    for name, asset in (generated or {}).items():
        if name in members:
            raise ValueError(f"Lambda {function}: generated member {name} would replace a source file")
        members[name] = asset
    return pulumi.AssetArchive(members)
