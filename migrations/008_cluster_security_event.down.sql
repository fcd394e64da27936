ALTER TABLE clusters DROP COLUMN last_security_event_at;
ALTER TABLE clusters DROP COLUMN last_security_event;
