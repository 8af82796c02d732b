"""Cleaning profiles: how a text was extracted, and the furniture its source adds.

A profile says whether hard-wrapped lines are joined (``pdf``) and which lines are
page furniture, record lines or trailing material. The built-in patterns are
generic (the toolbar of a Chinese government web page, ``来源：``/``时间：`` lines, a
closing ``相关报道：``); what one site adds is described in the library's
``manifest.toml``, never in code::

    [profile.web]                        # extends the built-in web profile
    furniture = ['文章内容', '思维导图']   # whole lines (regex) dropped; a first run of
                                         # them near the top ends the page header
    meta = ['责任编辑[:：].*']             # whole lines kept as metadata, not as text
    aside = ['\\(callback[^)]*\\)']       # editor's asides removed inside lines
    [profile.web.trailer]                # a line matching starts trailing material,
    machine_faq = '思维导图生成中'         # kept as metadata under that name

    [profile.mysite]
    extends = "web"                      # a new profile starts from a built-in one

Patterns are matched against the normalised line with Markdown marks removed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .errors import CorpusError

# Lines no profile keeps: HTML comments and horizontal rules carry no text.
MARKUP_FURNITURE = (r"<!--.*-->", r"-{2,}", r"\*{3,}", r"_{3,}")
# The toolbar of a government web page, one control per line or all on one.
WEB_FURNITURE = (
    r"(?:下载|打印|全屏|收藏|分享|分享到|关闭|关闭窗口|打印本页|返回顶部|加大|还原|减小|默认)[:：]?|【|】",
    r"【?(?:字号|字体)[:：].*",
)
# Header and footer lines of a saved page: field labels a scraper or a CMS writes.
WEB_META = (r"(?:来源|时间|发布时间|发布日期|发布机构|更新时间|作者|编辑|责任编辑|分类|浏览次数|点击数)[:：].{0,100}",)
WEB_TRAILERS = (("related", r"(?:相关报道|相关链接|相关阅读|相关新闻|相关文章|延伸阅读)[:：]?$"),)


@dataclass(frozen=True)
class Profile:
    """The cleaning a document gets: compiled patterns, whole-line unless said otherwise."""

    name: str
    join_wraps: bool = False  # PDF text: hard-wrapped lines are joined back into paragraphs
    web: bool = False  # a saved page: the header above the furniture and tag lines are dropped
    furniture: tuple[re.Pattern, ...] = ()
    meta: tuple[re.Pattern, ...] = ()
    asides: tuple[re.Pattern, ...] = ()  # removed inside lines
    trailers: tuple[tuple[str, re.Pattern], ...] = field(default=())  # (metadata key, start line)

    def is_furniture(self, plain: str) -> bool:
        return any(p.fullmatch(plain) for p in self.furniture)

    def is_meta(self, plain: str) -> bool:
        return any(p.fullmatch(plain) for p in self.meta)

    def trailer(self, plain: str) -> str | None:
        """The metadata key when this line starts trailing material, else None."""
        for key, pattern in self.trailers:
            if pattern.match(plain):
                return key
        return None


def _compile(patterns, where: str) -> tuple[re.Pattern, ...]:
    if isinstance(patterns, str):
        patterns = [patterns]
    out = []
    for p in patterns:
        try:
            out.append(re.compile(p))
        except (re.error, TypeError) as exc:
            raise CorpusError(f"{where}: pattern {p!r} is not a valid regular expression ({exc}). Correct it.") from None
    return tuple(out)


_MARKUP = _compile(MARKUP_FURNITURE, "built-in")
BUILTIN: dict[str, Profile] = {
    "text": Profile("text", furniture=_MARKUP),
    "pdf": Profile("pdf", join_wraps=True, furniture=_MARKUP),
    "web": Profile(
        "web",
        web=True,
        furniture=_MARKUP + _compile(WEB_FURNITURE, "built-in"),
        meta=_compile(WEB_META, "built-in"),
        trailers=tuple((k, re.compile(p)) for k, p in WEB_TRAILERS),
    ),
}
_KEYS = {"extends", "furniture", "meta", "aside", "trailer"}


def load_profiles(tables: dict, where: str) -> dict[str, Profile]:
    """The built-in profiles, extended (or joined by new ones) from a manifest's ``[profile.*]`` tables."""
    profiles = dict(BUILTIN)
    if not isinstance(tables, dict):
        raise CorpusError(f"{where}: [profile] must be a table of profiles, e.g. [profile.web]. Correct it.")
    for name, table in tables.items():
        if not isinstance(table, dict):
            raise CorpusError(f"{where}: profile.{name} must be a table. Correct it.")
        unknown = set(table) - _KEYS
        if unknown:
            raise CorpusError(f"{where}: profile.{name} has unknown keys {sorted(unknown)}; use {sorted(_KEYS)}.")
        base_name = table.get("extends", name)
        if base_name not in BUILTIN:
            raise CorpusError(
                f"{where}: profile.{name} must extend a built-in profile ({', '.join(BUILTIN)}): add extends = \"web\"."
            )
        base = BUILTIN[base_name]
        trailers = table.get("trailer", {})
        if not isinstance(trailers, dict):
            raise CorpusError(f"{where}: profile.{name}.trailer must be a table of name = pattern. Correct it.")
        here = f"{where}: profile.{name}"
        profiles[name] = Profile(
            name,
            join_wraps=base.join_wraps,
            web=base.web,
            furniture=base.furniture + _compile(table.get("furniture", []), here),
            meta=base.meta + _compile(table.get("meta", []), here),
            asides=base.asides + _compile(table.get("aside", []), here),
            trailers=tuple((k, _compile(p, here)[0]) for k, p in trailers.items()) + base.trailers,
        )
    return profiles
