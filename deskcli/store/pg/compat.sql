-- What a deskcli desk on PostgreSQL needs beyond its tables: SQLite's behaviour where the
-- store's SQL relies on it. Written by hand; run first by the baseline migration.

-- COLLATE NOCASE of SQLite (e-mail addresses): equal whatever the case
CREATE COLLATION IF NOT EXISTS nocase (provider = icu, locale = 'und-u-ks-level2',
                                       deterministic = false);

-- SQLite's rule for a row inserted without an id: the largest id + 1. Write transactions
-- hold the desk's advisory lock (deskcli/store/pg/connection.py), so two can never pick
-- the same id.
CREATE FUNCTION deskcli_rowid() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('SELECT coalesce(max(id), 0) + 1 FROM %I', TG_TABLE_NAME) INTO NEW.id;
    RETURN NEW;
END $$;

-- max(a, b) and min(a, b) of SQLite: the largest and smallest of their arguments
CREATE FUNCTION max(anyelement, anyelement) RETURNS anyelement LANGUAGE sql IMMUTABLE
    AS 'SELECT greatest($1, $2)';
CREATE FUNCTION min(anyelement, anyelement) RETURNS anyelement LANGUAGE sql IMMUTABLE
    AS 'SELECT least($1, $2)';

-- A stored time (ISO 8601, UTC) as a timestamp; 'now' is the server's clock
CREATE FUNCTION deskcli_time(t text) RETURNS timestamptz LANGUAGE sql IMMUTABLE
    AS $$SELECT CASE WHEN t = 'now' THEN now() ELSE t::timestamptz END$$;

-- strftime of SQLite, for the two formats deskcli writes: Unix seconds and a stored time
CREATE FUNCTION strftime(fmt text, t text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE fmt
        WHEN '%s' THEN floor(extract(epoch FROM deskcli_time(t)))::bigint::text
        ELSE to_char(deskcli_time(t) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
    END $$;
CREATE FUNCTION strftime(fmt text, t text, modifier text) RETURNS text LANGUAGE sql
    IMMUTABLE AS $$
    SELECT CASE WHEN t IS NULL OR modifier IS NULL THEN NULL
                ELSE strftime(fmt, to_char((deskcli_time(t) + modifier::interval)
                                           AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SSZ'))
           END $$;

-- The JSON functions of SQLite on JSON kept as text ('$.name' paths)
CREATE FUNCTION deskcli_json_path(path text) RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
    SELECT array_remove(regexp_split_to_array(
        regexp_replace(regexp_replace(path, '^\$\.?', ''), '"', '', 'g'), '\.'), '') $$;
CREATE FUNCTION json(doc text) RETURNS jsonb LANGUAGE sql IMMUTABLE AS 'SELECT $1::jsonb';
CREATE FUNCTION json_extract(doc text, path text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT doc::jsonb #>> deskcli_json_path(path) $$;
CREATE FUNCTION json_set(doc text, path text, value jsonb) RETURNS text LANGUAGE sql
    IMMUTABLE AS $$ SELECT jsonb_set(doc::jsonb, deskcli_json_path(path), value)::text $$;
CREATE FUNCTION json_remove(doc text, path text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT (doc::jsonb #- deskcli_json_path(path))::text $$;
