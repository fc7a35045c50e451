"""Dropping page furniture that survives main-text extraction.

The extractor keeps whatever sits inside the article container, and many sites put their
"Read More:" links, newsletter promos, share bars and "Loading..." placeholders there. A watch
must never match those, so each extracted block is judged here, by what it says and how much of
it is link text, never by one site's class names.

The rules are data: each :class:`Rule` is a pattern and the reason for it, and each is tested
on a real page (``tests/spiders/test_clean_rules.py``). Extend a rule's pattern (a new language,
a new spelling) rather than adding code. The structural rules (link density, repeats, lists and
headings) are the constants and functions below, each with its reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "BOILERPLATE",
    "LABELS",
    "MAX_FURNITURE_CHARS",
    "MAX_LINK_DENSITY",
    "Block",
    "Rule",
    "clean_blocks",
    "furniture_rule",
    "is_furniture",
]


@dataclass(frozen=True)
class Rule:
    """One kind of furniture: its patterns, matched case-insensitively against a block's whole
    text (``^`` anchors one to the block's start), and why it is furniture."""

    name: str
    patterns: tuple[str, ...]
    reason: str


#: Labels that open a block pointing to other pages: "Read More: <headline>", "Related stories".
#: A block matches when the label is followed by a separator or ends the block.
LABELS: tuple[Rule, ...] = (
    Rule("read-more", (
        r"read (more|also|next)", r"also read", r"more", r"see also", r"more information",
        # The same labels in the languages of the sites we watch most.
        r"(à )?lire aussi", r"voir aussi", r"plus d'informations", r"lesen sie (auch|mehr)",
        r"mehr zum thema", r"auch interessant", r"leer (más|también)", r"lea también",
        r"ver también", r"más información", r"leia (também|mais)", r"ler mais",
        r"mais informações", r"leggi anche", r"(ilgili|benzer) haber(ler)?", r"devamını oku",
        r"bunu da okuyun", r"اقرأ أيضا(ً)?", r"اقرأ المزيد",
    ), "sends the reader to another article: the headline after it is not this article's"),
    Rule("related", (
        r"related( (stories|articles|content|coverage|links|news|topics|videos))?",
        r"more (on|about) this( story| topic)?", r"more from [\w ]{1,30}", r"ذات صلة",
    ), "heads a box of other articles on the same subject"),
    Rule("recommended", (
        r"recommended( for you| stories| reading)?",
        r"you (may|might) (also )?(like|be interested in)",
        r"most (read|popular|viewed|shared|watched)", r"(trending|popular)( now| today| stories)?",
        r"top stories", r"editor'?s picks?", r"don'?t miss",
        r"(recent|latest|featured)( news| posts| stories| articles| videos| slide ?shows)?",
    ), "heads a box of other articles the site promotes"),
    Rule("media", (r"watch", r"listen", r"video", r"podcast", r"live"),
         "heads a player or a link to one; the words spoken are not the article's text"),
)

_NETWORKS = r"(facebook|twitter|x|whatsapp|linkedin|email|e-mail|telegram|reddit|copy link|print)"

#: Whole short blocks that are furniture whatever their links.
BOILERPLATE: tuple[Rule, ...] = (
    Rule("placeholder", (
        r"^(loading|please wait|chargement|wird geladen|cargando|yükleniyor)( the)?"
        r"( video| player| comments| gallery| content)?\s*(\.{2,}|…)?$",
        r"^embedded (video|content|post|tweet)$",
        r"^view this post on (instagram|facebook|x|twitter)$",
        r"\bthis content is not available\b", r"^(toggle|hide|show) caption$",
        r"^enlarge this image$",
    ), "left by a script, player or embed that did not run"),
    Rule("advertising", (
        r"^(advertisement|sponsored( content)?|promoted( content)?|ad|sponsor message|"
        r"ad feedback|anzeige|publicité|publicidad|pubblicità|publicidade|reklam)$",
    ), "marks an advertisement's place"),
    Rule("cookies", (
        r"\bcookies?\b.*\b(accept|consent|agree|policy|preferences|settings)\b",
        r"\b(accept|consent|agree)\b.*\bcookies?\b",
    ), "a consent banner, or the legal links that lead to one"),
    Rule("promotion", (
        r"\b(sign up|subscribe|register)\b.*\bnewsletters?\b",
        r"\bnewsletters?\b.*\b(sign up|subscribe|inbox)\b", r"\bin your inbox\b",
        r"^(subscribe|sign up|sign in|log in|register)( now| here| today| for free)?\s*[.!]?$",
        r"^(article )?(réservé|reserved|available) (à nos |to |for )?(abonnés|subscribers)\b",
        r"\bexclusiv[eo] (to|for|para) (subscribers|assinantes|suscriptores)\b",
        r"\bsubscribe (now )?to read (more|on)\b",
    ), "sells a subscription or a newsletter, or asks the reader to sign in"),
    Rule("tools", (
        r"^share( this( article| story| page)?| on [\w ]+)?\s*[:.]?\s*"
        rf"({_NETWORKS}[\s|·,/]*)*$",
        rf"^({_NETWORKS}[\s|·,/]*){{2,}}$",
        r"^follow us (on|at)\b", r"^follow [\w .]{1,40}:$",
        # A gallery's or a player's buttons.
        r"^(close|fullscreen|full screen|thumbnails|previous|next|previous ?next|play|pause|"
        r"mute|unmute|expand|collapse)$",
        r"^(listen to (this|the) (article|story)|ascolta l'articolo|écouter (cet|l')article|"
        r"artikel (anhören|vorlesen)|escuchar (este|el) artículo|"
        r"ouvir (a|esta) (matéria|notícia))",
        r"^(temps de lecture|reading time|lesezeit)?\s*:?\s*\d{1,2}\s*(min|mins|minutes?)"
        r"( read)?\.?$",
    ), "a share bar, a follow button, a player or a reading time: tools, not text"),
    Rule("legal", (r"^(©|\(c\)|copyright\b)", r"\ball rights reserved\b"),
         "the site's legal line"),
    Rule("credits", (
        r"^(image|photo|picture|video) (source|credit)s?\s*[:,]",
        r"^(photo(graph)?|portrait|illustration|picture)s? (by|courtesy of)\b[^.!?]{1,60}$",
        r"^(source|sources|المصدر)\s*:",
        r"^\(?[\w .’'-]{1,40} (with|avec|mit|con|ile) (afp|ap|reuters|dpa|efe|aa|ansa)\)?$",
        r"^((additional )?reporting|writing|editing|edited|compiled) by\b",
        r"\bcontributed (to )?(this|the) (report|story|article)( from [\w ]{1,40})?\.?$",
        r"^[a-z]{2,5}/[a-z]{2,5}(,\s*[a-z]{2,5})*$",  # agency initials: "kat/dpa"
        r"\btrust project\b",
    ), "says who made the story or its pictures, and where it came from: credits, not story"),
    Rule("gallery", (r"^\d{1,3}\s*(of|/)\s*\d{1,3}\b", r"^prev(ious)? ?next\b"),
         "a gallery's slide: its counter (\"3 of 12\") or its buttons, then a caption"),
    Rule("dateline", (
        # "28 novembre 2024", "Thursday, November 28, 2024 - 9:11 AM", "Oct 18, 2019 · 8 min read"
        r"^(\w+,? )?\d{1,2}\.? ?[^\W\d_]{3,12}\.?,? \d{4}(,? \d{1,2}[:.h]\d{2})?"
        r"(\s*[·|-]\s*\d{1,2} min read)?$",
        r"^(\w+,? )?[^\W\d_]{3,12}\.? \d{1,2},? \d{4}((,? | - | at )\d{1,2}[:.]\d{2}( ?[ap]m)?)?"
        r"(\s*[·|-]\s*\d{1,2} min read)?$",
        # "Updated: 28.11.2024 11:02"
        r"^([\w .’'-]{0,40}\s*)?(published|updated|issued|posted|last updated|güncelleme|"
        r"aktualisiert|mis à jour|publié le|actualizado)( on)?\s*:?\s*\d{1,4}[./ -]\d{1,2}.{0,30}$",
        # "2017-03-10 09:58 来源：网易科学人": a numeric date, its time and the story's source.
        r"^\d{4}([-/.]|年)\d{1,2}([-/.]|月)\d{1,2}日?(\s*\d{1,2}:\d{2}(:\d{2})?)?"
        r"(\s*(来源|來源|source)\s*[:：]\s*\S{1,30})?$",
    ), "a date on its own, or a published or updated line: the time is a field of its own, "
       "and a source named beside it is a credit"),
    Rule("breadcrumb", (
        r"^[^<>»›\n]{1,40}(\s[>»›]\s[^<>»›\n]{1,40}){2,}$",
    ), "the trail of sections above the page (\"Home > World > Europe\"): where the page sits "
       "on the site, not what it says"),
    Rule("pointer", (
        r"^(click|tap) here\b", r"^(send us )?your feedback\b",
        r"^for the latest (news|headlines)\b",
        r"\bthis (article|story) (appears|appeared|was published) in (the|our|print)\b",
    ), "points the reader elsewhere: to the print edition, a feedback form, another page"),
)

#: Blocks longer than this are prose, even when they mention cookies or a newsletter.
MAX_FURNITURE_CHARS = 300
#: A block whose text is mostly link text is a teaser or a link list, not article prose: a
#: teaser is a link with at most a label or brackets around it, while a real sentence that
#: links a name or a source keeps more than a third of its words outside links ("Portrait by
#: <photographer>", a note citing a bug's address). Links within the page (``#section``) do
#: not count: they are a table of contents' or a heading's own anchor.
MAX_LINK_DENSITY = 0.65
#: Prose longer than MAX_FURNITURE_CHARS may link most of its words (a post citing its
#: sources); a longer block is a link list only when nearly all of it is links.
MAX_PROSE_LINK_DENSITY = 0.8
#: A short paragraph or quote found whole inside a longer block of the article repeats it: a
#: pull quote, a caption repeated under a gallery, a byline repeated in the body. Shorter ones
#: are left, and so are headings, list items and code, which name what the text goes on to say.
MIN_REPEAT_CHARS = 20
_REPEATING_KINDS = frozenset({"p", "quote"})

_LABEL = re.compile(
    r"^\W*(" + "|".join(p for rule in LABELS for p in rule.patterns) + r")\s*([:|»›>–—-]|$)",
    re.IGNORECASE)
# Two alternations, tried once per block: the cleaning step must stay cheap beside extraction.
# Patterns anchored at the start are matched there only, instead of searched for everywhere.
_PATTERNS = [p for rule in BOILERPLATE for p in rule.patterns]
_ANCHORED = re.compile("|".join(f"(?:{p[1:]})" for p in _PATTERNS if p.startswith("^")),
                       re.IGNORECASE)
_ANYWHERE = re.compile("|".join(f"(?:{p})" for p in _PATTERNS if not p.startswith("^")),
                       re.IGNORECASE)


@dataclass(frozen=True, kw_only=True)
class Block:
    """One paragraph-like piece of extracted text.

    ``link_chars`` counts the characters of ``text`` that sit inside links. ``group`` ties the
    items of one list together, so a link list under a "Most read" heading goes as a whole.
    """

    text: str
    kind: str = "p"
    link_chars: int = 0
    group: int | None = None

    @property
    def link_density(self) -> float:
        return self.link_chars / len(self.text) if self.text else 0.0


def is_furniture(block: Block) -> bool:
    """Whether ``block`` is page furniture rather than part of the article."""
    text = block.text.strip()
    if not text or block.link_density > _max_link_density(text):
        return True
    return len(text) <= MAX_FURNITURE_CHARS and _says_furniture(text)


def furniture_rule(block: Block) -> str | None:
    """The name of the rule that makes ``block`` furniture ("links" for link density), or
    None: what :func:`is_furniture` decides, with its reason."""
    text = block.text.strip()
    if not text:
        return "empty"
    if block.link_density > _max_link_density(text):
        return "links"
    if len(text) > MAX_FURNITURE_CHARS:
        return None
    for rule in LABELS:
        if re.match(r"^\W*(" + "|".join(rule.patterns) + r")\s*([:|»›>–—-]|$)", text,
                    re.IGNORECASE):
            return rule.name
    return next((rule.name for rule in BOILERPLATE
                 if any(re.search(p, text, re.IGNORECASE) for p in rule.patterns)), None)


def clean_blocks(blocks: Iterable[Block], *, author: str | None = None) -> list[Block]:
    """Return ``blocks`` without furniture.

    A list goes as a whole when most of its items are furniture (a "Most read" list), and so
    does the list that follows a furniture heading ("Related stories" then its links); in a list
    that stays, an item goes only when its words say it is furniture, as a list of terms may
    link every other one. A heading goes with the furniture right under it ("Newsletter" above
    a sign-up promo), and a heading left last, with nothing of the article under it, goes too.
    A short block opening with ``author``'s name is the byline, a field of its own.
    """
    blocks = list(blocks)
    furniture = [is_furniture(block) for block in blocks]
    for index, block in enumerate(blocks[:-1]):
        following = blocks[index + 1]
        if block.kind == "head" and furniture[index] and not _says_furniture(block.text) \
                and following.kind == "p" and not furniture[index + 1] \
                and len(following.text) > MAX_FURNITURE_CHARS:
            furniture[index] = False
    dropped_groups = _furniture_groups(blocks, furniture)
    kept: list[Block] = []
    drop_next_group = False
    for index, block in enumerate(blocks):
        if block.group is not None and (drop_next_group or block.group in dropped_groups):
            dropped_groups.add(block.group)
            drop_next_group = False
            continue
        drop_next_group = False
        if block.group is not None and furniture[index]:
            furniture[index] = not block.text.strip() or _says_furniture(block.text.strip())
        if furniture[index] or _is_byline(block.text, author):
            drop_next_group = block.kind == "head" or _LABEL.match(block.text) is not None
            continue
        if block.kind == "head" and index + 1 < len(blocks) and furniture[index + 1]:
            continue
        if _repeats_another(block, blocks, furniture):
            continue
        kept.append(block)
    while kept and kept[-1].kind == "head":
        kept.pop()
    return kept


def _max_link_density(text: str) -> float:
    return MAX_LINK_DENSITY if len(text) <= MAX_FURNITURE_CHARS else MAX_PROSE_LINK_DENSITY


def _says_furniture(text: str) -> bool:
    return bool(_LABEL.match(text) or _ANCHORED.match(text) or _ANYWHERE.search(text))


_QUOTES = "\"'“”‘’«»„"
#: A byline is a line: the author's name, a title or a place, a date.
_MAX_BYLINE_CHARS = 150


_BY = re.compile(r"^(by|par|por|von|di|door)\s+", re.IGNORECASE)


# A sentence's end: a block that opens with the author's name and ends as a sentence is the
# article speaking of its author ("Reuters reported on Monday that …"), not the byline.
_SENTENCE_END = re.compile(r"[.!?。！？][\"'”’»)]*$")


def _is_byline(text: str, author: str | None) -> bool:
    if not author or len(author) < 3 or len(text) > _MAX_BYLINE_CHARS:
        return False
    named = _BY.sub("", text)
    if not named.casefold().startswith(author.casefold()):
        return False
    rest = named[len(author):].strip()
    return not rest or _BY.match(text) is not None or not _SENTENCE_END.search(rest)


def _repeats_another(block: Block, blocks: list[Block], furniture: list[bool]) -> bool:
    """Whether a short block only repeats what a longer block of the article says: a pull
    quote, a caption repeated from a gallery, a byline repeated in the body."""
    text = block.text.strip(_QUOTES + " ").casefold()
    if block.kind not in _REPEATING_KINDS or len(text) < MIN_REPEAT_CHARS \
            or len(block.text) > MAX_FURNITURE_CHARS:
        return False
    return any(other is not block and not dropped and len(other.text) > len(block.text)
               and text in other.text.casefold()
               for other, dropped in zip(blocks, furniture, strict=True))


def _furniture_groups(blocks: list[Block], furniture: list[bool]) -> set[int]:
    counts: dict[int, list[int]] = {}
    for block, is_box in zip(blocks, furniture, strict=True):
        if block.group is not None:
            total_furniture = counts.setdefault(block.group, [0, 0])
            total_furniture[0] += 1
            total_furniture[1] += is_box
    return {group for group, (total, boxes) in counts.items() if boxes * 2 > total}
