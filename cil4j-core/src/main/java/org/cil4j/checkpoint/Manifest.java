package org.cil4j.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;

/**
 * The JSON part of a checkpoint ({@code manifest.json}).
 *
 * <p>Position: {@code phase} is the phase to run next or in progress. Without a progress file
 * the phase has not started: the network and method state are those after phase {@code phase -
 * 1}. With one, {@code stage} stages of the phase (numbered in the order the method hands them
 * to the trainer) are complete and stage {@code stage} has finished {@code epoch} epochs.
 *
 * @param format {@link CheckpointStore#FORMAT}
 * @param seq sequence number, increasing within a run
 * @param configHash SHA-256 of the config that produced it (the checkpoint section excluded)
 * @param config that config
 * @param phase phase to run or in progress
 * @param stage stage in progress within the phase
 * @param epoch epochs done of that stage
 * @param heads classes per head of the network at the start of the phase
 * @param epochLines lines of epochs.jsonl written when it was taken
 * @param metrics results so far (phases, accuracy matrices, wall time)
 * @param files name, size and SHA-256 of every other file of the checkpoint
 */
public record Manifest(
        String format,
        long seq,
        String configHash,
        JsonNode config,
        int phase,
        int stage,
        int epoch,
        List<Integer> heads,
        long epochLines,
        JsonNode metrics,
        Map<String, FileEntry> files) {

    /**
     * @param bytes size in bytes
     * @param sha256 hex SHA-256 of the content
     */
    public record FileEntry(long bytes, String sha256) {}

    /** @return this manifest with a file list */
    public Manifest withFiles(Map<String, FileEntry> f) {
        return new Manifest(format, seq, configHash, config, phase, stage, epoch, heads, epochLines, metrics, f);
    }
}
