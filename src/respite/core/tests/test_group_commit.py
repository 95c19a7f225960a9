"""Check-ins that arrive while another is being written share its transaction (group commit,
``core.rows.write_together``, issue 19): fewer commits under load, yet each request returns only
once its own rows are committed, one request's failure never becomes another's, and a worker's
result still opens only from the browser that took it."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Callable
from functools import partial
from unittest import mock

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.test import Client
from django.utils import timezone

from respite.core import rows, sessions
from respite.core.rows import Statement, prepare_update, write_together
from respite.core.tests.test_query_budgets import CHECKIN
from respite.screening import instruments
from respite.screening.models import Screening

pytestmark = pytest.mark.django_db(transaction=True)

# Other databases let several transactions write at once: there, each request writes alone.
shared_on_sqlite = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "respite.core.backends.sqlite3",
    reason="group commit is for SQLite's one writer at a time",
)
PATIENCE_S = 60.0  # a busy 2-core machine: poll for readiness, never a short fixed deadline


def _eventually(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + PATIENCE_S
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.01)


def _screening_statements(org) -> tuple[Screening, list[Statement]]:
    result = instruments.get("phq2").score({"1": 0, "2": 1})
    prepared = Screening.prepare([result], organization=org)
    return prepared.screening, prepared.statements


class _Held(Statement):
    """A statement that waits, inside the shared transaction, until the test lets it go: the
    transaction a group forms behind. ``then`` runs when it is let go (it may raise)."""

    def __init__(self, then: Callable[[], None] = lambda: None) -> None:
        super().__init__(DEFAULT_DB_ALIAS, "SELECT 1", [], -1)
        self.inside, self.go, self.then = threading.Event(), threading.Event(), then

    def run(self) -> int:
        self.inside.set()
        assert self.go.wait(PATIENCE_S)
        self.then()
        return super().run()


def _in_thread(fn: Callable[[], object]) -> tuple[threading.Thread, list]:
    outcome: list = []

    def target() -> None:
        try:
            outcome.append(fn())
        except BaseException as exc:  # noqa: BLE001 - the test reads what each thread met
            outcome.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=target, daemon=True)  # a hang fails the test, not the run
    thread.start()
    return thread, outcome


# The test database is SQLite in memory, whose writers do not queue (core.backends.sqlite3 queues
# those of a file): the requests that write alone here take turns by this lock instead.
_one_writer = threading.Lock()


def _alone(statements: list[Statement]) -> Callable[[], None]:
    def write() -> None:
        with _one_writer, transaction.atomic():
            for statement in statements:
                if statement.run() != statement.expected:
                    raise LookupError("not written")

    return write


def _queued(count: int) -> None:
    group = rows._group(DEFAULT_DB_ALIAS)
    _eventually(lambda: len(group.waiting) >= count, f"{count} requests waiting to be written")


def _behind_a_held_transaction(org, count: int, held: _Held):
    """One check-in's transaction held open at ``held``, and ``count`` check-ins queued behind it:
    (its thread and outcome, its screening and statements, theirs, their threads and outcomes)."""
    first = _screening_statements(org)
    leader = _in_thread(lambda: write_together([held, *first[1]], _alone(first[1])))
    assert held.inside.wait(PATIENCE_S)
    behind = [_screening_statements(org) for _ in range(count)]
    threads = [_in_thread(partial(write_together, s, _alone(s))) for _x, s in behind]
    _queued(count)
    return leader, first, behind, threads


def _visitors_behind_a_held_transaction(url: str, count: int, held: _Held):
    """``count`` new visitors posting the check-in's answers while a transaction is held open at
    ``held``: (its thread and outcome, the visitors' clients, their threads and outcomes)."""
    assert Client().get(url).status_code == 200  # the organization is read (and kept) once
    leader = _in_thread(lambda: write_together([held], lambda: None))
    assert held.inside.wait(PATIENCE_S)
    clients = [Client() for _ in range(count)]
    threads = [_in_thread(partial(c.post, url, CHECKIN)) for c in clients]
    _queued(count)
    return leader, clients, threads


def _commits():
    wrapper_class = type(connections[DEFAULT_DB_ALIAS])
    return mock.patch.object(
        wrapper_class, "_commit", autospec=True, side_effect=wrapper_class._commit
    )


@shared_on_sqlite
def test_check_ins_arriving_during_a_write_share_one_commit_and_each_returns_committed(org):
    held = _Held()
    first = _screening_statements(org)
    with _commits() as commit:
        leader, _ = _in_thread(lambda: write_together([held, *first[1]], _alone(first[1])))
        assert held.inside.wait(PATIENCE_S)
        others = [_screening_statements(org) for _ in range(5)]

        def check_in(screening: Screening, statements: list[Statement]) -> tuple[bool, bool]:
            shared = write_together(statements, _alone(statements))
            # Returned: its row is committed, seen from this thread's own connection.
            return shared, Screening.objects.filter(pk=screening.pk).exists()

        threads = [_in_thread(lambda o=o: check_in(*o)) for o in others]
        _queued(5)
        assert not Screening.objects.filter(pk__in=[s.pk for s, _ in others]).exists()
        held.go.set()
        for thread, outcome in threads:
            thread.join(PATIENCE_S)
            assert outcome == [(True, True)]
        leader.join(PATIENCE_S)
    assert Screening.objects.filter(pk__in=[s.pk for s, _ in [first, *others]]).count() == 6
    # Six requests, two transactions: the first one's, and one for the five that waited behind it.
    assert commit.call_count == 2


@shared_on_sqlite
def test_one_request_failing_in_a_shared_transaction_does_not_fail_the_others(org):
    """A statement that writes nothing where it should (a session deleted meanwhile) rolls the
    shared transaction back: every request then writes alone, and only that one meets its error."""
    held = _Held()
    first = _screening_statements(org)
    leader, _ = _in_thread(lambda: write_together([held, *first[1]], _alone(first[1])))
    assert held.inside.wait(PATIENCE_S)
    gone = Session(session_key="x" * 32, session_data="", expire_date=timezone.now())
    bad = [prepare_update(gone, ["session_data"])]
    good = [_screening_statements(org) for _ in range(3)]
    threads = [_in_thread(lambda s=s: write_together(s, _alone(s))) for _x, s in good]
    failing, failed = _in_thread(lambda: write_together(bad, _alone(bad)))
    _queued(4)
    held.go.set()
    for thread, outcome in threads:
        thread.join(PATIENCE_S)
        assert outcome == [False]  # written, alone, after the shared transaction failed
    failing.join(PATIENCE_S)
    leader.join(PATIENCE_S)
    assert isinstance(failed[0], LookupError)
    assert Screening.objects.filter(pk__in=[s.pk for s, _ in [first, *good]]).count() == 4


@shared_on_sqlite
def test_a_writer_interrupted_mid_group_leaves_no_request_waiting(org):
    """Ctrl-C in a shell (or a worker killed by its timeout) while its thread writes a group: the
    requests waiting on it are still written, and later ones are not stuck behind it."""

    def interrupt() -> None:
        raise KeyboardInterrupt

    held = _Held(then=interrupt)
    (leader, interrupted), first, waiting, threads = _behind_a_held_transaction(org, 2, held)
    held.go.set()
    leader.join(PATIENCE_S)
    for thread, outcome in threads:
        thread.join(PATIENCE_S)
        assert outcome == [True]  # the next group, written by the first of them
    assert isinstance(interrupted[0], KeyboardInterrupt)
    assert not Screening.objects.filter(pk=first[0].pk).exists()  # rolled back with the interrupt
    assert Screening.objects.filter(pk__in=[s.pk for s, _ in waiting]).count() == 2
    later = _screening_statements(org)
    assert write_together(later[1], _alone(later[1])) is True


def test_inside_a_transaction_already_the_statements_are_written_in_it(org):
    screening, statements = _screening_statements(org)
    alone = mock.Mock(side_effect=_alone(statements))
    with transaction.atomic():
        assert write_together(statements, alone) is False
    alone.assert_called_once()
    assert Screening.objects.filter(pk=screening.pk).exists()


@shared_on_sqlite
def test_workers_checking_in_at_once_each_see_only_their_own_result(org):
    """Check-ins written in one shared transaction, their sessions with them: each browser's
    session opens its own result, and none of another browser's (the rows must not be crossed)."""
    held = _Held()
    (leader, _), clients, threads = _visitors_behind_a_held_transaction(
        f"/o/{org.slug}/check-in/", 6, held
    )
    with _commits() as commit:
        held.go.set()
        leader.join(PATIENCE_S)
        results = []
        for thread, outcome in threads:
            thread.join(PATIENCE_S)
            assert outcome[0].status_code == 302
            results.append(outcome[0]["Location"])
    # The transaction they waited behind, then one for six check-ins and six new sessions.
    assert commit.call_count == 2
    keys = {c.cookies[settings.SESSION_COOKIE_NAME].value for c in clients}
    assert len(keys) == 6
    sessions = Session.objects.filter(session_key__in=keys)
    assert len(sessions) == 6
    # Written from values in the shared transaction: encrypted, and expiring on a whole hour.
    for session in sessions:
        assert session.session_data.startswith("f1:")
        expiry = session.expire_date
        assert (expiry.minute, expiry.second, expiry.microsecond) == (0, 0, 0)
    for client, mine in zip(clients, results, strict=True):
        assert "Your results" in client.get(mine).content.decode()
        for theirs in results:
            if theirs != mine:
                assert client.get(theirs).status_code == 404
    assert Screening.objects.count() == 6


@shared_on_sqlite
def test_a_check_in_interrupted_while_it_waits_holds_up_no_later_one(org):
    """Ctrl-C in a shell while a write waits for the group ahead: the next check-ins are still
    written (the interrupted one must not be left in the queue to be handed the next group)."""
    held = _Held()
    first = _screening_statements(org)
    leader, _ = _in_thread(lambda: write_together([held, *first[1]], _alone(first[1])))
    assert held.inside.wait(PATIENCE_S)
    interrupted = _screening_statements(org)

    def interrupt_when_queued() -> None:
        _queued(1)
        os.kill(os.getpid(), signal.SIGALRM)

    def interrupt(*_args: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, interrupt)
    try:
        _in_thread(interrupt_when_queued)
        with pytest.raises(KeyboardInterrupt):  # this (main) thread waits, and is interrupted
            write_together(interrupted[1], _alone(interrupted[1]))
    finally:
        signal.signal(signal.SIGALRM, previous)
    later = _screening_statements(org)
    thread, outcome = _in_thread(lambda: write_together(later[1], _alone(later[1])))
    _queued(1)
    held.go.set()
    leader.join(PATIENCE_S)
    thread.join(PATIENCE_S)
    assert outcome == [True]
    assert Screening.objects.filter(pk=later[0].pk).exists()
    assert not Screening.objects.filter(pk=interrupted[0].pk).exists()


@shared_on_sqlite
def test_a_group_committed_but_not_flushed_is_never_written_twice_nor_called_saved(org):
    """The disk fails between a shared transaction's COMMIT and its flush: the rows may be there,
    but nobody is told they are saved, and nobody writes them again (a second copy, or a crash
    on the first one's key)."""
    held = _Held()
    wrapper_class = type(connections[DEFAULT_DB_ALIAS])
    commit, calls = wrapper_class._commit, []

    def failing_second_flush(self) -> None:
        commit(self)
        calls.append(self)
        if len(calls) == 2:  # the first is the held group's; the second is the group behind it
            raise OSError(5, "Input/output error")

    with mock.patch.object(wrapper_class, "_commit", failing_second_flush):
        (leader, _), _first, behind, threads = _behind_a_held_transaction(org, 3, held)
        held.go.set()
        leader.join(PATIENCE_S)
        for thread, outcome in threads:
            thread.join(PATIENCE_S)
            assert isinstance(outcome[0], rows.NotKnownSaved)
    assert len(calls) == 2
    assert Screening.objects.filter(pk__in=[s.pk for s, _ in behind]).count() == 3


@shared_on_sqlite
def test_check_ins_of_a_group_that_failed_still_save_their_new_sessions(org):
    """One request in the group fails, so the others write alone: each new visitor's session is
    then saved under a key of its own, the one its cookie carries, and opens its result."""
    held = _Held()
    (leader, _), clients, threads = _visitors_behind_a_held_transaction(
        f"/o/{org.slug}/check-in/", 2, held
    )
    gone = Session(session_key="y" * 32, session_data="", expire_date=timezone.now())
    bad = [prepare_update(gone, ["session_data"])]
    failing, failed = _in_thread(lambda: write_together(bad, _alone(bad)))
    _queued(3)
    one_commit = sessions.one_commit

    @contextlib.contextmanager
    def one_at_a_time(request):  # the in-memory database's writers do not queue (see _one_writer)
        with _one_writer, one_commit(request):
            yield

    with mock.patch.object(sessions, "one_commit", one_at_a_time):
        held.go.set()
        leader.join(PATIENCE_S)
        failing.join(PATIENCE_S)
        for thread, _outcome in threads:
            thread.join(PATIENCE_S)
    assert isinstance(failed[0], LookupError)
    for client, (_thread, outcome) in zip(clients, threads, strict=True):
        assert outcome[0].status_code == 302
        key = client.cookies[settings.SESSION_COOKIE_NAME].value
        assert Session.objects.filter(session_key=key).exists()
        assert "Your results" in client.get(outcome[0]["Location"]).content.decode()
