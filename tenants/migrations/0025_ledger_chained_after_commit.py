"""The chain's lock no longer spans a commit's flush. An event is committed unchained with the change
it records; right after that commit, a short transaction of its own chains every committed event
still waiting on that chain, in one batch (portal_chain_committed(), one flush per batch), and a
sweep does the same for anything a crash left waiting. Tenants 0017's deferred trigger, which
chained inside the recording transaction's commit and so held the lock through its flush, is gone.

The hash, the encoding, the guard of the chains and the lock's key are those of tenants 0017: the
offline verifier accepts exactly what it accepted before."""

import importlib

from django.db import migrations

from tenants.db import RunPostgresSQL

at_commit = importlib.import_module("tenants.migrations.0017_ledger_chained_at_commit")

# Chains every unchained event the calling transaction can see on one chain (a country's, or the
# platform's with NULL), in the order they were inserted, under the chain's advisory lock (the key
# event_record used to take: namespace 0x504F5254, the country id, 0 for the platform), and returns
# how many it chained. Called in a transaction of its own, it sees the committed ones; inside a
# recording transaction, that transaction's own too (the lock is then held until it ends). Owner's
# rights (the runtime role holds no UPDATE on the chains), and a country's chain only inside that
# country's scope, as portal_ledger_relabel() requires.
CHAIN_COMMITTED_FUNCTION = r"""
CREATE OR REPLACE FUNCTION portal_chain_committed(p_country_id bigint) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_chain text;
    v_seq bigint;
    v_prev text;
    v_hash text;
    v_count integer := 0;
    r record;
BEGIN
    IF p_country_id IS NOT NULL THEN
        IF NOT (p_country_id = ANY (portal_allowed_country_ids())) THEN
            RAISE EXCEPTION 'country % is not in this transaction''s scope', p_country_id
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF NOT EXISTS (SELECT 1 FROM tenants_countryevent
                        WHERE country_id = p_country_id AND sequence IS NULL) THEN
            RETURN 0;  -- nothing waits (chained by another writer's batch): no lock, no flush
        END IF;
        PERFORM pg_advisory_xact_lock(1347375700, p_country_id::int);
        SELECT code INTO v_chain FROM tenants_country WHERE id = p_country_id;
        SELECT sequence, hash INTO v_seq, v_prev FROM tenants_countryevent
         WHERE country_id = p_country_id AND sequence IS NOT NULL ORDER BY sequence DESC LIMIT 1;
        v_seq := COALESCE(v_seq, 0);
        v_prev := COALESCE(v_prev, repeat('0', 64));
        PERFORM set_config('portal.chaining', 'on', true);
        FOR r IN SELECT id, at, actor_id, actor_role, action, target_type, target_id, payload
                   FROM tenants_countryevent
                  WHERE country_id = p_country_id AND sequence IS NULL ORDER BY id LOOP
            v_seq := v_seq + 1;
            v_hash := portal_event_hash(v_chain, v_seq, r.at, r.actor_id, r.actor_role, r.action,
                                        r.target_type, r.target_id, r.payload, v_prev);
            UPDATE tenants_countryevent SET sequence = v_seq, prev_hash = v_prev, hash = v_hash WHERE id = r.id;
            v_prev := v_hash;
            v_count := v_count + 1;
        END LOOP;
        PERFORM set_config('portal.chaining', '', true);
    ELSE
        IF NOT EXISTS (SELECT 1 FROM tenants_platformevent WHERE sequence IS NULL) THEN
            RETURN 0;
        END IF;
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
            v_count := v_count + 1;
        END LOOP;
        PERFORM set_config('portal.chaining', '', true);
    END IF;
    RETURN v_count;
END
$$;
REVOKE ALL ON FUNCTION portal_chain_committed(bigint) FROM PUBLIC;
"""
CHAIN_COMMITTED_SIGNATURE = "portal_chain_committed(bigint)"


class Migration(migrations.Migration):
    dependencies = [("tenants", "0024_job_step_codes")]

    operations = [
        RunPostgresSQL(
            [
                "DROP TRIGGER IF EXISTS tenants_countryevent_chain ON tenants_countryevent",
                "DROP TRIGGER IF EXISTS tenants_platformevent_chain ON tenants_platformevent",
                "DROP FUNCTION IF EXISTS portal_chain_pending()",
            ],
            reverse_sql=[
                at_commit.CHAIN_PENDING_FUNCTION,
                at_commit.chain_trigger("tenants_countryevent").sql,
                at_commit.chain_trigger("tenants_platformevent").sql,
            ],
        ),
        RunPostgresSQL(CHAIN_COMMITTED_FUNCTION, reverse_sql=f"DROP FUNCTION IF EXISTS {CHAIN_COMMITTED_SIGNATURE}"),
    ]
