package org.cil4j.experiment;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.soabase.recordbuilder.core.RecordBuilder;
import org.cil4j.CilException;

/**
 * When checkpoints are written (into {@code OUT/checkpoints}, only when the run has an output
 * folder). A checkpoint is always written after each phase; this section only controls the
 * checkpoints inside a phase. It does not change results, so a resume may change it freely.
 *
 * @param everyEpochs write a checkpoint every this many epochs of each training stage (1: lose at
 *     most the epoch in flight; 0: only after each phase)
 */
@RecordBuilder
public record CheckpointConfig(int everyEpochs) implements CheckpointConfigBuilder.With {
    /** Reads the record with defaults. */
    @JsonCreator
    public static CheckpointConfig of(@JsonProperty("everyEpochs") Integer everyEpochs) {
        return new CheckpointConfig(everyEpochs == null ? 1 : everyEpochs);
    }

    /** Checks the values. */
    public CheckpointConfig {
        if (everyEpochs < 0) {
            throw new CilException(
                    "checkpoint.everyEpochs must be >= 0 (0: only after each phase), got " + everyEpochs);
        }
    }
}
