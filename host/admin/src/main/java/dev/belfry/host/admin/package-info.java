/**
 * The admin API as a host module: {@link dev.belfry.host.admin.AdminModule}. Nothing is null unless marked.
 */
@NullMarked
package dev.belfry.host.admin;

import org.jspecify.annotations.NullMarked;
