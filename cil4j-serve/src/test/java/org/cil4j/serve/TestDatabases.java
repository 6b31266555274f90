package org.cil4j.serve;

import org.cil4j.serve.store.ScratchDatabase;
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
     * @return null for SQLite under the home folder, or a fresh PostgreSQL database to close after the test
     */
    static ScratchDatabase open(String kind) {
        if (kind.equals("sqlite")) {
            return null;
        }
        String admin = System.getenv(ENV);
        Assumptions.assumeTrue(
                admin != null && !admin.isBlank(),
                ENV + " is not set: the PostgreSQL variant is skipped"
                        + " (.ci/run starts Debian's postgresql and sets it)");
        return ScratchDatabase.create(admin, "cil_test_");
    }

    /** @param db what {@link #open} returned */
    static String url(ScratchDatabase db) {
        return db == null ? null : db.url();
    }

    /** @param db what {@link #open} returned (null: nothing to drop) */
    static void drop(ScratchDatabase db) {
        if (db != null) {
            db.close();
        }
    }
}
