"""The audit log becomes a keyed chain that the database also refuses to shorten.

- Triggers refuse DELETE as well as UPDATE of entries (and TRUNCATE on PostgreSQL); the
  chain head may only move forward and cannot be deleted (accounts.dbguard).
- Entries written before this migration were chained with plain SHA-256; they are sealed
  again with the audit key (HMAC-SHA-256), after checking the old chain. A problem found in
  the old chain is reported and recorded as an entry of its own, never silently re-sealed.
"""

import hashlib
import json
import sys

from django.db import migrations
from django.utils import timezone

GENESIS = "0" * 64


def _canonical(event):
    content = {
        "seq": event.seq,
        "at": event.at.isoformat(),
        "kind": event.kind,
        "actor": event.actor,
        "actor_user_id": event.actor_user_id,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "summary": event.summary,
        "data": event.data,
    }
    return json.dumps(content, sort_keys=True, separators=(",", ":"), default=str).encode()


def forwards(apps, schema_editor):
    from dnscc.accounts import audit, dbguard

    connection = schema_editor.connection
    Event = apps.get_model("accounts", "AuditEvent")
    Head = apps.get_model("accounts", "AuditHead")
    dbguard.remove(connection)
    if Event.objects.exists():
        key = audit.audit_key()
        broken = []
        old_prev = GENESIS
        new_prev = GENESIS
        expected = 1
        last = None
        for event in Event.objects.order_by("seq").iterator(chunk_size=2000):
            old = hashlib.sha256(event.prev_hash.encode() + b"\n" + _canonical(event)).hexdigest()
            if event.seq != expected or event.prev_hash != old_prev or old != event.hash:
                broken.append(event.seq)
            old_prev, expected = event.hash, event.seq + 1
            new_hash = audit.compute_hash(new_prev, event, key=key)
            Event.objects.filter(pk=event.pk).update(prev_hash=new_prev, hash=new_hash)
            new_prev, last = new_hash, event.seq
        seq = last
        if broken:
            print(
                f"audit log: the chain before sealing was broken at entries {broken[:20]};"
                " recorded as entry audit.reseal_found_problems",
                file=sys.stderr,
            )
            seq = last + 1
            event = Event(
                seq=seq,
                at=timezone.now(),
                kind="security",
                actor="migration",
                action="audit.reseal_found_problems",
                object_type="accounts.auditevent",
                object_id="",
                summary=f"the unkeyed chain was broken at {len(broken)} entries before sealing",
                data={"entries": broken[:1000]},
                prev_hash=new_prev,
            )
            event.hash = audit.compute_hash(new_prev, event, key=key)
            event.save(force_insert=True)
            new_prev = event.hash
        Head.objects.update_or_create(pk=1, defaults={"seq": seq, "hash": new_prev})
    dbguard.install(connection)


def backwards(apps, schema_editor):
    from dnscc.accounts import dbguard

    dbguard.remove(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_alter_auditevent_kind")]
    operations = [migrations.RunPython(forwards, backwards)]
