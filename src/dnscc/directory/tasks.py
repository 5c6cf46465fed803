"""Background work of the directory, run by `dnscc worker` through the Django tasks API."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django_tasks import task

from dnscc.directory.models import Contact


@task(queue_name="mail")
def send_verification_mail(contact_id: int, link: str) -> str:
    # The outbox of issue "Reaching every operator" will carry this; until then plain mail.
    contact = Contact.objects.select_related("organization").get(pk=contact_id)
    send_mail(
        subject=f"[dnscc] Please confirm your contact details for {contact.organization.name}",
        message=(
            f"Hello {contact.name},\n\n"
            f"The DNS security coordination center lists {contact.email} as a contact for "
            f"{contact.organization.name}. Please confirm that it reaches you by opening:\n\n"
            f"  {link}\n\n"
            f"The link is valid for {settings.CONTACT_TOKEN_HOURS} hours. If this is not you, "
            "ignore this message and the address will be flagged as unverified.\n"
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[contact.email],
    )
    return contact.email
