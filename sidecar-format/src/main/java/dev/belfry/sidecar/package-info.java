/**
 * The persisted background-job state ("the sidecar"): the document model ({@link dev.belfry.sidecar.SidecarDocument},
 * {@link dev.belfry.sidecar.JobRecord}), its JSON codec ({@link dev.belfry.sidecar.SidecarCodec}) and the durable
 * store that writes it atomically and recovers from damaged files ({@link dev.belfry.sidecar.SidecarStore}); and
 * the framing of journal segments ({@link dev.belfry.sidecar.JournalSegment}, {@link dev.belfry.sidecar.JournalWriter},
 * {@link dev.belfry.sidecar.JournalReader}), which the host does not use yet.
 *
 * <p>The file format is described in {@code docs/sidecar-format.md} and, formally, by the JSON Schema resource
 * {@code dev/belfry/sidecar/background-jobs.schema.json} on the class path.
 */
package dev.belfry.sidecar;
