"""The record off the critical path: an event is inserted unchained (no sequence, no hashes) inside
the business transaction, and chained by the database at that transaction's commit, by a deferred
constraint trigger that takes the chain's advisory lock only then. The lock is held for the moment
of chaining and the commit that follows, never while the business transaction does its work.

The hash is computed in SQL over the same canonical encoding as tenants.record.ledger (sorted keys,
no whitespace, UTF-8, strings escaped as Python's json.dumps(ensure_ascii=False) does), so the
offline verifier accepts exactly what it accepted before. The one guard function on the chains,
portal_refuse_change(), admits a second narrow change: an unchained event receiving its sequence
and hashes, once, from inside portal_chain_pending() only."""

from django.db import migrations, models

from tenants.db import REFUSE_CHANGE_FUNCTION, RunPostgresSQL

CANONICAL_JSON_FUNCTION = r"""
CREATE OR REPLACE FUNCTION portal_canonical_json(v jsonb) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    out text;
BEGIN
    CASE jsonb_typeof(v)
    WHEN 'object' THEN
        SELECT '{' || COALESCE(string_agg(to_json(k)::text || ':' || portal_canonical_json(v -> k), ','
                                          ORDER BY k COLLATE "C"), '') || '}'
          INTO out FROM jsonb_object_keys(v) AS k;
    WHEN 'array' THEN
        SELECT '[' || COALESCE(string_agg(portal_canonical_json(e), ',' ORDER BY n), '') || ']'
          INTO out FROM jsonb_array_elements(v) WITH ORDINALITY AS t(e, n);
    WHEN 'string' THEN
        out := to_json(v #>> '{}')::text;
    ELSE
        out := v::text;
    END CASE;
    RETURN out;
END
$$;
"""

EVENT_HASH_FUNCTION = r"""
CREATE OR REPLACE FUNCTION portal_event_hash(
    p_chain text, p_sequence bigint, p_at timestamptz, p_actor_id bigint, p_actor_role text, p_action text,
    p_target_type text, p_target_id text, p_payload jsonb, p_prev_hash text
) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT encode(sha256(convert_to(portal_canonical_json(jsonb_build_object(
        'chain', p_chain,
        'sequence', p_sequence,
        'at', to_char(p_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        'actor', p_actor_id,
        'actor_role', p_actor_role,
        'action', p_action,
        'target_type', p_target_type,
        'target_id', p_target_id,
        'payload', p_payload,
        'prev_hash', p_prev_hash)), 'UTF8')), 'hex')
$$;
"""

# Runs at the commit of a transaction that inserted unchained events (or at once, when the
# transaction asked for its constraints IMMEDIATE). Chains every unchained event this transaction
# can see on the chain of the inserted row, in the order they were inserted: those are its own
# (another transaction's unchained rows are uncommitted, so invisible). The advisory lock is the
# one event_record used to take (namespace 0x504F5254, the country id, 0 for the platform chain),
# so checkpoints and older writers still serialise with it. Owner's rights: the runtime role holds
# no UPDATE on the chains; the country setting is its own for the moment of chaining, then restored.
CHAIN_PENDING_FUNCTION = r"""
CREATE OR REPLACE FUNCTION portal_chain_pending() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_chain text;
    v_seq bigint;
    v_prev text;
    v_hash text;
    v_saved text;
    r record;
BEGIN
    IF TG_TABLE_NAME = 'tenants_countryevent' THEN
        PERFORM pg_advisory_xact_lock(1347375700, NEW.country_id::int);
        v_saved := current_setting('portal.country_id', true);
        PERFORM set_config('portal.country_id', NEW.country_id::text, true);
        SELECT code INTO v_chain FROM tenants_country WHERE id = NEW.country_id;
        SELECT sequence, hash INTO v_seq, v_prev FROM tenants_countryevent
         WHERE country_id = NEW.country_id AND sequence IS NOT NULL ORDER BY sequence DESC LIMIT 1;
        v_seq := COALESCE(v_seq, 0);
        v_prev := COALESCE(v_prev, repeat('0', 64));
        PERFORM set_config('portal.chaining', 'on', true);
        FOR r IN SELECT id, at, actor_id, actor_role, action, target_type, target_id, payload
                   FROM tenants_countryevent
                  WHERE country_id = NEW.country_id AND sequence IS NULL ORDER BY id LOOP
            v_seq := v_seq + 1;
            v_hash := portal_event_hash(v_chain, v_seq, r.at, r.actor_id, r.actor_role, r.action,
                                        r.target_type, r.target_id, r.payload, v_prev);
            UPDATE tenants_countryevent SET sequence = v_seq, prev_hash = v_prev, hash = v_hash WHERE id = r.id;
            v_prev := v_hash;
        END LOOP;
        PERFORM set_config('portal.chaining', '', true);
        PERFORM set_config('portal.country_id', COALESCE(v_saved, ''), true);
    ELSE
        PERFORM pg_advisory_xact_lock(1347375700, 0);
        SELECT sequence, hash INTO v_seq, v_prev FROM tenants_platformevent
         WHERE sequence IS NOT NULL ORDER BY sequence DESC LIMIT 1;
        v_seq := COALESCE(v_seq, 0);
        v_prev := COALESCE(v_prev, repeat('0', 64));
        PERFORM set_config('portal.chaining', 'on', true);
        FOR r IN SELECT id, at, actor_id, actor_role, action, target_type, target_id, payload
                   FROM tenants_platformevent WHERE sequence IS NULL ORDER BY id LOOP
            v_seq := v_seq + 1;
            v_hash := portal_event_hash('platform', v_seq, r.at, r.actor_id, r.actor_role, r.action,
                                        r.target_type, r.target_id, r.payload, v_prev);
            UPDATE tenants_platformevent SET sequence = v_seq, prev_hash = v_prev, hash = v_hash WHERE id = r.id;
            v_prev := v_hash;
        END LOOP;
        PERFORM set_config('portal.chaining', '', true);
    END IF;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION portal_chain_pending() FROM PUBLIC;
"""

