-- Belfry cluster store, schema version 1 (docs/cluster.md explains each table).

-- Which host fires which shard. A lease is current while expires_at is ahead of the database's now(); epoch goes up
-- by one at every change of owner, and every write a host makes for a shard names the epoch it holds (fencing).
CREATE TABLE belfry_shards (
    shard      integer PRIMARY KEY,
    owner      text,
    epoch      bigint      NOT NULL DEFAULT 0,
    expires_at timestamptz NOT NULL DEFAULT '-infinity'
);
INSERT INTO belfry_shards (shard) SELECT generate_series(0, 255);

-- The hosts of the cluster: a host is live while expires_at is ahead of now(); incarnation tells two processes with
-- one host id apart.
CREATE TABLE belfry_hosts (
    host_id     text PRIMARY KEY,
    incarnation text        NOT NULL,
    started_at  timestamptz NOT NULL,
    seen_at     timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    version     text        NOT NULL,
    address     text        NOT NULL DEFAULT '',
    namespaces  text[]      NOT NULL DEFAULT '{}'
);

-- Every job's whole state (record: the journal's binary job record), and the columns an operator queries.
CREATE TABLE belfry_jobs (
    qname         text PRIMARY KEY,
    shard         integer     NOT NULL,
    plugin_id     text        NOT NULL,
    status        text        NOT NULL,
    paused        boolean     NOT NULL,
    next_fire_at  timestamptz,
    record        bytea       NOT NULL,
    written_by    text        NOT NULL,
    written_epoch bigint      NOT NULL,
    updated_at    timestamptz NOT NULL
);
CREATE INDEX belfry_jobs_by_shard ON belfry_jobs (shard);

-- One row per fire claimed: the claim (its key is what makes a fire run once) and the run's history.
CREATE TABLE belfry_runs (
    qname         text        NOT NULL,
    scheduled_for timestamptz NOT NULL,
    attempt       integer     NOT NULL,
    shard         integer     NOT NULL,
    epoch         bigint      NOT NULL,
    host_id       text        NOT NULL,
    run_id        bigint,
    host_started  timestamptz NOT NULL,
    started_at    timestamptz NOT NULL,
    finished_at   timestamptz,
    error         text,
    PRIMARY KEY (qname, scheduled_for, attempt)
);
CREATE INDEX belfry_runs_by_job ON belfry_runs (qname, started_at DESC);
CREATE INDEX belfry_runs_by_start ON belfry_runs (started_at);

-- Operations asked on one host for a job another host fires: the owner carries them out and writes the outcome.
CREATE TABLE belfry_operations (
    id           bigserial PRIMARY KEY,
    qname        text        NOT NULL,
    shard        integer     NOT NULL,
    op           text        NOT NULL,
    asked_by     text        NOT NULL,
    asked_at     timestamptz NOT NULL DEFAULT now(),
    done_by      text,
    done_at      timestamptz,
    outcome      text,
    failed       boolean
);
CREATE INDEX belfry_operations_open ON belfry_operations (shard) WHERE done_at IS NULL;

-- Fencing in the database itself: a claim, or a write of a job's state, must name the shard's current owner and
-- epoch under a current lease, whatever the writing host believes. A job's first insert (a host registering a job
-- new to the cluster) names epoch 0 and is let through; it never replaces a row.
CREATE FUNCTION belfry_fence_job() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' AND NEW.written_epoch = 0 THEN
        RETURN NEW;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM belfry_shards WHERE shard = NEW.shard AND owner = NEW.written_by
                   AND epoch = NEW.written_epoch AND expires_at > now()) THEN
        RAISE EXCEPTION 'belfry: write of job % by % under epoch % refused: not the current lease on shard %',
            NEW.qname, NEW.written_by, NEW.written_epoch, NEW.shard USING ERRCODE = 'P0001';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER belfry_fence_job BEFORE INSERT OR UPDATE ON belfry_jobs
    FOR EACH ROW EXECUTE FUNCTION belfry_fence_job();

CREATE FUNCTION belfry_fence_claim() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM belfry_shards WHERE shard = NEW.shard AND owner = NEW.host_id
                   AND epoch = NEW.epoch AND expires_at > now()) THEN
        RAISE EXCEPTION 'belfry: claim of job % at % by % under epoch % refused: not the current lease on shard %',
            NEW.qname, NEW.scheduled_for, NEW.host_id, NEW.epoch, NEW.shard USING ERRCODE = 'P0001';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER belfry_fence_claim BEFORE INSERT ON belfry_runs
    FOR EACH ROW EXECUTE FUNCTION belfry_fence_claim();
