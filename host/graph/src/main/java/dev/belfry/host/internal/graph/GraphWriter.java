package dev.belfry.host.internal.graph;

import dev.belfry.host.internal.module.PluginNode;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.neo4j.driver.Record;
import org.neo4j.driver.TransactionContext;
import org.neo4j.driver.Value;

/**
 * The mirror's Cypher. Every statement is fixed text with parameters; nothing from a plugin, a job or an error is
 * ever spliced into it. Every write is idempotent (MERGE on a constrained key, a version guard on jobs,
 * ON CREATE for runs), because the driver may replay a transaction whose commit it could not confirm. The job
 * statements name node properties and row keys as {@link GraphRows} makes them; a test holds the two together.
 */
final class GraphWriter {

    /** Uniqueness constraints; each also gives the index MERGE looks keys up in. */
    static final List<String> SCHEMA = List.of(
            "CREATE CONSTRAINT belfry_job_qname IF NOT EXISTS FOR (j:_BackgroundJob) REQUIRE j.qname IS UNIQUE",
            "CREATE CONSTRAINT belfry_plugin_id IF NOT EXISTS FOR (p:_Plugin) REQUIRE p.id IS UNIQUE",
            "CREATE CONSTRAINT belfry_host_id IF NOT EXISTS FOR (h:_Host) REQUIRE h.id IS UNIQUE",
            "CREATE CONSTRAINT belfry_run_id IF NOT EXISTS FOR (r:_JobRun) REQUIRE r.run_id IS UNIQUE");

    /*
     * A job row changes a node only if the node is new or holds an older version, so a replayed or late row
     * cannot roll a job back. $force (resync only) also lets a lower version through: the sidecar is the source of
     * truth, and after a state reset versions start again from 0. A replay of the same row is still a no-op.
     *
     * $claim: the rows are this host's own jobs, and the host becomes each one's owner,
     * (:_Host)-[:OWNS]->(:_BackgroundJob). A node another host (or none) owns takes this host's row whatever its
     * version: versions count one host's changes, and a new owner's first version of a job may be lower than one its
     * former owner wrote but the database refused (a lease lost unnoticed). A late row from a former owner never
     * comes: a host writes only the jobs it owns at the time it writes. Without $claim (a cluster host's resync of
     * the jobs other hosts own), a row only fills in a node that is new, or owned by none and older.
     */
    static final String UPSERT_JOBS = """
            UNWIND $rows AS row
            MERGE (j:_BackgroundJob {qname: row.qname})
            WITH j, row, EXISTS { (:_Host {id: $hostId})-[:OWNS]->(j) } AS mine,
                 j.version IS NULL OR j.version < row.version OR ($force AND j.version <> row.version) AS newer
            WHERE CASE WHEN $claim THEN newer OR NOT mine ELSE newer AND NOT EXISTS { (:_Host)-[:OWNS]->(j) } END
            SET j += row.props, j.updated_at = $now
            WITH j, row, mine
            // Linking is needed for a new job, a job changing owner (or on resync); the common case, a job that
            // already hangs off its plugin and host, stops here, which is most of what lets the mirror keep up with a
            // busy engine.
            WHERE $force OR ($claim AND NOT mine) OR NOT EXISTS { (:_Plugin {id: row.plugin_id})-[:CONTRIBUTES]->(j) }
            CALL {
              WITH j, mine
              WITH j WHERE $claim AND NOT mine
              MERGE (h:_Host {id: $hostId})
              MERGE (h)-[:OWNS]->(j)
              WITH h, j
              OPTIONAL MATCH (o:_Host)-[r:OWNS]->(j)
              WHERE o <> h
              DELETE r
            }
            MERGE (p:_Plugin {id: row.plugin_id})
              ON CREATE SET p.state = $absentState
            MERGE (p)-[:CONTRIBUTES]->(j)
            WITH j, p
            OPTIONAL MATCH (other:_Plugin)-[c:CONTRIBUTES]->(j)
            WHERE other <> p
            DELETE c
            RETURN count(DISTINCT j) AS linked""";

    /**
     * Rows from {@link GraphRows#jobChanges}: applied only to a node still at the version the row was computed from,
     * so the properties left out are known to be right. A node elsewhere (written by another host, changed by
     * hand, deleted) is left alone and reported missing from {@code applied}; the caller sends its whole row.
     */
    static final String UPDATE_JOBS = """
            UNWIND $rows AS row
            MATCH (j:_BackgroundJob {qname: row.qname})
            WHERE j.version = row.base_version
            SET j += row.props, j.updated_at = $now
            RETURN collect(row.qname) AS applied""";

