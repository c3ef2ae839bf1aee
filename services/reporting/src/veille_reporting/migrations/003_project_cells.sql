-- Project aggregates kept by delta (old rows subtracted, new rows added in the refresh's transaction),
-- so that reading a project's report touches a few hundred rows whatever the fleet size.
ALTER TABLE project_device_phases ADD COLUMN insomnia_share double precision
    GENERATED ALWAYS AS (insomniac_days::float8 / nullif(working_days + non_working_days, 0)) STORED;
CREATE INDEX project_device_phases_insomnia
    ON project_device_phases (project_id, phase, insomnia_share DESC, insomniac_days DESC, device_id);

CREATE TABLE project_cells (
    project_id     text NOT NULL,
    phase          text NOT NULL,
    saver_group    boolean NOT NULL,
    kind           text NOT NULL,
    group_path     text NOT NULL,
    enough         boolean NOT NULL,   -- at least the minimum of counted days in the phase
    never          boolean NOT NULL,   -- enough, and sleepless on at least the never-sleep share of days
    devices        int NOT NULL,
    w_devices      int NOT NULL,
    w_days         int NOT NULL,
    w_kwh          double precision NOT NULL,
    n_devices      int NOT NULL,
    n_days         int NOT NULL,
    n_kwh          double precision NOT NULL,
    insomniac_days int NOT NULL,
    nights_left_on int NOT NULL,
    night_idle_s   double precision NOT NULL,
    PRIMARY KEY (project_id, phase, saver_group, kind, group_path, enough, never)
);

CREATE TABLE project_blocker_totals (
    project_id text NOT NULL,
    phase      text NOT NULL,
    process    text NOT NULL,
    seconds    double precision NOT NULL,
    devices    int NOT NULL,
    PRIMARY KEY (project_id, phase, process)
);

CREATE TABLE project_device_counts (
    project_id  text NOT NULL,
    kind        text NOT NULL,
    saver_group boolean NOT NULL,
    devices     int NOT NULL,
    PRIMARY KEY (project_id, kind, saver_group)
);
