"""Regenerates the checked-in client packages of the text-sentiment example.

Run ``.venv/bin/python tests/clients/regenerate.py`` after changing the
generator; ``test_checked_in.py`` fails until ``clients/`` matches again.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CLIENTS = REPO / "clients"
LIBRARY = "text_sentiment"
APP_DIR = REPO / "examples"
#: The flavours kept in ``clients/``.
CHECKED_IN = ("python", "python-betterproto", "go", "typescript", "java", "rust")
#: Build outputs a user's toolchain leaves in a package; never compared.
IGNORED_PARTS = frozenset(
    {"node_modules", "dist", "target", "build", "__pycache__", ".venv"}
)


def render(out: Path, flavours: tuple[str, ...] = CHECKED_IN) -> Path:
    """The packages generated from a copy of the committed lock, under ``out/clients``."""
    from modelwire.generator import generate

    lock = out / "modelwire.lock.json"
    out.mkdir(parents=True, exist_ok=True)
    shutil.copy(APP_DIR / LIBRARY / "modelwire.lock.json", lock)
    generate(LIBRARY, out / "api", app_dir=APP_DIR, lock_path=lock, clients=flavours)
    return out / "api" / "clients"


def package_files(folder: Path) -> dict[str, bytes]:
    """Relative path -> content of a package's files, build outputs left out."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not _ignored(p.relative_to(folder).parts)
    }


def _ignored(parts: tuple[str, ...]) -> bool:
    return any(p in IGNORED_PARTS or p.endswith(".egg-info") for p in parts)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        fresh = render(Path(tmp))
        for flavour in CHECKED_IN:
            target = CLIENTS / flavour
            for relative in set(package_files(target)) if target.exists() else ():
                (target / relative).unlink()
            shutil.copytree(fresh / flavour, target, dirs_exist_ok=True)
            sys.stdout.write(f"updated {target}\n")


if __name__ == "__main__":
    main()
