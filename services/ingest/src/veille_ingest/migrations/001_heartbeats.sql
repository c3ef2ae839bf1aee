-- One row per reporting period of a device; (device_id, seq) makes storage idempotent.
CREATE TABLE heartbeats (
    device_id      text        NOT NULL,
    seq            bigint      NOT NULL,
    tenant_id      text        NOT NULL,
    period_start   timestamptz NOT NULL,
    period_end     timestamptz NOT NULL,
    seconds_on     real        NOT NULL,
    seconds_active real        NOT NULL,
    seconds_asleep real        NOT NULL,
    power_source   text        NOT NULL,
    policy_version text,
    payload        jsonb       NOT NULL,
    received_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (device_id, seq)
);
