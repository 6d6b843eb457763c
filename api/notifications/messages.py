"""What a notice says by e-mail: that something happened in the space, never what.
An inbox is not a safe place for health data (no names of professionals, document
titles or message text): the patient reads the details in the space itself."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from api.journal.outbox import EventKind, PendingEvent

SUBJECTS: dict[str, tuple[str, str]] = {
    EventKind.FIRST_PROFESSIONAL_ACCESS: (
        "Un nouveau professionnel a consulté votre espace santé",
        "A new professional opened your health space",
    ),
    EventKind.EMERGENCY_ACCESS_OPENED: (
        "Votre espace santé a été ouvert en urgence",
        "Your health space was opened in an emergency",
    ),
    EventKind.CARE_RELATIONSHIP_DECLARED: (
        "Votre équipe de soins a changé",
        "Your care team changed",
    ),
    EventKind.DOCUMENT_DEPOSITED: (
        "Un nouveau document est dans votre espace santé",
        "A new document is in your health space",
    ),
    EventKind.DOSSIER_UPDATED: ("Votre dossier a été mis à jour", "Your dossier was updated"),
    EventKind.DOCUMENT_RELEASED: (
        "Un document de votre dossier vous est maintenant visible",
        "A document of your dossier is now visible to you",
    ),
    EventKind.APP_SUSPENDED: (
        "Une application connectée à votre espace a été suspendue",
        "An app connected to your space was suspended",
    ),
    EventKind.AGENDA_ITEM_DUE: (
        "Un rendez-vous de prévention vous attend",
        "A prevention appointment is due",
    ),
    EventKind.MESSAGE_RECEIVED: (
        "Vous avez reçu un message dans votre espace santé",
        "You received a message in your health space",
    ),
}
GENERIC = ("Du nouveau dans votre espace santé", "News in your health space")


def notice(event: PendingEvent, *, to: str, sender: str, space_url: str, domain: str) -> EmailMessage:
    """The e-mail of one event. Its Message-ID comes from the event: a notice sent
    twice (a crash between sending and recording it) is one message to mail systems."""
    french, english = SUBJECTS.get(event.kind, GENERIC)
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = f"{french} / {english}"
    message["Message-ID"] = f"<{event.id}@{domain}>" if domain else make_msgid()
    message["Date"] = format_datetime(event.created_at)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(
        f"Bonjour,\n\n{french}.\nConnectez-vous pour en savoir plus : {space_url}\n\n"
        f"Hello,\n\n{english}.\nLog in to learn more: {space_url}\n\n"
        "Ce message ne contient aucune donnée de santé. This message holds no health data.\n"
    )
    return message
