package dev.belfry.host.internal.plugins;

import dev.belfry.api.QName;
import java.util.Locale;
import java.util.Set;

/**
 * The rule for plugin ids, stricter than {@link QName#checkNamespace}: ASCII only, so two ids that look alike are
 * alike; no empty segment between dots; and none of the device names Windows reserves, so an id can always name a
 * file or folder. The namespace rule itself stays wider because job names already in a state file must still load.
 */
public final class PluginIds {
    private static final Set<String> RESERVED = Set.of("con", "prn", "aux", "nul",
            "com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8", "com9",
            "lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9");

    private PluginIds() {
    }

    /**
     * Checks a plugin id.
     *
     * @param id the candidate id
     * @return the same id
     * @throws IllegalArgumentException naming the id and what is wrong with it
     */
    public static String check(String id) {
        QName.checkNamespace(id);
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            if (c >= 0x80) {
                throw new IllegalArgumentException("invalid plugin id \"" + id + "\": character '"
                        + new String(Character.toChars(id.codePointAt(i))) + "' at position " + (i + 1)
                        + " is not ASCII (use a-z, A-Z, 0-9, '_', '-' and '.')");
            }
        }
        if (id.contains("..") || id.endsWith(".")) {
            throw new IllegalArgumentException("invalid plugin id \"" + id + "\": two dots in a row and a dot at the end are"
                    + " not allowed");
        }
        // Windows reserves these names with any extension too: "con.jobs" names the console.
        String stem = id.split("\\.", 2)[0].toLowerCase(Locale.ROOT);
        if (RESERVED.contains(stem)) {
            throw new IllegalArgumentException("invalid plugin id \"" + id + "\": \"" + id.split("\\.", 2)[0]
                    + "\" is a device name some operating systems reserve");
        }
        return id;
    }
}
