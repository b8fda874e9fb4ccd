package dev.belfry.sidecar;

import dev.belfry.api.QName;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The whole sidecar: every job's persisted state, in a stable order.
 *
 * <p>A document read from a file written by a newer Belfry keeps that file's {@link #version()} and its
 * {@link #unknown() unknown members}; {@link #withJobs(List, Instant)} carries both over, so writing the document
 * back preserves what this version did not understand.
 *
 * @param version   the format version; {@value #CURRENT_VERSION} for documents this version creates, at least 1
 * @param writtenAt when the writer produced the document
 * @param jobs      the jobs, with no two sharing a qname; unmodifiable
 * @param unknown   document-level members a newer writer added, kept for writing back
 * @param journalGeneration the generation of the first journal segment whose changes come after this document:
 *                  segments of a lower generation are already in it (0 for a document that no journal follows yet)
 */
public record SidecarDocument(int version, Instant writtenAt, List<JobRecord> jobs, UnknownFields unknown,
                              long journalGeneration) {
    /** The value of the {@code format} member that identifies a background-jobs sidecar. */
    public static final String FORMAT = "belfry.background-jobs";
    /** The format version this code writes. */
    public static final int CURRENT_VERSION = 1;

    /**
     * Validates the document and copies the job list.
     *
     * @throws IllegalArgumentException if the version is below 1 or two jobs share a qname (the message names it)
     * @throws NullPointerException     if a component or a job is null
     */
    public SidecarDocument {
        if (version < 1) {
            throw new IllegalArgumentException("sidecar format version must be at least 1: " + version);
        }
        Objects.requireNonNull(writtenAt, "writtenAt");
        Objects.requireNonNull(unknown, "unknown");
        if (journalGeneration < 0 || journalGeneration > Journal.MAX_GENERATION) {
            throw new IllegalArgumentException("journal generation must be 0 to " + Journal.MAX_GENERATION + ": "
                    + journalGeneration);
        }
        jobs = List.copyOf(jobs);
        requireUniqueNames(jobs);
    }

    /**
     * A document no journal follows yet.
     *
     * @param version   the format version
     * @param writtenAt when the writer produced the document
     * @param jobs      the jobs, with no two sharing a qname
     * @param unknown   document-level members a newer writer added
     */
    public SidecarDocument(int version, Instant writtenAt, List<JobRecord> jobs, UnknownFields unknown) {
        this(version, writtenAt, jobs, unknown, 0);
    }

    // The state writer hands over its jobs sorted by name, once per commit: then a duplicate is next to its twin,
    // found without a map of every name (a few MB per commit of 100,000 jobs).
    private static void requireUniqueNames(List<JobRecord> jobs) {
        boolean sorted = true;
        for (int i = 1; i < jobs.size() && sorted; i++) {
            int order = jobs.get(i - 1).qname().compareTo(jobs.get(i).qname());
            if (order == 0) {
                throw duplicate(jobs, i - 1, i);
            }
            sorted = order < 0;
        }
        if (sorted) {
            return;
        }
        Map<QName, Integer> seen = new HashMap<>(jobs.size() * 4 / 3 + 1);
        for (int i = 0; i < jobs.size(); i++) {
            Integer first = seen.putIfAbsent(jobs.get(i).qname(), i);
            if (first != null) {
                throw duplicate(jobs, first, i);
            }
        }
    }

    private static IllegalArgumentException duplicate(List<JobRecord> jobs, int first, int second) {
        return new IllegalArgumentException("duplicate job " + jobs.get(second).qname() + " at positions " + first
                + " and " + second);
    }

    /**
     * A document with no jobs, in the current version.
     *
     * @param writtenAt when the document is produced
     * @return the empty document
     */
    public static SidecarDocument empty(Instant writtenAt) {
        return new SidecarDocument(CURRENT_VERSION, writtenAt, List.of(), UnknownFields.none());
    }

    /**
     * A document in the current version.
     *
     * @param writtenAt when the document is produced
     * @param jobs      the jobs, qnames unique
     * @return the document
     * @throws IllegalArgumentException if two jobs share a qname
     */
    public static SidecarDocument of(Instant writtenAt, List<JobRecord> jobs) {
        return new SidecarDocument(CURRENT_VERSION, writtenAt, jobs, UnknownFields.none());
    }

    /**
     * A copy with other jobs and write time, keeping this document's version and unknown members.
     *
     * @param newJobs      the jobs, qnames unique
     * @param newWrittenAt when the copy is produced
     * @return the copy
     * @throws IllegalArgumentException if two jobs share a qname
     */
    public SidecarDocument withJobs(List<JobRecord> newJobs, Instant newWrittenAt) {
        return new SidecarDocument(version, newWrittenAt, newJobs, unknown, journalGeneration);
    }

    /**
     * A copy that journal segments from {@code generation} on follow (a checkpoint).
     *
     * @param generation the first journal generation not in the document
     * @return the copy
     */
    public SidecarDocument withJournalGeneration(long generation) {
        return new SidecarDocument(version, writtenAt, jobs, unknown, generation);
    }

    /**
     * Looks a job up by name.
     *
     * @param qname the job's qualified name
     * @return the job's record, or empty if the document has none by that name
     */
    public Optional<JobRecord> job(QName qname) {
        Objects.requireNonNull(qname, "qname");
        return jobs.stream().filter(j -> j.qname().equals(qname)).findFirst();
    }
}
