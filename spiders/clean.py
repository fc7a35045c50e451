"""Dropping page furniture that survives main-text extraction.

The extractor keeps whatever sits inside the article container, and many sites put their
"Read More:" links, newsletter promos, share bars and "Loading..." placeholders there. A watch
must never match those, so each extracted block is judged here, by what it says and how much of
it is link text, never by one site's class names.

The rules are data: extend the pattern tuples below rather than adding code.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "BOILERPLATE_PATTERNS",
    "LINK_LABELS",
    "Block",
    "clean_blocks",
    "is_furniture",
]

#: Labels that open a block pointing to other pages: "Read More: <headline>", "Related stories".
#: A block matches when the label is followed by a separator or ends the block.
LINK_LABELS: tuple[str, ...] = (
    r"read (more|also|next)",
    r"also read",
    r"more",
    # The same labels in the languages of the sites we watch most.
    r"(à )?lire aussi", r"voir aussi", r"lesen sie (auch|mehr)", r"mehr zum thema",
    r"auch interessant", r"leer (más|también)", r"lea también", r"ver también",
    r"leia (também|mais)", r"ler mais", r"leggi anche", r"(ilgili|benzer) haber(ler)?",
    r"devamını oku", r"bunu da okuyun", r"اقرأ أيضا(ً)?", r"اقرأ المزيد", r"ذات صلة",
    r"see also",
    r"related( (stories|articles|content|coverage|links|news|topics))?",
    r"more (on|about) this( story| topic)?",
    r"more from [\w ]{1,30}",
    r"recommended( for you| stories| reading)?",
    r"you (may|might) (also )?(like|be interested in)",
    r"most (read|popular|viewed|shared|watched)",
    r"(trending|popular)( now| today| stories)?",
    r"top stories",
    r"editor'?s picks?",
    r"don'?t miss",
    r"(watch|listen|video|podcast|live)",
)

#: Whole short blocks that are furniture whatever their links: placeholders, consent banners,
#: promos, share bars, legal lines.
BOILERPLATE_PATTERNS: tuple[str, ...] = (
    r"^(loading|please wait)\s*(\.{2,}|…)?$",
    r"^(advertisement|sponsored( content)?|promoted( content)?|ad|sponsor message)$",
    r"^ad feedback$",
    r"\bcookies?\b.*\b(accept|consent|agree|policy|preferences|settings)\b",
    r"\b(accept|consent|agree)\b.*\bcookies?\b",
    r"\b(sign up|subscribe|register)\b.*\bnewsletters?\b",
    r"\bnewsletters?\b.*\b(sign up|subscribe|inbox)\b",
    r"\bin your inbox\b",
    r"^(subscribe|sign up|sign in|log in|register)( now| here| today| for free)?\s*[.!]?$",
    r"^share( this( article| story| page)?| on [\w ]+)?\s*[:.]?\s*"
    r"((facebook|twitter|x|whatsapp|linkedin|email|e-mail|telegram|reddit|copy link|print)"
    r"[\s|·,/]*)*$",
    r"^((facebook|twitter|x|whatsapp|linkedin|email|e-mail|telegram|reddit|copy link|print)"
    r"[\s|·,/]*){2,}$",
    r"^(©|\(c\)|copyright\b)",
    r"\ball rights reserved\b",
    r"^follow us (on|at)\b",
    r"^follow [\w .]{1,40}:$",
    r"^(click|tap) here\b",
    r"^(image|photo|picture|video) (source|credit)s?\s*[:,]",
    # Placeholders left by scripts, players and embeds that did not run.
    r"^(loading|chargement|wird geladen|cargando|yükleniyor)( the)?( video| player| comments|"
    r" gallery| content)?\s*(\.{2,}|…)?$",
    r"^embedded (video|content|post|tweet)$",
    r"^view this post on (instagram|facebook|x|twitter)$",
    r"\bthis content is not available\b",
    r"^(toggle|hide|show) caption$",
    r"^enlarge this image$",
    r"^\d{1,3}\s*(of|/)\s*\d{1,3}\b",  # "3 of 12": a gallery's captions
    # Where the story came from and who handled it: credits, not the story.
    r"^(source|sources|المصدر)\s*:",
    r"^\(?[\w .’'-]{1,40} (with|avec|mit|con|ile) (afp|ap|reuters|dpa|efe|aa|ansa)\)?$",
    r"^((additional )?reporting|writing|editing|edited|compiled) by\b",
    r"\bcontributed (to )?(this|the) (report|story|article)( from [\w ]{1,40})?\.?$",
    r"^[a-z]{2,5}/[a-z]{2,5}(,\s*[a-z]{2,5})*$",  # agency initials: "kat/dpa"
    # Paywall, feedback and reading-time furniture.
    r"^(article )?(réservé|reserved|réservé à nos|available) (à nos |to |for )?"
    r"(abonnés|subscribers)\b",
    r"^(send us )?your feedback\b",
    r"^(temps de lecture|reading time|lesezeit)?\s*:?\s*\d{1,2}\s*(min|mins|minutes?)( read)?\.?$",
    r"^(advertisement|anzeige|publicité|publicidad|pubblicità|publicidade|reklam)$",
    r"^(listen to (this|the) (article|story)|ascolta l'articolo|écouter (cet|l')article|"
    r"artikel (anhören|vorlesen)|escuchar (este|el) artículo|ouvir (a|esta) (matéria|notícia))",
    r"^for the latest (news|headlines)\b",
    r"\bthis (article|story) (appears|appeared|was published) in (the|our)\b",
    r"\bsubscribe (now )?to read (more|on)\b",
    # A date on its own: "28 novembre 2024", "November 28, 2024", "28.11.2024 10:15".
    r"^(\w+,? )?\d{1,2}\.? ?[^\W\d_]{3,12}\.?,? \d{4}(,? \d{1,2}[:.h]\d{2})?$",
    r"^[^\W\d_]{3,12}\.? \d{1,2},? \d{4}(,? \d{1,2}[:.]\d{2}( ?[ap]m)?)?$",
    # Datelines and bylines that slipped into the body: "Updated: 28.11.2024 11:02".
    r"^([\w .’'-]{0,40}\s*)?(published|updated|issued|posted|last updated|güncelleme|"
    r"aktualisiert|mis à jour|publié le|actualizado)( on)?\s*:?\s*\d{1,4}[./ -]\d{1,2}.{0,30}$",
    r"\btrust project\b",
)

#: Blocks longer than this are prose, even when they mention cookies or a newsletter.
MAX_FURNITURE_CHARS = 300
#: A block whose text is mostly link text is a teaser or a link list, not article prose.
MAX_LINK_DENSITY = 0.5

_LABEL = re.compile(
    r"^\W*(" + "|".join(LINK_LABELS) + r")\s*([:|»›>–—-]|$)", re.IGNORECASE
)
# Two alternations, tried once per block: the cleaning step must stay cheap beside extraction.
# Patterns anchored at the start are matched there only, instead of searched for everywhere.
_ANCHORED = re.compile(
    "|".join(f"(?:{p[1:]})" for p in BOILERPLATE_PATTERNS if p.startswith("^")), re.IGNORECASE)
_ANYWHERE = re.compile(
    "|".join(f"(?:{p})" for p in BOILERPLATE_PATTERNS if not p.startswith("^")), re.IGNORECASE)


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
    if not text:
        return True
    if len(text) > MAX_FURNITURE_CHARS:
        return False
    if _LABEL.match(text):
        return True
    if _ANCHORED.match(text) or _ANYWHERE.search(text):
        return True
    return block.link_density > MAX_LINK_DENSITY


def clean_blocks(blocks: Iterable[Block]) -> list[Block]:
    """Return ``blocks`` without furniture.

    A list goes as a whole when most of its items are furniture (a "Most read" list), and so
    does the list that follows a furniture heading ("Related stories" then its links). A
    heading goes with the furniture right under it ("Newsletter" above a sign-up promo), and a
    heading left last, with nothing of the article under it, goes too.
    """
    blocks = list(blocks)
    furniture = [is_furniture(block) for block in blocks]
    dropped_groups = _furniture_groups(blocks)
    kept: list[Block] = []
    drop_next_group = False
    for index, block in enumerate(blocks):
        if block.group is not None and (drop_next_group or block.group in dropped_groups):
            dropped_groups.add(block.group)
            drop_next_group = False
            continue
        drop_next_group = False
        if furniture[index]:
            drop_next_group = block.kind == "head" or _LABEL.match(block.text) is not None
            continue
        if block.kind == "head" and index + 1 < len(blocks) and furniture[index + 1]:
            continue
        if _repeats_another(block, blocks):
            continue
        kept.append(block)
    while kept and kept[-1].kind == "head":
        kept.pop()
    return kept


_QUOTES = "\"'“”‘’«»„"


def _repeats_another(block: Block, blocks: list[Block]) -> bool:
    """Whether a short block only repeats what a longer block says: a pull quote, a caption
    repeated from a gallery, a byline repeated in the body."""
    text = block.text.strip(_QUOTES + " ").casefold()
    if len(text) < 20 or len(block.text) > MAX_FURNITURE_CHARS:
        return False
    return any(other is not block and len(other.text) > len(block.text)
               and text in other.text.casefold() for other in blocks)


def _furniture_groups(blocks: list[Block]) -> set[int]:
    counts: dict[int, list[int]] = {}
    for block in blocks:
        if block.group is not None:
            total_furniture = counts.setdefault(block.group, [0, 0])
            total_furniture[0] += 1
            total_furniture[1] += is_furniture(block)
    return {group for group, (total, furniture) in counts.items() if furniture * 2 > total}
