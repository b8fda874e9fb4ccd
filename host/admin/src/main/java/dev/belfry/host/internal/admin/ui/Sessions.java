package dev.belfry.host.internal.admin.ui;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Login codes and sessions of the dashboard, in memory (a host restart logs everyone out). A code is single use and
 * short-lived; a session ends when idle too long, when too old, or on logout. Both are looked up by the SHA-256 of
 * their secret, so a lookup's timing says nothing about the secret; an unused code is kept only as its hash.
 */
public final class Sessions {
    /** How long a login code may wait to be used. */
    public static final Duration CODE_TTL = Duration.ofMinutes(2);
    /** How long a session lives without a request. */
    public static final Duration IDLE_TTL = Duration.ofMinutes(30);
    /** How long a session lives at most. */
    public static final Duration ABSOLUTE_TTL = Duration.ofHours(12);
    /**
     * Sessions, and codes, held at most of each role; the oldest of the role goes first, so nobody can fill the memory
     * with logins, and a viewer's logins never push out an operator's.
     */
    static final int MAX_HELD_PER_ROLE = 256;

    private final Clock clock;
    private final SecureRandom random = new SecureRandom();
    // Insertion-ordered, so that the first entry is the oldest one when the maps are full.
    private final Map<String, Code> codes = new LinkedHashMap<>();
    private final Map<String, Held> sessions = new LinkedHashMap<>();

    /**
     * One logged-in browser.
     *
     * @param id        the session cookie's value
     * @param role      what it may do
     * @param csrf      the token every form of the session carries
     * @param createdAt when it logged in
     */
    public record Session(String id, Role role, String csrf, Instant createdAt) {
    }

    private record Code(Role role, Instant expiresAt) {
    }

    private static final class Held {
        final Session session;
        Instant lastSeen;

        Held(Session session, Instant lastSeen) {
            this.session = session;
            this.lastSeen = lastSeen;
        }
    }

    /** @param clock tells expiry; a fake one in tests */
    public Sessions(Clock clock) {
        this.clock = clock;
    }

    /**
     * @param role the role the code logs in as
     * @return a new single-use code, valid for {@link #CODE_TTL}
     */
    public synchronized String issueCode(Role role) {
        purge();
        trim(codes, role, Code::role);
        String code = secret();
        codes.put(hash(code), new Code(role, clock.instant().plus(CODE_TTL)));
        return code;
    }

    /**
     * @param code a code from {@link #issueCode}
     * @return a new session, if the code is known and not expired; the code is spent either way
     */
    public synchronized Optional<Session> redeem(String code) {
        purge();
        Code c = codes.remove(hash(code));
        if (c == null || !clock.instant().isBefore(c.expiresAt())) {
            return Optional.empty();
        }
        trim(sessions, c.role(), h -> h.session.role());
        Session s = new Session(secret(), c.role(), secret(), clock.instant());
        sessions.put(hash(s.id()), new Held(s, clock.instant()));
        return Optional.of(s);
    }

    /**
     * @param id a session cookie's value
     * @return its session, if alive; this counts as activity
     */
    public synchronized Optional<Session> find(String id) {
        purge();
        Held held = sessions.get(hash(id));
        if (held == null) {
            return Optional.empty();
        }
        held.lastSeen = clock.instant();
        return Optional.of(held.session);
    }

    /**
     * @param id a session's id
     * @return whether it is alive; unlike {@link #find} this does not count as activity
     */
    public synchronized boolean alive(String id) {
        purge();
        return sessions.containsKey(hash(id));
    }

    /** @param id a session cookie's value; the session ends at once */
    public synchronized void logout(String id) {
        sessions.remove(hash(id));
    }

    /**
     * @param expected the session's CSRF token
     * @param given    the token a form sent, may be null
     * @return whether they are equal, compared in constant time
     */
    public static boolean sameToken(String expected, String given) {
        return given != null && MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8),
                given.getBytes(StandardCharsets.UTF_8));
    }

    private void purge() {
        Instant now = clock.instant();
        codes.values().removeIf(c -> !now.isBefore(c.expiresAt()));
        sessions.values().removeIf(h -> !now.isBefore(h.session.createdAt().plus(ABSOLUTE_TTL))
                || !now.isBefore(h.lastSeen.plus(IDLE_TTL)));
    }

    /** Makes room for one more of the role, taking out its oldest. */
    private static <V> void trim(Map<String, V> held, Role role, Function<V, Role> roleOf) {
        long ofRole = held.values().stream().filter(v -> roleOf.apply(v) == role).count();
        for (Iterator<V> oldestFirst = held.values().iterator(); ofRole >= MAX_HELD_PER_ROLE; ) {
            if (roleOf.apply(oldestFirst.next()) == role) {
                oldestFirst.remove();
                ofRole--;
            }
        }
    }

    private String secret() {
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    private static String hash(String secret) {
        try {
            return Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256")
                    .digest(secret.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}