    /** {@link #UPDATE_JOBS} for a cluster host: a node another host has taken since is not at this host's version. */
    static final String UPDATE_OWNED_JOBS = """
            UNWIND $rows AS row
            MATCH (j:_BackgroundJob {qname: row.qname})
            WHERE j.version = row.base_version AND EXISTS { (:_Host {id: $hostId})-[:OWNS]->(j) }
            SET j += row.props, j.updated_at = $now
            RETURN collect(row.qname) AS applied""";

    static final String DELETE_JOBS = """
            UNWIND $qnames AS q
            MATCH (j:_BackgroundJob {qname: q})
            OPTIONAL MATCH (j)-[:RAN]->(r:_JobRun)
            WITH j, collect(r) AS runs
            FOREACH (r IN runs | DETACH DELETE r)
            DETACH DELETE j
            RETURN count(j) AS deleted""";

    /*
     * $since (cluster mode only) spares nodes written since shortly before the state was read: another host may have
     * written a job new to the cluster after this host read the cluster's jobs.
     */
    static final String DELETE_JOBS_EXCEPT = """
            MATCH (j:_BackgroundJob)
            WHERE NOT j.qname IN $qnames AND ($since IS NULL OR j.updated_at IS NULL OR j.updated_at < $since)
            OPTIONAL MATCH (j)-[:RAN]->(r:_JobRun)
            WITH j, collect(r) AS runs
            FOREACH (r IN runs | DETACH DELETE r)
            DETACH DELETE j
            RETURN count(j) AS deleted""";

    static final String DELETE_STRAY_RUNS = """
            MATCH (r:_JobRun)
            WHERE NOT EXISTS { (:_BackgroundJob)-[:RAN]->(r) }
            DETACH DELETE r
            RETURN count(r) AS deleted""";

    /** A run of a job the graph does not have (yet) is skipped: runs are best-effort history. */
    static final String INSERT_RUNS = """
            UNWIND $rows AS row
            MATCH (j:_BackgroundJob {qname: row.qname})
            MERGE (r:_JobRun {run_id: row.run_id})
              ON CREATE SET r += row.props
            MERGE (j)-[:RAN]->(r)
            RETURN max(row.props.finished_at) AS until""";

    /**
     * Moves the host node's {@code runs_written_until} on to {@code $until} (never back): every run of this host that
     * finished before it has been written, so a reconnection need not write them again (see {@link #RUN_MARK}).
     */
    static final String ADVANCE_RUN_MARK = """
            MATCH (h:_Host {id: $hostId})
            WHERE h.runs_written_until IS NULL OR h.runs_written_until < $until
            SET h.runs_written_until = $until""";

    /** The newest {@code finished_at} this host's mirror has written; absent in a graph new to this host. */
    static final String RUN_MARK = """
            MATCH (h:_Host {id: $hostId})
            RETURN h.runs_written_until AS until""";

    /** How many runs the graph holds of each job: a relationship count per node, no run is read. */
    static final String RUN_COUNTS = """
            MATCH (j:_BackgroundJob)
            RETURN j.qname AS qname, COUNT { (j)-[:RAN]->() } AS runs""";

    static final String TRIM_RUNS = """
            UNWIND $qnames AS q
            MATCH (j:_BackgroundJob {qname: q})-[:RAN]->(r:_JobRun)
            WITH j, r
            ORDER BY r.started_at DESC, r.run_id DESC
            WITH j, collect(r) AS runs
            WITH runs[$keep..] AS old
            FOREACH (r IN old | DETACH DELETE r)
            RETURN sum(size(old)) AS trimmed""";

    static final String MERGE_HOST = """
            MERGE (h:_Host {id: $hostId})
            SET h.started_at = $startedAt""";

    static final String UPSERT_PLUGINS = """
            MATCH (h:_Host {id: $hostId})
            UNWIND $plugins AS row
            MERGE (p:_Plugin {id: row.id})
            SET p.version = row.version, p.state = row.state, p.depends_on = row.depends_on
            MERGE (h)-[:HOSTS]->(p)""";

    /** A plugin the host no longer knows leaves the graph, unless jobs (orphans) still name it. */
    static final String DELETE_ABSENT_PLUGINS = """
            MATCH (p:_Plugin)
            WHERE NOT p.id IN $ids AND NOT EXISTS { (p)-[:CONTRIBUTES]->(:_BackgroundJob) }
            DETACH DELETE p""";

    static final String MARK_ABSENT_PLUGINS = """
            MATCH (p:_Plugin)
            WHERE NOT p.id IN $ids
            SET p.state = $goneState
            WITH p
            OPTIONAL MATCH (:_Host)-[h:HOSTS]->(p)
            DELETE h""";

