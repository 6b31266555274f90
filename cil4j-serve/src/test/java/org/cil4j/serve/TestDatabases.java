package org.cil4j.serve;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;
import org.junit.jupiter.api.Assumptions;

/**
 * The databases the service tests run on: SQLite (always) and a real PostgreSQL server when
 * {@code CIL4J_TEST_PG} names one ({@code .ci/run} starts Debian's and sets it), e.g.
 * {@code jdbc:postgresql://127.0.0.1:5432/postgres?user=cil4j&password=cil4j}: a user that may
 * create databases. Each test gets a database of its own.
 */
final class TestDatabases {
    static final String ENV = "CIL4J_TEST_PG";

    private TestDatabases() {}

    /**
     * @param kind "sqlite" or "postgresql"
     * @return the --db URL: null for SQLite under the home folder, a fresh PostgreSQL database
     */
    static String open(String kind) {
        if (kind.equals("sqlite")) {
            return null;
        }
        String admin = System.getenv(ENV);
        Assumptions.assumeTrue(admin != null && !admin.isBlank(), ENV + " is not set: the PostgreSQL variant is skipped"
                + " (.ci/run starts Debian's postgresql and sets it)");
        String name = "cil_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        try (Connection c = DriverManager.getConnection(admin); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create a test database through " + ENV + ": " + e.getMessage(), e);
        }
        return withDatabase(admin, name);
    }

    /** @param url a database {@link #open} made (null: nothing to drop) */
    static void drop(String url) {
        if (url == null) {
            return;
        }
        String name = url.replaceAll("^jdbc:postgresql://[^/]+/([^?]+).*$", "$1");
        try (Connection c = DriverManager.getConnection(System.getenv(ENV)); Statement s = c.createStatement()) {
            s.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
        } catch (SQLException e) {
            System.err.println("could not drop the test database " + name + ": " + e.getMessage());
        }
    }

    static String withDatabase(String url, String name) {
        return url.replaceFirst("^(jdbc:postgresql://[^/]+/)[^?]*", "$1" + name);
    }
}
