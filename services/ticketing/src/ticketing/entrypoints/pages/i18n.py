"""The pages' words, Bahasa Indonesia first; one code path picks a language by ``?lang=``."""

from typing import Final, Literal

Lang = Literal["id", "en"]

STRINGS: Final[dict[str, dict[Lang, str]]] = {
    "board_title": {"id": "Papan Antrean", "en": "Queue board"},
    "latest_calls": {"id": "Panggilan terakhir", "en": "Latest calls"},
    "waiting": {"id": "Menunggu", "en": "Waiting"},
    "expected_wait": {"id": "Perkiraan tunggu", "en": "Expected wait"},
    "agency": {"id": "Instansi", "en": "Agency"},
    "minutes": {"id": "mnt", "en": "min"},
    "no_calls": {"id": "Belum ada panggilan hari ini", "en": "No calls yet today"},
    "enable_sound": {"id": "Aktifkan suara", "en": "Enable sound"},
    "connection_lost": {"id": "Koneksi terputus, menyambung ulang…", "en": "Connection lost, reconnecting…"},
    "console_title": {"id": "Konsol Loket", "en": "Counter console"},
    "staff_token": {"id": "Token petugas", "en": "Staff token"},
    "sign_in": {"id": "Masuk", "en": "Sign in"},
    "sign_out": {"id": "Keluar", "en": "Sign out"},
    "status": {"id": "Status", "en": "Status"},
    "status_open": {"id": "Buka", "en": "Open"},
    "status_paused": {"id": "Istirahat", "en": "Paused"},
    "status_closed": {"id": "Tutup", "en": "Closed"},
    "open": {"id": "Buka loket", "en": "Open counter"},
    "pause": {"id": "Istirahat", "en": "Pause"},
    "pause_reason": {"id": "Alasan istirahat", "en": "Pause reason"},
    "close": {"id": "Tutup loket", "en": "Close counter"},
    "current_ticket": {"id": "Nomor saat ini", "en": "Current ticket"},
    "none_current": {"id": "Belum ada nomor dipanggil", "en": "No ticket called"},
    "call_next": {"id": "Panggil berikutnya", "en": "Call next"},
    "recall": {"id": "Panggil ulang", "en": "Recall"},
    "start": {"id": "Mulai layani", "en": "Start"},
    "finish": {"id": "Selesai", "en": "Finish"},
    "no_show": {"id": "Tidak hadir", "en": "No-show"},
    "transfer": {"id": "Alihkan", "en": "Transfer"},
    "transfer_to": {"id": "Alihkan ke layanan", "en": "Transfer to service"},
    "waiting_list": {"id": "Daftar tunggu", "en": "Waiting list"},
    "nobody_waiting": {"id": "Tidak ada yang menunggu", "en": "Nobody is waiting"},
    "priority": {"id": "Prioritas", "en": "Priority"},
    "waited": {"id": "Menunggu", "en": "Waited"},
    "channel": {"id": "Kanal", "en": "Channel"},
    "service": {"id": "Layanan", "en": "Service"},
    "shortcuts": {
        "id": "Pintasan: N panggil, R ulang, S mulai, F selesai, X tidak hadir",
        "en": "Shortcuts: N call, R recall, S start, F finish, X no-show",
    },
    "kiosk_title": {"id": "Ambil Nomor Antrean", "en": "Take a queue number"},
    "choose_agency": {"id": "Pilih instansi", "en": "Choose an agency"},
    "choose_service": {"id": "Pilih layanan", "en": "Choose a service"},
    "documents": {"id": "Dokumen yang dibawa", "en": "Documents to bring"},
    "current_wait": {"id": "Tunggu saat ini", "en": "Current wait"},
    "priority_question": {
        "id": "Apakah Anda lansia, penyandang disabilitas, atau ibu hamil?",
        "en": "Are you elderly, a person with a disability, or pregnant?",
    },
    "regular": {"id": "Tidak, antrean biasa", "en": "No, regular queue"},
    "elderly": {"id": "Lansia", "en": "Elderly"},
    "disabled": {"id": "Disabilitas", "en": "Disability"},
    "pregnant": {"id": "Ibu hamil", "en": "Pregnant"},
    "back": {"id": "Kembali", "en": "Back"},
    "your_number": {"id": "Nomor antrean Anda", "en": "Your queue number"},
    "scan_status": {"id": "Pindai untuk melihat posisi antrean", "en": "Scan to follow your place in line"},
    "print": {"id": "Cetak", "en": "Print"},
    "done": {"id": "Selesai", "en": "Done"},
    "people_ahead": {"id": "orang di depan Anda", "en": "people ahead of you"},
    "status_title": {"id": "Status Antrean", "en": "Queue status"},
    "position": {"id": "Posisi", "en": "Position"},
    "estimate": {"id": "Perkiraan dipanggil", "en": "Expected call"},
    "leave_home": {"id": "Berangkat paling lambat", "en": "Leave home by"},
    "arrive_by": {"id": "Tiba di MPP sebelum", "en": "Arrive before"},
    "between": {"id": "antara", "en": "between"},
    "and": {"id": "dan", "en": "and"},
    "cancel": {"id": "Batalkan antrean", "en": "Cancel my ticket"},
    "cancel_confirm": {"id": "Yakin membatalkan nomor antrean ini?", "en": "Cancel this ticket?"},
    "estimate_pending": {"id": "Perkiraan sedang dihitung", "en": "Estimate not ready yet"},
    "ticket_waiting": {"id": "Menunggu", "en": "Waiting"},
    "ticket_called": {"id": "Dipanggil! Silakan menuju", "en": "Called! Please go to"},
    "ticket_serving": {"id": "Sedang dilayani di", "en": "Being served at"},
    "state_called": {"id": "Dipanggil", "en": "Called"},
    "state_serving": {"id": "Sedang dilayani", "en": "Being served"},
    "ticket_done": {"id": "Selesai dilayani. Terima kasih!", "en": "Done. Thank you!"},
    "ticket_no_show": {"id": "Tidak hadir saat dipanggil", "en": "Missed the call"},
    "ticket_cancelled": {"id": "Antrean dibatalkan", "en": "Ticket cancelled"},
    "ticket_day_ended": {
        "id": "Antrean dibatalkan: hari layanan telah berakhir. Silakan ambil nomor baru.",
        "en": "Ticket cancelled: the service day has ended. Please take a new number.",
    },
    "ticket_transferred": {"id": "Dialihkan ke layanan lain", "en": "Moved to another service"},
    "not_found": {
        "id": "Tautan antrean tidak ditemukan. Periksa tautan yang Anda terima.",
        "en": "This queue link is not known. Check the link you were sent.",
    },
    "language": {"id": "English", "en": "Bahasa Indonesia"},
    "updated": {"id": "Diperbarui", "en": "Updated"},
}


def lang_of(value: str | None) -> Lang:
    return "en" if value == "en" else "id"


def strings(lang: Lang) -> dict[str, str]:
    """Every string in one language, for the page and its script."""
    return {key: texts[lang] for key, texts in STRINGS.items()}
