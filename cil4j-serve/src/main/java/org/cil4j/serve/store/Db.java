package org.cil4j.serve.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.nio.file.Path;
import javax.sql.DataSource;
import org.cil4j.CilException;
import org.flywaydb.core.Flyway;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.HandleCallback;
import org.jdbi.v3.core.Jdbi;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;

/**
 * The service's database: SQLite in the home folder by default (WAL, one writer at a time,
 * immediate transactions), or PostgreSQL when a {@code jdbc:postgresql:} URL is given. The
 * schema is migrated by Flyway at start; the same SQL runs on both.
 */
public final class Db implements AutoCloseable {
    private final HikariDataSource pool;
    private final Jdbi jdbi;
    private final boolean sqlite;
    private final String url;
    private final String rawUrl;

    private Db(HikariDataSource pool, boolean sqlite, String url, String rawUrl) {
        this.rawUrl = rawUrl;
        this.pool = pool;
        this.sqlite = sqlite;
        this.url = url;
        this.jdbi = Jdbi.create(pool);
    }

    /**
     * Opens and migrates the database.
     *
     * @param url a {@code jdbc:postgresql:} URL, or null for SQLite under {@code home}
     * @param home the service's home folder
     * @return the open database
     */
    public static Db open(String url, Path home) {
        HikariConfig hc = new HikariConfig();
        hc.setPoolName("cil4j-db");
        boolean sqlite = url == null || url.startsWith("jdbc:sqlite:");
        String u = url == null ? "jdbc:sqlite:" + home.resolve("cil.db") : url;
        if (sqlite) {
            SQLiteConfig c = new SQLiteConfig();
            c.setJournalMode(SQLiteConfig.JournalMode.WAL);
            c.setSynchronous(SQLiteConfig.SynchronousMode.FULL);
            c.setBusyTimeout(30_000);
            c.setTransactionMode(SQLiteConfig.TransactionMode.IMMEDIATE);
            SQLiteDataSource ds = new SQLiteDataSource(c);
            ds.setUrl(u);
            hc.setDataSource(ds);
            hc.setMaximumPoolSize(4);
        } else if (u.startsWith("jdbc:postgresql:")) {
            hc.setJdbcUrl(u);
            hc.setMaximumPoolSize(8);
        } else {
            throw new CilException("--db " + u + ": expected a jdbc:postgresql:// or jdbc:sqlite: URL");
        }
        hc.setInitializationFailTimeout(10_000);
        HikariDataSource pool;
        try {
            pool = new HikariDataSource(hc);
        } catch (RuntimeException e) {
            throw new CilException("cannot open the database " + redact(u) + ": " + e.getMessage(), e);
        }
        try {
            migrate(pool);
        } catch (RuntimeException e) {
            pool.close();
            throw new CilException("cannot migrate the database " + redact(u) + ": " + e.getMessage(), e);
        }
        return new Db(pool, sqlite, redact(u), u);
    }

    private static void migrate(DataSource ds) {
        Flyway.configure()
                .dataSource(ds)
                .locations("classpath:db/migration")
                .load()
                .migrate();
    }

    /** A URL as logs may show it: without a password parameter. */
    public static String redact(String url) {
        return url.replaceAll("(?i)(password=)[^&]*", "$1***");
    }

    /** @return the database as logs may name it */
    public String describe() {
        return url;
    }

    /** @return true on SQLite */
    public boolean sqlite() {
        return sqlite;
    }

    /**
     * Runs one transaction.
     *
     * @param <T> the result type
     * @param work the statements
     * @return what {@code work} returns
     */
    public <T> T tx(HandleCallback<T, RuntimeException> work) {
        return jdbi.inTransaction(work);
    }

    /**
     * Runs statements outside an explicit transaction (reads).
     *
     * @param <T> the result type
     * @param work the statements
     * @return what {@code work} returns
     */
    public <T> T read(HandleCallback<T, RuntimeException> work) {
        return jdbi.withHandle(work);
    }

    /**
     * A connection outside the pool's rotation, for state that lives as long as a session (the
     * training lease's advisory lock). The caller closes it.
     *
     * @return a new connection
     * @throws java.sql.SQLException when the database cannot be reached
     */
    public java.sql.Connection dedicatedConnection() throws java.sql.SQLException {
        return pool.getDataSource() != null
                ? pool.getDataSource().getConnection()
                : java.sql.DriverManager.getConnection(rawUrl);
    }

    /** @return the JDBI instance */
    public Jdbi jdbi() {
        return jdbi;
    }

    /** Makes {@link Handle} visible to callers without importing JDBI's callbacks. */
    public interface Work extends HandleCallback<Void, RuntimeException> {}

    @Override
    public void close() {
        pool.close();
    }
}