# The one guard of the chains, extended: besides the erased person's relabelling, an unchained
# event may receive its sequence and hashes once, from inside portal_chain_pending(), with every
# other column unchanged. Everything else stays refused.
REFUSE_CHANGE_WITH_CHAINING = r"""
CREATE OR REPLACE FUNCTION portal_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND current_setting('portal.relabel', true) = 'on'
       AND (to_jsonb(NEW) - 'actor_label') = (to_jsonb(OLD) - 'actor_label') THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE' AND current_setting('portal.chaining', true) = 'on'
       AND TG_TABLE_NAME IN ('tenants_countryevent', 'tenants_platformevent')
       AND to_jsonb(OLD) ->> 'sequence' IS NULL AND to_jsonb(OLD) ->> 'hash' = ''
       AND to_jsonb(NEW) ->> 'sequence' IS NOT NULL AND to_jsonb(NEW) ->> 'hash' <> ''
       AND (to_jsonb(NEW) - 'sequence' - 'prev_hash' - 'hash') = (to_jsonb(OLD) - 'sequence' - 'prev_hash' - 'hash') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'the event chain is append-only: % on % is refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;
"""


def chain_trigger(table: str) -> RunPostgresSQL:
    return RunPostgresSQL(
        sql=f"CREATE CONSTRAINT TRIGGER {table}_chain AFTER INSERT ON {table} DEFERRABLE INITIALLY DEFERRED "
        f"FOR EACH ROW WHEN (NEW.sequence IS NULL) EXECUTE FUNCTION portal_chain_pending()",
        reverse_sql=f"DROP TRIGGER IF EXISTS {table}_chain ON {table}",
    )


class Migration(migrations.Migration):
    dependencies = [("tenants", "0016_outbox_request_id")]

    operations = [
        migrations.AlterField(model_name="countryevent", name="sequence", field=models.BigIntegerField(null=True)),
        migrations.AlterField(model_name="platformevent", name="sequence", field=models.BigIntegerField(null=True)),
        migrations.AddIndex(
            model_name="countryevent",
            index=models.Index(
                fields=["country", "id"], condition=models.Q(sequence__isnull=True), name="tenants_event_unchained_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="platformevent",
            index=models.Index(
                fields=["id"], condition=models.Q(sequence__isnull=True), name="tenants_pevent_unchained_idx"
            ),
        ),
        RunPostgresSQL(CANONICAL_JSON_FUNCTION, reverse_sql="DROP FUNCTION IF EXISTS portal_canonical_json(jsonb)"),
        RunPostgresSQL(
            EVENT_HASH_FUNCTION,
            reverse_sql="DROP FUNCTION IF EXISTS portal_event_hash(text, bigint, timestamptz, bigint, text, text, "
            "text, text, jsonb, text)",
        ),
        RunPostgresSQL(CHAIN_PENDING_FUNCTION, reverse_sql="DROP FUNCTION IF EXISTS portal_chain_pending() CASCADE"),
        RunPostgresSQL(REFUSE_CHANGE_WITH_CHAINING, reverse_sql=REFUSE_CHANGE_FUNCTION),
        chain_trigger("tenants_countryevent"),
        chain_trigger("tenants_platformevent"),
    ]
