package org.cil4j.serve.store;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;
import org.cil4j.CilException;

/**
 * A PostgreSQL database made for one run and dropped after it (the tests and {@code cil bench
 * serve --replicas}): created through a URL whose user may create databases, e.g. {@code
 * jdbc:postgresql://127.0.0.1:5432/postgres?user=cil4j&password=cil4j}.
 *
 * @param adminUrl the URL it was created through
 * @param url the new database's URL (same server, user and parameters)
 */
public record ScratchDatabase(String adminUrl, String url) implements AutoCloseable {

    /**
     * @param adminUrl a jdbc:postgresql URL of a user that may create databases
     * @param prefix the new database's name begins with it (letters, digits and _)
     * @return the new, empty database
     */
    public static ScratchDatabase create(String adminUrl, String prefix) {
        if (adminUrl == null || !adminUrl.startsWith("jdbc:postgresql://")) {
            throw new CilException(
                    "a scratch database needs a jdbc:postgresql://host[:port]/db?user=..&password=.. URL, got "
                            + adminUrl);
        }
        if (!prefix.matches("[a-z_][a-z0-9_]*")) {
            throw new IllegalArgumentException("database name prefix " + prefix);
        }
        String name = prefix + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        try (Connection c = DriverManager.getConnection(adminUrl);
                Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new CilException(
                    "cannot create a database through " + Db.redact(adminUrl) + ": " + e.getMessage(), e);
        }
        return new ScratchDatabase(adminUrl, adminUrl.replaceFirst("^(jdbc:postgresql://[^/]+/)[^?]*", "$1" + name));
    }

    /** @return the database's name */
    public String name() {
        return url.replaceAll("^jdbc:postgresql://[^/]+/([^?]+).*$", "$1");
    }

    /** Drops the database, closing its connections; a failure is reported on standard error. */
    @Override
    public void close() {
        try (Connection c = DriverManager.getConnection(adminUrl);
                Statement s = c.createStatement()) {
            s.execute("DROP DATABASE IF EXISTS " + name() + " WITH (FORCE)");
        } catch (SQLException e) {
            System.err.println("could not drop the database " + name() + ": " + e.getMessage());
        }
    }
}
