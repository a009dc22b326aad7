"""The message templates "approved" in the sandbox's business account, as Meta holds them
after review: name and language to body text with {{1}}, {{2}}, ... placeholders.

A template send is shown to the simulated phone the way WhatsApp shows it, the approved text
with its parameters filled in. These texts must match what notify submits for approval
(``notify/domain/templates.py``); a template the sandbox does not know is shown as
``name (language): p1 | p2`` so a test still sees its parameters.
"""

import re

APPROVED: dict[tuple[str, str], str] = {
    (
        "antre_nomor_antrean_v1",
        "id",
    ): "Nomor antrean Anda *{{1}}* untuk {{2}}. Perkiraan dipanggil {{3}}. {{4}} {{5}}",
    (
        "antre_nomor_antrean_v1",
        "en",
    ): "Your queue number is *{{1}}* for {{2}}. Expected to be called {{3}}. {{4}} {{5}}",
    # v2 adds the citizen's status page link; v1 stays approved (Meta keeps old versions).
    (
        "antre_nomor_antrean_v2",
        "id",
    ): "Nomor antrean Anda *{{1}}* untuk {{2}}. Perkiraan dipanggil {{3}}. {{4}} {{5}}\n"
    "Pantau antrean Anda: {{6}}",
    (
        "antre_nomor_antrean_v2",
        "en",
    ): "Your queue number is *{{1}}* for {{2}}. Expected to be called {{3}}. {{4}} {{5}}\n"
    "Follow your place in line: {{6}}",
    ("antre_dipanggil_v1", "id"): "Nomor *{{1}}* dipanggil. Silakan menuju *{{2}}* sekarang.",
    ("antre_dipanggil_v1", "en"): "Number *{{1}}* is being called. Please go to *{{2}}* now.",
    ("antre_survei_skm_v1", "id"): "Layanan untuk nomor *{{1}}* sudah selesai. Balas angka 1 sampai 5 untuk "
    "menilai layanan kami. Seberapa puas Anda?",
    ("antre_survei_skm_v1", "en"): "Service for number *{{1}}* is done. Reply 1 to 5 to rate our service. "
    "How satisfied were you?",
    ("antre_terlewat_v1", "id"): "Nomor *{{1}}* sudah dipanggil tetapi Anda tidak datang. Balas TUNDA untuk "
    "antre lagi.",
    (
        "antre_terlewat_v1",
        "en",
    ): "Number *{{1}}* was called but you did not come. Reply TUNDA to rejoin the queue.",
    ("antre_berangkat_v1", "id"): "Saatnya berangkat: nomor *{{1}}* diperkirakan dipanggil {{2}}.",
    ("antre_berangkat_v1", "en"): "Time to leave: number *{{1}}* is expected to be called {{2}}.",
    (
        "antre_hampir_giliran_v1",
        "id",
    ): "Tinggal {{2}} antrean lagi sebelum nomor *{{1}}*. Mohon bersiap di dekat loket.",
    (
        "antre_hampir_giliran_v1",
        "en",
    ): "Only {{2}} more ahead of number *{{1}}*. Please be ready near the counter.",
    (
        "antre_perkiraan_berubah_v1",
        "id",
    ): "Perkiraan berubah: nomor *{{1}}* kini diperkirakan dipanggil {{2}}. {{3}}",
    (
        "antre_perkiraan_berubah_v1",
        "en",
    ): "Estimate changed: number *{{1}}* is now expected to be called {{2}}. {{3}}",
}
_PLACEHOLDER = re.compile(r"\{\{(\d+)\}\}")


def fill(name: str, language: str, parameters: list[str]) -> str | None:
    """The approved text with its parameters, or None for a template the sandbox does not know."""
    text = APPROVED.get((name, language))
    if text is None:
        return None

    def value(match: re.Match[str]) -> str:
        index = int(match.group(1)) - 1
        return parameters[index] if 0 <= index < len(parameters) else match.group(0)

    return _PLACEHOLDER.sub(value, text)
