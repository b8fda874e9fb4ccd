package dev.belfry.sidecar;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.io.JsonEOFException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

// A JSON tree that remembers where every value and member name started, so that semantic errors found after
// parsing (a bad zone, a duplicate qname) can still point at a line and column. Built from Jackson's streaming
// parser; Jackson's own tree model drops locations.
//
// Reading a large sidecar is on the host's start-up path, so the tree costs as little per token as it can:
// positions are packed into a long in each node rather than kept as objects, and paths are only spelled out
// when an error reports one (see Path, and the frame stack in Builder).
final class JsonTree {
    /** The path of the document root in error messages. */
    static final String ROOT = "$";

    // Deep nesting is never legitimate in a sidecar; a low limit also bounds this class's recursion.
    private static final int MAX_DEPTH = 64;
    private static final JsonFactory FACTORY = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(MAX_DEPTH)
                    .maxNumberLength(200)
                    .build())
            .build();
    private static final Pattern JACKSON_LOCATION =
            Pattern.compile("\\s*\\[Source: [^;\\]]*(?:\\([^)]*\\))?[^;\\]]*; line: (\\d+), column: (\\d+)]");

    private JsonTree() {
    }

    /** A position in the text, 1-based; {@link #NONE} for values not read from a file. */
    record Loc(int line, int column) {
        static final Loc NONE = new Loc(0, 0);
    }

    /** Packs a line and column into one long, so that a node carries its position without an object. */
    static long pos(int line, int column) {
        return ((long) line << 32) | (column & 0xFFFF_FFFFL);
    }

    static Loc loc(long pos) {
        return pos == 0 ? Loc.NONE : new Loc((int) (pos >>> 32), (int) pos);
    }

    /** A JSON value; {@code pos} is its packed start position ({@link #pos}), 0 when not read from a file. */
    sealed interface Node permits Obj, Arr, Str, Num, Bool, Null {
        long pos();

        default Loc loc() {
            return JsonTree.loc(pos());
        }
    }

    /**
     * An object. The members map (name to value, in the order read) is taken over, not copied: only this class
     * makes objects, each from a map it has just filled and wrapped unmodifiable.
     */
    record Obj(long pos, Map<String, Node> members) implements Node {
    }

    record Arr(long pos, List<Node> items) implements Node {
        Arr {
            items = List.copyOf(items);
        }
    }

    record Str(long pos, String value) implements Node {
    }

    /** A number kept as its source text, so an unknown field is written back exactly as it was read. */
    record Num(long pos, String text, boolean integral) implements Node {
    }

    record Bool(long pos, boolean value) implements Node {
    }

    record Null(long pos) implements Node {
    }

    /**
     * The JSON path of a value, as a chain of steps that is only spelled out ({@link #toString()}) when an error
     * reports it: {@code $}, {@code jobs[3].schedule.every}, {@code $[3].qname}, {@code jobs[0][""]}.
     */
    static final class Path {
        static final Path DOCUMENT = new Path(null, null, -1);

        private final Path parent;
        private final String name;
        private final int index;

        private Path(Path parent, String name, int index) {
            this.parent = parent;
            this.name = name;
            this.index = index;
        }

        /** @return the path of a member of the object at this path */
        Path member(String memberName) {
            return new Path(this, memberName, -1);
        }

        /** @return the path of an item of the array at this path */
        Path index(int i) {
            return new Path(this, null, i);
        }

        @Override
        public String toString() {
            if (parent == null) {
                return ROOT;
            }
            String at = parent.toString();
            return name != null ? child(at, name) : JsonTree.index(at, index);
        }
    }

    /** Joins an object member name onto a path. */
    static String child(String path, String name) {
        if (!simpleName(name)) {
            // Empty names, names with dots or spaces: bracket form keeps the path unambiguous.
            return path + "[" + quote(name) + "]";
        }
        return ROOT.equals(path) ? name : path + "." + name;
    }

    // [A-Za-z_][A-Za-z0-9_]*
    private static boolean simpleName(String name) {
        if (name.isEmpty()) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            boolean ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'
                    || (i > 0 && c >= '0' && c <= '9');
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /** Joins an array index onto a path. */
    static String index(String path, int i) {
        return path + "[" + i + "]";
    }

    /**
     * Parses a whole document.
     *
     * @param text   the document's characters; only the first {@code length} are read, and they are not copied
     * @param length how many characters of {@code text} the document has
     * @throws SidecarFormatException for any syntax error, with the path of the innermost value being read
     */
    static Node parse(char[] text, int length, String source) {
        return parse(source, () -> FACTORY.createParser(text, 0, length));
    }

    /** Opens the parser for {@link #parse(String, ParserSource)}. */
    @FunctionalInterface
    private interface ParserSource {
        JsonParser open() throws IOException;
    }

    private static Node parse(String source, ParserSource input) {
        Builder b = new Builder(source);
        try (JsonParser p = input.open()) {
            b.parser = p;
            JsonToken first = p.nextToken();
            if (first == null) {
                throw new SidecarFormatException(source, 1, 1, ROOT, "the file is empty");
            }
            Node root = b.value(0);
            b.pathDepth = 0;
            if (p.nextToken() != null) {
                Loc at = loc(p.currentTokenLocation());
                throw new SidecarFormatException(source, at.line(), at.column(), ROOT,
                        "unexpected content after the end of the document");
            }
            return root;
        } catch (JsonProcessingException e) {
            throw b.syntaxError(e);
        } catch (IOException e) {
            // Reading from memory cannot fail for I/O reasons; treat anything else as a malformed document.
            throw b.syntaxError(e);
        } catch (SidecarFormatException e) {
            throw e;
        } catch (RuntimeException e) {
            // Not expected from Jackson, but a damaged file must never surface as anything else.
            throw b.syntaxError(new IOException(e.toString(), e));
        }
    }

    /** Returns the same tree with every position set to 0 ({@link Loc#NONE}), for location-free equality. */
    static Node detached(Node n) {
        if (n instanceof Obj o) {
            Map<String, Node> m = new LinkedHashMap<>();
            o.members().forEach((k, v) -> m.put(k, detached(v)));
            return new Obj(0, Collections.unmodifiableMap(m));
        } else if (n instanceof Arr a) {
            List<Node> items = new ArrayList<>(a.items().size());
            a.items().forEach(i -> items.add(detached(i)));
            return new Arr(0, items);
        } else if (n instanceof Str s) {
            return new Str(0, s.value());
        } else if (n instanceof Num x) {
            return new Num(0, x.text(), x.integral());
        } else if (n instanceof Bool b) {
            return new Bool(0, b.value());
        } else if (n instanceof Null) {
            return new Null(0);
        }
        throw new IllegalStateException("unhandled JSON node " + n.getClass());
    }

    /** A short description of a value for "found ..." in error messages: quoted and cut for strings. */
    static String describe(Node n) {
        if (n instanceof Obj) {
            return "an object";
        } else if (n instanceof Arr) {
            return "an array";
        } else if (n instanceof Str s) {
            return quote(s.value());
        } else if (n instanceof Num x) {
            return x.text().length() > 40 ? x.text().substring(0, 40) + "..." : x.text();
        } else if (n instanceof Bool b) {
            return String.valueOf(b.value());
        } else if (n instanceof Null) {
            return "null";
        }
        throw new IllegalStateException("unhandled JSON node " + n.getClass());
    }

    /** Quotes a string for a one-line message, escaping control characters and cutting it at 60 characters. */
    static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        int limit = Math.min(s.length(), 60);
        for (int i = 0; i < limit; i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                sb.append('\\').append(c);
            } else if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029') {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        if (s.length() > limit) {
            sb.append("...");
        }
        return sb.append('"').toString();
    }

    private static Loc loc(JsonLocation l) {
        if (l == null) {
            return new Loc(1, 1);
        }
        return new Loc(Math.max(1, l.getLineNr()), Math.max(1, l.getColumnNr()));
    }

    private static long packed(JsonLocation l) {
        if (l == null) {
            return pos(1, 1);
        }
        return pos(Math.max(1, l.getLineNr()), Math.max(1, l.getColumnNr()));
    }

    private static final class Builder {
        private final String source;
        private JsonParser parser;
        // The path of the value being read, for syntax errors, kept without building strings: one frame per
        // nesting level holds the member name (objects) or item index (arrays) being read at that level, and the
        // path is made of the first pathDepth frames. Frame d belongs to the container whose path has d frames.
        private String[] frameName = new String[16];
        private int[] frameIndex = new int[16];
        // Where each member name of the object being read at a level started, to report a duplicate's first
        // occurrence; reused by every object at that level.
        private long[][] namePositions = new long[16][];
        // How many members the last object at each level had: objects at one level are usually alike (every job
        // has the same members), so sizing the next one's map from it saves growing the map member by member.
        private int[] lastMemberCount = new int[16];
        private int pathDepth;

        Builder(String source) {
            this.source = source;
        }

        private long tokenPos() {
            return packed(parser.currentTokenLocation());
        }

        // The parser is positioned on the first token of the value, whose path has `depth` frames.
        Node value(int depth) throws IOException {
            pathDepth = depth;
            JsonToken t = parser.currentToken();
            long pos = tokenPos();
            switch (t) {
                case START_OBJECT:
                    return object(depth, pos);
                case START_ARRAY:
                    return array(depth, pos);
                case VALUE_STRING:
                    return new Str(pos, parser.getText());
                case VALUE_NUMBER_INT:
                    return new Num(pos, parser.getText(), true);
                case VALUE_NUMBER_FLOAT:
                    return new Num(pos, parser.getText(), false);
                case VALUE_TRUE:
                    return new Bool(pos, true);
                case VALUE_FALSE:
                    return new Bool(pos, false);
                case VALUE_NULL:
                    return new Null(pos);
                default:
                    Loc loc = loc(pos);
                    throw new SidecarFormatException(source, loc.line(), loc.column(), path(depth),
                            "unexpected " + parser.getText());
            }
        }

        private Node object(int depth, long pos) throws IOException {
            ensureFrames(depth);
            Map<String, Node> members = new LinkedHashMap<>(lastMemberCount[depth] * 4 / 3 + 1);
            long[] names = namePositions[depth];
            int count = 0;
            while (true) {
                pathDepth = depth;
                JsonToken t = nextMemberToken(depth);
                if (t == JsonToken.END_OBJECT) {
                    lastMemberCount[depth] = count;
                    return new Obj(pos, Collections.unmodifiableMap(members));
                }
                // Jackson only hands out FIELD_NAME here; anything else has already raised a syntax error.
                String name = parser.currentName();
                long namePos = tokenPos();
                frameName[depth] = name;
                if (members.containsKey(name)) {
                    Loc at = loc(namePos);
                    Loc first = loc(names[indexOf(members, name)]);
                    throw new SidecarFormatException(source, at.line(), at.column(), path(depth + 1),
                            "duplicate member \"" + name + "\" (first at line " + first.line()
                                    + ", column " + first.column() + ")");
                }
                if (count == names.length) {
                    names = Arrays.copyOf(names, count * 2);
                    namePositions[depth] = names;
                }
                names[count++] = namePos;
                pathDepth = depth + 1;
                parser.nextToken();
                members.put(name, value(depth + 1));
            }
        }

        private static int indexOf(Map<String, Node> members, String name) {
            int i = 0;
            for (String key : members.keySet()) {
                if (key.equals(name)) {
                    return i;
                }
                i++;
            }
            throw new IllegalStateException("member " + name + " not found");
        }

        // Jackson reads a scalar value together with the member name before it, so a bad number or literal fails
        // on the call that was meant to return the name. Attribute such errors to the member just named.
        private JsonToken nextMemberToken(int depth) throws IOException {
            String previous = parser.currentName();
            try {
                return parser.nextToken();
            } catch (JsonProcessingException e) {
                String name = parser.currentName();
                if (name != null && !name.equals(previous)) {
                    frameName[depth] = name;
                    pathDepth = depth + 1;
                }
                throw e;
            }
        }

        private Node array(int depth, long pos) throws IOException {
            ensureFrames(depth);
            List<Node> items = new ArrayList<>();
            int count = 0;
            while (true) {
                // A syntax error between items (a missing comma, a cut-off file) belongs to the array itself.
                pathDepth = depth;
                JsonToken t = parser.nextToken();
                if (t == JsonToken.END_ARRAY) {
                    return new Arr(pos, items);
                }
                frameName[depth] = null;
                frameIndex[depth] = count;
                items.add(value(depth + 1));
                count++;
            }
        }

        private void ensureFrames(int depth) {
            if (depth >= frameName.length) {
                int size = Math.max(depth + 1, frameName.length * 2);
                frameName = Arrays.copyOf(frameName, size);
                frameIndex = Arrays.copyOf(frameIndex, size);
                namePositions = Arrays.copyOf(namePositions, size);
                lastMemberCount = Arrays.copyOf(lastMemberCount, size);
            }
            if (namePositions[depth] == null) {
                namePositions[depth] = new long[16];
            }
        }

        // The path made of the first `depth` frames, spelled out for an error.
        private String path(int depth) {
            String path = ROOT;
            for (int d = 0; d < depth; d++) {
                path = frameName[d] != null ? child(path, frameName[d]) : index(path, frameIndex[d]);
            }
            return path;
        }

        SidecarFormatException syntaxError(IOException e) {
            Loc at;
            String detail;
            if (e instanceof JsonProcessingException jpe) {
                at = loc(jpe.getLocation() != null ? jpe.getLocation() : parser.currentLocation());
                detail = jpe.getOriginalMessage();
            } else {
                at = parser == null ? new Loc(1, 1) : loc(parser.currentLocation());
                detail = e.getMessage();
            }
            boolean truncated = e instanceof JsonEOFException
                    || (detail != null && detail.contains("end-of-input"));
            String problem = truncated
                    ? "unexpected end of file: the file is truncated or a closing bracket is missing"
                    : "malformed JSON: " + oneLine(detail);
            return new SidecarFormatException(source, at.line(), at.column(), path(pathDepth), problem, e);
        }
        private static String oneLine(String message) {
            if (message == null || message.isBlank()) {
                return "unreadable input";
            }
            String m = JACKSON_LOCATION.matcher(message).replaceAll(" [line $1, column $2]");
            int nl = m.indexOf('\n');
            if (nl >= 0) {
                m = m.substring(0, nl);
            }
            return m.strip();
        }
    }
}
