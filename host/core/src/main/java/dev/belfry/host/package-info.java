/**
 * Belfry's public API for applications: start a {@link dev.belfry.host.Host} from a
 * {@link dev.belfry.host.HostConfig}, register the application's own jobs, operate on jobs, read the immutable views
 * and listen to events. Nothing here exposes a type of the state file or of {@code dev.belfry.host.internal}, whose
 * packages are Belfry's own and change without notice. Parameters and results are never null unless marked
 * {@code @Nullable}; absent values are {@link java.util.Optional}. See docs/embedding.md.
 */
@NullMarked
package dev.belfry.host;

import org.jspecify.annotations.NullMarked;
