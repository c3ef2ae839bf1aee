-- Projects: the state of each project (the domain's Project as JSON) and its tenant.
CREATE TABLE projects (
    project_id  text PRIMARY KEY,
    tenant_id   text NOT NULL,
    stage       text NOT NULL,
    timezone    text NOT NULL,
    state       jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX projects_tenant ON projects (tenant_id);

-- Transactional outbox: written in the same transaction as the change it announces; the relay
-- publishes unpublished rows in id order (so in order per project) and marks them published.
CREATE TABLE outbox (
    id           bigserial PRIMARY KEY,
    event_id     text NOT NULL UNIQUE,
    topic_spec   text NOT NULL,      -- unqualified topic name; the relay adds the namespace
    key          bytea,
    payload      bytea NOT NULL,
    project_id   text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz
);
CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL;

-- Stage events of each project, for the timeline (the same bytes as published).
CREATE TABLE stage_events (
    project_id  text NOT NULL,
    seq         integer NOT NULL,
    event_id    text NOT NULL UNIQUE,
    kind        text NOT NULL,
    to_stage    text NOT NULL,
    effective_at timestamptz NOT NULL,
    payload     jsonb NOT NULL,
    PRIMARY KEY (project_id, seq)
);

-- The device registry as projects needs it (from veille.fleet.devices.v1): newest record wins.
CREATE TABLE devices (
    device_id   text PRIMARY KEY,
    tenant_id   text NOT NULL,
    group_path  text NOT NULL,
    kind        text NOT NULL,
    first_seen  timestamptz NOT NULL,
    last_seen   timestamptz NOT NULL
);
CREATE INDEX devices_tenant ON devices (tenant_id);

-- Which devices reported on which local day (in a time zone of the tenant's projects), from
-- veille.fleet.activity.v1: exact, idempotent (a replay inserts nothing new), and small
-- (one row per device and day, not per heartbeat).
CREATE TABLE device_days (
    tenant_id   text NOT NULL,
    timezone    text NOT NULL,
    local_date  date NOT NULL,
    device_id   text NOT NULL,
    PRIMARY KEY (tenant_id, timezone, local_date, device_id)
);

-- Event time per tenant: the latest event time seen (activity period ends, milestones).
CREATE TABLE tenant_clock (
    tenant_id   text PRIMARY KEY,
    now         timestamptz NOT NULL
);

-- People who need access, and the customer tokens issued to them (by hash only).
CREATE TABLE api_tokens (
    token_hash text PRIMARY KEY,
    token_id   text NOT NULL,
    role       text NOT NULL,
    tenant_id  text,
    name       text NOT NULL,
    issued_at  timestamptz NOT NULL,
    revoked    boolean NOT NULL DEFAULT false,
    revoked_at timestamptz
);
CREATE INDEX api_tokens_id ON api_tokens (token_id);