    /*
     * Cluster mode: hosts may load different plugins, so a host takes back only its own HOSTS links; a plugin is gone
     * (or deleted, if no job names it) once no host has it.
     */
    static final String UNHOST_ABSENT_PLUGINS = """
            MATCH (:_Host {id: $hostId})-[h:HOSTS]->(p:_Plugin)
            WHERE NOT p.id IN $ids
            DELETE h""";

    static final String DELETE_UNHOSTED_PLUGINS = """
            MATCH (p:_Plugin)
            WHERE NOT p.id IN $ids AND NOT EXISTS { (:_Host)-[:HOSTS]->(p) }
              AND NOT EXISTS { (p)-[:CONTRIBUTES]->(:_BackgroundJob) }
            DETACH DELETE p""";

    static final String MARK_UNHOSTED_PLUGINS = """
            MATCH (p:_Plugin)
            WHERE NOT p.id IN $ids AND NOT EXISTS { (:_Host)-[:HOSTS]->(p) }
            SET p.state = $goneState""";

    static final String DELETE_STALE_DEPENDENCIES = """
            UNWIND $plugins AS row
            MATCH (p:_Plugin {id: row.id})-[d:DEPENDS_ON]->(q:_Plugin)
            WHERE NOT q.id IN row.depends_on
            DELETE d""";

    /** Only between plugins the graph has: a missing dependency shows in the depends_on property alone. */
    static final String MERGE_DEPENDENCIES = """
            UNWIND $plugins AS row
            UNWIND row.depends_on AS dep
            MATCH (p:_Plugin {id: row.id}), (q:_Plugin {id: dep})
            MERGE (p)-[:DEPENDS_ON]->(q)""";

    /** The state of a plugin node whose plugin the host no longer knows. */
    static final String GONE = "gone";
    /** The state of a plugin node created for a job before the host has reported any plugin. */
    static final String UNKNOWN = "unknown";

    private final String hostId;
    private final Instant hostStartedAt;
    private final int runsPerJob;
    private final boolean clustered;

    GraphWriter(String hostId, Instant hostStartedAt, int runsPerJob) {
        this(hostId, hostStartedAt, runsPerJob, false);
    }

    /** @param clustered whether other hosts write to the same graph (cluster mode) */
    GraphWriter(String hostId, Instant hostStartedAt, int runsPerJob, boolean clustered) {
        this.hostId = hostId;
        this.hostStartedAt = hostStartedAt;
        this.runsPerJob = runsPerJob;
        this.clustered = clustered;
    }

    /**
     * Upserts job rows from {@link GraphRows#job}.
     *
     * @param force       resync: let a row with a different version through even if lower
     * @param pluginsKnown whether the host has reported its plugins (a job's plugin created here is then "gone")
     * @return the rows sent
     */
    int upsertJobs(TransactionContext tx, List<Map<String, Object>> rows, boolean force, boolean pluginsKnown,
                   Instant now) {
        return upsertJobs(tx, rows, force, true, pluginsKnown, now);
    }

    /**
     * Upserts job rows from {@link GraphRows#job}.
     *
     * @param force        resync: let a row with a different version through even if lower
     * @param claim        the jobs are this host's: a row that changes a node makes this host its owner
     * @param pluginsKnown whether the host has reported its plugins (a job's plugin created here is then "gone")
     * @return the rows sent
     */
    int upsertJobs(TransactionContext tx, List<Map<String, Object>> rows, boolean force, boolean claim,
                   boolean pluginsKnown, Instant now) {
        tx.run(UPSERT_JOBS, Map.of("rows", rows, "force", force, "claim", claim, "hostId", hostId,
                "now", GraphRows.dateTime(now), "absentState", pluginsKnown ? GONE : UNKNOWN)).consume();
        return rows.size();
    }

    /**
     * Applies rows from {@link GraphRows#jobChanges} to the nodes still at their base version.
     *
     * @return the qnames of the rows applied
     */
    Set<String> updateJobs(TransactionContext tx, List<Map<String, Object>> rows, Instant now) {
        List<Object> applied = tx.run(clustered ? UPDATE_OWNED_JOBS : UPDATE_JOBS, Map.of("rows", rows,
                "hostId", hostId, "now", GraphRows.dateTime(now))).single().get("applied").asList();
        Set<String> qnames = new HashSet<>();
        applied.forEach(q -> qnames.add((String) q));
        return qnames;
    }

