package dev.belfry.plugins.ingest;

import java.util.Optional;

/**
 * The incremental job's checkpoint: how far it has read, written as the small JSON object
 * {@code {"watermark":N,"batches":B}}. Parsed by hand so the plugin needs nothing beyond the plugin API.
 *
 * @param watermark the id of the last record ingested
 * @param batches   how many batches have been ingested
 */
record Watermark(long watermark, long batches) {

    static Watermark parse(Optional<String> checkpoint) {
        if (checkpoint.isEmpty()) {
            return new Watermark(0, 0);
        }
        String text = checkpoint.get();
        return new Watermark(number(text, "watermark"), number(text, "batches"));
    }

    private static long number(String json, String key) {
        int at = json.indexOf("\"" + key + "\"");
        if (at < 0) {
            return 0;
        }
        int start = json.indexOf(':', at) + 1;
        int end = start;
        while (end < json.length() && (Character.isDigit(json.charAt(end)) || json.charAt(end) == ' ')) {
            end++;
        }
        return Long.parseLong(json.substring(start, end).strip());
    }

    String toJson() {
        return "{\"watermark\":" + watermark + ",\"batches\":" + batches + "}";
    }
}
