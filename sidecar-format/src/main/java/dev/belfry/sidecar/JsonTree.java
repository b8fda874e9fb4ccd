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
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

// A JSON tree that remembers where every value and member name started, so that semantic errors found after
// parsing (a bad zone, a duplicate qname) can still point at a line and column. Built from Jackson's streaming
// parser; Jackson's own tree model drops locations.
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
    private static final Pattern SIMPLE_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final Pattern JACKSON_LOCATION =
            Pattern.compile("\\s*\\[Source: [^;\\]]*(?:\\([^)]*\\))?[^;\\]]*; line: (\\d+), column: (\\d+)]");

    private JsonTree() {
    }

    /** A position in the text, 1-based; {@link #NONE} for values not read from a file. */
    record Loc(int line, int column) {
        static final Loc NONE = new Loc(0, 0);
    }

    sealed interface Node permits Obj, Arr, Str, Num, Bool, Null {
        Loc loc();
    }

    record Member(String name, Loc nameLoc, Node value) {
    }

    record Obj(Loc loc, Map<String, Member> members) implements Node {
        Obj {
            members = Collections.unmodifiableMap(new LinkedHashMap<>(members));
        }
    }

    record Arr(Loc loc, List<Node> items) implements Node {
        Arr {
            items = List.copyOf(items);
        }
    }

    record Str(Loc loc, String value) implements Node {
    }

    /** A number kept as its source text, so an unknown field is written back exactly as it was read. */
    record Num(Loc loc, String text, boolean integral) implements Node {
    }

    record Bool(Loc loc, boolean value) implements Node {
    }

    record Null(Loc loc) implements Node {
    }

    /** Joins an object member name onto a path. */
    static String child(String path, String name) {
        if (!SIMPLE_NAME.matcher(name).matches()) {
            // Empty names, names with dots or spaces: bracket form keeps the path unambiguous.
            return path + "[" + quote(name) + "]";
        }
        return ROOT.equals(path) ? name : path + "." + name;
    }

    /** Joins an array index onto a path. */
    static String index(String path, int i) {
        return path + "[" + i + "]";
    }

    /**
     * Parses a whole document.
     *
     * @throws SidecarFormatException for any syntax error, with the path of the innermost value being read
     */
    static Node parse(String text, String source) {
        Builder b = new Builder(source);
        try (JsonParser p = FACTORY.createParser(text)) {
            b.parser = p;
            JsonToken first = p.nextToken();
            if (first == null) {
                throw new SidecarFormatException(source, 1, 1, ROOT, "the file is empty");
            }
            Node root = b.value(ROOT);
            b.path = ROOT;
            if (p.nextToken() != null) {
                Loc at = loc(p.currentTokenLocation());
                throw new SidecarFormatException(source, at.line(), at.column(), ROOT,
                        "unexpected content after the end of the document");
            }
            return root;
        } catch (JsonProcessingException e) {
            throw b.syntaxError(e);
        } catch (IOException e) {
            // Reading from a String cannot fail for I/O reasons; treat anything else as a malformed document.
            throw b.syntaxError(e);
        } catch (SidecarFormatException e) {
            throw e;
        } catch (RuntimeException e) {
            // Not expected from Jackson, but a damaged file must never surface as anything else.
            throw b.syntaxError(new IOException(e.toString(), e));
        }
    }

    /** Returns the same tree with every location replaced by {@link Loc#NONE}, for location-free equality. */
    static Node detached(Node n) {
        if (n instanceof Obj o) {
            Map<String, Member> m = new LinkedHashMap<>();
            o.members().forEach((k, v) -> m.put(k, new Member(k, Loc.NONE, detached(v.value()))));
            return new Obj(Loc.NONE, m);
        } else if (n instanceof Arr a) {
            List<Node> items = new ArrayList<>(a.items().size());
            a.items().forEach(i -> items.add(detached(i)));
            return new Arr(Loc.NONE, items);
        } else if (n instanceof Str s) {
            return new Str(Loc.NONE, s.value());
        } else if (n instanceof Num x) {
            return new Num(Loc.NONE, x.text(), x.integral());
        } else if (n instanceof Bool b) {
            return new Bool(Loc.NONE, b.value());
        } else if (n instanceof Null) {
            return new Null(Loc.NONE);
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

    private static final class Builder {
        private final String source;
        private JsonParser parser;
        // The path of the value being read when the parser gives up; used for syntax errors.
        private String path = ROOT;

        Builder(String source) {
            this.source = source;
        }

        // The parser is positioned on the first token of the value.
        Node value(String at) throws IOException {
            path = at;
            JsonToken t = parser.currentToken();
            Loc loc = loc(parser.currentTokenLocation());
            switch (t) {
                case START_OBJECT:
                    return object(at, loc);
                case START_ARRAY:
                    return array(at, loc);
                case VALUE_STRING:
                    return new Str(loc, parser.getText());
                case VALUE_NUMBER_INT:
                    return new Num(loc, parser.getText(), true);
                case VALUE_NUMBER_FLOAT:
                    return new Num(loc, parser.getText(), false);
                case VALUE_TRUE:
                    return new Bool(loc, true);
                case VALUE_FALSE:
                    return new Bool(loc, false);
                case VALUE_NULL:
                    return new Null(loc);
                default:
                    throw new SidecarFormatException(source, loc.line(), loc.column(), at,
                            "unexpected " + parser.getText());
            }
        }

        private Node object(String at, Loc loc) throws IOException {
            Map<String, Member> members = new LinkedHashMap<>();
            while (true) {
                path = at;
                JsonToken t = nextMemberToken(at);
                if (t == JsonToken.END_OBJECT) {
                    return new Obj(loc, members);
                }
                // Jackson only hands out FIELD_NAME here; anything else has already raised a syntax error.
                String name = parser.currentName();
                Loc nameLoc = loc(parser.currentTokenLocation());
                String memberPath = child(at, name);
                if (members.containsKey(name)) {
                    Member first = members.get(name);
                    throw new SidecarFormatException(source, nameLoc.line(), nameLoc.column(), memberPath,
                            "duplicate member \"" + name + "\" (first at line " + first.nameLoc().line()
                                    + ", column " + first.nameLoc().column() + ")");
                }
                path = memberPath;
                parser.nextToken();
                members.put(name, new Member(name, nameLoc, value(memberPath)));
            }
        }

        // Jackson reads a scalar value together with the member name before it, so a bad number or literal fails
        // on the call that was meant to return the name. Attribute such errors to the member just named.
        private JsonToken nextMemberToken(String at) throws IOException {
            String previous = parser.currentName();
            try {
                return parser.nextToken();
            } catch (JsonProcessingException e) {
                String name = parser.currentName();
                if (name != null && !name.equals(previous)) {
                    path = child(at, name);
                }
                throw e;
            }
        }

        private Node array(String at, Loc loc) throws IOException {
            List<Node> items = new ArrayList<>();
            while (true) {
                // A syntax error between items (a missing comma, a cut-off file) belongs to the array itself.
                path = at;
                JsonToken t = parser.nextToken();
                if (t == JsonToken.END_ARRAY) {
                    return new Arr(loc, items);
                }
                items.add(value(index(at, items.size())));
            }
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
            return new SidecarFormatException(source, at.line(), at.column(), path, problem, e);
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
