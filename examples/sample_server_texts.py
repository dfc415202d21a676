"""Read the sample server's hand-written texts from ``examples/sample_server/``.

The files are UTF-8 plain text; each one explains its format in its header comment:

- ``accounts.txt``: one account a line, ``handle|display name|account created|joined the server|roles``,
  grouped under ``[kind]`` section lines
- ``posts.txt``: the long forum posts, each under a ``=== NAME`` line
- ``scenes.txt`` and ``scenes_more.txt``: the conversation, one scene under each ``## <channel> <start>`` line

In every text, ``\\uXXXX`` (a backslash, ``u`` and four hex digits) is decoded to that character, so invisible
and look-alike characters (zero-width spaces, Cyrillic letters) can be written visibly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

TEXTS_DIR = Path(__file__).resolve().parent / "sample_server"
SCENE_FILES = ("scenes.txt", "scenes_more.txt")
ACCOUNT_KINDS = ("regular", "astro", "sock", "newcomer", "lurker", "bot")
_ESCAPE_RE = re.compile(r"\\u([0-9a-fA-F]{4})")


@dataclass(frozen=True)
class Account:
    """One line of ``accounts.txt``: times are the written text, before the seeded clock time is added."""

    kind: str
    handle: str
    display: str
    created: str
    joined: str
    roles: tuple[str, ...]


@dataclass(frozen=True)
class Texts:
    """All the hand-written material of the sample server."""

    accounts: list[Account]
    posts: dict[str, str]
    scenes: list[str]


def decode(text: str) -> str:
    """Replace ``\\uXXXX`` escapes with the characters they name."""
    return _ESCAPE_RE.sub(lambda m: chr(int(m.group(1), 16)), text)


def _read(path: Path) -> list[str]:
    """Return the lines of a UTF-8 text file without their line endings."""
    return path.read_text(encoding="utf-8").split("\n")


def read_accounts(path: Path) -> list[Account]:
    """Parse ``accounts.txt`` in file order."""
    accounts: list[Account] = []
    kind = ""
    for n, line in enumerate(_read(path), 1):
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith("["):
            kind = line.strip("[] ")
            if kind not in ACCOUNT_KINDS:
                raise ValueError(f"{path.name}:{n}: unknown account kind {kind!r}")
            continue
        fields = [decode(f) for f in line.split("|")]
        if not kind or len(fields) != 5:
            raise ValueError(f"{path.name}:{n}: expected a [kind] line before and 5 fields, got {line!r}")
        handle, display, created, joined, roles = fields
        accounts.append(Account(kind, handle, display, created, joined, tuple(r for r in roles.split(",") if r)))
    return accounts


def read_posts(path: Path) -> dict[str, str]:
    """Parse ``posts.txt`` into ``{name: text}``."""
    posts: dict[str, list[str]] = {}
    current: list[str] | None = None
    for n, line in enumerate(_read(path), 1):
        if line.startswith("=== "):
            current = posts.setdefault(line[4:].strip(), [])
            if current:
                raise ValueError(f"{path.name}:{n}: post {line[4:]!r} defined twice")
        elif current is not None:
            current.append(line)
        elif line.strip() and not line.startswith("#"):
            raise ValueError(f"{path.name}:{n}: text before the first '=== NAME' line")
    return {name: decode("\n".join(lines).strip("\n")) for name, lines in posts.items()}


def read_scenes(path: Path) -> list[str]:
    """Parse a scenes file into one string per scene: the ``##`` line and its lines, comments and blanks dropped."""
    scenes: list[list[str]] = []
    for n, line in enumerate(_read(path), 1):
        if not line.strip() or line == "#" or line.startswith("# "):
            continue
        if line.startswith("## "):
            scenes.append([line])
        elif scenes:
            scenes[-1].append(decode(line))
        else:
            raise ValueError(f"{path.name}:{n}: scene line before the first '## <channel> <start>' line")
    return ["\n".join(lines) + "\n" for lines in scenes]


def load_texts(folder: Path = TEXTS_DIR) -> Texts:
    """Read every text file of the sample server."""
    scenes = [scene for name in SCENE_FILES for scene in read_scenes(folder / name)]
    return Texts(read_accounts(folder / "accounts.txt"), read_posts(folder / "posts.txt"), scenes)
