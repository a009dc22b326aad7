"""The conversation's use cases: answer an inbound message (in the webhook's transaction),
and carry out what it asked of ticketing (a durable action, outside any transaction).

Answering records the citizen's new state, the replies and the action together; a worker
then claims due actions, calls ticketing (Idempotency-Key = the inbound message id, so a
retry never takes a second number) and records the outcome with its reply.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal
from uuid import UUID

from antre_contracts import new_event
from antre_contracts.events import SurveyAnswered

from notify.app.ports import (
    TicketingApi,
    TicketingRefused,
    TicketingUnavailable,
    UnitOfWork,
    UnitOfWorkFactory,
)
from notify.domain import templates
from notify.domain.conversation import (
    Action,
    AnswerSurvey,
    CancelTicket,
    CheckStatus,
    ConversationState,
    Rejoin,
    Reply,
    Said,
    TakeTicket,
    TextReply,
    action_refused_text,
    cancelled_text,
    converse,
    no_show_text,
    no_ticket_text,
    rejoined_text,
    render,
    service_unreachable_text,
    status_text,
    survey_question_text,
    survey_thanks_text,
    ticket_refused_text,
)
from notify.domain.model import InboundMessage, OutboundDraft, Timing, rejoined_cause, reply_cause
from notify.domain.phone import PhoneNumber
from notify.domain.texts import Locale, clock_time

log = logging.getLogger(__name__)
SOURCE = "antre/notify"


@dataclass(frozen=True)
class ActionPolicy:
    lease: timedelta = timedelta(seconds=60)
    retry_initial: timedelta = timedelta(seconds=1)
    retry_max: timedelta = timedelta(seconds=60)
    # After this many tries the citizen is told to try again later (the action is dropped).
    attempts: int = 6

    def backoff(self, attempts_so_far: int) -> timedelta:
        return min(self.retry_initial * (1 << min(attempts_so_far, 16)), self.retry_max)


def _said(message: InboundMessage) -> Said:
    if message.kind == "text":
        return Said(kind="text", text=message.text)
    if message.kind in ("button_reply", "list_reply"):
        return Said(kind=message.kind, text=message.text, reply_id=message.reply_id)  # type: ignore[arg-type]
    return Said(kind="other")


def _action_json(action: Action) -> dict[str, Any]:
    if isinstance(action, TakeTicket):
        return {"type": "take", "service_id": str(action.service_id), "travel_minutes": action.travel_minutes}
    if isinstance(action, CheckStatus):
        return {"type": "status"}
    if isinstance(action, CancelTicket):
        return {"type": "cancel"}
    if isinstance(action, Rejoin):
        return {"type": "rejoin"}
    raise ValueError(f"{type(action).__name__} is answered at once, not queued")


async def _add_replies(
    work: UnitOfWork,
    replies: tuple[Reply, ...] | list[Reply],
    *,
    cause: str,
    to: PhoneNumber,
    locale: Locale,
    expires_at: datetime,
    now: datetime,
    ticket_id: UUID | None = None,
) -> int:
    created = 0
    for index, reply in enumerate(replies):
        body, interactive = render(reply)
        draft = OutboundDraft(
            cause_key=cause if index == 0 else f"{cause}:{index}",
            kind="reply",
            to=to,
            locale=locale,
            body=body,
            expires_at=expires_at,
            ticket_id=ticket_id,
            interactive=interactive,
        )
        if await work.store.add_outbound(draft, now=now) is not None:
            created += 1
    return created


async def answer_inbound(
    work: UnitOfWork, message: InboundMessage, *, now: datetime, timing: Timing, site_code: str
) -> int:
    """One new inbound message: the conversation's turn, recorded in the caller's transaction.
    Returns how many replies were created."""
    store = work.store
    state = await store.conversation(message.sender)
    site_id = await store.site_by_code(site_code)
    catalog = await store.catalog(site_id) if site_id is not None else ()
    turn = converse(state, _said(message), catalog)
    expires_at = message.sent_at + timing.reply_ttl  # replies only inside the 24-hour window
    reply_kwargs = {
        "cause": reply_cause(message.wamid),
        "to": message.sender,
        "expires_at": expires_at,
        "now": now,
    }
    replies: list[Reply] = list(turn.replies)
    if isinstance(turn.action, AnswerSurvey):
        await _publish_survey(work, turn.action, at=now)
        replies.append(TextReply(survey_thanks_text(turn.state.locale)))
    elif turn.action is not None:
        await store.add_action(
            wamid=message.wamid,
            phone=message.sender,
            action=_action_json(turn.action),
            locale=turn.state.locale,
            now=now,
        )
    if turn.state.opted_out:
        # Opt-out at once: what was queued for this citizen is withdrawn; only the
        # confirmation, stored before the opt-out is saved, still goes.
        await store.withdraw_unsent(message.sender)
        created = await _add_replies(work, replies, locale=turn.state.locale, **reply_kwargs)  # type: ignore[arg-type]
        await store.save_conversation(message.sender, turn.state, now=now, inbound_at=message.sent_at)
        return created
    await store.save_conversation(message.sender, turn.state, now=now, inbound_at=message.sent_at)
    return await _add_replies(work, replies, locale=turn.state.locale, **reply_kwargs)  # type: ignore[arg-type]


async def _publish_survey(work: UnitOfWork, answer: AnswerSurvey, *, at: datetime) -> None:
    ticket = await work.store.ticket(answer.ticket_id)
    if ticket is None:
        log.warning("survey answer for unknown ticket %s dropped", answer.ticket_id)
        return
    await work.publish(
        new_event(
            type="survey.answered",
            source=SOURCE,
            time=at,
            site_id=ticket.site_id,
            subject=ticket.ticket_id,
            data=SurveyAnswered(
                ticket_id=ticket.ticket_id,
                service_id=ticket.service_id,
                score=answer.score,
                comment=answer.comment,
                at=at,
            ),
        )
    )


async def ask_survey(work: UnitOfWork, *, ticket_id: UUID, now: datetime, timing: Timing) -> int:
    """After service.finished: one SKM question (1–5) to the ticket's recipient."""
    recipient = await work.store.recipient(ticket_id)
    ticket = await work.store.ticket(ticket_id)
    if recipient is None or ticket is None:
        return 0
    state = await work.store.conversation(recipient.phone)
    if state.opted_out:
        return 0
    await work.store.save_conversation(
        recipient.phone,
        ConversationState(locale=state.locale, opted_out=False, survey_ticket_id=ticket_id),
        now=now,
    )
    draft = OutboundDraft(
        cause_key=f"survey:{ticket_id}",
        kind="reply",
        to=recipient.phone,
        locale=state.locale,
        body=survey_question_text(number=ticket.number, locale=state.locale),
        expires_at=now + timing.reply_ttl,
        ticket_id=ticket_id,
        site_id=recipient.site_id,
        template=templates.template_message(
            templates.SURVEY, locale=state.locale, values={"number": ticket.number}
        ),
    )
    return 1 if await work.store.add_outbound(draft, now=now) is not None else 0


