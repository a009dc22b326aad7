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
    example: str


TICKET_ISSUED = Template(
    name="antre_nomor_antrean_v1",
    parameters=("number", "service", "expected_call", "leave_by", "documents"),
    example="Nomor antrean Anda *{{1}}* untuk {{2}}. Perkiraan dipanggil {{3}}. {{4}} {{5}}",
)
CALLED = Template(
    name="antre_dipanggil_v1",
    parameters=("number", "counter"),
    example="Nomor *{{1}}* dipanggil. Silakan menuju *{{2}}* sekarang.",
)
SURVEY = Template(
    name="antre_survei_skm_v1",
    parameters=("number",),
    example="Layanan untuk nomor *{{1}}* sudah selesai. Balas angka 1 sampai 5 untuk menilai layanan "
    "kami. Seberapa puas Anda?",
)
NO_SHOW = Template(
    name="antre_terlewat_v1",
    parameters=("number",),
    example="Nomor *{{1}}* sudah dipanggil tetapi Anda tidak datang. Balas TUNDA untuk antre lagi.",
)
LEAVE_HOME = Template(
    name="antre_berangkat_v1",
    parameters=("number", "expected_call"),
    example="Saatnya berangkat: nomor *{{1}}* diperkirakan dipanggil {{2}}.",
)
FEW_AHEAD = Template(
    name="antre_hampir_giliran_v1",
    parameters=("number", "ahead"),
    example="Tinggal {{2}} antrean lagi sebelum nomor *{{1}}*. Mohon bersiap di dekat loket.",
)
ESTIMATE_CHANGED = Template(
    name="antre_perkiraan_berubah_v1",
    parameters=("number", "expected_call", "leave_by"),
    example="Perkiraan berubah: nomor *{{1}}* kini diperkirakan dipanggil {{2}}. {{3}}",
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
