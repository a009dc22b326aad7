"""The WhatsApp conversation with a citizen: what one inbound message means and what we
answer. Pure: the caller gives the citizen's conversation state and the site's catalog
(services with their current expected wait) and gets back the new state, the replies and at
most one action for the use case to carry out (take a ticket, cancel, ...).

Taps on list rows and reply buttons carry everything they need in their ids
(``svc:<service id>``, ``more:<page>``, ``trv:<service id>:<minutes>``), so an old
message tapped again still means what it said, whatever happened in between.

Bahasa Indonesia first; English once the citizen chose it with BAHASA.
"""

from dataclasses import dataclass, replace
from typing import Any, Literal
from uuid import UUID

from notify.domain.texts import Locale

# Cloud API limits for interactive messages (rows in all sections, title lengths).
LIST_ROWS_MAX = 10
ROW_TITLE_MAX = 24
ROW_DESCRIPTION_MAX = 72
SECTION_TITLE_MAX = 24
BUTTON_TITLE_MAX = 20
# With more services than fit, one row of a page is "Lainnya" (more).
SERVICES_PER_PAGE = LIST_ROWS_MAX - 1

InboundKind = Literal["text", "button_reply", "list_reply", "other"]


@dataclass(frozen=True)
class Said:
    """What the citizen sent, reduced to what the conversation needs."""

    kind: InboundKind
    text: str | None = None  # the typed text, or the title of the tapped row/button
    reply_id: str | None = None  # the id of the tapped row/button


@dataclass(frozen=True)
class CatalogService:
    service_id: UUID
    agency_name: str
    name_id: str
    name_en: str | None = None
    documents_id: tuple[str, ...] = ()
    documents_en: tuple[str, ...] = ()
    wait_p50_min: float | None = None  # expected wait for a ticket taken now (queue.forecast)

    def name(self, locale: Locale) -> str:
        return (self.name_en or self.name_id) if locale == "en" else self.name_id

    def documents(self, locale: Locale) -> tuple[str, ...]:
        return (self.documents_en or self.documents_id) if locale == "en" else self.documents_id


@dataclass(frozen=True)
class ConversationState:
    locale: Locale = "id"
    opted_out: bool = False
    # Set when a 'service finished' survey was sent and not yet answered.
    survey_ticket_id: UUID | None = None


# Replies -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TextReply:
    body: str


@dataclass(frozen=True)
class Choice:
    id: str
    title: str
    description: str | None = None


@dataclass(frozen=True)
class ButtonsReply:
    body: str
    buttons: tuple[Choice, ...]


@dataclass(frozen=True)
class ListSection:
    title: str
    rows: tuple[Choice, ...]


@dataclass(frozen=True)
class ListReply:
    body: str
    button: str
    sections: tuple[ListSection, ...]


Reply = TextReply | ButtonsReply | ListReply


def _row(choice: Choice) -> dict[str, str]:
    row = {"id": choice.id, "title": choice.title}
    if choice.description:
        row["description"] = choice.description
    return row


def render(reply: Reply) -> tuple[str, dict[str, Any] | None]:
    """A reply as stored and sent: its plain-text rendering (what the notifications API
    shows) and, for lists and buttons, the Cloud API ``interactive`` object."""
    if isinstance(reply, TextReply):
        return reply.body, None
    if isinstance(reply, ButtonsReply):
        titles = " ".join(f"[{button.title}]" for button in reply.buttons)
        interactive = {
            "type": "button",
            "body": {"text": reply.body},
            "action": {
                "buttons": [{"type": "reply", "reply": {"id": b.id, "title": b.title}} for b in reply.buttons]
            },
        }
        return f"{reply.body}\n{titles}", interactive
    rows = [f"- {row.title}" for section in reply.sections for row in section.rows]
    interactive = {
        "type": "list",
        "body": {"text": reply.body},
        "action": {
            "button": reply.button,
            "sections": [
                {"title": section.title, "rows": [_row(row) for row in section.rows]}
                for section in reply.sections
            ],
        },
    }
    return "\n".join([reply.body, *rows]), interactive


