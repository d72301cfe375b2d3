"""The dead-letter queue and erased people: ``python -m parvis_contracts.dlq purge-person <id>``.

A handler that keeps failing parks its event in ``parvis.dead-letters`` (see
:mod:`parvis_contracts.topology`); the queue has no expiry, so after an account is
erased its events may still wait there (a post's body with a mention of the
person, a membership event naming their id). ``purge-person`` goes once through the
messages that are in the queue when it starts, in order, and:

* drops every message whose body names the person's id (their events and every text
  that mentions them, since a mention carries the id), except
* ``identity.user_erased`` itself, which is kept: it carries ids only, and replaying
  it is how a service that failed to handle it forgets the person after all;
* puts every other message back at the end of the queue, unchanged (body, headers
  such as ``x-death``, properties).

Messages that arrive meanwhile are left alone (they are behind the ones it takes).
It prints ``{"examined": n, "dropped": n, "kept": n}``. Run it right after an erasure
(docs/security.md, "Privacy (GDPR)"); ``count`` shows how many messages wait.
"""

from __future__ import annotations

import argparse
import json
import sys

from kombu import Connection, Producer

from .config import amqp_uri
from .events import IDENTITY_USER_ERASED
from .topology import DLQ_NAME, dead_letter_queue

KEEP_TYPES = {IDENTITY_USER_ERASED.key}


def _names(body: bytes, person_id: str) -> bool:
    if person_id.encode() in body:
        return True
    try:  # a JSON body may escape characters of the id (e.g. "\u002d")
        return person_id in json.dumps(json.loads(body), ensure_ascii=False)
    except (ValueError, UnicodeDecodeError):
        return False


def _type(body: bytes) -> str | None:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    return data.get("type") if isinstance(data, dict) else None


def count(uri: str | None = None, queue: str = DLQ_NAME) -> int:
    with Connection(uri or amqp_uri()) as connection:
        channel = connection.channel()
        try:
            dead_letter_queue()(channel).declare()
            return channel.queue_declare(queue=queue, passive=True).message_count
        finally:
            channel.close()


def purge_person(person_id: str, uri: str | None = None, queue: str = DLQ_NAME) -> dict:
    """Drop the dead letters that name ``person_id`` (see the module's text)."""
    if not person_id or not isinstance(person_id, str):
        raise ValueError("a person id is required")
    done = {"examined": 0, "dropped": 0, "kept": 0}
    with Connection(uri or amqp_uri(), transport_options={"confirm_publish": True}) as connection:
        channel = connection.channel()
        try:
            dead_letter_queue()(channel).declare()
            waiting = channel.queue_declare(queue=queue, passive=True).message_count
            producer = Producer(channel)
            for _ in range(waiting):
                message = channel.basic_get(queue=queue, no_ack=False)
                if message is None:
                    break
                done["examined"] += 1
                body = message.body if isinstance(message.body, bytes) else str(message.body).encode()
                if _names(body, person_id) and _type(body) not in KEEP_TYPES:
                    done["dropped"] += 1
                else:
                    # back at the end of the queue, as it was (confirmed before the ack)
                    properties = dict(message.properties)
                    headers = properties.pop("application_headers", None) or {}
                    producer.publish(
                        body,
                        exchange="",
                        routing_key=queue,
                        headers=headers,
                        content_type=properties.pop("content_type", None),
                        content_encoding=properties.pop("content_encoding", None),
                        delivery_mode=2,
                        retry=True,
                    )
                    done["kept"] += 1
                channel.basic_ack(message.delivery_tag)
        finally:
            channel.close()
    return done


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m parvis_contracts.dlq", description="The dead-letter queue and erased people."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    purge = commands.add_parser("purge-person", help="drop the dead letters that name an erased person")
    purge.add_argument("person_id")
    commands.add_parser("count", help="how many messages wait in the dead-letter queue")
    args = parser.parse_args(argv)
    if args.command == "purge-person":
        print(json.dumps(purge_person(args.person_id)))
    else:
        print(json.dumps({"messages": count()}))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
