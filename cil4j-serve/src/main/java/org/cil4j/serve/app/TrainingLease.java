package org.cil4j.serve.app;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import org.cil4j.serve.store.Db;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who may train. On SQLite there is one process, and it may. On PostgreSQL several replicas share
 * the database and exactly one trains at a time: the one holding a session-level advisory lock on
 * a connection of its own. When that replica dies the server ends its session, the lock is
 * released, and the next replica to ask takes it (each asks every half second) and resumes the
 * phase from its checkpoint in the shared home folder.
 */
interface TrainingLease extends AutoCloseable {
    /** The advisory lock's key: "cil4j" in ASCII. */
    long KEY = 0x6369_6c34_6aL;

    /** @return whether this process may train now (asks for the lease when it does not hold it) */
    boolean held();

    @Override
    void close();

    /**
     * @param db the database
     * @return the lease for it
     */
    static TrainingLease of(Db db) {
        if (db.sqlite()) {
            return new TrainingLease() {
                @Override
                public boolean held() {
                    return true;
                }

                @Override
                public void close() {}
            };
        }
        return new Postgres(db);
    }

    /** The advisory lock, on a connection kept for it. */
    final class Postgres implements TrainingLease {
        private static final Logger LOG = LoggerFactory.getLogger(TrainingLease.class);
        private final Db db;
        private Connection conn;
        private boolean locked;

        Postgres(Db db) {
            this.db = db;
        }

        @Override
        public synchronized boolean held() {
            try {
                if (conn != null && !conn.isValid(2)) {
                    LOG.warn("the connection holding the training lease broke; training stops until it is taken again");
                    closeQuietly();
                }
                if (conn == null) {
                    conn = db.dedicatedConnection();
                    locked = false;
                }
                if (!locked) {
                    try (PreparedStatement st = conn.prepareStatement("SELECT pg_try_advisory_lock(?)")) {
                        st.setLong(1, KEY);
                        try (ResultSet rs = st.executeQuery()) {
                            rs.next();
                            locked = rs.getBoolean(1);
                        }
                    }
                    if (locked) {
                        LOG.info("this replica holds the training lease");
                    }
                }
                return locked;
            } catch (SQLException | RuntimeException e) {
                LOG.warn("cannot ask for the training lease: {}", e.getMessage());
                closeQuietly();
                return false;
            }
        }

        private void closeQuietly() {
            locked = false;
            if (conn != null) {
                try {
                    conn.close();
                } catch (SQLException e) {
                    // gone already
                }
                conn = null;
            }
        }

        @Override
        public synchronized void close() {
            closeQuietly();
        }
    }
}
