"""Email to staff (supporters and program leads). Messages carry a reference and a link, never
contact details, departments or the kind of event: email is not a confidential channel.

Each notice is queued (``respite.core.notify``), so a mail outage never fails the worker's request,
and rendered in each recipient's language."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from respite.core.notify import notify_staff, site_link


def offered(req, supporters) -> int:
    def render(_user: Any) -> tuple[str, str]:
        link = site_link("peers_staff:inbox", org=req.organization.slug)
        return (
            _("Peer support: a request is waiting (%s)") % req.reference,
            _(
                "A colleague's peer support request %(ref)s is waiting for a supporter. "
                "Sign in to see it and accept: %(link)s"
            )
            % {"ref": req.reference, "link": link},
        )

    return notify_staff(
        [s.user for s in supporters], "peers.offer", render, key=f"peer-offer:{req.pk}"
    )


def remind(req, supporters) -> int:
    def render(_user: Any) -> tuple[str, str]:
        link = site_link("peers_staff:request", org=req.organization.slug, pk=req.pk)
        return (
            _("Peer support: reminder (%s)") % req.reference,
            _(
                "Request %(ref)s has not been contacted yet and is nearing the program's time-to-contact "
                "target. %(link)s"
            )
            % {"ref": req.reference, "link": link},
        )

    return notify_staff(
        [s.user for s in supporters], "peers.reminder", render, key=f"peer-remind:{req.pk}"
    )


def escalate(req, leads) -> int:
    def render(_user: Any) -> tuple[str, str]:
        link = site_link("peers_staff:lead_request", org=req.organization.slug, pk=req.pk)
        return (
            _("Peer support: time-to-contact missed (%s)") % req.reference,
            _(
                "Request %(ref)s was not contacted within the program's target. Please reassign it or "
                "check in with the supporter: %(link)s"
            )
            % {"ref": req.reference, "link": link},
        )

    # An escalation is never held for a digest or switched off: it is the program's safety net.
    return notify_staff(
        list(leads), "peers.escalation", render, key=f"peer-escalate:{req.pk}", always=True
    )


def worker_wrote(req: Any, message: Any) -> int:
    """The worker answered in an anonymous thread: tell the supporter who has it (never the text)."""

    def render(_user: Any) -> tuple[str, str]:
        link = site_link("peers_staff:request", org=req.organization.slug, pk=req.pk)
        return (
            _("Peer support: a new message (%s)") % req.reference,
            _(
                "The colleague you support in request %(ref)s answered your message. Sign in to read "
                "it and reply: %(link)s"
            )
            % {"ref": req.reference, "link": link},
        )

    supporter = req.assigned
    return notify_staff(
        [supporter.user] if supporter else [],
        "peers.message",
        render,
        key=f"peer-message:{message.pk}",
    )
