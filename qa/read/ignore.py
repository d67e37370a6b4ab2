"""What to leave out of a documents folder: a ``.qaignore`` file (gitignore syntax) and exclude patterns."""

from __future__ import annotations

from collections.abc import Iterable

from pathspec import GitIgnoreSpec

IGNORE_FILE = ".qaignore"


class Exclusions:
    """Gitignore-style patterns matched against names relative to the documents folder.

    Patterns from ``.qaignore`` come first and ``--exclude`` patterns after them, so an
    exclude pattern wins over a ``!negation`` in the file. A folder that matches is not
    entered at all (as in git, a file inside it cannot be re-included).
    """

    def __init__(self, lines: Iterable[str] = (), exclude: Iterable[str] = ()) -> None:
        patterns = [line for line in (*lines, *exclude) if line.strip()]
        self.patterns = tuple(patterns)
        self._spec = GitIgnoreSpec.from_lines(patterns) if patterns else None

    def __bool__(self) -> bool:
        return self._spec is not None

    def excludes_file(self, name: str) -> bool:
        """True when the file ``name`` ("a/b.html") is left out."""
        return self._spec is not None and self._spec.match_file(name)

    def excludes_folder(self, name: str) -> bool:
        """True when the folder ``name`` ("a/_sources") and all under it is left out."""
        return self._spec is not None and self._spec.match_file(name.rstrip("/") + "/")
