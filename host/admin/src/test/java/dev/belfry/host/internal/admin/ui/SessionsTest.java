package dev.belfry.host.internal.admin.ui;

import static org.assertj.core.api.Assertions.assertThat;

import dev.belfry.host.testing.FakeClock;
import org.junit.jupiter.api.Test;

/** Sessions and codes are bounded per role: a viewer's logins never push out an operator's. */
class SessionsTest {
    private final Sessions sessions = new Sessions(FakeClock.at("2027-03-27T12:00:00Z"));

    @Test
    void shouldKeepAnOperatorsSessionAndCodeWhateverNumberOfViewersLogIn() {
        Sessions.Session operator = sessions.redeem(sessions.issueCode(Role.OPERATOR)).orElseThrow();
        String unusedOperatorCode = sessions.issueCode(Role.OPERATOR);
        String firstViewer = sessions.redeem(sessions.issueCode(Role.VIEWER)).orElseThrow().id();

        for (int i = 0; i < Sessions.MAX_HELD_PER_ROLE + 10; i++) {
            sessions.redeem(sessions.issueCode(Role.VIEWER)).orElseThrow();
        }
        for (int i = 0; i < Sessions.MAX_HELD_PER_ROLE + 10; i++) {
            sessions.issueCode(Role.VIEWER);
        }

        assertThat(sessions.alive(operator.id())).as("the operator's session").isTrue();
        assertThat(sessions.alive(firstViewer)).as("the oldest viewer's session").isFalse();
        assertThat(sessions.redeem(unusedOperatorCode)).as("the operator's unused code").isPresent();
    }

    @Test
    void shouldPushOutTheOldestSessionOfTheSameRoleWhenItsRoleIsFull() {
        String oldest = sessions.redeem(sessions.issueCode(Role.OPERATOR)).orElseThrow().id();
        String second = sessions.redeem(sessions.issueCode(Role.OPERATOR)).orElseThrow().id();

        for (int i = 0; i < Sessions.MAX_HELD_PER_ROLE - 1; i++) {
            sessions.redeem(sessions.issueCode(Role.OPERATOR)).orElseThrow();
        }

        assertThat(sessions.alive(oldest)).isFalse();
        assertThat(sessions.alive(second)).isTrue();
    }
}
