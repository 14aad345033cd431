"""``usage_track_once(…)``: POST /api/data with an Idempotency-Key in one statement (PostgreSQL).

Claims the key for the end user (``INSERT … ON CONFLICT``: a concurrent call with the same
key waits here until the first commits, then reads its answer), counts the amount with the
same conditional upsert as the call without a key, and stores the answer: all in the one
transaction of one statement, so one round trip. See usage/idempotency.py. Other databases
take the serialised path in Python instead; this migration does nothing there.
"""

from django.db import migrations

CREATE = r"""
CREATE OR REPLACE FUNCTION usage_track_once(
    p_project bigint, p_mode text, p_user text, p_by_external boolean,
    p_meter text,       -- '' for the default meter (the tier's monthly_limit), else a TierFeature key
    p_requested text,   -- the feature as the caller named it ('' when not named): stored with the key
    p_amount integer, p_key text,
    p_now timestamptz, p_month_start timestamptz, p_month_end timestamptz, p_expires timestamptz,
    p_async_commit boolean)
RETURNS TABLE (r_outcome text, r_status integer, r_count bigint, r_limit bigint, r_start timestamptz,
               r_end timestamptz, r_public_id text, r_plan text, r_feature text, r_amount integer)
LANGUAGE plpgsql VOLATILE AS $fn$
-- r_outcome: 'counted' (200), 'refused' (403 at the limit), 'replayed' (a stored answer, r_status
-- says which), 'unknown_feature', 'not_metered' (nothing claimed); no row: no such end user.
DECLARE
    v_user_id bigint;
    v_tier_id bigint;
    v_tier_limit bigint;
    v_start timestamptz;
    v_end timestamptz;
    v_kind text;
    v_limit bigint;     -- what this meter allows: null unlimited, 0 not in the end user's plan
    v_claim bigint;
    v_counted boolean;
BEGIN
    IF p_async_commit THEN
        -- As the call without a key: this transaction only, see usage/services.py.
        PERFORM set_config('synchronous_commit', 'off', true);
    END IF;

    IF p_by_external THEN
        SELECT id INTO v_user_id FROM tenants_enduser
         WHERE external_id = p_user AND project_id = p_project AND mode = p_mode;
    ELSE
        SELECT id INTO v_user_id FROM tenants_enduser
         WHERE public_id = p_user AND project_id = p_project AND mode = p_mode;
    END IF;
    IF v_user_id IS NULL THEN
        RETURN;
    END IF;
    SELECT eu.public_id, t.id, t.slug, t.monthly_limit,
           CASE WHEN eu.billing_period_start <= p_now AND eu.billing_period_end > p_now
                THEN eu.billing_period_start ELSE p_month_start END,
           CASE WHEN eu.billing_period_start <= p_now AND eu.billing_period_end > p_now
                THEN eu.billing_period_end ELSE p_month_end END
      INTO r_public_id, v_tier_id, r_plan, v_tier_limit, v_start, v_end
      FROM tenants_enduser eu JOIN billing_tier t ON t.id = eu.tier_id
     WHERE eu.id = v_user_id;

    IF p_meter = '' THEN
        v_limit := v_tier_limit;
    ELSE
        SELECT f.kind, f.period_limit INTO v_kind, v_limit
          FROM usage_tierfeature f WHERE f.tier_id = v_tier_id AND f.key = p_meter;
        IF NOT FOUND THEN
            SELECT f.kind INTO v_kind FROM usage_tierfeature f JOIN billing_tier t ON t.id = f.tier_id
             WHERE t.project_id = p_project AND t.mode = p_mode AND f.key = p_meter LIMIT 1;
            IF NOT FOUND THEN
                r_outcome := 'unknown_feature';
                RETURN NEXT;
                RETURN;
            END IF;
            v_limit := 0;
        END IF;
        IF v_kind <> 'metered' THEN
            r_outcome := 'not_metered';
            RETURN NEXT;
            RETURN;
        END IF;
    END IF;

    -- Claim the key (or take over an expired one). A concurrent first call holds the unique
    -- index entry until it commits: this waits for it, then finds the key taken.
    INSERT INTO usage_trackedcall AS k (end_user_id, key, feature, amount, plan, created_at, expires_at)
    VALUES (v_user_id, p_key, p_requested, p_amount, '', p_now, p_expires)
    ON CONFLICT (end_user_id, key) DO UPDATE
        SET feature = excluded.feature, amount = excluded.amount, status_code = NULL, count = NULL,
            call_limit = NULL, period_start = NULL, period_end = NULL, plan = '',
            created_at = excluded.created_at, expires_at = excluded.expires_at
        WHERE k.expires_at <= p_now
    RETURNING k.id INTO v_claim;
    IF v_claim IS NULL THEN
        SELECT 'replayed', k.status_code, k.count, k.call_limit, k.period_start, k.period_end, k.plan, k.feature,
               k.amount
          INTO r_outcome, r_status, r_count, r_limit, r_start, r_end, r_plan, r_feature, r_amount
          FROM usage_trackedcall k WHERE k.end_user_id = v_user_id AND k.key = p_key;
        RETURN NEXT;
        RETURN;
    END IF;

    -- The same conditional upsert as usage.services (count <= limit - amount).
    IF p_meter = '' THEN
        INSERT INTO usage_usagecounter AS c (end_user_id, period_start, period_end, count, call_limit)
        SELECT v_user_id, v_start, v_end, p_amount, v_limit WHERE v_limit IS NULL OR v_limit >= p_amount
        ON CONFLICT (end_user_id, period_start) DO UPDATE
            SET count = c.count + excluded.count, call_limit = excluded.call_limit
            WHERE c.count <= COALESCE(excluded.call_limit, 2147483647) - excluded.count
        RETURNING c.count, c.period_start, c.period_end INTO r_count, r_start, r_end;
        v_counted := FOUND;
        IF NOT v_counted THEN
            SELECT c.count INTO r_count FROM usage_usagecounter c
             WHERE c.end_user_id = v_user_id AND c.period_start = v_start;
        END IF;
    ELSE
        INSERT INTO usage_featurecounter AS c (end_user_id, feature, period_start, period_end, count, call_limit)
        SELECT v_user_id, p_meter, v_start, v_end, p_amount, v_limit WHERE v_limit IS NULL OR v_limit >= p_amount
        ON CONFLICT (end_user_id, feature, period_start) DO UPDATE
            SET count = c.count + excluded.count, call_limit = excluded.call_limit
            WHERE c.count <= COALESCE(excluded.call_limit, 2147483647) - excluded.count
        RETURNING c.count, c.period_start, c.period_end INTO r_count, r_start, r_end;
        v_counted := FOUND;
        IF NOT v_counted THEN
            SELECT c.count INTO r_count FROM usage_featurecounter c
             WHERE c.end_user_id = v_user_id AND c.feature = p_meter AND c.period_start = v_start;
        END IF;
    END IF;
    IF NOT v_counted THEN
        r_start := v_start;
        r_end := v_end;
    END IF;
    r_outcome := CASE WHEN v_counted THEN 'counted' ELSE 'refused' END;
    r_status := CASE WHEN v_counted THEN 200 ELSE 403 END;
    r_count := COALESCE(r_count, 0);
    r_limit := v_limit;
    r_feature := p_requested;
    r_amount := p_amount;
    UPDATE usage_trackedcall
       SET status_code = r_status, count = r_count, call_limit = r_limit, period_start = r_start,
           period_end = r_end, plan = r_plan
     WHERE id = v_claim;
    RETURN NEXT;
END
$fn$;
"""

DROP = """DROP FUNCTION IF EXISTS usage_track_once(bigint, text, text, boolean, text, text, integer, text, timestamptz,
    timestamptz, timestamptz, timestamptz, boolean);"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):

    dependencies = [
        ("usage", "0003_features_entitlements_idempotency"),
    ]

    operations = [migrations.RunPython(create, drop)]
