"""Email to staff (supporters and program leads). Messages carry a reference and a link, never
contact details, departments or the kind of event: email is not a confidential channel."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils.translation import gettext as _

log = logging.getLogger(__name__)


def _link(name: str, **kwargs) -> str:
    # No request in a cron job: the deployment's public address comes from a setting when set.
    return getattr(settings, "RESPITE_SITE_URL", "").rstrip("/") + reverse(name, kwargs=kwargs)


def _send(users: Iterable, subject: str, body: str) -> int:
    recipients = sorted({u.email for u in users if u.email and u.is_active})
    if not recipients:
        return 0
    # One message per person: staff should not learn who else is on the roster from a Cc line.
    for address in recipients:
        send_mail(subject, body, None, [address], fail_silently=False)
    log.info("peers: sent %s email(s): %s", len(recipients), subject.split(":")[0])
    return len(recipients)


def offered(req, supporters) -> int:
    link = _link("peers_staff:inbox", org=req.organization.slug)
    return _send(
        [s.user for s in supporters],
        _("Peer support: a request is waiting (%s)") % req.reference,
        _(
            "A colleague's peer support request %(ref)s is waiting for a supporter. "
            "Sign in to see it and accept: %(link)s"
        )
        % {"ref": req.reference, "link": link},
    )


def remind(req, supporters) -> int:
    link = _link("peers_staff:request", org=req.organization.slug, pk=req.pk)
    return _send(
        [s.user for s in supporters],
        _("Peer support: reminder (%s)") % req.reference,
        _(
            "Request %(ref)s has not been contacted yet and is nearing the program's time-to-contact "
            "target. %(link)s"
        )
        % {"ref": req.reference, "link": link},
    )


def escalate(req, leads) -> int:
    link = _link("peers_staff:lead_request", org=req.organization.slug, pk=req.pk)
    return _send(
        leads,
        _("Peer support: time-to-contact missed (%s)") % req.reference,
        _(
            "Request %(ref)s was not contacted within the program's target. Please reassign it or "
            "check in with the supporter: %(link)s"
        )
        % {"ref": req.reference, "link": link},
    )
