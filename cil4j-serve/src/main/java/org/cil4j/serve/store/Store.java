package org.cil4j.serve.store;

import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.mapper.reflect.ConstructorMapper;

/**
 * Every SQL statement of the service, each on a handle the caller's transaction owns. The SQL is
 * the subset SQLite and PostgreSQL share.
 */
public final class Store {
    private Store() {}

    /** @param jdbi registers the row mappers */
    public static void register(Jdbi jdbi) {
        for (Class<?> c : List.of(
                Rows.Token.class,
                Rows.Classifier.class,
                Rows.ClassRow.class,
                Rows.Sample.class,
                Rows.Version.class,
                Rows.Job.class,
                Rows.Erasure.class,
                Rows.Audit.class)) {
            jdbi.registerRowMapper(ConstructorMapper.factory(c));
        }
    }

    /** @return a fresh id */
    public static String newId() {
        return UUID.randomUUID().toString();
    }

    // tokens

    public static void insertToken(Handle h, String id, String name, String hash, String scope, long now) {
        h.createUpdate("INSERT INTO tokens (id, name, hash, scope, created_at, revoked) VALUES (?, ?, ?, ?, ?, 0)")
                .bind(0, id)
                .bind(1, name)
                .bind(2, hash)
                .bind(3, scope)
                .bind(4, now)
                .execute();
    }

    public static Optional<Rows.Token> tokenByHash(Handle h, String hash) {
        return h.createQuery("SELECT id, name, scope, created_at, revoked FROM tokens WHERE hash = ?")
                .bind(0, hash)
                .mapTo(Rows.Token.class)
                .findOne();
    }

    public static List<Rows.Token> tokens(Handle h) {
        return h.createQuery("SELECT id, name, scope, created_at, revoked FROM tokens ORDER BY created_at")
                .mapTo(Rows.Token.class)
                .list();
    }

    public static int revokeToken(Handle h, String id) {
        return h.createUpdate("UPDATE tokens SET revoked = 1 WHERE id = ?")
                .bind(0, id)
                .execute();
    }

    public static int countTokens(Handle h) {
        return h.createQuery("SELECT COUNT(*) FROM tokens").mapTo(Integer.class).one();
    }

    // classifiers

    public static void insertClassifier(Handle h, String id, String name, String spec, long now) {
        h.createUpdate("INSERT INTO classifiers (id, name, spec, created_at, active_version, next_class_id) "
                        + "VALUES (?, ?, ?, ?, NULL, 0)")
                .bind(0, id)
                .bind(1, name)
                .bind(2, spec)
                .bind(3, now)
                .execute();
    }

    private static final String CLASSIFIER =
            "SELECT id, name, spec, created_at, active_version, next_class_id FROM classifiers";

    public static Optional<Rows.Classifier> classifier(Handle h, String name) {
        return h.createQuery(CLASSIFIER + " WHERE name = ?")
                .bind(0, name)
                .mapTo(Rows.Classifier.class)
                .findOne();
    }

    public static Rows.Classifier classifierById(Handle h, String id) {
        return h.createQuery(CLASSIFIER + " WHERE id = ?")
                .bind(0, id)
                .mapTo(Rows.Classifier.class)
                .one();
    }

    public static List<Rows.Classifier> classifiers(Handle h) {
        return h.createQuery(CLASSIFIER + " ORDER BY created_at")
                .mapTo(Rows.Classifier.class)
                .list();
    }

    public static void setActive(Handle h, String classifierId, Integer version) {
        h.createUpdate("UPDATE classifiers SET active_version = ? WHERE id = ?")
                .bind(0, version)
                .bind(1, classifierId)
                .execute();
    }

    // classes

    private static final String CLASS = "SELECT id, name, head_index, forgotten, created_at FROM classes";

    public static List<Rows.ClassRow> classes(Handle h, String classifierId) {
        return h.createQuery(CLASS + " WHERE classifier_id = ? ORDER BY id")
                .bind(0, classifierId)
                .mapTo(Rows.ClassRow.class)
                .list();
    }

