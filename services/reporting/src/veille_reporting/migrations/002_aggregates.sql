-- Reporting's own copies of the facts it needs (each from a topic), and incremental aggregates.

-- veille.fleet.devices.v1: the facts the energy model and the breakdowns need.
CREATE TABLE devices (
    device_id    text PRIMARY KEY,
    tenant_id    text NOT NULL,
    hostname     text NOT NULL,
    kind         text NOT NULL,
    group_path   text NOT NULL,
    monitors     int  NOT NULL,
    manufacturer text,
    model        text,
    last_seen    timestamptz NOT NULL
);
CREATE INDEX devices_tenant ON devices (tenant_id);

-- veille.projects.stages.v1: the latest project summary, and every stage event (the timeline).
CREATE TABLE projects (
    project_id   text PRIMARY KEY,
    tenant_id    text NOT NULL,
    zone         text NOT NULL,
    stage        text NOT NULL,
    last_seq     int  NOT NULL,
    summary      jsonb NOT NULL,
    energy_model jsonb,                         -- null: the public defaults of veille_energy
    abnormal_days date[] NOT NULL DEFAULT '{}'
);
CREATE INDEX projects_tenant ON projects (tenant_id);

CREATE TABLE stage_events (
    event_id     text PRIMARY KEY,
    project_id   text NOT NULL,
    seq          int  NOT NULL,
    kind         text NOT NULL,
    from_stage   text,
    to_stage     text NOT NULL,
    effective_at timestamptz NOT NULL,
    reason       text NOT NULL,
    overridden   boolean NOT NULL,
    planned_days double precision,
    actual_days  double precision
);
CREATE INDEX stage_events_project ON stage_events (project_id, seq);

-- veille.policy.directives.v1: a device is in a project's saver group once it got a saver directive.
CREATE TABLE directives (
    project_id text NOT NULL,
    device_id  text NOT NULL,
    saver      boolean NOT NULL,
    PRIMARY KEY (project_id, device_id)
);

-- The time zones device-days are kept in: those of the tenant's projects.
CREATE TABLE tenant_zones (
    tenant_id text NOT NULL,
    zone      text NOT NULL,
    PRIMARY KEY (tenant_id, zone)
);

-- Device-days: summed seconds of one device on one local day of one time zone, updated only by
-- activity rows inserted for the first time (in the same transaction), hence idempotent.
CREATE TABLE device_days (
    zone             text NOT NULL,
    device_id        text NOT NULL,
    day              date NOT NULL,
    tenant_id        text NOT NULL,
    seconds_on       double precision NOT NULL,
    seconds_active   double precision NOT NULL,
    seconds_asleep   double precision NOT NULL,
    seconds_reported double precision NOT NULL,
    on_by_hour       double precision[] NOT NULL,  -- 24 local hours
    active_by_hour   double precision[] NOT NULL,
    PRIMARY KEY (zone, device_id, day)
);
CREATE INDEX device_days_day ON device_days (zone, day);

CREATE TABLE device_day_blockers (
    zone      text NOT NULL,
    device_id text NOT NULL,
    day       date NOT NULL,
    process   text NOT NULL,
    seconds   double precision NOT NULL,
    PRIMARY KEY (zone, device_id, day, process)
);

-- Per project: its devices (scope matched against the registry) with their resolved watts.
CREATE TABLE project_devices (
    project_id  text NOT NULL,
    device_id   text NOT NULL,
    kind        text NOT NULL,
    group_path  text NOT NULL,
    saver_group boolean NOT NULL,
    monitors    int NOT NULL,
    active_w    double precision NOT NULL,
    idle_w      double precision NOT NULL,
    asleep_w    double precision NOT NULL,
    off_w       double precision NOT NULL,
    mon_on_w    double precision NOT NULL,
    mon_sleep_w double precision NOT NULL,
    mon_off_w   double precision NOT NULL,
    PRIMARY KEY (project_id, device_id)
);

-- Per project, device and phase: counted days and kWh per day type, sleep and night figures.
CREATE TABLE project_device_phases (
    project_id      text NOT NULL,
    device_id       text NOT NULL,
    phase           text NOT NULL,
    kind            text NOT NULL,
    group_path      text NOT NULL,
    saver_group     boolean NOT NULL,
    working_days    int NOT NULL,
    working_kwh     double precision NOT NULL,
    non_working_days int NOT NULL,
    non_working_kwh double precision NOT NULL,
    insomniac_days  int NOT NULL,
    nights_left_on  int NOT NULL,
    night_idle_s    double precision NOT NULL,
    PRIMARY KEY (project_id, device_id, phase)
);

-- Per project, local day and group: devices reporting, kWh, hour-of-day on / in use.
CREATE TABLE project_days (
    project_id     text NOT NULL,
    day            date NOT NULL,
    saver_group    boolean NOT NULL,
    phase          text,
    day_type       text,
    devices        int NOT NULL,
    kwh            double precision NOT NULL,
    on_by_hour     double precision[] NOT NULL,
    active_by_hour double precision[] NOT NULL,
    PRIMARY KEY (project_id, day, saver_group)
);

-- Per project, phase, device and process: seconds the process held the device awake.
CREATE TABLE project_blockers (
    project_id text NOT NULL,
    phase      text NOT NULL,
    device_id  text NOT NULL,
    process    text NOT NULL,
    seconds    double precision NOT NULL,
    PRIMARY KEY (project_id, phase, device_id, process)
);

-- Activity keeps its sleep blockers, so that device-days of a time zone learnt later can be rebuilt.
ALTER TABLE activity ADD COLUMN sleep_blockers jsonb NOT NULL DEFAULT '[]';
CREATE INDEX activity_tenant ON activity (tenant_id);
