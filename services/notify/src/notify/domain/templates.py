"""WhatsApp message templates: the one place that names them and their parameters.

Outside the 24-hour customer-service window (no message from the citizen in the last 24
hours) WhatsApp only delivers pre-approved templates. Each template below must be submitted
to Meta, in Bahasa Indonesia (``id``) and English (``en``), with exactly these body
parameters in this order; the text in ``example`` is what was submitted for approval
(the wa-sandbox holds the same texts in ``wa_sandbox/domain/approved_templates.py``).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from notify.domain.texts import Locale


@dataclass(frozen=True)
class Template:
    name: str
    parameters: tuple[str, ...]  # names of {{1}}, {{2}}, ... in order, for the reader
    example: str  # the Bahasa Indonesia body submitted for approval
    example_en: str  # the English body submitted for approval


# v2 adds the status page link ({{6}}); v1 (without it) stays approved at Meta but unused.
TICKET_ISSUED = Template(
    name="antre_nomor_antrean_v2",
    parameters=("number", "service", "expected_call", "leave_by", "documents", "status_url"),
    example="Nomor antrean Anda *{{1}}* untuk {{2}}. Perkiraan dipanggil {{3}}. {{4}} {{5}}\n"
    "Pantau antrean Anda: {{6}}",
    example_en="Your queue number is *{{1}}* for {{2}}. Expected to be called {{3}}. {{4}} {{5}}\n"
    "Follow your place in line: {{6}}",
)
CALLED = Template(
    name="antre_dipanggil_v1",
    parameters=("number", "counter"),
    example="Nomor *{{1}}* dipanggil. Silakan menuju *{{2}}* sekarang.",
    example_en="Number *{{1}}* is being called. Please go to *{{2}}* now.",
)
SURVEY = Template(
    name="antre_survei_skm_v1",
    parameters=("number",),
    example="Layanan untuk nomor *{{1}}* sudah selesai. Balas angka 1 sampai 5 untuk menilai layanan "
    "kami. Seberapa puas Anda?",
    example_en="Service for number *{{1}}* is done. Reply 1 to 5 to rate our service. "
    "How satisfied were you?",
)
NO_SHOW = Template(
    name="antre_terlewat_v1",
    parameters=("number",),
    example="Nomor *{{1}}* sudah dipanggil tetapi Anda tidak datang. Balas TUNDA untuk antre lagi.",
    example_en="Number *{{1}}* was called but you did not come. Reply TUNDA to rejoin the queue.",
)
LEAVE_HOME = Template(
    name="antre_berangkat_v1",
    parameters=("number", "expected_call"),
    example="Saatnya berangkat: nomor *{{1}}* diperkirakan dipanggil {{2}}.",
    example_en="Time to leave: number *{{1}}* is expected to be called {{2}}.",
)
FEW_AHEAD = Template(
    name="antre_hampir_giliran_v1",
    parameters=("number", "ahead"),
    example="Tinggal {{2}} antrean lagi sebelum nomor *{{1}}*. Mohon bersiap di dekat loket.",
    example_en="Only {{2}} more ahead of number *{{1}}*. Please be ready near the counter.",
)
ESTIMATE_CHANGED = Template(
    name="antre_perkiraan_berubah_v1",
    parameters=("number", "expected_call", "leave_by"),
    example="Perkiraan berubah: nomor *{{1}}* kini diperkirakan dipanggil {{2}}. {{3}}",
    example_en="Estimate changed: number *{{1}}* is now expected to be called {{2}}. {{3}}",
)
ALL = (TICKET_ISSUED, CALLED, SURVEY, NO_SHOW, LEAVE_HOME, FEW_AHEAD, ESTIMATE_CHANGED)


def template_message(template: Template, *, locale: Locale, values: Mapping[str, str]) -> dict[str, Any]:
    """The Cloud API ``template`` object. Meta refuses empty parameters, so a missing value
    is a dash."""
    missing = set(values) - set(template.parameters)
    if missing:
        raise ValueError(f"{template.name} has no parameter(s) {sorted(missing)}")
    return {
        "name": template.name,
        "language": {"code": locale},
        "components": [
            {
                "type": "body",
                "parameters": [
                    {"type": "text", "text": (values.get(name) or "-")[:1024]} for name in template.parameters
                ],
            }
        ],
    }