# Actions the use case carries out (they need other services or the store) -------------------


@dataclass(frozen=True)
class TakeTicket:
    service_id: UUID
    travel_minutes: int


@dataclass(frozen=True)
class CheckStatus:
    pass


@dataclass(frozen=True)
class CancelTicket:
    pass


@dataclass(frozen=True)
class Rejoin:
    pass


@dataclass(frozen=True)
class AnswerSurvey:
    ticket_id: UUID
    score: int
    comment: str | None


Action = TakeTicket | CheckStatus | CancelTicket | Rejoin | AnswerSurvey


@dataclass(frozen=True)
class Turn:
    state: ConversationState
    replies: tuple[Reply, ...] = ()
    action: Action | None = None


# Words -------------------------------------------------------------------------------------

_GREETINGS = frozenset(
    {"menu", "halo", "hallo", "hai", "hi", "hello", "p", "pagi", "siang", "sore", "malam", "start menu"}
)
_COMMANDS: dict[str, str] = {
    "menu": "menu",
    "status": "status",
    "cek": "status",
    "batal": "cancel",
    "cancel": "cancel",
    "tunda": "rejoin",
    "bantuan": "help",
    "help": "help",
    "bahasa": "language",
    "language": "language",
    "berhenti": "stop",
    "stop": "stop",
    "mulai": "start",
    "start": "start",
}
# Travel-time buttons: the label and the minutes we plan with (the upper end of the range,
# so the citizen leaves early rather than late; "> 30" plans for 45).
_TRAVEL: tuple[tuple[int, str, str], ...] = (
    (15, "< 15 menit", "< 15 min"),
    (30, "15–30 menit", "15–30 min"),
    (45, "> 30 menit", "> 30 min"),
)


def _t(locale: Locale, id_text: str, en_text: str) -> str:
    return en_text if locale == "en" else id_text


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def help_text(locale: Locale) -> str:
    return _t(
        locale,
        "Ketik *MENU* untuk ambil nomor antrean, *STATUS* untuk cek antrean, *BATAL* untuk "
        "membatalkan, *TUNDA* untuk antre lagi setelah terlewat, *BAHASA* untuk English, "
        "*BERHENTI* untuk berhenti menerima pesan.",
        "Type *MENU* to take a queue number, *STATUS* to check your queue, *BATAL* to cancel, "
        "*TUNDA* to rejoin after a missed call, *BAHASA* for Bahasa Indonesia, *STOP* to stop "
        "receiving messages.",
    )


def _wait_text(service: CatalogService, locale: Locale) -> str:
    if service.wait_p50_min is None:
        return _t(locale, "perkiraan tunggu belum ada", "no wait estimate yet")
    minutes = max(0, round(service.wait_p50_min))
    if minutes == 0:
        return _t(locale, "tanpa antre", "no wait")
    return _t(locale, f"tunggu ± {minutes} menit", f"wait ± {minutes} min")


# The menu ----------------------------------------------------------------------------------


