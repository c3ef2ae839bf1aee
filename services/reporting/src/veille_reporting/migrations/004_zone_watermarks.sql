-- The latest local day any device of a tenant reported in a time zone: the event-time "today" of the
-- tenant's fleet. A project device that has reported before and sends nothing on a day up to this
-- one was off all that day (agents report only while the PC is on or asleep): that device-day
-- counts, fully off, instead of being left out.
CREATE TABLE zone_watermarks (
    tenant_id text NOT NULL,
    zone      text NOT NULL,
    last_day  date NOT NULL,
    PRIMARY KEY (tenant_id, zone)
);
INSERT INTO zone_watermarks (tenant_id, zone, last_day)
SELECT tenant_id, zone, max(day) FROM device_days GROUP BY tenant_id, zone;
