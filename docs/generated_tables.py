"""Tables the site generates from the code, so that no page can fall out of step with it.

- As an MkDocs hook (`hooks:` in mkdocs.yml): the line `<!-- methods -->` of a page becomes
  `scoresde.samplers.method_table()`, one row per method of `scoresde.METHODS` (docs/samplers.md).
- As a griffe extension (`extensions:` of mkdocstrings in mkdocs.yml): the line `{methods}` of the docstrings of
  `scoresde.samplers` and `scoresde.sample` becomes the same table, as it does at import for `help()`; griffe reads
  the source, where the line is still a placeholder.
"""

from __future__ import annotations

from typing import Any

import griffe

import scoresde as sd

PAGE_MARKERS = {"<!-- methods -->": sd.samplers.method_table}
DOCSTRING_MARKERS = {"{methods}": sd.samplers.method_table}


def on_page_markdown(markdown: str, **kwargs: Any) -> str:
    """MkDocs hook: replace each marker line of a page by its generated table."""
    for marker, table in PAGE_MARKERS.items():
        markdown = markdown.replace(marker, table())
    return markdown


class GeneratedTables(griffe.Extension):
    """griffe extension: replace each marker of a docstring in scoresde by its generated table."""

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        """Fill the tables into the docstrings of the package once it is loaded."""
        if pkg.path != "scoresde":
            return
        for path in ("samplers", "samplers.sample"):
            docstring = pkg[path].docstring
            if docstring is not None:
                for marker, table in DOCSTRING_MARKERS.items():
                    docstring.value = docstring.value.replace(marker, table())