def menu_page(catalog: tuple[CatalogService, ...], *, page: int, locale: Locale) -> Reply:
    """One page of the service list, grouped by agency: at most 10 rows in all, the last
    one "Lainnya" when more pages follow."""
    if not catalog:
        return TextReply(
            _t(
                locale,
                "Maaf, belum ada layanan yang bisa diambil nomornya saat ini. Coba lagi nanti.",
                "Sorry, no service is taking numbers right now. Please try again later.",
            )
        )
    ordered = sorted(catalog, key=lambda s: (s.agency_name, s.name(locale)))
    pages = max(1, -(-len(ordered) // SERVICES_PER_PAGE)) if len(ordered) > LIST_ROWS_MAX else 1
    page = min(max(page, 0), pages - 1)
    per_page = LIST_ROWS_MAX if pages == 1 else SERVICES_PER_PAGE
    shown = ordered[page * per_page : (page + 1) * per_page]
    sections: list[ListSection] = []
    for service in shown:
        row = Choice(
            id=f"svc:{service.service_id}",
            title=_clip(service.name(locale), ROW_TITLE_MAX),
            description=_clip(f"{_wait_text(service, locale)} · {service.agency_name}", ROW_DESCRIPTION_MAX),
        )
        title = _clip(service.agency_name, SECTION_TITLE_MAX)
        if sections and sections[-1].title == title:
            sections[-1] = ListSection(title, (*sections[-1].rows, row))
        else:
            sections.append(ListSection(title, (row,)))
    if page + 1 < pages:
        more = Choice(
            id=f"more:{page + 1}",
            title=_t(locale, "Lainnya", "More"),
            description=_t(locale, f"Halaman {page + 2} dari {pages}", f"Page {page + 2} of {pages}"),
        )
        sections.append(ListSection(_t(locale, "Layanan lain", "Other services"), (more,)))
    body = _t(
        locale,
        "Selamat datang di antrean online Mal Pelayanan Publik. Pilih layanan untuk mengambil "
        "nomor antrean; perkiraan waktu tunggu tertera di tiap layanan.",
        "Welcome to the Public Service Mall online queue. Choose a service to take a queue "
        "number; each shows its current expected wait.",
    )
    return ListReply(
        body=body, button=_t(locale, "Pilih layanan", "Choose a service"), sections=tuple(sections)
    )


def service_chosen(service: CatalogService, *, locale: Locale) -> Reply:
    """The service's documents, and the travel-time question as reply buttons."""
    lines = [f"*{service.name(locale)}* ({service.agency_name}), {_wait_text(service, locale)}."]
    documents = service.documents(locale)
    if documents:
        lines.append(_t(locale, "Dokumen yang perlu dibawa:", "Documents to bring:"))
        lines.extend(f"• {document}" for document in documents)
    lines.append("")
    lines.append(
        _t(locale, "Berapa lama perjalanan Anda ke lokasi?", "How long does it take you to get here?")
    )
    buttons = tuple(
        Choice(id=f"trv:{service.service_id}:{minutes}", title=_t(locale, label_id, label_en))
        for minutes, label_id, label_en in _TRAVEL
    )
    return ButtonsReply(body=_clip("\n".join(lines), 1024), buttons=buttons)


# One turn ----------------------------------------------------------------------------------


def _parse_survey(text: str) -> tuple[int, str | None] | None:
    head, _, rest = text.strip().partition(" ")
    if head in {"1", "2", "3", "4", "5"}:
        comment = rest.strip(" ,.-:") or None
        return int(head), comment
    return None


def _find(catalog: tuple[CatalogService, ...], raw_id: str) -> CatalogService | None:
    try:
        wanted = UUID(raw_id)
    except ValueError:
        return None
    return next((service for service in catalog if service.service_id == wanted), None)


def _tap(state: ConversationState, reply_id: str, catalog: tuple[CatalogService, ...]) -> Turn:
    kind, _, rest = reply_id.partition(":")
    locale = state.locale
    if kind == "more" and rest.isdigit():
        return Turn(state, (menu_page(catalog, page=int(rest), locale=locale),))
    if kind == "svc":
        service = _find(catalog, rest)
        if service is not None:
            return Turn(state, (service_chosen(service, locale=locale),))
    if kind == "trv":
        raw_service, _, minutes = rest.partition(":")
        service = _find(catalog, raw_service)
        if service is not None and minutes.isdigit():
            return Turn(state, (), TakeTicket(service_id=service.service_id, travel_minutes=int(minutes)))
    # A tap on something that is gone (service closed or removed): show what there is now.
    notice = TextReply(_t(locale, "Pilihan itu sudah tidak tersedia.", "That choice is no longer available."))
    return Turn(state, (notice, menu_page(catalog, page=0, locale=locale)))


def converse(state: ConversationState, said: Said, catalog: tuple[CatalogService, ...]) -> Turn:
    """What one inbound message does. An opted-out citizen gets nothing until MULAI."""
    word = (said.text or "").strip().lower()
    command = _COMMANDS.get(word)
    if state.opted_out:
        if command == "start":
            back = replace(state, opted_out=False)
            return Turn(
                back, (TextReply(_welcome_back(back.locale)), menu_page(catalog, page=0, locale=back.locale))
            )
        return Turn(state)  # opt-out is honoured: not even a help text
    if said.kind in ("button_reply", "list_reply") and said.reply_id:
        return _tap(state, said.reply_id, catalog)
    if said.kind != "text" or not word:
        return Turn(state, (TextReply(_unsupported(state.locale)),))
    if state.survey_ticket_id is not None:
        survey = _parse_survey(word)
        if survey is not None:
            score, comment = survey
            done = replace(state, survey_ticket_id=None)
            return Turn(done, (), AnswerSurvey(state.survey_ticket_id, score, comment))
    if word in _GREETINGS or command == "menu":
        return Turn(state, (menu_page(catalog, page=0, locale=state.locale),))
    return _command(state, command)


def _command(state: ConversationState, command: str | None) -> Turn:
    locale = state.locale
    if command == "status":
        return Turn(state, (), CheckStatus())
    if command == "cancel":
        return Turn(state, (), CancelTicket())
    if command == "rejoin":
        return Turn(state, (), Rejoin())
    if command == "language":
        switched = replace(state, locale="en" if locale == "id" else "id")
        return Turn(switched, (TextReply(_language_set(switched.locale)),))
    if command == "stop":
        stopped = replace(state, opted_out=True, survey_ticket_id=None)
        return Turn(stopped, (TextReply(_opted_out(locale)),))
    if command == "start":
        return Turn(state, (TextReply(help_text(locale)),))
    if command == "help":
        return Turn(state, (TextReply(help_text(locale)),))
    # Another language, a typo, a question: a short way forward, never silence.
    prefix = _t(locale, "Maaf, kami belum mengerti pesan Anda. ", "Sorry, we did not understand that. ")
    return Turn(state, (TextReply(prefix + help_text(locale)),))


def _unsupported(locale: Locale) -> str:
    return _t(
        locale,
        "Maaf, kami hanya bisa membaca pesan teks. ",
        "Sorry, we can only read text messages. ",
    ) + help_text(locale)


def _language_set(locale: Locale) -> str:
    return _t(
        locale,
        "Bahasa diganti ke Bahasa Indonesia. Ketik BAHASA untuk English.",
        "Language set to English. Type BAHASA for Bahasa Indonesia.",
    )


def _opted_out(locale: Locale) -> str:
    return _t(
        locale,
        "Anda berhenti menerima pesan dari kami, termasuk pemberitahuan antrean. Ketik *MULAI* "
        "untuk menerima pesan lagi.",
        "You will no longer receive messages from us, including queue updates. Type *MULAI* to "
        "receive messages again.",
    )


def _welcome_back(locale: Locale) -> str:
    return _t(
        locale, "Selamat datang kembali! Pesan dari kami aktif lagi.", "Welcome back! Messages are on again."
    )


# Answers to actions (the use case decides which applies) -------------------------------------


def no_ticket_text(locale: Locale) -> str:
    return _t(
        locale,
        "Anda belum punya nomor antrean aktif. Ketik *MENU* untuk ambil nomor.",
        "You have no active queue number. Type *MENU* to take one.",
    )


def ticket_refused_text(locale: Locale, reason: str | None) -> str:
    why = f" ({reason})" if reason else ""
    return _t(
        locale,
        f"Maaf, nomor antrean belum bisa diambil{why}. Ketik *MENU* untuk mencoba lagi.",
        f"Sorry, we could not take a queue number{why}. Type *MENU* to try again.",
    )


def service_unreachable_text(locale: Locale) -> str:
    return _t(
        locale,
        "Maaf, sistem antrean sedang sibuk. Silakan coba lagi beberapa menit lagi.",
        "Sorry, the queue system is busy. Please try again in a few minutes.",
    )


def cancelled_text(number: str, locale: Locale) -> str:
    return _t(
        locale,
        f"Nomor antrean *{number}* sudah dibatalkan. Ketik *MENU* untuk ambil nomor baru.",
        f"Queue number *{number}* is cancelled. Type *MENU* to take a new one.",
    )


def survey_thanks_text(locale: Locale) -> str:
    return _t(
        locale,
        "Terima kasih atas penilaian Anda! Masukan Anda membantu kami melayani lebih baik.",
        "Thank you for your rating! It helps us serve you better.",
    )


_STATUS_WORDS: dict[str, tuple[str, str]] = {
    "waiting": ("menunggu", "waiting"),
    "called": ("sedang dipanggil", "being called"),
    "serving": ("sedang dilayani", "being served"),
    "done": ("selesai dilayani", "served"),
    "no_show": ("terlewat; ketik *TUNDA* untuk antre lagi", "missed; type *TUNDA* to rejoin the queue"),
    "cancelled": ("dibatalkan", "cancelled"),
    "transferred": ("dialihkan ke layanan lain", "transferred to another service"),
}


def status_text(
    *,
    number: str,
    status: str,
    position: int | None,
    counter_name: str | None,
    expected: str | None,
    locale: Locale,
) -> str:
    """STATUS: where the citizen's ticket stands. ``expected`` is the rendered call time."""
    word_id, word_en = _STATUS_WORDS.get(status, (status, status))
    parts = [_t(locale, f"Nomor *{number}*: {word_id}", f"Number *{number}*: {word_en}")]
    if status == "waiting" and position is not None:
        ahead = max(position - 1, 0)
        parts.append(_t(locale, f"{ahead} orang di depan Anda", f"{ahead} ahead of you"))
        if expected:
            parts.append(_t(locale, f"perkiraan dipanggil {expected}", f"expected to be called {expected}"))
    if status == "called" and counter_name:
        parts.append(_t(locale, f"silakan menuju *{counter_name}*", f"please go to *{counter_name}*"))
    return ", ".join(parts) + "."


def action_refused_text(
    *, number: str, what: Literal["cancel", "rejoin"], reason: str | None, locale: Locale
) -> str:
    why = f" ({reason})" if reason else ""
    if what == "cancel":
        return _t(
            locale,
            f"Nomor *{number}* tidak bisa dibatalkan{why}.",
            f"Number *{number}* cannot be cancelled{why}.",
        )
    return _t(
        locale,
        f"Nomor *{number}* tidak bisa masuk antrean lagi{why}. Ketik *MENU* untuk ambil nomor baru.",
        f"Number *{number}* cannot rejoin the queue{why}. Type *MENU* to take a new number.",
    )


def rejoined_text(*, number: str, position: int | None, locale: Locale) -> str:
    where = ""
    if position is not None:
        where = _t(locale, f", posisi ke-{position}", f", position {position}")
    return _t(
        locale,
        f"Nomor *{number}* masuk antrean lagi{where}. Kami kabari saat dipanggil.",
        f"Number *{number}* is back in the queue{where}. We will message you when it is called.",
    )


def survey_question_text(*, number: str, locale: Locale) -> str:
    return _t(
        locale,
        f"Layanan untuk nomor *{number}* sudah selesai. Seberapa puas Anda? Balas angka *1* "
        '(sangat tidak puas) sampai *5* (sangat puas), boleh ditambah komentar, mis. "5 cepat".',
        f"Service for number *{number}* is done. How satisfied were you? Reply *1* (very "
        'dissatisfied) to *5* (very satisfied), optionally with a comment, e.g. "5 quick".',
    )


def no_show_text(*, number: str, locale: Locale) -> str:
    return _t(
        locale,
        f"Nomor *{number}* sudah dipanggil tetapi Anda tidak datang. Balas *TUNDA* untuk antre lagi "
        "(sekali saja, dalam batas waktu).",
        f"Number *{number}* was called but you did not come. Reply *TUNDA* to rejoin the queue "
        "(once, within the time limit).",
    )
