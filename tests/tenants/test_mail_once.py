"""Mail is sent at most once, with the real worker: a mail job delivered again, whether after a
worker died while the mail server was taking the mail or simply twice, sends no second copy. Every
mail (invitations, notifications, reminders, resets) goes through this one job."""

from __future__ import annotations

import os
import signal
import socketserver
import subprocess
import threading
import time
from datetime import timedelta

import pytest
from celery import current_app
from django.conf import settings

from tenants.jobs.health import jobs_health
from tenants.notifications.mail import INTERRUPTED, mail_send_waiting
from tenants.notifications.models import OutgoingMail
from tests.conftest import wait_for
from tests.workers import worker_start

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


class MailServer(socketserver.ThreadingTCPServer):
    """A small SMTP server that counts the mails it is given. With `stall` set, it takes the next
    mail's text and then never answers: the sender cannot know whether it was taken."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Session)
        self.received: list[str] = []
        self.stall = threading.Event()
        self.released = threading.Event()


class _Session(socketserver.StreamRequestHandler):
    def handle(self):
        server: MailServer = self.server
        self.wfile.write(b"220 test ready\r\n")
        while line := self.rfile.readline():
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                self.wfile.write(b"250 test\r\n")
            elif verb == b"DATA":
                self.wfile.write(b"354 go on\r\n")
                text = b""
                while (part := self.rfile.readline()) and part != b".\r\n":
                    text += part
                server.received.append(text.decode(errors="replace"))
                if server.stall.is_set():
                    server.stall.clear()
                    server.released.wait(120)  # taken, never confirmed
                    return
                self.wfile.write(b"250 taken\r\n")
            elif verb == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 ok\r\n")


@pytest.fixture
def mail_server():
    server = MailServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.released.set()
    server.shutdown()
    server.server_close()


@pytest.fixture
def worker(mail_server, tmp_path):
    """A worker of this test's own (one prefork child, the one a test kills), sending to mail_server."""
    queue = f"{settings.CELERY_TASK_DEFAULT_QUEUE}-mail-once"
    name = f"mail-once-{os.getpid()}@{os.uname().nodename}"
    log_path = tmp_path / "worker.log"
    with open(log_path, "w") as log:
        process = worker_start(
            queue=queue,
            name=name,
            log=log,
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=str(mail_server.server_address[1]),
            EMAIL_USE_TLS="false",
        )
        try:
            wait_for(lambda: current_app.control.ping(timeout=0.5, destination=[name]), timeout=90)
            yield process, queue, log_path
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


# The mail row is written directly (as mail_enqueue writes it): its outbox job would go to the
# suite's worker; here this test's worker gets the job, as many times as the test hands it over.


def deliver(queue: str, mail_id: int):
    """The mail job, as the outbox (or a broker redelivery) hands it to a worker."""
    return current_app.send_task("tenants.mail_send", kwargs={"mail_id": mail_id}, queue=queue)


def finished(log_path, task_id: str) -> bool:
    return any(task_id in line and "succeeded" in line for line in log_path.read_text().splitlines())


def test_the_same_mail_job_delivered_again_sends_one_mail(worker, mail_server):
    _, queue, log_path = worker
    mail = OutgoingMail.objects.create(to="ada@example.org", subject="Your invitation", body="Accept it here.")
    jobs = [deliver(queue, mail.pk) for _ in range(3)]
    for job in jobs:
        wait_for(lambda job=job: finished(log_path, job.id), timeout=60)
    assert len(mail_server.received) == 1 and "Subject: Your invitation" in mail_server.received[0]
    mail.refresh_from_db()
    assert mail.sent_at is not None and mail.to == "" and mail.attempts == 1


def test_a_worker_killed_mid_send_does_not_send_a_second_copy(worker, mail_server):
    process, queue, log_path = worker
    mail = OutgoingMail.objects.create(to="ada@example.org", subject="Reminder: review due", body="Review it here.")
    mail_server.stall.set()
    deliver(queue, mail.pk)
    # The mail server has the mail's text; its answer never comes. Kill the child there.
    wait_for(lambda: len(mail_server.received) == 1, timeout=60, interval=0.05)
    children = subprocess.run(["pgrep", "-P", str(process.pid)], capture_output=True, text=True).stdout.split()
    assert len(children) == 1
    os.kill(int(children[0]), signal.SIGKILL)
    # Late acknowledgement: the broker delivers the job again, and a new child runs it.
    wait_for(
        lambda: OutgoingMail.objects.get(pk=mail.pk).last_error == INTERRUPTED or len(mail_server.received) > 1,
        timeout=120,
    )
    assert len(mail_server.received) == 1, "the job delivered again sent a second copy"
    again = deliver(queue, mail.pk)  # and once more, as a sweep or an operator would
    wait_for(lambda: finished(log_path, again.id), timeout=60)
    time.sleep(1)
    assert len(mail_server.received) == 1
    interrupted = OutgoingMail.objects.get(pk=mail.pk)
    assert interrupted.sent_at is None and interrupted.sending_at is not None
    assert mail_send_waiting(older_than=timedelta(0)) == 0  # the sweep leaves it
    assert jobs_health(ping_timeout=0)["mail_interrupted"] == 1  # and the operator is told
    text = log_path.read_text()
    assert "WorkerLostError" in text or "SIGKILL" in text
    assert "ada@example.org" not in text  # the address stays out of the worker's log