async def tell_no_show(work: UnitOfWork, *, ticket_id: UUID, now: datetime, timing: Timing) -> int:
    """After ticket.no_show: the citizen may answer TUNDA to rejoin."""
    recipient = await work.store.recipient(ticket_id)
    ticket = await work.store.ticket(ticket_id)
    if recipient is None or ticket is None:
        return 0
    locale = (await work.store.conversation(recipient.phone)).locale
    draft = OutboundDraft(
        cause_key=f"no_show:{ticket_id}",
        kind="reply",
        to=recipient.phone,
        locale=locale,
        body=no_show_text(number=ticket.number, locale=locale),
        expires_at=now + timing.called_ttl,
        ticket_id=ticket_id,
        site_id=recipient.site_id,
        template=templates.template_message(
            templates.NO_SHOW, locale=locale, values={"number": ticket.number}
        ),
    )
    return 1 if await work.store.add_outbound(draft, now=now) is not None else 0


async def confirm_rejoin(
    work: UnitOfWork, *, ticket_id: UUID, number: str | None, position: int | None, now: datetime,
    timing: Timing, asked_by: PhoneNumber | None = None
) -> int:
    """"Nomor A-001 masuk antrean lagi": once per rejoin, whether the TUNDA reply or the
    ticket.rejoined event gets here first (the same cause key). ``asked_by``: the phone that
    typed TUNDA (answered even if the phone hand-off is unknown here)."""
    recipient = await work.store.recipient(ticket_id)
    ticket = await work.store.ticket(ticket_id)
    number = number or (ticket.number if ticket else None)
    to = asked_by or (recipient.phone if recipient else None)
    if to is None or number is None:
        return 0
    locale = (await work.store.conversation(to)).locale
    draft = OutboundDraft(
        cause_key=rejoined_cause(ticket_id, await work.store.round(ticket_id)),
        kind="reply",
        to=to,
        locale=locale,
        body=rejoined_text(number=number, position=position, locale=locale),
        # only worth saying right after the rejoin; no approved template for it
        expires_at=now + timing.called_ttl,
        ticket_id=ticket_id,
        site_id=recipient.site_id if recipient else (ticket.site_id if ticket else None),
    )
    return 1 if await work.store.add_outbound(draft, now=now) is not None else 0


@dataclass(frozen=True)
class RejoinConfirmed:
    """TUNDA went through: confirmed under the rejoin's own cause, not as a plain reply."""

    ticket_id: UUID
    number: str
    position: int | None


# The action worker ------------------------------------------------------------------------------


