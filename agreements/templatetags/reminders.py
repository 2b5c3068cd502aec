"""{% agreement_reminders agreement as rem %}: the reminders sent and scheduled for one agreement, for the
partial templates/reminders/_agreement_reminders.html that the agreement page includes."""

from django import template

from agreements import reminders

register = template.Library()


@register.simple_tag
def agreement_reminders(agreement) -> dict:
    return {
        "sent": list(agreement.reminders.order_by("-due_date", "-id").prefetch_related("messages")[:50]),
        "upcoming": reminders.upcoming_for(agreement),
    }
