/**
 * Belfry's test kit: {@link dev.belfry.test.ManualHost}, a real host a test steps with a
 * {@link dev.belfry.test.SettableClock}, and {@link dev.belfry.test.FakeJobContext} for a job's unit test. Nothing
 * is null unless marked.
 */
@NullMarked
package dev.belfry.test;

import org.jspecify.annotations.NullMarked;
