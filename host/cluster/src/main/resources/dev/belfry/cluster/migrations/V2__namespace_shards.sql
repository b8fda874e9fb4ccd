-- Belfry cluster store, schema version 2: each namespace has shards of its own, so that a shard's jobs all need the
-- same plugin and a shard can go to a host that has it (docs/cluster.md, "Ownership"). Applied on a stopped cluster:
-- a host refuses to upgrade the schema while a host of the cluster is live.

-- A namespace's shards are first_shard .. first_shard + 63. Bases are multiples of 64 from 256 up, handed out by a
-- sequence so that hosts adding namespaces at once never pick the same one; version 1's shards (0 to 255) are never
-- reused, so a run recorded under one of them is not taken for a later namespace's.
CREATE TABLE belfry_namespaces (
    namespace   text    PRIMARY KEY,
    first_shard integer NOT NULL UNIQUE
);
CREATE SEQUENCE belfry_namespace_seq MINVALUE 4 START WITH 4;

-- Every namespace the cluster has jobs of (a job's namespace is its name up to the last dot).
INSERT INTO belfry_namespaces (namespace, first_shard)
    SELECT ns, nextval('belfry_namespace_seq') * 64
    FROM (SELECT DISTINCT regexp_replace(qname, '\.[^.]*$', '') AS ns FROM belfry_jobs ORDER BY 1) j;

-- Their lease rows, free. They start at the highest epoch of version 1, so fencing tokens keep growing across the
-- upgrade: a job that keys its side effects by token never sees a smaller one.
INSERT INTO belfry_shards (shard, epoch)
    SELECT n.first_shard + g, (SELECT coalesce(max(epoch), 0) FROM belfry_shards WHERE shard < 256)
    FROM belfry_namespaces n, generate_series(0, 63) g;

-- Each job moves to its namespace's range at the place its version 1 shard had in it: 64 divides 256, so a declared
-- job lands where CRC-32(name) mod 64 puts it, and a dynamic job stays with the job that created it. The fencing
-- trigger is off meanwhile: no host holds a lease during the upgrade.
ALTER TABLE belfry_jobs DISABLE TRIGGER belfry_fence_job;
UPDATE belfry_jobs j SET shard = n.first_shard + j.shard % 64
    FROM belfry_namespaces n WHERE n.namespace = regexp_replace(j.qname, '\.[^.]*$', '');
ALTER TABLE belfry_jobs ENABLE TRIGGER belfry_fence_job;

-- Operations still waiting follow their jobs; finished ones and run rows keep the shard they were recorded under.
UPDATE belfry_operations o SET shard = j.shard FROM belfry_jobs j
    WHERE o.qname = j.qname AND o.done_at IS NULL;

DELETE FROM belfry_shards WHERE shard < 256;
