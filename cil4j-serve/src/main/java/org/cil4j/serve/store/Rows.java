package org.cil4j.serve.store;

/** The rows of the service's tables, as the store reads them. */
public final class Rows {
    private Rows() {}

    /**
     * @param id token id (not the secret)
     * @param name what the token is for
     * @param scope predict, write or admin
     * @param createdAt epoch milliseconds
     * @param revoked whether it was revoked
     */
    public record Token(String id, String name, String scope, long createdAt, boolean revoked) {}

    /**
     * @param id internal id
     * @param name the name in URLs
     * @param spec the resolved spec (JSON)
     * @param createdAt epoch milliseconds
     * @param activeVersion the version that answers predictions, or null
     * @param nextClassId the id the next new class gets
     */
    public record Classifier(
            String id, String name, String spec, long createdAt, Integer activeVersion, int nextClassId) {}

    /**
     * @param id stable class id
     * @param name class name
     * @param headIndex place in the network's output, null until a phase learns the class
     * @param forgotten whether the class was forgotten
     * @param createdAt epoch milliseconds
     */
    public record ClassRow(int id, String name, Integer headIndex, boolean forgotten, long createdAt) {}

    /**
     * @param id sample id
     * @param classId the class
     * @param blob hash of its pixels
     * @param bytes size of its pixels
     * @param sourceId who or what it came from (for erasure), or null
     * @param expiresAt epoch milliseconds after which it is deleted, or null
     * @param state pending, training or kept
     * @param split train or val, null while pending
     * @param keepRank its rank among its class's kept training samples
     * @param jobId the phase it is in, while training
     * @param trainedFrom the first version trained on it
     * @param trainedUntil the last version trained on it
     * @param createdAt epoch milliseconds
     */
    public record Sample(
            String id,
            int classId,
            String blob,
            long bytes,
            String sourceId,
            Long expiresAt,
            String state,
            String split,
            Integer keepRank,
            String jobId,
            Integer trainedFrom,
            Integer trainedUntil,
            long createdAt) {}

    /**
     * @param num version number, from 1
     * @param jobId the phase that made it
     * @param classes classes its network knows
     * @param heads JSON array: classes per phase
     * @param metrics JSON: accuracy matrix and gate decision
     * @param provenance JSON: method, recipe, samples, normalization
     * @param dir its files, relative to the home folder
     * @param bytes size of its files
     * @param createdAt epoch milliseconds
     */
    public record Version(
            int num,
            String jobId,
            int classes,
            String heads,
            String metrics,
            String provenance,
            String dir,
            long bytes,
            long createdAt) {}

    /**
     * @param id job id
     * @param classifierId the classifier
     * @param state queued, running, done or failed
     * @param progress JSON, while running
     * @param error why it failed
     * @param version the version it made
     * @param createdAt epoch milliseconds
     * @param updatedAt epoch milliseconds
     */
    public record Job(
            String id,
            String classifierId,
            String state,
            String progress,
            String error,
            Integer version,
            long createdAt,
            long updatedAt) {}

    /**
     * @param id erasure id
     * @param classifierId the classifier
     * @param sourceId the source erased
     * @param state pending or done
     * @param receipt JSON, when done
     * @param tokenId who asked
     * @param createdAt epoch milliseconds
     */
    public record Erasure(
            String id,
            String classifierId,
            String sourceId,
            String state,
            String receipt,
            String tokenId,
            long createdAt) {}

    /**
     * @param id entry id
     * @param at epoch milliseconds
     * @param classifierId the classifier, or null
     * @param action what was done
     * @param tokenId by which token (null: the service itself)
     * @param count how many samples
     * @param detail JSON: classes and counts, never data
     */
    public record Audit(
            String id, long at, String classifierId, String action, String tokenId, int count, String detail) {}
}
