"""The conversation state machine: what a citizen sees for what they send."""

from uuid import UUID, uuid4

from notify.domain.conversation import (
    LIST_ROWS_MAX,
    ROW_TITLE_MAX,
    AnswerSurvey,
    ButtonsReply,
    CancelTicket,
    CatalogService,
    CheckStatus,
    ConversationState,
    ListReply,
    Rejoin,
    Said,
    TakeTicket,
    TextReply,
    converse,
)

PKB = CatalogService(
    service_id=uuid4(),
    agency_name="SAMSAT",
    name_id="Pembayaran Pajak Kendaraan Tahunan",
    name_en="Annual vehicle tax",
    documents_id=("KTP asli", "STNK asli"),
    documents_en=("Original ID card", "Original STNK"),
    wait_p50_min=25.4,
)
SIM = CatalogService(
    service_id=uuid4(), agency_name="Satpas SIM", name_id="Perpanjangan SIM", wait_p50_min=None
)
CATALOG = (PKB, SIM)
FRESH = ConversationState()


def text(body: str) -> Said:
    return Said(kind="text", text=body)


def tap(reply_id: str) -> Said:
    return Said(kind="list_reply", reply_id=reply_id, text="x")


def rows(reply: ListReply) -> list[str]:
    return [row.id for section in reply.sections for row in section.rows]


def test_a_greeting_shows_the_services_grouped_by_agency_with_their_wait() -> None:
    for greeting in ("MENU", "halo", " Hi "):
        turn = converse(FRESH, text(greeting), CATALOG)
        (menu,) = turn.replies
        assert isinstance(menu, ListReply)
        assert [s.title for s in menu.sections] == ["SAMSAT", "Satpas SIM"]
        first = menu.sections[0].rows[0]
        assert first.id == f"svc:{PKB.service_id}"
        assert len(first.title) <= ROW_TITLE_MAX
        assert first.description is not None and "± 25 menit" in first.description
        assert "belum ada" in (menu.sections[1].rows[0].description or "")


def test_a_long_catalog_is_paged_with_a_lainnya_row_and_never_more_than_ten_rows() -> None:
    catalog = tuple(
        CatalogService(service_id=uuid4(), agency_name=f"Instansi {i % 4}", name_id=f"Layanan {i:02d}")
        for i in range(23)
    )
    seen: set[str] = set()
    reply = converse(FRESH, text("MENU"), catalog).replies[0]
    pages = 0
    while True:
        assert isinstance(reply, ListReply)
        pages += 1
        ids = rows(reply)
        assert len(ids) <= LIST_ROWS_MAX
        seen.update(i for i in ids if i.startswith("svc:"))
        more = [i for i in ids if i.startswith("more:")]
        if not more:
            break
        assert reply.sections[-1].rows[0].title == "Lainnya"
        reply = converse(FRESH, tap(more[0]), catalog).replies[0]
    assert pages == 3
    assert seen == {f"svc:{s.service_id}" for s in catalog}


def test_choosing_a_service_shows_its_documents_and_asks_the_travel_time() -> None:
    (reply,) = converse(FRESH, tap(f"svc:{PKB.service_id}"), CATALOG).replies
    assert isinstance(reply, ButtonsReply)
    assert "KTP asli" in reply.body and "STNK asli" in reply.body
    assert [b.title for b in reply.buttons] == ["< 15 menit", "15–30 menit", "> 30 menit"]
    assert all(len(b.title) <= 20 for b in reply.buttons)


def test_a_travel_time_tap_takes_the_ticket() -> None:
    turn = converse(FRESH, Said(kind="button_reply", reply_id=f"trv:{PKB.service_id}:30"), CATALOG)
    assert turn.action == TakeTicket(service_id=PKB.service_id, travel_minutes=30)
    assert turn.replies == ()  # the issued message itself follows from ticketing's hand-off


def test_a_tap_on_a_service_that_is_gone_says_so_and_shows_the_menu_again() -> None:
    turn = converse(FRESH, tap(f"svc:{uuid4()}"), CATALOG)
    notice, menu = turn.replies
    assert isinstance(notice, TextReply) and "tidak tersedia" in notice.body
    assert isinstance(menu, ListReply)


def test_commands_become_actions() -> None:
    assert converse(FRESH, text("STATUS"), CATALOG).action == CheckStatus()
    assert converse(FRESH, text("batal"), CATALOG).action == CancelTicket()
    assert converse(FRESH, text("TUNDA"), CATALOG).action == Rejoin()


def test_bahasa_switches_to_english_and_back() -> None:
    turn = converse(FRESH, text("BAHASA"), CATALOG)
    assert turn.state.locale == "en"
    assert "English" in turn.replies[0].body  # type: ignore[union-attr]
    menu = converse(turn.state, text("MENU"), CATALOG).replies[0]
    assert isinstance(menu, ListReply)
    assert menu.sections[0].rows[0].title == "Annual vehicle tax"
    (chosen,) = converse(turn.state, tap(f"svc:{PKB.service_id}"), CATALOG).replies
    assert isinstance(chosen, ButtonsReply) and "Original ID card" in chosen.body
    assert converse(turn.state, text("BAHASA"), CATALOG).state.locale == "id"


def test_berhenti_confirms_then_silence_until_mulai() -> None:
    stop = converse(FRESH, text("BERHENTI"), CATALOG)
    assert stop.state.opted_out
    assert "MULAI" in stop.replies[0].body  # type: ignore[union-attr]
    for anything in (text("MENU"), text("STATUS"), text("apa kabar"), Said(kind="other")):
        silent = converse(stop.state, anything, CATALOG)
        assert silent.replies == () and silent.action is None
    back = converse(stop.state, text("MULAI"), CATALOG)
    assert not back.state.opted_out
    assert isinstance(back.replies[-1], ListReply)
    assert converse(FRESH, text("STOP"), CATALOG).state.opted_out


def test_a_survey_answer_with_a_comment() -> None:
    ticket_id = uuid4()
    waiting = ConversationState(survey_ticket_id=ticket_id)
    turn = converse(waiting, text("5 petugasnya ramah"), CATALOG)
    assert turn.action == AnswerSurvey(ticket_id=ticket_id, score=5, comment="petugasnya ramah")
    assert turn.state.survey_ticket_id is None
    assert converse(waiting, text("4"), CATALOG).action == AnswerSurvey(ticket_id, 4, None)
    # Without a pending survey a digit is just unknown text.
    assert converse(FRESH, text("5"), CATALOG).action is None


def test_unknown_text_and_unsupported_types_get_a_short_help_never_silence() -> None:
    for said in (text("how do I renew my licence?"), text("xyz"), Said(kind="other")):
        (reply,) = converse(FRESH, said, CATALOG).replies
        assert isinstance(reply, TextReply)
        assert "MENU" in reply.body
    assert "teks" in converse(FRESH, Said(kind="other"), CATALOG).replies[0].body  # type: ignore[union-attr]


def test_an_empty_catalog_says_so_instead_of_an_empty_list() -> None:
    (reply,) = converse(FRESH, text("MENU"), ()).replies
    assert isinstance(reply, TextReply) and "belum ada layanan" in reply.body


def test_row_ids_fit_the_cloud_api() -> None:
    menu = converse(FRESH, text("MENU"), CATALOG).replies[0]
    assert isinstance(menu, ListReply)
    assert all(len(i) <= 200 and UUID(i.split(":")[1]) for i in rows(menu))
