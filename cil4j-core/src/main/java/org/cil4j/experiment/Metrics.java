package org.cil4j.experiment;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.cil4j.CilException;
import org.cil4j.checkpoint.CheckpointStore;
import org.cil4j.eval.AccuracyMatrix;

/**
 * The results of a run so far, as a checkpoint stores them so that results.json continues.
 *
 * @param phases per-phase results
 * @param cnn task-agnostic matrix
 * @param taskAware task-aware matrix
 * @param nme NME matrix or null
 * @param wallSeconds wall time so far
 */
record Metrics(
        List<PhaseResult> phases,
        AccuracyMatrix cnn,
        AccuracyMatrix taskAware,
        AccuracyMatrix nme,
        double wallSeconds) {

    static JsonNode tree(
            List<PhaseResult> phases, AccuracyMatrix cnn, AccuracyMatrix aware, AccuracyMatrix nme, double wall) {
        return ConfigLoader.MAPPER.valueToTree(new Metrics(List.copyOf(phases), cnn, aware, nme, wall));
    }

    static Metrics read(CheckpointStore.Loaded ckpt) {
        JsonNode n = ckpt.manifest().metrics();
        if (!(n instanceof ObjectNode)) {
            throw new CilException(ckpt.dir() + ": the manifest holds no metrics");
        }
        try {
            Metrics m = ConfigLoader.MAPPER.treeToValue(n, Metrics.class);
            if (m.phases().size() != ckpt.manifest().phase()
                    || m.cnn().phases() != m.phases().size()) {
                throw new CilException(ckpt.dir() + ": the manifest's metrics cover "
                        + m.phases().size() + " phases but its position is phase "
                        + (ckpt.manifest().phase() + 1));
            }
            return m;
        } catch (JsonProcessingException | IllegalArgumentException e) {
            throw new CilException(ckpt.dir() + ": unreadable metrics in the manifest: " + e.getMessage(), e);
        }
    }
}