    /** Deletes jobs and their runs. @return the rows sent */
    int deleteJobs(TransactionContext tx, List<String> qnames) {
        tx.run(DELETE_JOBS, Map.of("qnames", qnames)).consume();
        return qnames.size();
    }

    /**
     * Resync: deletes every job (and its runs) not in the list and not written since {@code since} (empty: whenever
     * written), and runs left without a job.
     *
     * @return nodes deleted
     */
    int deleteJobsExcept(TransactionContext tx, List<String> qnames, Optional<Instant> since) {
        Map<String, Object> params = new HashMap<>();
        params.put("qnames", qnames);
        params.put("since", since.map(GraphRows::dateTime).orElse(null));
        int deleted = tx.run(DELETE_JOBS_EXCEPT, params).single().get("deleted").asInt();
        return deleted + tx.run(DELETE_STRAY_RUNS).single().get("deleted").asInt();
    }

    /**
     * Inserts run rows from {@link GraphRows#run} and trims each job's history.
     *
     * @param advanceMark whether the rows are runs in the order they finished (the mirror's queue), so that the
     *                    newest of them written moves the run mark on; not for the run history, whose rows come job by
     *                    job and whose mark is moved once all are written ({@link #advanceRunMark})
     * @return the rows sent
     */
    int insertRuns(TransactionContext tx, List<Map<String, Object>> rows, boolean advanceMark) {
        if (runsPerJob == 0 || rows.isEmpty()) {
            return 0;
        }
        Value until = tx.run(INSERT_RUNS, Map.of("rows", rows)).single().get("until");
        List<Object> qnames = rows.stream().map(r -> r.get("qname")).distinct().toList();
        tx.run(TRIM_RUNS, Map.of("qnames", qnames, "keep", (long) runsPerJob)).consume();
        if (advanceMark && !until.isNull()) {
            tx.run(ADVANCE_RUN_MARK, Map.of("hostId", hostId, "until", until)).consume();
        }
        return rows.size();
    }

    /** Moves the run mark on to {@code until} if it is before. */
    void advanceRunMark(TransactionContext tx, Instant until) {
        tx.run(ADVANCE_RUN_MARK, Map.of("hostId", hostId, "until", GraphRows.dateTime(until))).consume();
    }

    /** @return the {@code finished_at} of the newest run this host's mirror has written to this graph, if known */
    Optional<Instant> runsWrittenUntil(TransactionContext tx) {
        List<Record> records = tx.run(RUN_MARK, Map.of("hostId", hostId)).list();
        if (records.isEmpty() || records.get(0).get("until").isNull()) {
            return Optional.empty();
        }
        return Optional.of(records.get(0).get("until").asZonedDateTime().toInstant());
    }

    /** @return the number of runs the graph holds of each job it has, by qname */
    Map<String, Long> runCounts(TransactionContext tx) {
        Map<String, Long> counts = new HashMap<>();
        tx.run(RUN_COUNTS).forEachRemaining(r -> counts.put(r.get("qname").asString(), r.get("runs").asLong()));
        return counts;
    }

    /** Writes the host node alone (no plugin list known yet). */
    void mergeHost(TransactionContext tx) {
        tx.run(MERGE_HOST, Map.of("hostId", hostId, "startedAt", GraphRows.dateTime(hostStartedAt))).consume();
    }

    /**
     * Makes the graph's plugins match the host's complete list: upserts them under this host, marks plugins the
     * host no longer knows as gone (or deletes them if no job names them) and sets the dependencies. In cluster mode
     * a plugin another host still has stays as it is.
     *
     * @return the rows sent
     */
    int syncPlugins(TransactionContext tx, List<PluginNode> plugins) {
        List<Map<String, Object>> rows = plugins.stream().map(GraphRows::plugin).toList();
        List<String> ids = plugins.stream().map(PluginNode::id).toList();
        mergeHost(tx);
        Map<String, Object> params = new HashMap<>();
        params.put("hostId", hostId);
        params.put("plugins", rows);
        params.put("ids", ids);
        params.put("goneState", GONE);
        tx.run(UPSERT_PLUGINS, params).consume();
        if (clustered) {
            tx.run(UNHOST_ABSENT_PLUGINS, params).consume();
            tx.run(DELETE_UNHOSTED_PLUGINS, params).consume();
            tx.run(MARK_UNHOSTED_PLUGINS, params).consume();
        } else {
            tx.run(DELETE_ABSENT_PLUGINS, params).consume();
            tx.run(MARK_ABSENT_PLUGINS, params).consume();
        }
        tx.run(DELETE_STALE_DEPENDENCIES, params).consume();
        tx.run(MERGE_DEPENDENCIES, params).consume();
        return rows.size() + 1;
    }
}
