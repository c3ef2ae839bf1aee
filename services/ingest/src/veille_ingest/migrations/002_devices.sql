-- The device registry as ingest knows it (published on the compacted veille.fleet.devices.v1).
CREATE TABLE devices (
    device_id   text        PRIMARY KEY,
    tenant_id   text        NOT NULL,
    kind        text        NOT NULL,
    record      jsonb       NOT NULL,
    first_seen  timestamptz NOT NULL,
    last_seen   timestamptz NOT NULL
);
