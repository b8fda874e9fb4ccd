package dev.belfry.host.internal.cli;

/**
 * A job's checkpoint in a table: a plugin's own text of up to 64 Ki characters, often JSON over several lines, shown
 * on one line and cut short; the whole text is in {@code belfry jobs show --json}.
 */
final class Checkpoints {
    /** How much of a checkpoint {@code belfry jobs show} prints. */
    static final int SHOW_CHARS = 200;
    /** How much of each checkpoint {@code belfry sidecar dump} prints, one column among ten. */
    static final int DUMP_CHARS = 40;

    private Checkpoints() {
    }

    /**
     * @param checkpoint the text
     * @param max        how many of its characters to show at most
     * @return the text with line breaks and control characters escaped, and if longer than {@code max},
     *         cut there and followed by {@code ... (N chars)}
     */
    static String oneLine(String checkpoint, int max) {
        if (checkpoint.isEmpty()) {
            return "\"\"";
        }
        if (checkpoint.length() <= max) {
            return BelfryCli.oneLine(checkpoint);
        }
        int end = Character.isHighSurrogate(checkpoint.charAt(max - 1)) ? max - 1 : max;
        return BelfryCli.oneLine(checkpoint.substring(0, end)) + "... (" + checkpoint.length() + " chars)";
    }
}
