-- Activity as reported by ingest, one row per device period; activity_id makes it idempotent.
CREATE TABLE activity (
    activity_id    text        PRIMARY KEY,
    device_id      text        NOT NULL,
    tenant_id      text        NOT NULL,
    device_kind    text        NOT NULL,
    period_start   timestamptz NOT NULL,
    period_end     timestamptz NOT NULL,
    seconds_on     real        NOT NULL,
    seconds_active real        NOT NULL,
    seconds_asleep real        NOT NULL,
    policy_version text
);
CREATE INDEX activity_device_period ON activity (device_id, period_start);
