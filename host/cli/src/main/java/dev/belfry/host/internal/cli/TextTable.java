package dev.belfry.host.internal.cli;

import dev.belfry.host.internal.Printable;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/** An aligned plain-text table: a header row and data rows, columns padded to their widest cell. */
final class TextTable {
    private final List<String[]> rows = new ArrayList<>();
    private final int columns;

    TextTable(String... header) {
        this.columns = header.length;
        rows.add(java.util.Arrays.stream(header).map(TextTable::cell).toArray(String[]::new));
    }

    /** One line, whatever the text holds, with control characters written as escapes (see {@link #row}). */
    private static String cell(Object value) {
        return Printable.escape(String.valueOf(value).replaceAll("[\\r\\n\\t]+", " "));
    }

    TextTable row(Object... cells) {
        if (cells.length != columns) {
            throw new IllegalArgumentException("expected " + columns + " cells, got " + cells.length);
        }
        String[] text = new String[columns];
        for (int i = 0; i < columns; i++) {
            // One line per row, whatever a cell holds: an error message must not break the table, nor text a job
            // wrote (an ESC sequence in a failure message, a graph property) drive the operator's terminal.
            text[i] = cell(cells[i]);
        }
        rows.add(text);
        return this;
    }

    void print(PrintWriter out) {
        int[] width = new int[columns];
        for (String[] row : rows) {
            for (int i = 0; i < columns; i++) {
                width[i] = Math.max(width[i], row[i].length());
            }
        }
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < columns; i++) {
                line.append(row[i]);
                if (i < columns - 1) {
                    line.append(" ".repeat(width[i] - row[i].length() + 2));
                }
            }
            out.println(line.toString().stripTrailing());
        }
        out.flush();
    }
}
