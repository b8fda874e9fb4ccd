package dev.belfry.host.internal.admin.ui;

/** What a dashboard session may do. */
public enum Role {
    /** Sees everything and acts: trigger, pause, resume, cancel, reload. */
    OPERATOR,
    /** Sees everything, changes nothing. */
    VIEWER
}