    /**
     * The class of a name, created with the next id when new (ids are never reused: a forgotten
     * class keeps its id and its name).
     */
    public static Rows.ClassRow classFor(Handle h, String classifierId, String name, long now) {
        Optional<Rows.ClassRow> c = h.createQuery(CLASS + " WHERE classifier_id = ? AND name = ?")
                .bind(0, classifierId)
                .bind(1, name)
                .mapTo(Rows.ClassRow.class)
                .findOne();
        if (c.isPresent()) {
            return c.get();
        }
        int id = h.createQuery("SELECT next_class_id FROM classifiers WHERE id = ?")
                .bind(0, classifierId)
                .mapTo(Integer.class)
                .one();
        h.createUpdate("UPDATE classifiers SET next_class_id = ? WHERE id = ?")
                .bind(0, id + 1)
                .bind(1, classifierId)
                .execute();
        h.createUpdate("INSERT INTO classes (classifier_id, id, name, head_index, forgotten, created_at) "
                        + "VALUES (?, ?, ?, NULL, 0, ?)")
                .bind(0, classifierId)
                .bind(1, id)
                .bind(2, name)
                .bind(3, now)
                .execute();
        return new Rows.ClassRow(id, name, null, false, now);
    }

    public static void setHeadIndex(Handle h, String classifierId, int classId, Integer headIndex) {
        h.createUpdate("UPDATE classes SET head_index = ? WHERE classifier_id = ? AND id = ?")
                .bind(0, headIndex)
                .bind(1, classifierId)
                .bind(2, classId)
                .execute();
    }

    public static void forget(Handle h, String classifierId, int classId) {
        h.createUpdate("UPDATE classes SET forgotten = 1 WHERE classifier_id = ? AND id = ?")
                .bind(0, classifierId)
                .bind(1, classId)
                .execute();
    }

    // samples

    private static final String SAMPLE =
            "SELECT id, class_id, blob, bytes, source_id, expires_at, state, split, keep_rank, "
                    + "job_id, trained_from, trained_until, created_at FROM samples";

    public static void insertSample(
            Handle h,
            String id,
            String classifierId,
            int classId,
            String blob,
            long bytes,
            String sourceId,
            Long expiresAt,
            long now) {
        h.createUpdate(
                        "INSERT INTO samples (id, classifier_id, class_id, blob, bytes, source_id, expires_at, state, created_at) "
                                + "VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?)")
                .bind(0, id)
                .bind(1, classifierId)
                .bind(2, classId)
                .bind(3, blob)
                .bind(4, bytes)
                .bind(5, sourceId)
                .bind(6, expiresAt)
                .bind(7, now)
                .execute();
    }

    public static List<Rows.Sample> samples(Handle h, String classifierId, String state) {
        return h.createQuery(SAMPLE + " WHERE classifier_id = ? AND state = ? ORDER BY class_id, created_at, id")
                .bind(0, classifierId)
                .bind(1, state)
                .mapTo(Rows.Sample.class)
                .list();
    }

    public static List<Rows.Sample> allSamples(Handle h, String classifierId) {
        return h.createQuery(SAMPLE + " WHERE classifier_id = ? ORDER BY class_id, created_at, id")
                .bind(0, classifierId)
                .mapTo(Rows.Sample.class)
                .list();
    }

    /** @return bytes of the samples kept after their phase (training and validation), all classifiers */
    public static long keptBytes(Handle h) {
        return h.createQuery("SELECT COALESCE(SUM(bytes), 0) FROM samples WHERE state = 'kept'")
                .mapTo(Long.class)
                .one();
    }

    public static List<Rows.Sample> samplesOfSource(Handle h, String classifierId, String sourceId) {
        return h.createQuery(SAMPLE + " WHERE classifier_id = ? AND source_id = ? ORDER BY id")
                .bind(0, classifierId)
                .bind(1, sourceId)
                .mapTo(Rows.Sample.class)
                .list();
    }

    public static List<Rows.Sample> samplesOfClass(Handle h, String classifierId, int classId) {
        return h.createQuery(SAMPLE + " WHERE classifier_id = ? AND class_id = ? ORDER BY id")
                .bind(0, classifierId)
                .bind(1, classId)
                .mapTo(Rows.Sample.class)
                .list();
    }

    /** Samples past their expiry, of every classifier: (classifier id, sample). */
    public static List<String[]> expired(Handle h, long now, int limit) {
        return h.createQuery("SELECT classifier_id, id FROM samples WHERE expires_at IS NOT NULL AND expires_at <= ? "
                        + "ORDER BY expires_at LIMIT " + limit)
                .bind(0, now)
                .map((rs, ctx) -> new String[] {rs.getString(1), rs.getString(2)})
                .list();
    }

