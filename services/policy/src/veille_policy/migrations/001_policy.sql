-- The device registry as policy needs it (from veille.fleet.devices.v1): membership and strata.
CREATE TABLE devices (
    device_id    text        PRIMARY KEY,
    tenant_id    text        NOT NULL,
    kind         text        NOT NULL,
    group_path   text        NOT NULL,
    monitors     integer     NOT NULL,
    manufacturer text,
    model        text,
    last_seen    timestamptz NOT NULL
);
CREATE INDEX devices_tenant ON devices (tenant_id);

-- Each project's latest transition (from veille.projects.stages.v1). last_seq de-duplicates
-- every stage event (overruns included); stage_seq is the seq of the transition into `stage`.
CREATE TABLE projects (
    project_id        text        PRIMARY KEY,
    tenant_id         text        NOT NULL,
    stage             text        NOT NULL,
    stage_seq         bigint      NOT NULL,
    last_seq          bigint      NOT NULL,
    effective_at      timestamptz NOT NULL,
    summary           jsonb       NOT NULL,
    viewer_started_at timestamptz,
    viewer_ended_at   timestamptz
);

-- The Saver draw, stored once when the project enters saver (the selection never moves).
CREATE TABLE saver_selection (
    project_id text   NOT NULL,
    stage_seq  bigint NOT NULL,
    device_id  text   NOT NULL,
    PRIMARY KEY (project_id, stage_seq, device_id)
);

-- The directive each device should enforce, and when (event time) it was last sent.
CREATE TABLE desired (
    device_id    text        PRIMARY KEY,
    tenant_id    text        NOT NULL,
    project_id   text        NOT NULL,
    stage        text        NOT NULL,
    stage_seq    bigint      NOT NULL,
    directive_id text        NOT NULL,
    version      text        NOT NULL,
    mode         text        NOT NULL,
    directive    jsonb       NOT NULL,
    last_sent_at timestamptz NOT NULL,
    resends      integer     NOT NULL DEFAULT 0
);
CREATE INDEX desired_project ON desired (project_id);

-- What the recommendation replays: the Viewer-window activity of devices in scope, one row per
-- period (input minutes as a 60-bit mask, NULL when the agent did not report them).
CREATE TABLE viewer_activity (
    project_id     text             NOT NULL,
    device_id      text             NOT NULL,
    seq            bigint           NOT NULL,
    period_start   timestamptz      NOT NULL,
    period_end     timestamptz      NOT NULL,
    seconds_on     double precision NOT NULL,
    seconds_active double precision NOT NULL,
    seconds_asleep double precision NOT NULL,
    power_source   text             NOT NULL,
    input_mask     bigint,
    blockers       jsonb,
    PRIMARY KEY (project_id, device_id, seq)
);

-- A recommendation to compute (a project entered `recommendation`); claimed by one instance.
CREATE TABLE recommendation_jobs (
    project_id    text        NOT NULL,
    stage_seq     bigint      NOT NULL,
    window_start  timestamptz NOT NULL,
    window_end    timestamptz NOT NULL,
    requested_at  timestamptz NOT NULL,
    claimed_until timestamptz,
    done          boolean     NOT NULL DEFAULT false,
    error         text,
    PRIMARY KEY (project_id, stage_seq)
);

CREATE TABLE recommendations (
    project_id        text        NOT NULL,
    stage_seq         bigint      NOT NULL,
    recommendation_id text        NOT NULL,
    tenant_id         text        NOT NULL,
    computed_at       timestamptz NOT NULL,
    seconds_spent     double precision NOT NULL,
    payload           jsonb       NOT NULL,
    PRIMARY KEY (project_id, stage_seq)
);

-- Transactional outbox: rows written with the state change, published after the commit.
-- send_id is the directive id (first send), '<directive id>@<event time>' (a resend) or the
-- recommendation id, so a replayed input never queues a second copy of a send.
CREATE TABLE outbox (
    send_id      text        PRIMARY KEY,
    topic        text        NOT NULL,
    key          bytea,
    value        bytea       NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz
);
CREATE INDEX outbox_pending ON outbox (created_at) WHERE published_at IS NULL;
