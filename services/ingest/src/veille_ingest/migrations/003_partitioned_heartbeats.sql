-- Heartbeats at fleet scale: one daily partition per UTC day of period_start (event time), so that
-- retention drops whole partitions instead of deleting rows, and every index stays one day big.
--
-- Idempotency key. A unique index of a partitioned table must contain the partition key, so the key
-- is (device_id, seq, period_start). A duplicate or a replay of a heartbeat repeats its period, so it
-- lands on the same row and changes nothing; out-of-order arrival does not matter either. A message
-- that reused a seq for ANOTHER period would break the agent contract (seq is monotonic per device):
-- it would be kept as a second row, visible with the query in the README, never silently merged.
--
-- The unpartitioned table of 001 is kept under another name (nothing is dropped by a migration).
ALTER TABLE heartbeats RENAME TO heartbeats_001;
ALTER TABLE heartbeats_001 RENAME CONSTRAINT heartbeats_pkey TO heartbeats_001_pkey;

CREATE TABLE heartbeats (
    device_id       text        NOT NULL,
    seq             bigint      NOT NULL,
    period_start    timestamptz NOT NULL,
    period_end      timestamptz NOT NULL,
    tenant_id       text        NOT NULL,
    seconds_on      real        NOT NULL,
    seconds_active  real        NOT NULL,
    seconds_asleep  real        NOT NULL,
    last_input_at   timestamptz,
    power_source    text        NOT NULL,
    battery_percent real,
    policy_version  text,
    sleep_blockers  jsonb,
    input_minutes   smallint[],
    received_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (device_id, seq, period_start)
) PARTITION BY RANGE (period_start);

-- Heartbeats of devices with no inventory yet ("hold until enrolled"): released into heartbeats
-- once the device is in the registry, dead-lettered after VEILLE_HOLD_MAX_S. The original record
-- is kept so that its dead letter carries the original bytes, topic, partition and offset.
CREATE TABLE pending_heartbeats (
    device_id        text        NOT NULL,
    seq              bigint      NOT NULL,
    period_start     timestamptz NOT NULL,
    tenant_id        text        NOT NULL,
    source_topic     text        NOT NULL,
    source_partition integer     NOT NULL,
    source_offset    bigint      NOT NULL,
    record_key       bytea,
    record_value     bytea       NOT NULL,
    held_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (device_id, seq, period_start)
);
CREATE INDEX pending_heartbeats_held_at ON pending_heartbeats (held_at);
