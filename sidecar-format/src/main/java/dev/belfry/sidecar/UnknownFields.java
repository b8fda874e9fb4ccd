package dev.belfry.sidecar;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Members of a JSON object that this version of Belfry does not understand, typically written by a newer
 * version. They are kept verbatim (in their original order) and written back after the known fields, so a
 * downgrade followed by an upgrade loses nothing. The values are opaque: only their names are exposed.
 *
 * <p>Instances are immutable; two instances are equal when they hold the same names with equal JSON values.
 */
public final class UnknownFields {
    private static final UnknownFields NONE = new UnknownFields(Map.of());

    private final Map<String, JsonTree.Node> fields;

    private UnknownFields(Map<String, JsonTree.Node> fields) {
        this.fields = fields;
    }

    /** @return the empty holder */
    public static UnknownFields none() {
        return NONE;
    }

    // Values are stripped of their source locations so that equality does not depend on where they were read.
    static UnknownFields of(Map<String, JsonTree.Node> fields) {
        if (fields.isEmpty()) {
            return NONE;
        }
        Map<String, JsonTree.Node> copy = new LinkedHashMap<>();
        fields.forEach((k, v) -> copy.put(Objects.requireNonNull(k, "name"), JsonTree.detached(v)));
        return new UnknownFields(Collections.unmodifiableMap(copy));
    }

    Map<String, JsonTree.Node> fields() {
        return fields;
    }

    /** @return true if no unknown members were read */
    public boolean isEmpty() {
        return fields.isEmpty();
    }

    /** @return the names of the unknown members, in the order they were read; unmodifiable */
    public Set<String> names() {
        return fields.keySet();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof UnknownFields other && fields.equals(other.fields);
    }

    @Override
    public int hashCode() {
        return fields.hashCode();
    }

    /** @return the names, for diagnostics; the values are deliberately not shown */
    @Override
    public String toString() {
        return "UnknownFields" + fields.keySet();
    }
}