async def perform_due_actions(
    *, uow: UnitOfWorkFactory, ticketing: TicketingApi, now: datetime, timing: Timing, policy: ActionPolicy
) -> int:
    """Carry out due actions; returns how many replies were created."""
    async with uow() as work:
        claimed = await work.store.claim_actions(now=now, lease=policy.lease, limit=16)
    created = 0
    for wamid, phone, action, locale, attempts in claimed:
        try:
            outcome = await _perform(
                action, phone=phone, wamid=wamid, locale=locale, uow=uow, ticketing=ticketing, now=now
            )
        except TicketingUnavailable as exc:
            if attempts + 1 < policy.attempts:
                log.warning("ticketing unavailable for action %s (%s); retrying", action.get("type"), exc)
                async with uow() as work:
                    await work.store.retry_action(wamid, next_attempt_at=now + policy.backoff(attempts))
                continue
            outcome = [TextReply(service_unreachable_text(locale))]
        async with uow() as work:
            await work.store.finish_action(wamid)
            if isinstance(outcome, RejoinConfirmed):
                created += await confirm_rejoin(
                    work, ticket_id=outcome.ticket_id, number=outcome.number, position=outcome.position,
                    now=now, timing=timing, asked_by=phone,
                )
                continue
            created += await _add_replies(
                work,
                outcome,
                cause=f"action:{wamid}",
                to=phone,
                locale=locale,
                expires_at=now + timing.reply_ttl,
                now=now,
            )
    return created


async def _perform(
    action: dict[str, Any],
    *,
    phone: PhoneNumber,
    wamid: str,
    locale: Locale,
    uow: UnitOfWorkFactory,
    ticketing: TicketingApi,
    now: datetime,
) -> list[Reply] | RejoinConfirmed:
    kind = action.get("type")
    if kind == "take":
        return await _take(
            action, phone=phone, wamid=wamid, locale=locale, uow=uow, ticketing=ticketing, now=now
        )
    async with uow() as work:
        latest = await work.store.latest_citizen_ticket(phone)
    if latest is None:
        return [TextReply(no_ticket_text(locale))]
    ticket_id, number, _, token = latest
    if kind == "status":
        return await _status(ticket_id, number, token, locale=locale, uow=uow, ticketing=ticketing, now=now)
    try:
        if kind == "cancel":
            view = await ticketing.cancel(ticket_id, access_token=token)
            return [TextReply(cancelled_text(view.number, locale))]
        if kind == "rejoin":
            view = await ticketing.rejoin(ticket_id, access_token=token)
            return RejoinConfirmed(ticket_id=ticket_id, number=view.number, position=view.position)
    except TicketingRefused as exc:
        what: Literal["cancel", "rejoin"] = "cancel" if kind == "cancel" else "rejoin"
        return [TextReply(action_refused_text(number=number, what=what, reason=exc.detail, locale=locale))]
    log.warning("unknown conversation action %r dropped", kind)
    return []


async def _take(
    action: dict[str, Any],
    *,
    phone: PhoneNumber,
    wamid: str,
    locale: Locale,
    uow: UnitOfWorkFactory,
    ticketing: TicketingApi,
    now: datetime,
) -> list[Reply]:
    try:
        taken = await ticketing.take(
            service_id=UUID(action["service_id"]),
            phone=phone.e164,
            locale=locale,
            travel_minutes=int(action["travel_minutes"]),
            idempotency_key=f"whatsapp:{wamid}",
        )
    except TicketingRefused as exc:
        return [TextReply(ticket_refused_text(locale, exc.detail))]
    async with uow() as work:
        await work.store.add_citizen_ticket(
            ticket_id=taken.ticket_id,
            phone=phone,
            service_id=taken.service_id,
            number=taken.number,
            access_token=taken.access_token,
            now=now,
        )
    # The "issued" message follows from ticketing's phone hand-off, with the estimate.
    return []


async def _status(
    ticket_id: UUID,
    number: str,
    token: str,
    *,
    locale: Locale,
    uow: UnitOfWorkFactory,
    ticketing: TicketingApi,
    now: datetime,
) -> list[Reply]:
    try:
        view = await ticketing.view(ticket_id, access_token=token)
    except TicketingRefused:
        return [TextReply(no_ticket_text(locale))]
    expected = None
    async with uow() as work:
        eta = await work.store.eta(ticket_id)
        ticket = await work.store.ticket(ticket_id)
        site = await work.store.site_info(ticket.site_id) if ticket is not None else None
    if eta is not None and site is not None:
        expected = clock_time(eta.call_p50, timezone=site.timezone, now=now, locale=locale)
    return [
        TextReply(
            status_text(
                number=view.number or number,
                status=view.status,
                position=view.position,
                counter_name=view.counter_name,
                expected=expected,
                locale=locale,
            )
        )
    ]