    public static Rows.Sample sample(Handle h, String id) {
        return h.createQuery(SAMPLE + " WHERE id = ?")
                .bind(0, id)
                .mapTo(Rows.Sample.class)
                .one();
    }

    public static void assignToJob(Handle h, String sampleId, String jobId, String split) {
        h.createUpdate("UPDATE samples SET state = 'training', job_id = ?, split = ? WHERE id = ?")
                .bind(0, jobId)
                .bind(1, split)
                .bind(2, sampleId)
                .execute();
    }

    public static void returnToPending(Handle h, String jobId) {
        h.createUpdate(
                        "UPDATE samples SET state = 'pending', job_id = NULL, split = NULL WHERE job_id = ? AND state = 'training'")
                .bind(0, jobId)
                .execute();
    }

    public static void keep(Handle h, String sampleId, Integer rank, Integer trainedFrom, Integer trainedUntil) {
        h.createUpdate(
                        "UPDATE samples SET state = 'kept', job_id = NULL, keep_rank = ?, trained_from = ?, trained_until = ? "
                                + "WHERE id = ?")
                .bind(0, rank)
                .bind(1, trainedFrom)
                .bind(2, trainedUntil)
                .bind(3, sampleId)
                .execute();
    }

    public static int deleteSamples(Handle h, Collection<String> ids) {
        int n = 0;
        for (String id : ids) {
            n += h.createUpdate("DELETE FROM samples WHERE id = ?").bind(0, id).execute();
        }
        return n;
    }

    /**
     * Deletes samples and returns those this transaction deleted: a row another replica deleted
     * first is not counted twice.
     */
    public static List<Rows.Sample> deleteReturning(Handle h, Collection<String> ids) {
        List<Rows.Sample> out = new java.util.ArrayList<>();
        for (String id : ids) {
            h.createQuery(
                            "DELETE FROM samples WHERE id = ? RETURNING id, class_id, blob, bytes, source_id, expires_at, "
                                    + "state, split, keep_rank, job_id, trained_from, trained_until, created_at")
                    .bind(0, id)
                    .mapTo(Rows.Sample.class)
                    .findOne()
                    .ifPresent(out::add);
        }
        return out;
    }

    public static Optional<String> erasureReceipt(Handle h, String id) {
        return h.createQuery("SELECT receipt FROM erasures WHERE id = ?")
                .bind(0, id)
                .mapTo(String.class)
                .findOne();
    }

    /** Takes a pending erasure for this transaction; false when another took it first. */
    public static boolean claimErasure(Handle h, String id) {
        return h.createUpdate("UPDATE erasures SET state = 'done' WHERE id = ? AND state = 'pending'")
                        .bind(0, id)
                        .execute()
                == 1;
    }

    public static boolean blobReferenced(Handle h, String blob) {
        return h.createQuery("SELECT COUNT(*) FROM samples WHERE blob = ?")
                        .bind(0, blob)
                        .mapTo(Integer.class)
                        .one()
                > 0;
    }

    // versions

    private static final String VERSION =
            "SELECT num, job_id, classes, heads, metrics, provenance, dir, bytes, created_at " + "FROM versions";

