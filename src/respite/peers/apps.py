from datetime import timedelta

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from respite.core.periodic import PeriodicJob


class PeersConfig(AppConfig):
    name = "respite.peers"
    label = "peers"
    verbose_name = _("Peer support")
    # Integration points (see CONTRIBUTING.md).
    respite_urls = [
        ("o/<slug:org>/peer-support/", "respite.peers.urls"),
        ("staff/o/<slug:org>/peer-support/", "respite.peers.staff_urls"),
    ]
    respite_nav = [("peers:index", _("Peer support"))]
    # Program leads are not a staff role (see README.md): their pages are linked from these two.
    respite_staff_nav = [
        ("peers_staff:inbox", _("Peer support: my requests"), ("peer_supporter",)),
        ("peers_staff:settings", _("Peer support program"), ("org_admin",)),
    ]
    # Offered on a screening result when the program has active supporters (see screening.routing).
    respite_own_people = [
        (
            "peer_support",
            "respite.peers.offers.peer_support_available",
            "peers/_own_peer_support.html",
        ),
    ]
    # A section of the worker's My space page (see screening.views.my_space).
    respite_my_space = "respite.peers.views.my_space_section"
    respite_api = ("", "respite.peers.api.router")
    respite_demo = "respite.peers.demo.load"
    respite_periodic = [
        PeriodicJob("peer_reminders", timedelta(minutes=15), "respite.peers.reminders.run")
    ]
