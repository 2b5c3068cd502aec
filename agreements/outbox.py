"""The e-mail outbox: a message is a row written in the caller's transaction; the relay task sends it."""

from django.utils import timezone

from .models import OutboxMessage


def message_id_for(key: str) -> str:
    """A stable Message-ID per outbox row, so a resend after a crash is recognisable."""
    return f"<{key}@intese.regione>"


def outbox_enqueue(*, key: str, to: list[str], subject: str, text: str, html: str = "", agreement=None,
                   reminder=None) -> OutboxMessage:
    """Queue one message, once per key: a second call with the same key returns the existing row."""
    message, _created = OutboxMessage.objects.get_or_create(
        message_id=message_id_for(key),
        defaults={
            "to": list(to), "subject": subject[:300], "body_text": text, "body_html": html,
            "agreement": agreement, "reminder": reminder, "next_attempt_at": timezone.now(),
        },
    )
    return message