    public static void insertVersion(Handle h, String classifierId, Rows.Version v) {
        h.createUpdate(
                        "INSERT INTO versions (classifier_id, num, job_id, classes, heads, metrics, provenance, dir, bytes, "
                                + "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
                .bind(0, classifierId)
                .bind(1, v.num())
                .bind(2, v.jobId())
                .bind(3, v.classes())
                .bind(4, v.heads())
                .bind(5, v.metrics())
                .bind(6, v.provenance())
                .bind(7, v.dir())
                .bind(8, v.bytes())
                .bind(9, v.createdAt())
                .execute();
    }

    public static List<Rows.Version> versions(Handle h, String classifierId) {
        return h.createQuery(VERSION + " WHERE classifier_id = ? ORDER BY num")
                .bind(0, classifierId)
                .mapTo(Rows.Version.class)
                .list();
    }

    public static Optional<Rows.Version> version(Handle h, String classifierId, int num) {
        return h.createQuery(VERSION + " WHERE classifier_id = ? AND num = ?")
                .bind(0, classifierId)
                .bind(1, num)
                .mapTo(Rows.Version.class)
                .findOne();
    }

    public static Optional<Rows.Version> latestVersion(Handle h, String classifierId) {
        return h.createQuery(VERSION + " WHERE classifier_id = ? ORDER BY num DESC LIMIT 1")
                .bind(0, classifierId)
                .mapTo(Rows.Version.class)
                .findOne();
    }

    public static Optional<Rows.Version> versionOfJob(Handle h, String jobId) {
        return h.createQuery(VERSION + " WHERE job_id = ?")
                .bind(0, jobId)
                .mapTo(Rows.Version.class)
                .findOne();
    }

    public static List<String> versionDirs(Handle h) {
        return h.createQuery("SELECT dir FROM versions").mapTo(String.class).list();
    }

    // jobs

    private static final String JOB =
            "SELECT id, classifier_id, state, progress, error, version, created_at, updated_at FROM jobs";

    public static void insertJob(Handle h, String id, String classifierId, long now) {
        h.createUpdate(
                        "INSERT INTO jobs (id, classifier_id, state, created_at, updated_at) VALUES (?, ?, 'queued', ?, ?)")
                .bind(0, id)
                .bind(1, classifierId)
                .bind(2, now)
                .bind(3, now)
                .execute();
    }

    public static Optional<Rows.Job> job(Handle h, String id) {
        return h.createQuery(JOB + " WHERE id = ?")
                .bind(0, id)
                .mapTo(Rows.Job.class)
                .findOne();
    }

    public static List<Rows.Job> unfinishedJobs(Handle h) {
        return h.createQuery(JOB + " WHERE state IN ('queued', 'running') ORDER BY created_at")
                .mapTo(Rows.Job.class)
                .list();
    }

    public static List<Rows.Job> jobs(Handle h, String classifierId) {
        return h.createQuery(JOB + " WHERE classifier_id = ? ORDER BY created_at")
                .bind(0, classifierId)
                .mapTo(Rows.Job.class)
                .list();
    }

    public static void updateJob(
            Handle h, String id, String state, String progress, String error, Integer version, long now) {
        h.createUpdate("UPDATE jobs SET state = ?, progress = ?, error = ?, version = ?, updated_at = ? WHERE id = ?")
                .bind(0, state)
                .bind(1, progress)
                .bind(2, error)
                .bind(3, version)
                .bind(4, now)
                .bind(5, id)
                .execute();
    }

    // erasures and audit

    public static void insertErasure(
            Handle h, String id, String classifierId, String sourceId, String tokenId, long now) {
        h.createUpdate("INSERT INTO erasures (id, classifier_id, source_id, state, token_id, created_at) "
                        + "VALUES (?, ?, ?, 'pending', ?, ?)")
                .bind(0, id)
                .bind(1, classifierId)
                .bind(2, sourceId)
                .bind(3, tokenId)
                .bind(4, now)
                .execute();
    }

    public static void finishErasure(Handle h, String id, String receipt) {
        h.createUpdate("UPDATE erasures SET state = 'done', receipt = ? WHERE id = ?")
                .bind(0, receipt)
                .bind(1, id)
                .execute();
    }

    public static List<Rows.Erasure> pendingErasures(Handle h) {
        return h.createQuery("SELECT id, classifier_id, source_id, state, receipt, token_id, created_at FROM erasures "
                        + "WHERE state = 'pending' ORDER BY created_at")
                .mapTo(Rows.Erasure.class)
                .list();
    }

    public static void audit(
            Handle h, long now, String classifierId, String action, String tokenId, int count, String detail) {
        h.createUpdate(
                        "INSERT INTO audit (id, at, classifier_id, action, token_id, count, detail) VALUES (?, ?, ?, ?, ?, ?, ?)")
                .bind(0, newId())
                .bind(1, now)
                .bind(2, classifierId)
                .bind(3, action)
                .bind(4, tokenId)
                .bind(5, count)
                .bind(6, detail)
                .execute();
    }

    public static List<Rows.Audit> auditLog(Handle h, int limit) {
        return h.createQuery(
                        "SELECT id, at, classifier_id, action, token_id, count, detail FROM audit ORDER BY at DESC, id "
                                + "LIMIT " + limit)
                .mapTo(Rows.Audit.class)
                .list();
    }
}
