"""The local quick start's commands, in this process (test_tasks.py and test_startup.py run them as real
processes): ``respite demo`` never runs in production and can be run twice; ``respite serve`` never
leaves its background worker behind, whichever server it runs."""

from __future__ import annotations

import io
import subprocess
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from respite.core.management.commands.demo import DEMO_PASSWORD
from respite.core.models import Membership, Organization

pytestmark = pytest.mark.django_db


def test_demo_accounts_with_a_published_password_are_refused_in_production(settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="local use only"):
        call_command("demo", stdout=io.StringIO())
    assert not Organization.objects.exists() and not get_user_model().objects.exists()


def test_demo_can_be_loaded_twice_and_its_accounts_sign_in(client):
    call_command("demo", stdout=io.StringIO())
    User = get_user_model()
    counts = (Organization.objects.count(), User.objects.count(), Membership.objects.count())
    out = io.StringIO()
    call_command("demo", stdout=out)
    assert (
        Organization.objects.count(),
        User.objects.count(),
        Membership.objects.count(),
    ) == counts
    assert counts[0] == 2
    assert "/o/riverside/" in out.getvalue()
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.check_password(DEMO_PASSWORD)
    counselor = User.objects.get(username="riverside-counselor")
    assert not counselor.is_staff and not counselor.is_superuser
    assert client.get("/o/lakeview/").status_code == 200


class FakeWorker:
    pid = 4242

    def __init__(self, *args, **kwargs):
        self.args = args
        self.terminated = False
        self.killed = False

    def poll(self):
        return 0 if self.terminated else None

    def terminate(self):
        self.terminated = True

    def wait(self, timeout=None):
        return 0

    def kill(self):
        self.killed = True


@pytest.fixture
def worker_process():
    made: list[FakeWorker] = []

    def popen(*args, **kwargs):
        made.append(FakeWorker(*args, **kwargs))
        return made[-1]

    with mock.patch("subprocess.Popen", side_effect=popen):
        yield made


def test_ctrl_c_in_the_development_server_stops_the_worker_too(worker_process):
    with (
        mock.patch(
            "respite.core.management.commands.serve.call_command", side_effect=KeyboardInterrupt
        ) as runserver,
        pytest.raises(KeyboardInterrupt),
    ):
        call_command("serve", "127.0.0.1:8123", stdout=io.StringIO())
    runserver.assert_called_once_with("runserver", "127.0.0.1:8123", use_reloader=False)
    [worker] = worker_process
    assert worker.args[0][-3:] == ["respite.cli", "worker", "--no-startup-delay"]
    assert worker.terminated


def test_a_worker_that_will_not_stop_is_killed(worker_process):
    def stuck(self, timeout=None):
        raise subprocess.TimeoutExpired("respite worker", timeout)

    with (
        mock.patch.object(FakeWorker, "poll", return_value=None),
        mock.patch.object(FakeWorker, "wait", stuck),
        mock.patch("respite.core.management.commands.serve.call_command"),
    ):
        call_command("serve", stdout=io.StringIO())
    assert worker_process[0].killed


def test_serve_with_gunicorn_uses_productions_configuration(worker_process):
    with mock.patch("subprocess.run") as run:
        call_command("serve", "8123", "--gunicorn", "--workers", "3", stdout=io.StringIO())
    command = run.call_args.args[0]
    options = {flag: command[i + 1] for i, flag in enumerate(command[:-1]) if flag.startswith("-")}
    assert command[1:3] == ["-m", "gunicorn"] and "respite.wsgi:application" in command
    assert options["-c"] == "python:respite.gunicorn_conf"  # production's configuration file
    assert options["-b"] == "127.0.0.1:8123" and options["-w"] == "3"
    assert worker_process[0].terminated


def test_serve_without_a_worker_starts_none(worker_process):
    with mock.patch("respite.core.management.commands.serve.call_command"):
        call_command("serve", "--no-worker", stdout=io.StringIO())
    assert worker_process == []
