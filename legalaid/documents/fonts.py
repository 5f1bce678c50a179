"""Which fonts a PDF copy is set in, where the official ones (方正小标宋简体, 仿宋_GB2312) are missing.

LibreOffice, asked for a font the machine lacks, takes whatever CJK face fontconfig offers first, often a
Japanese one (Noto Serif CJK JP: other glyph shapes for the same characters), and says nothing. Instead the
PDF copy names its fonts itself: an official font where installed, else its usual substitute (华文中宋, 仿宋,
as the templates' font table lists them), else the Simplified Chinese serif fontconfig finds
(``serif:lang=zh-cn``, e.g. Noto Serif CJK SC); and the command says which.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass

from legalaid.ooxml import normalised_zip

# The templates' fonts, each with the substitutes Word and WPS would take (their font table's altName).
OFFICIAL_FONTS: dict[str, tuple[str, ...]] = {
    "方正小标宋简体": ("华文中宋", "宋体", "SimSun"),
    "仿宋_GB2312": ("仿宋", "FangSong"),
}
FALLBACK_PATTERN = "serif:lang=zh-cn"
_PARTS = ("word/document.xml", "word/styles.xml")
_TIMEOUT = 10.0


@dataclass(frozen=True)
class FontChoice:
    """The font each official font is set in (itself when installed, or when nothing Chinese is: then
    ``unresolved`` names it); ``used`` is empty when fontconfig is absent."""

    used: dict[str, str]
    unresolved: frozenset[str] = frozenset()

    @property
    def substitutes(self) -> dict[str, str]:
        return {font: used for font, used in self.used.items() if used != font}

    def describe(self) -> str:
        """One line for the user: ``fonts: 仿宋_GB2312 → Noto Serif CJK SC (not installed), …``."""
        if not self.used:
            return "fonts: unknown (no fontconfig here): LibreOffice chose them"
        parts = [
            f"{font} not installed, and no Simplified Chinese font either"
            if font in self.unresolved
            else font
            if used == font
            else f"{font} not installed, set in {used}"
            for font, used in self.used.items()
        ]
        return "fonts: " + "; ".join(parts)

    def apply(self, docx: bytes) -> bytes:
        """``docx`` with each missing font's name replaced by the one chosen for it."""
        if not self.substitutes:
            return docx

        def rewrite(name: str, content: bytes) -> bytes:
            if name in _PARTS:
                for font, used in self.substitutes.items():
                    content = content.replace(f'="{font}"'.encode(), f'="{used}"'.encode())
            return content

        return normalised_zip(docx, rewrite=rewrite)


def choose_fonts() -> FontChoice:
    """The fonts a PDF copy will be set in, asked of fontconfig (``fc-match``, ``fc-list``)."""
    if shutil.which("fc-match") is None or shutil.which("fc-list") is None:
        return FontChoice({})
    installed = _families(_run(["fc-list", "--format", "%{family}\n"]))
    chinese = _families(_run(["fc-list", ":lang=zh-cn", "--format", "%{family}\n"]))
    fallback = _run(["fc-match", "--format", "%{family[0]}", FALLBACK_PATTERN]).strip()
    used: dict[str, str] = {}
    unresolved: set[str] = set()
    for font, substitutes in OFFICIAL_FONTS.items():
        found = next((name for name in (font, *substitutes) if name in installed), None)
        if found is None and fallback in chinese:
            found = fallback
        if found is None:
            unresolved.add(font)
        used[font] = found or font
    return FontChoice(used, frozenset(unresolved))


def _run(command: list[str]) -> str:
    try:
        result = subprocess.run(command, capture_output=True, timeout=_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return result.stdout.decode("utf-8", "replace")


def _families(listing: str) -> set[str]:
    # fc-list prints a font's names in each language on one line, comma-separated.
    return {name.strip() for line in listing.splitlines() for name in line.split(",") if name.strip()}
